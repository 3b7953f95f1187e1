"""extend_facts: the facts of appended points without the points before them, equal to collecting
them all afresh — or None when the new points could change more than the tail."""

from __future__ import annotations

import datetime
import math
import random

import numpy as np
import pytest

from chainwatch.targets import progress as engine

AS_OF = datetime.date(2027, 1, 31)
AS_OF_T = engine.decimal_year(AS_OF)
SHOWN = (
    "status", "light", "met", "latest_value", "latest_period_end", "baseline_value", "share_achieved",
    "share_elapsed", "pace_gap", "observed_cagr", "ratio", "projected_value", "projected_low", "projected_high",
    "reason",
)


def month_end(index: int) -> datetime.date:
    """The last day of the ``index``-th month from January 2017."""
    year, month = 2017 + index // 12, index % 12 + 1
    return engine.add_months(datetime.date(year, month, 1), 1) - datetime.timedelta(days=1)


def collect(spec, ends, values):
    years = engine.decimal_years(np.array(ends, dtype="datetime64[D]"))
    return engine.collect_facts([spec], np.zeros(len(ends), dtype=np.int64), years, np.array(values, dtype=float), AS_OF_T)[0]


def extend(spec, facts, ends, values):
    years = engine.decimal_years(np.array(ends, dtype="datetime64[D]")).tolist()
    return engine.extend_facts(spec, facts, years, list(values), AS_OF_T)


def assert_same_progress(spec, full, extended):
    a = engine.assess(spec, full, AS_OF, AS_OF_T)
    b = engine.assess(spec, extended, AS_OF, AS_OF_T)
    for name in SHOWN:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, float) and isinstance(y, float):
            assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12), (name, x, y)
        else:
            assert x == y, (name, x, y)


def random_spec(rng: random.Random) -> engine.TargetSpec:
    flow = rng.random() < 0.3
    extra = {}
    if not flow:
        pick = rng.random()
        if pick < 0.2:
            extra = {"baseline_value": rng.uniform(1, 50), "baseline_year": rng.choice([2018, 2020, 2022])}
        elif pick < 0.35:
            extra = {"change": {"kind": rng.choice(["decrease", "increase"]), "base_year": 2020, "percent": 13}}
    return engine.TargetSpec(
        id="t", comparator=rng.choice([">=", "<=", "~"]), value=rng.uniform(10, 100),
        year=rng.choice([2025, 2027, 2030]), kind="flow" if flow else "stock", cycle="monthly",
        annual_flow=flow, start_year=rng.choice([None, 2021, 2026]),
        trajectory=rng.choice(["linear", "compound"]), direction=rng.choice(["increase", "decrease"]), **extra,
    )


def test_extending_equals_collecting_every_point_afresh():
    rng = random.Random(20261123)
    extended = 0
    for _ in range(1500):
        spec = random_spec(rng)
        months = sorted(rng.sample(range(125), rng.randint(0, 60)))  # up to mid-2027: some after AS_OF
        values = [rng.choice([0.0, -1.0, float("nan")]) if rng.random() < 0.04 else rng.uniform(1, 100) for _ in months]
        ends = [month_end(m) for m in months]
        cut = max(0, len(months) - rng.randint(1, 3))
        before = collect(spec, ends[:cut], values[:cut])
        facts = extend(spec, before, ends[cut:], values[cut:])
        if facts is None:
            continue
        extended += 1
        assert_same_progress(spec, collect(spec, ends, values), facts)
    assert extended > 800  # most random cases append after the latest point


def test_a_plain_append_updates_count_latest_and_fit():
    spec = engine.TargetSpec(id="t", comparator=">=", value=200, year=2030, start_year=2021)
    ends = [datetime.date(y, 12, 31) for y in range(2018, 2025)]
    values = [100 * 1.1 ** i for i in range(len(ends))]
    before = collect(spec, ends[:-1], values[:-1])
    facts = extend(spec, before, ends[-1:], values[-1:])
    assert facts.n_points == 7 and facts.latest_v == pytest.approx(values[-1]) and facts.latest_t == 2025.0
    assert facts.base_t == 2021.0 and facts.base_source == "before_start"  # 2020's value, unchanged
    assert facts.n_fit == 5  # 2020…2024 from the baseline on
    assert math.exp(facts.fit_slope) == pytest.approx(1.1)  # exact growth: the fit recovers 10 %
    # No scatter: the running moments leave only rounding (√(1e-17) ≈ 5e-9), far below any real spread.
    assert facts.fit_resid_sd == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize(
    ("case", "spec", "old", "new"),
    [
        ("a period already counted", {}, [2019, 2020, 2022], [2022]),
        ("a period before the latest", {}, [2019, 2020, 2022], [2021]),
        ("a point that becomes the baseline", {"start_year": 2021}, [2018, 2019], [2020]),
        ("a stated baseline's own period", {"baseline_value": 5.0, "baseline_year": 2022}, [2019, 2020], [2022]),
        ("no point yet", {}, [], [2020]),
        ("a change target without its base year", {"change": {"kind": "decrease", "base_year": 2015, "percent": 13}},
         [2019, 2020], [2021]),
    ],
)
def test_what_cannot_be_appended_is_collected_afresh(case, spec, old, new):
    spec = engine.TargetSpec(id="t", comparator=">=", value=200, year=2030, **spec)
    before = collect(spec, [datetime.date(y, 12, 31) for y in old], [10.0 + i for i in range(len(old))])
    assert extend(spec, before, [datetime.date(y, 12, 31) for y in new], [50.0] * len(new)) is None, case


def test_points_outside_a_plan_year_change_only_their_count():
    plan = engine.TargetSpec(id="t", comparator=">=", value=120, year=2026, kind="flow", cycle="monthly", annual_flow=True)
    ends = [month_end(m) for m in range(108, 118)]  # Jan–Oct 2026, year to date
    before = collect(plan, ends, [10.0 * (i + 1) for i in range(len(ends))])
    facts = extend(plan, before, [datetime.date(2027, 1, 31)], [5.0])  # January 2027: next year's plan
    assert facts.n_outside_year == before.n_outside_year + 1
    assert facts.latest_v == before.latest_v == 100.0 and facts.n_points == before.n_points
    facts = extend(plan, before, [datetime.date(2026, 11, 30)], [110.0])
    assert facts.latest_v == 110.0 and facts.n_points == 11 and facts.n_fit == 0  # a plan's points are not fitted


def test_assessing_without_the_yearly_path_changes_nothing_else():
    rng = random.Random(7)
    fell_back = 0
    for _ in range(600):
        spec = random_spec(rng)
        if rng.random() < 0.3:  # milestones, some non-positive (a compound path falls back on them)
            spec = engine.TargetSpec(**{
                **{f: getattr(spec, f) for f in spec.__dataclass_fields__},
                "milestones": ((2026, rng.choice([-5.0, 0.0, 30.0])), (2028, rng.uniform(20, 80))),
            })
        months = sorted(rng.sample(range(120), rng.randint(1, 40)))
        facts = collect(spec, [month_end(m) for m in months], [rng.uniform(-2, 100) for _ in months])
        full = engine.assess(spec, facts, AS_OF, AS_OF_T)
        short = engine.assess(spec, facts, AS_OF, AS_OF_T, with_path=False)
        fell_back += "复合增长轨迹改为线性" in full.reason
        for name in ("status", "light", "reason", "expected_now", "share_achieved", "pace_gap", "ratio", "projected_value"):
            assert getattr(short, name) == getattr(full, name), name
        if full.trajectory and not spec.annual_flow:
            assert short.trajectory == []
    assert fell_back > 10  # the fallback warning is among the cases compared
