"""Progress engine: expected values computed by hand (calculator), from the seed documents."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from chainwatch.targets.progress import (
    STALE_AFTER_MONTHS,
    CountSpec,
    Point,
    TargetSpec,
    cagr,
    check_count_ladder,
    date_from_decimal_year,
    decimal_year,
    decimal_years,
    evaluate,
    evaluate_bulk,
    evaluate_count,
    evaluate_many,
    meets,
    months_completed,
    traffic_light,
)


def annual(year: int, value: float) -> Point:
    return Point.at(date(year, 12, 31), value)


# --- time axis ------------------------------------------------------------------------------


def test_decimal_year_counts_the_end_of_the_day():
    assert decimal_year(date(2023, 12, 31)) == 2024.0
    assert decimal_year(date(2025, 3, 31)) == pytest.approx(2025 + 90 / 365)
    assert decimal_year(date(2024, 6, 30)) == pytest.approx(2024 + 182 / 366)  # leap year


def test_decimal_years_vectorised_and_inverse():
    days = [date(2023, 12, 31), date(2024, 2, 29), date(2025, 6, 30)]
    got = decimal_years(np.array(days, dtype="datetime64[D]"))
    assert got.tolist() == pytest.approx([decimal_year(d) for d in days])
    assert [date_from_decimal_year(t) for t in got.tolist()] == days


def test_months_completed():
    assert months_completed(date(2025, 6, 30), 2025) == 6
    assert months_completed(date(2025, 7, 15), 2025) == 6
    assert months_completed(date(2024, 12, 1), 2025) == 0
    assert months_completed(date(2026, 1, 1), 2025) == 12


def test_point_year_must_follow_the_convention():
    with pytest.raises(ValueError, match="Point.at"):
        evaluate(
            TargetSpec(id="x", comparator=">=", value=1, year=2025),
            [Point(date(2023, 12, 31), 2023.0, 5.0)],
            as_of=date(2024, 1, 1),
        )


# --- Inner Mongolia lithium: 锂产业链产值 165亿元 (2023) → 700亿元 (2025) -----------------------

LITHIUM = TargetSpec(
    id="im-li-output-2025",
    comparator="=",
    value=700,
    year=2025,
    kind="flow",
    baseline_value=165,
    baseline_year=2023,
    start_year=2024,
)


def test_cagr_formula():
    # (700/165)^(1/2) − 1 = √4.242424 − 1 = 2.0597146 − 1
    assert cagr(165, 700, 2) == pytest.approx(1.0597146, rel=1e-7)
    with pytest.raises(ValueError):
        cagr(0, 700, 2)


def test_lithium_doubling_is_just_short_of_substantial():
    # Hypothetical 2024 value 330 亿元 (a doubling): observed CAGR = 330/165 − 1 = 1.0 over 1 year.
    progress = evaluate(LITHIUM, [annual(2024, 330)], as_of=date(2025, 3, 31))
    assert progress.required_cagr == pytest.approx(1.0597146, rel=1e-7)
    assert progress.observed_cagr == pytest.approx(1.0)
    # ratio = 1 / 1.0597146 = 0.94365 < 0.95 → moderate, not substantial
    assert progress.ratio == pytest.approx(0.9436503, rel=1e-6)
    assert progress.status == "moderate"
    assert progress.met is False
    # 时序进度: (330 − 165)/(700 − 165) = 165/535; elapsed (1 + 90/365)/2 (2024-01-01 → 2026-01-01)
    assert progress.share_achieved == pytest.approx(0.3084112, rel=1e-6)
    assert progress.share_elapsed == pytest.approx(0.6232877, rel=1e-6)
    assert progress.pace_gap == pytest.approx(-0.3148765, rel=1e-6)
    assert progress.light == "yellow"  # ratio ≥ 0.6 although the pace gap is −31 points
    assert progress.baseline_value == 165 and progress.baseline_year == 2023
    assert progress.latest_period_end == date(2024, 12, 31)
    # Two points, exact log-linear fit: doubling again gives 660 in 2025, no interval
    assert progress.projected_value == pytest.approx(660)
    assert progress.projected_low is None and progress.projected_high is None
    # linear trajectory 165 → 700: 2024 is half way, 432.5
    assert progress.trajectory == [(2023, 165), (2024, 432.5), (2025, 700)]
    assert progress.components["measure"] == "cagr"
    assert "时序进度落后31个百分点：已完成目标的31%，时间已过62%" in progress.reason
    assert "比值0.94" in progress.reason


def test_lithium_350_is_substantial_and_green():
    progress = evaluate(LITHIUM, [annual(2024, 350)], as_of=date(2025, 3, 31))
    # (350/165 − 1)/1.0597146 = 1.1212121/1.0597146
    assert progress.ratio == pytest.approx(1.0580322, rel=1e-6)
    assert progress.status == "substantial"
    assert progress.light == "green"


def test_lithium_achieved_when_latest_meets_target():
    progress = evaluate(LITHIUM, [annual(2024, 350), annual(2025, 712)], as_of=date(2026, 2, 1))
    assert progress.met is True
    assert progress.status == "achieved"
    assert progress.light == "green"
    assert progress.reason.startswith("已达到目标")


def test_falling_value_is_deterioration_and_red():
    progress = evaluate(LITHIUM, [annual(2024, 150)], as_of=date(2025, 3, 31))
    assert progress.observed_cagr == pytest.approx(150 / 165 - 1)
    assert progress.ratio < 0
    assert progress.status == "deterioration"
    assert progress.light == "red"


def test_moving_away_is_never_green():
    # As of 2024-01-10 hardly any time has elapsed, pace_gap ≈ −0.03 would be green by pace alone.
    progress = evaluate(
        LITHIUM, [annual(2023, 165), Point.at(date(2024, 1, 5), 160)], as_of=date(2024, 1, 10)
    )
    assert progress.pace_gap > -0.05
    assert progress.status == "deterioration"
    assert progress.light == "yellow"


def test_baseline_already_beyond_target_then_falling_back():
    spec = TargetSpec(
        id="x", comparator=">=", value=700, year=2025, baseline_value=800, baseline_year=2023
    )
    progress = evaluate(spec, [annual(2024, 650)], as_of=date(2025, 3, 31))
    assert progress.met is False
    assert progress.status == "deterioration"
    assert progress.components["measure"] == "baseline_beyond_target"


# --- 万元工业增加值用水量较2020年下降13% (Inner Mongolia manufacturing, 2025) ---------------------

WATER = TargetSpec(
    id="im-water-2025",
    comparator="=",
    value=13,
    year=2025,
    kind="rate",
    direction="decrease",
    change={"kind": "decrease", "base_year": 2020, "percent": 13},
)


def test_change_target_value_is_base_year_times_087():
    # Hypothetical 20.0 m³/万元 in 2020 → target 17.4; 18.5 in 2023
    progress = evaluate(WATER, [annual(2020, 20.0), annual(2023, 18.5)], as_of=date(2024, 6, 30))
    assert progress.target_value == pytest.approx(17.4)
    assert progress.baseline_value == 20.0 and progress.baseline_year == 2020
    # required (0.87)^(1/5) − 1, observed (0.925)^(1/3) − 1: both negative, ratio positive
    assert progress.required_cagr == pytest.approx(-0.02746811, rel=1e-6)
    assert progress.observed_cagr == pytest.approx(-0.02565242, rel=1e-6)
    assert progress.ratio == pytest.approx(0.9338982, rel=1e-6)
    assert progress.status == "moderate"
    # (18.5 − 20)/(17.4 − 20) = 0.5769; elapsed (3 + 182/366)/5 = 0.6995
    assert progress.share_achieved == pytest.approx(0.5769231, rel=1e-6)
    assert progress.share_elapsed == pytest.approx(0.6994536, rel=1e-6)
    assert progress.pace_gap == pytest.approx(-0.1225305, rel=1e-6)
    assert progress.light == "yellow"


def test_change_target_met_below_target_for_decrease():
    progress = evaluate(WATER, [annual(2020, 20.0), annual(2024, 17.3)], as_of=date(2025, 3, 31))
    assert progress.met is True
    assert progress.status == "achieved"


def test_change_target_without_base_year_is_no_baseline():
    progress = evaluate(WATER, [annual(2022, 19.0), annual(2023, 18.5)], as_of=date(2024, 6, 30))
    assert progress.status == "no_baseline"
    assert progress.light == "grey"
    assert progress.target_value is None
    assert "2020" in progress.reason


def test_change_target_accepts_stated_base_year_value():
    spec = TargetSpec(
        id="im-water-2025",
        comparator="=",
        value=13,
        year=2025,
        direction="decrease",
        change={"kind": "decrease", "base_year": 2020, "percent": 13},
        baseline_value=20.0,
        baseline_year=2020,
    )
    progress = evaluate(spec, [annual(2023, 18.5)], as_of=date(2024, 6, 30))
    assert progress.target_value == pytest.approx(17.4)
    assert progress.ratio == pytest.approx(0.9338982, rel=1e-6)


# --- comparators ----------------------------------------------------------------------------

# 新材料产值占工业产值比重达到13%左右 (2025): ±5 % of 13 is 12.35 … 13.65
SHARE = TargetSpec(id="im-newmat-share", comparator="~", value=13, year=2025, kind="rate")


@pytest.mark.parametrize(
    ("direction", "value", "expected"),
    [
        ("increase", 12.5, True),  # within 5 %
        ("increase", 12.35, True),  # on the edge
        ("increase", 12.2, False),  # 6.2 % short
        ("increase", 14.0, True),  # beyond, in the desired direction
        ("neutral", 13.6, True),
        ("neutral", 13.8, False),  # 6.2 % over
        ("neutral", 12.2, False),
        ("decrease", 13.6, True),
        ("decrease", 13.8, False),
    ],
)
def test_about_comparator_within_tolerance(direction, value, expected):
    spec = TargetSpec(id="s", comparator="~", value=13, year=2025, direction=direction)
    assert meets(value, spec, 13) is expected


def test_about_target_evaluated():
    inside = evaluate(SHARE, [annual(2024, 12.5)], as_of=date(2025, 3, 1))
    outside = evaluate(SHARE, [annual(2023, 11.0), annual(2024, 12.2)], as_of=date(2025, 3, 1))
    assert inside.status == "achieved" and inside.met is True
    assert outside.met is False and outside.status != "achieved"


@pytest.mark.parametrize(
    ("comparator", "direction", "value", "expected"),
    [
        (">=", "increase", 100, True),
        (">", "increase", 100, False),
        (">", "increase", 100.01, True),
        ("<=", "decrease", 100, True),
        ("<=", "decrease", 100.5, False),
        ("=", "increase", 120, True),  # 达到 for an increase: at least
        ("=", "decrease", 120, False),  # 达到 for a decrease: at most
        ("=", "neutral", 104, True),
        ("=", "neutral", 106, False),
    ],
)
def test_comparators_are_direction_aware(comparator, direction, value, expected):
    spec = TargetSpec(id="c", comparator=comparator, value=100, year=2025, direction=direction)
    assert meets(value, spec, 100) is expected


def test_range_target_needs_the_lower_end_for_increase():
    spec = TargetSpec(id="r", comparator="=", value=1, value_max=2, year=2027, kind="count")
    assert meets(1, spec, 1) is True
    assert meets(0, spec, 1) is False


# --- stale, no data, guards -----------------------------------------------------------------


def test_stale_annual_boundary():
    spec = TargetSpec(
        id="x", comparator=">=", value=200, year=2030, baseline_value=100, baseline_year=2020
    )
    points = [annual(2021, 110), annual(2022, 120)]
    assert STALE_AFTER_MONTHS["annual"] == 18
    # 2022-12-31 + 18 months = 2024-06-30: still fresh that day, stale the next
    assert evaluate(spec, points, as_of=date(2024, 6, 30)).status != "stale"
    stale = evaluate(spec, points, as_of=date(2024, 7, 1))
    assert stale.status == "stale" and stale.light == "grey"
    assert stale.latest_value == 120
    assert "18个月" in stale.reason


def test_stale_quarterly_and_monthly():
    quarterly = TargetSpec(
        id="q",
        comparator=">=",
        value=50,
        year=2026,
        cycle="quarterly",
        baseline_value=10,
        baseline_year=2023,
    )
    points = [Point.at(date(2024, 12, 31), 20)]
    assert evaluate(quarterly, points, as_of=date(2025, 6, 30)).status != "stale"
    assert evaluate(quarterly, points, as_of=date(2025, 7, 1)).status == "stale"
    monthly = TargetSpec(
        id="m",
        comparator=">=",
        value=50,
        year=2026,
        cycle="monthly",
        baseline_value=10,
        baseline_year=2023,
    )
    assert evaluate(monthly, points, as_of=date(2025, 3, 31)).status != "stale"
    assert evaluate(monthly, points, as_of=date(2025, 4, 1)).status == "stale"


def test_old_data_that_covers_the_target_year_is_not_stale():
    spec = TargetSpec(
        id="x", comparator=">=", value=200, year=2023, baseline_value=100, baseline_year=2020
    )
    progress = evaluate(spec, [annual(2023, 150)], as_of=date(2026, 6, 1))
    # observed 1.5^(1/3) − 1 = 0.144714, required 2^(1/3) − 1 = 0.259921, ratio 0.556763
    assert progress.ratio == pytest.approx(0.556763, rel=1e-5)
    assert progress.status == "limited"
    assert progress.light == "red"


def test_no_data():
    progress = evaluate(LITHIUM, [], as_of=date(2025, 3, 31))
    assert progress.status == "no_data" and progress.light == "grey"
    assert progress.latest_value is None and progress.projected_value is None


def test_observations_after_as_of_are_ignored_and_said():
    progress = evaluate(LITHIUM, [annual(2025, 800)], as_of=date(2025, 3, 31))
    assert progress.status == "no_data"
    assert "晚于评估日" in progress.reason


def test_single_point_without_baseline():
    spec = TargetSpec(id="x", comparator=">=", value=200, year=2027)
    progress = evaluate(spec, [annual(2024, 120)], as_of=date(2025, 3, 1))
    assert progress.status == "no_baseline"
    assert "仅有1个观测值" in progress.reason
    assert progress.observed_cagr is None and progress.ratio is None
    met = evaluate(spec, [annual(2024, 210)], as_of=date(2025, 3, 1))
    assert met.status == "achieved"


def test_conflicting_duplicates_keep_the_last_supplied_and_say_so():
    progress = evaluate(LITHIUM, [annual(2024, 330), annual(2024, 350)], as_of=date(2025, 3, 31))
    assert progress.latest_value == 350
    assert progress.status == "substantial"
    assert any("2024年有多个不同的观测值" in w for w in progress.warnings)
    assert "2024年有多个不同的观测值" in progress.reason
    same = evaluate(LITHIUM, [annual(2024, 330), annual(2024, 330)], as_of=date(2025, 3, 31))
    assert same.components["n_duplicates"] == 1
    assert any("合并" in w for w in same.warnings)


def test_zero_baseline_falls_back_to_linear_pace():
    # 0 → 2 enterprises by 2025, 1 by end of 2024; as of 2024-12-31 half the time has elapsed
    spec = TargetSpec(
        id="n",
        comparator=">=",
        value=2,
        year=2025,
        kind="count",
        baseline_value=0,
        baseline_year=2023,
    )
    progress = evaluate(spec, [annual(2024, 1)], as_of=date(2024, 12, 31))
    assert progress.observed_cagr is None and progress.ratio is None
    assert progress.share_achieved == pytest.approx(0.5)
    assert progress.share_elapsed == pytest.approx(0.5)
    assert progress.status == "on_track"
    assert progress.light == "green"
    assert "基期值为0" in progress.reason


def test_sign_flip_is_explicit():
    # A loss of 5 亿元 turning into a profit of 3, target 10: share (3 + 5)/(10 + 5) = 0.5333
    spec = TargetSpec(
        id="p", comparator=">=", value=10, year=2025, baseline_value=-5, baseline_year=2023
    )
    progress = evaluate(spec, [annual(2024, 3)], as_of=date(2024, 12, 31))
    assert progress.ratio is None
    assert progress.share_achieved == pytest.approx(8 / 15)
    assert progress.pace_gap == pytest.approx(8 / 15 - 0.5)
    assert progress.status == "on_track"
    assert "符号不同" in progress.reason


def test_baseline_is_the_last_year_before_the_policy_starts():
    spec = TargetSpec(id="x", comparator=">=", value=200, year=2027, start_year=2025)
    points = [annual(2023, 120), annual(2024, 130), annual(2025, 140)]
    progress = evaluate(spec, points, as_of=date(2026, 3, 1))
    assert progress.baseline_year == 2024 and progress.baseline_value == 130
    assert progress.observed_cagr == pytest.approx(140 / 130 - 1)


# --- 时序进度 for an annual plan ------------------------------------------------------------


def test_annual_investment_plan_half_year():
    plan = TargetSpec(
        id="inv-2025",
        comparator=">=",
        value=10,
        year=2025,
        kind="flow",
        cycle="monthly",
        annual_flow=True,
    )
    points = [
        Point.at(date(2025, 3, 31), 1.5),
        Point.at(date(2025, 6, 30), 4.0),
        Point.at(date(2024, 12, 31), 9.0),
    ]  # last year's total: outside the plan year
    progress = evaluate(plan, points, as_of=date(2025, 6, 30))
    assert progress.share_achieved == pytest.approx(0.4)
    assert progress.share_elapsed == pytest.approx(0.5)
    assert progress.pace_gap == pytest.approx(-0.1)
    assert progress.light == "yellow"
    assert progress.status == "moderate"  # 0.4/0.5 = 0.8
    assert progress.projected_value == pytest.approx(8.0)  # 4 × 12/6
    assert progress.expected_now == pytest.approx(5.0)
    assert progress.reason.startswith("时序进度落后10个百分点：已完成目标的40%，时间已过50%")


def test_annual_plan_keeping_pace_is_on_track():
    plan = TargetSpec(
        id="inv", comparator=">=", value=10, year=2025, annual_flow=True, cycle="monthly"
    )
    progress = evaluate(plan, [Point.at(date(2025, 6, 30), 5.5)], as_of=date(2025, 7, 15))
    assert progress.share_elapsed == pytest.approx(0.5)
    assert progress.status == "on_track" and progress.light == "green"


# --- trajectory and projection --------------------------------------------------------------


def test_trajectory_through_milestones_xilingol_beef():
    # 肉牛产业产值 150 (2025), 170 (2027), 200 (2030); hypothetical 2024 baseline 130
    spec = TargetSpec(
        id="xl-beef-2030",
        comparator=">=",
        value=200,
        year=2030,
        baseline_value=130,
        baseline_year=2024,
        milestones=((2025, 150), (2027, 170), (2030, 200)),
    )
    progress = evaluate(spec, [annual(2026, 158)], as_of=date(2026, 12, 31))
    assert progress.trajectory == [
        (2024, 130),
        (2025, 150),
        (2026, 160),
        (2027, 170),
        (2028, 180),
        (2029, 190),
        (2030, 200),
    ]
    assert progress.expected_now == pytest.approx(160)
    assert progress.required_cagr == pytest.approx(0.07443738, rel=1e-6)  # (200/130)^(1/6) − 1
    compound = evaluate(
        TargetSpec(
            id="c",
            comparator=">=",
            value=200,
            year=2030,
            baseline_value=130,
            baseline_year=2024,
            milestones=((2027, 170),),
            trajectory="compound",
        ),
        [annual(2026, 158)],
        as_of=date(2026, 12, 31),
    )
    by_year = dict(compound.trajectory)
    assert by_year[2027] == pytest.approx(170)
    assert by_year[2028] == pytest.approx(179.4634226, rel=1e-7)  # 170·(200/170)^(1/3)
    assert by_year[2029] == pytest.approx(189.4536474, rel=1e-7)


def test_log_linear_projection_with_interval():
    # 100, 120, 150 at year ends 2020–2022, target year 2025; fit ln v on t, 1 residual dof:
    # slope = (ln150 − ln100)/2, s = 0.0166655, t(0.975, 1) = 12.706,
    # se factor √(1 + 1/3 + 4²/2) → 273.70 [143.33, 522.67]
    spec = TargetSpec(id="x", comparator=">=", value=300, year=2025)
    points = [annual(2020, 100), annual(2021, 120), annual(2022, 150)]
    progress = evaluate(spec, points, as_of=date(2023, 3, 1))
    assert progress.projected_value == pytest.approx(273.69909, rel=1e-6)
    assert progress.projected_low == pytest.approx(143.32523, rel=1e-5)
    assert progress.projected_high == pytest.approx(522.66578, rel=1e-5)
    assert progress.components["fit_resid_sd"] == pytest.approx(0.0166655, rel=1e-5)


def test_traffic_light_rule():
    assert traffic_light("no_data", None, None, None, None) == "grey"
    assert traffic_light("limited", True, -0.5, 0.1, 0.2) == "green"
    assert traffic_light("moderate", False, -0.04, None, 0.3) == "green"
    assert traffic_light("moderate", False, -0.5, 0.96, 0.3) == "green"
    assert traffic_light("moderate", False, -0.15, None, 0.3) == "yellow"
    assert traffic_light("moderate", False, -0.5, 0.6, 0.3) == "yellow"
    assert traffic_light("limited", False, -0.16, 0.59, 0.3) == "red"


# --- bulk path ------------------------------------------------------------------------------


def test_bulk_matches_single_and_sorts_its_input():
    specs = [LITHIUM, WATER, SHARE]
    points = {
        LITHIUM.id: [annual(2024, 330)],
        WATER.id: [annual(2020, 20.0), annual(2023, 18.5)],
        SHARE.id: [annual(2023, 11.0), annual(2024, 12.2)],
    }
    as_of = date(2025, 3, 31)
    single = [evaluate(s, points[s.id], as_of=as_of) for s in specs]
    many = evaluate_many(specs, points, as_of=as_of)
    # rows deliberately out of order
    index = np.array([2, 1, 0, 2, 1])
    years = np.array([2025.0, 2024.0, 2025.0, 2024.0, 2021.0])
    values = np.array([12.2, 18.5, 330.0, 11.0, 20.0])
    bulk = evaluate_bulk(specs, index, years, values, as_of=as_of)
    for one, other, third in zip(single, many, bulk, strict=True):
        assert (one.status, one.light, one.ratio, one.share_achieved) == (
            other.status,
            other.light,
            other.ratio,
            other.share_achieved,
        )
        assert (one.status, one.ratio, one.latest_value, one.baseline_value) == (
            third.status,
            third.ratio,
            third.latest_value,
            third.baseline_value,
        )
    # 13%左右: observed 12.2/11 − 1 = 0.10909, required √(13/11) − 1 = 0.087115, ratio 1.2523
    assert [p.status for p in bulk] == ["moderate", "moderate", "substantial"]
    assert bulk[2].ratio == pytest.approx(1.25226, rel=1e-4)


def test_bulk_missing_values_are_counted():
    progress = evaluate_bulk(
        [LITHIUM],
        np.array([0, 0]),
        np.array([2025.0, 2025.5]),
        np.array([330.0, np.nan]),
        as_of=date(2025, 12, 31),
    )[0]
    assert progress.latest_value == 330
    assert progress.components["n_missing_values_ignored"] == 1


# --- count targets: Xilingol cluster ladder --------------------------------------------------

# 附件 锡林郭勒盟优势特色产业集群目标产值 (亿元): cluster totals 2025 / 2027 / 2030
CLUSTERS = {
    "绿色农畜产品": (455, 520, 600),
    "现代能源": (690, 820, 950),
    "现代装备制造": (70, 135, 260),
    "绿电+先进载能": (161, 368, 810),
    "新型化工": (50, 120, 540),
    "新材料": (45, 125, 220),
    "文旅": (None, None, None),
}


def _year(column: int) -> dict[str, float | None]:
    return {name: values[column] for name, values in CLUSTERS.items()}


@pytest.mark.parametrize(
    ("column", "ladder"),
    [
        (0, [(500, 1), (200, 2), (100, 3)]),
        (1, [(800, 1), (500, 2), (200, 3), (100, 6)]),
        (2, [(900, 1), (800, 2), (500, 4), (200, 6)]),
    ],
)
def test_xilingol_count_ladders_hold_cumulatively(column, ladder):
    results = check_count_ladder([CountSpec(t, c) for t, c in ladder], _year(column))
    assert [r.met for r in results] == [True] * len(ladder)
    assert all(r.missing == ["文旅"] for r in results)


def test_cumulative_semantics_details_2025():
    result = evaluate_count(CountSpec(200, 2), _year(0))
    # 690 (≥ 500) counts toward ≥ 200 as well: without it only 455 would qualify
    assert result.qualifying == ["现代能源", "绿色农畜产品"]
    assert "需2个，达到2个" in result.explanation
    assert evaluate_count(CountSpec(100, 3), _year(0)).qualifying == [
        "现代能源",
        "绿色农畜产品",
        "绿电+先进载能",
    ]


def test_count_ladder_2030_exact_qualifiers():
    results = check_count_ladder([CountSpec(500, 4), CountSpec(200, 6)], _year(2))
    assert results[0].qualifying == ["现代能源", "绿电+先进载能", "绿色农畜产品", "新型化工"]
    assert len(results[1].qualifying) == 6


def test_count_not_met_when_a_cluster_drops():
    values = _year(1) | {"新型化工": 99}  # 2027: now only 5 clusters ≥ 100
    result = evaluate_count(CountSpec(100, 6), values)
    assert result.met is False
    assert "需6个，达到5个" in result.explanation
    strict = evaluate_count(CountSpec(820, 1, ">"), _year(1))
    assert strict.met is False  # 820 is not > 820
