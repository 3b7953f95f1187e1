"""Rules engine: figures hand-computed from the Jiangxi (赣府厅发〔2024〕15号) and Guizhou
(黔新工〔2021〕2号) seed clauses and the chainwatch default colour rule."""

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from chainwatch.projects.rules import (
    INPUT_KEYS,
    Rule,
    RuleError,
    check_overlaps,
    check_params,
    check_rules,
    evaluate,
    evaluate_bulk,
    load_rules_file,
    months_between,
    months_elapsed,
    select_rule,
    validate_rules,
)

YI = 100_000_000  # 1亿元 in 元
WAN = 10_000  # 1万元 in 元
RULES_YAML = Path(__file__).parents[2] / "src/chainwatch/knowledge/rules.yaml"

# Same params as the rules: example in knowledge/README.md.
JX_TIER = Rule(
    key="jx-tier-2024",
    kind="project-tier",
    jurisdiction="360000",
    effective_from=date(2024, 5, 11),
    effective_to=None,
    params={
        "all": [
            {"field": "total_investment", "op": ">=", "value": 1_000_000_000},
            {"field": "completed_investment", "op": ">=", "value": 500_000_000},
        ],
        "then": "province",
        "else": "city_county",
    },
    document="jx-lithium-2024",
    clause="一",
    span="对投资10亿元以上且实际完成固定资产投资5亿元以上的锂电重大产业项目",
)
JX_SUBSIDY = Rule(
    key="jx-subsidy-2024",
    kind="subsidy",
    jurisdiction="360000",
    effective_from=date(2024, 5, 11),
    effective_to=None,
    params={"field": "requested_amount", "min": 2_000_000, "max": 10_000_000},
    document="jx-lithium-2024",
    clause="一",
    span="给予不低于200万元、最高不超过1000万元的资金补助支持",
)
GZ_TIER = Rule(
    key="gz-tier-2021",
    kind="project-tier",
    jurisdiction="520000",
    effective_from=date(2021, 7, 26),
    effective_to=None,
    params={
        "all": [{"field": "total_investment", "op": ">=", "value": 1_000_000_000}],
        "then": "province",
        "else": "city_county",
    },
    document="gz-lithium-2021",
    clause="二（五）",
    span="将投资10亿元以上锂电池材料重大项目列入省级领导领衔推进项目清单",
)
COLOUR = Rule(
    key="test-colour",
    kind="colour",
    jurisdiction="000000",
    effective_from=date(2000, 1, 1),
    effective_to=None,
    params={
        "yellow": {"slip_months": 1, "pace_gap": -0.10},
        "red": {"slip_months": 3, "pace_gap": -0.20},
        "dispatch": {"green": "county", "yellow": "city", "red": "province"},
    },
)


def with_params(rule: Rule, **changes) -> Rule:
    return Rule(**{**rule.__dict__, "params": {**rule.params, **changes}})


# ----------------------------------------------------------------------------- project tier


@pytest.mark.parametrize(
    ("total", "completed", "expected"),
    [
        (12 * YI, 6 * YI, "province"),
        (12 * YI, 4 * YI, "city_county"),
        (10 * YI, 5 * YI, "province"),  # 以上 includes the bound
        (9.99 * YI, 6 * YI, "city_county"),
        (10 * YI, 4.99 * YI, "city_county"),
    ],
)
def test_jiangxi_tier(total, completed, expected):
    facts = {"total_investment": total, "completed_investment": completed}
    assert evaluate(JX_TIER, facts).decision == expected


def test_jiangxi_tier_explanation_quotes_figures_in_yi():
    decision = evaluate(JX_TIER, {"total_investment": 12 * YI, "completed_investment": 6 * YI})
    assert decision.explanation == (
        "总投资12亿元≥10亿元，且已完成固定资产投资6亿元≥5亿元，列为省级调度项目。"
    )
    assert decision.rule == "jx-tier-2024"
    assert decision.clause == "一"
    assert decision.as_dict() == {
        "decision": "province",
        "rule": "jx-tier-2024",
        "clause": "一",
        "explanation": decision.explanation,
    }


def test_jiangxi_tier_explanation_names_the_failing_figure():
    decision = evaluate(JX_TIER, {"total_investment": 12 * YI, "completed_investment": 4 * YI})
    assert "已完成固定资产投资4亿元<5亿元" in decision.explanation
    assert "由市、县分级负责" in decision.explanation
    assert [c["holds"] for c in decision.details["conditions"]] == [True, False]


@pytest.mark.parametrize(
    ("total", "expected"),
    [(10 * YI, "province"), (999_000_000, "city_county"), (25 * YI, "province")],
)
def test_guizhou_tier(total, expected):
    decision = evaluate(GZ_TIER, {"total_investment": total})
    assert decision.decision == expected
    assert decision.clause == "二（五）"


def test_guizhou_below_bound_quotes_9_99_yi():
    decision = evaluate(GZ_TIER, {"total_investment": 999_000_000})
    assert "总投资9.99亿元<10亿元" in decision.explanation


def test_any_combinator_needs_one_condition():
    rule = Rule(
        key="any-rule",
        kind="project-tier",
        jurisdiction="360000",
        effective_from=date(2024, 1, 1),
        effective_to=None,
        params={
            "any": [
                {"field": "total_investment", "op": ">", "value": 20 * YI},
                {"field": "completed_investment", "op": ">", "value": 5 * YI},
            ],
            "then": "province",
            "else": "city",
        },
    )
    both_low = {"total_investment": 20 * YI, "completed_investment": 5 * YI}  # '>' excludes bound
    one_high = {"total_investment": 3 * YI, "completed_investment": 5.5 * YI}
    assert evaluate(rule, both_low).decision == "city"
    assert evaluate(rule, one_high).decision == "province"


def test_missing_fact_is_named():
    with pytest.raises(RuleError, match="completed_investment"):
        evaluate(JX_TIER, {"total_investment": 12 * YI})


# ----------------------------------------------------------------------------- subsidy


@pytest.mark.parametrize(
    ("requested", "granted"),
    [
        (150 * WAN, 200 * WAN),
        (200 * WAN, 200 * WAN),
        (500 * WAN, 500 * WAN),
        (1000 * WAN, 1000 * WAN),
        (1500 * WAN, 1000 * WAN),
    ],
)
def test_jiangxi_subsidy_band(requested, granted):
    assert evaluate(JX_SUBSIDY, {"requested_amount": requested}).decision == granted


def test_subsidy_explanation_in_wan():
    decision = evaluate(JX_SUBSIDY, {"requested_amount": 1500 * WAN})
    assert "1500万元" in decision.explanation
    assert "1000万元" in decision.explanation
    low = evaluate(JX_SUBSIDY, {"requested_amount": 150 * WAN})
    assert "150万元" in low.explanation and "200万元" in low.explanation


def test_ineligible_project_gets_nothing():
    decision = evaluate(JX_SUBSIDY, {"requested_amount": 500 * WAN, "eligible": False})
    assert decision.decision == 0
    assert decision.details["rejected"] is True
    assert "不予补助" in decision.explanation


# ----------------------------------------------------------------------------- colour


def test_calendar_month_arithmetic():
    assert months_between(date(2024, 3, 1), date(2024, 6, 1)) == 3
    assert months_between(date(2024, 3, 1), date(2024, 3, 16)) == pytest.approx(15 / 31)
    assert months_elapsed(date(2024, 6, 30)) == 6
    assert months_elapsed(date(2024, 12, 31)) == 12
    assert months_elapsed(date(2024, 6, 15)) == pytest.approx(5.5)  # 15 of June's 30 days


@pytest.mark.parametrize(
    ("planned", "actual", "expected"),
    [
        ("2024-03-01", "2024-03-01", "green"),
        ("2024-03-01", "2024-03-31", "green"),  # 30/31 month
        ("2024-03-01", "2024-04-01", "yellow"),  # exactly 1 month
        ("2024-03-01", "2024-05-31", "yellow"),  # 2 + 30/31 months
        ("2024-03-01", "2024-06-01", "red"),  # exactly 3 months
        ("2024-03-01", "2024-02-01", "green"),  # ahead of plan
    ],
)
def test_colour_by_schedule_slip(planned, actual, expected):
    decision = evaluate(COLOUR, {"planned_date": planned, "actual_date": actual})
    assert decision.decision == expected


@pytest.mark.parametrize(
    ("slip", "expected", "dispatch"),
    [
        (0.99, "green", "county"),
        (1, "yellow", "city"),
        (2.99, "yellow", "city"),
        (3, "red", "province"),
    ],
)
def test_colour_by_slip_months(slip, expected, dispatch):
    decision = evaluate(COLOUR, {"slip_months": slip})
    assert decision.decision == expected
    assert decision.details["dispatch"] == dispatch


def test_overdue_milestone_counts_to_as_of():
    decision = evaluate(COLOUR, {"planned_date": "2024-03-01", "as_of": "2024-05-01"})
    assert decision.details["slip_months"] == 2
    assert decision.decision == "yellow"


@pytest.mark.parametrize(
    ("completed_wan", "expected"),
    [
        (4100, "green"),  # 41% done at 50% of the year: gap -9 points
        (4000, "yellow"),  # gap exactly -10 points
        (3100, "yellow"),  # -19
        (3000, "red"),  # exactly -20
        (6000, "green"),  # ahead
    ],
)
def test_colour_by_investment_pace(completed_wan, expected):
    # as_of 2024-06-30: six months elapsed, 时序进度 50 % of a 1亿元 annual plan
    facts = {"completed_investment": completed_wan * WAN, "annual_plan": YI, "as_of": "2024-06-30"}
    assert evaluate(COLOUR, facts).decision == expected


def test_pace_at_end_of_march():
    # 2024-03-31: 3 of 12 months → 25 %; 15 % done → gap exactly -10 points
    facts = {"completed_investment": 15 * WAN, "annual_plan": 100 * WAN, "as_of": "2024-03-31"}
    decision = evaluate(COLOUR, facts)
    assert decision.details["time_share"] == 0.25
    assert decision.decision == "yellow"
    assert "落后时序进度25%共10个百分点" in decision.explanation


def test_worse_criterion_decides():
    facts = {
        "slip_months": 1,  # yellow
        "completed_investment": 30 * WAN,
        "annual_plan": 100 * WAN,
        "as_of": "2024-06-30",  # gap -20 points: red
    }
    decision = evaluate(COLOUR, facts)
    assert decision.decision == "red"
    assert decision.details["colour_by_slip"] == "yellow"
    assert decision.details["colour_by_pace"] == "red"
    assert decision.details["dispatch"] == "province"
    assert "省级调度" in decision.explanation
    on_time_but_slow = {**facts, "slip_months": 3, "completed_investment": 60 * WAN}
    assert evaluate(COLOUR, on_time_but_slow).decision == "red"


def test_colour_needs_some_criterion():
    with pytest.raises(RuleError, match="slip_months"):
        evaluate(COLOUR, {"as_of": "2024-06-30"})


# ----------------------------------------------------------------------------- selection


def test_county_falls_back_to_province_rule():
    rules = [JX_TIER, GZ_TIER]
    chosen = select_rule(
        rules, "project-tier", "360902", date(2024, 6, 1), ancestors=("360900", "360000")
    )
    assert chosen.key == "jx-tier-2024"


def test_city_rule_beats_province_rule():
    city = Rule(**{**JX_TIER.__dict__, "key": "yc-tier", "jurisdiction": "360900"})
    chosen = select_rule(
        [JX_TIER, city], "project-tier", "360902", date(2024, 6, 1), ("360900", "360000")
    )
    assert chosen.key == "yc-tier"


def test_national_default_colour_from_rules_yaml():
    defaults = load_rules_file(RULES_YAML)
    assert check_rules(defaults) == []
    chosen = select_rule(
        [JX_TIER, *defaults], "colour", "360902", date(2024, 6, 1), ("360900", "360000")
    )
    assert chosen.jurisdiction == "000000"
    assert chosen.clause is None and chosen.span is None
    assert evaluate(chosen, {"slip_months": 1}).decision == "yellow"


def test_date_before_effective_from():
    with pytest.raises(RuleError, match="jx-tier-2024 takes effect on 2024-05-11"):
        select_rule([JX_TIER], "project-tier", "360000", date(2024, 5, 10))
    assert select_rule([JX_TIER], "project-tier", "360000", date(2024, 5, 11)) is JX_TIER


def test_effective_to_is_the_last_day():
    old = Rule(**{**JX_TIER.__dict__, "key": "old", "effective_to": date(2024, 12, 31)})
    assert select_rule([old], "project-tier", "360000", date(2024, 12, 31)) is old
    with pytest.raises(RuleError):
        select_rule([old], "project-tier", "360000", date(2025, 1, 1))


def test_other_province_rule_does_not_apply():
    with pytest.raises(RuleError, match="no project-tier rule in force for 360902"):
        select_rule([GZ_TIER], "project-tier", "360902", date(2024, 6, 1), ("360900", "360000"))


# ----------------------------------------------------------------------------- validation


def test_overlap_names_both_keys():
    later = Rule(**{**JX_TIER.__dict__, "key": "jx-tier-2025", "effective_from": date(2025, 1, 1)})
    problems = check_overlaps([JX_TIER, later])
    assert len(problems) == 1
    assert "jx-tier-2024" in problems[0] and "jx-tier-2025" in problems[0]
    with pytest.raises(RuleError, match="overlap"):
        validate_rules([JX_TIER, later])


def test_consecutive_periods_do_not_overlap():
    closed = Rule(**{**JX_TIER.__dict__, "key": "a", "effective_to": date(2024, 12, 31)})
    following = Rule(**{**JX_TIER.__dict__, "key": "b", "effective_from": date(2025, 1, 1)})
    other_kind = JX_SUBSIDY  # same jurisdiction, same dates, different kind
    assert check_overlaps([closed, following, other_kind, GZ_TIER]) == []
    validate_rules([closed, following, other_kind, GZ_TIER])


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        (with_params(JX_SUBSIDY, min=20_000_000), "min 20000000 is greater than max"),
        (with_params(JX_SUBSIDY, cap=1), "unknown field cap"),
        (
            with_params(JX_TIER, all=[{"field": "total_investment", "op": "=>", "value": 1}]),
            "all[0].op",
        ),
        (
            with_params(JX_TIER, all=[{"field": "total_invest", "op": ">=", "value": 1}]),
            "all[0].field 'total_invest'",
        ),
        (
            with_params(JX_TIER, all=[{"field": "total_investment", "op": ">=", "value": "10亿"}]),
            "all[0].value",
        ),
        (with_params(JX_TIER, then=None), "then must name a tier"),
        (with_params(COLOUR, red={"slip_months": 0.5, "pace_gap": -0.2}), "red.slip_months"),
        (with_params(COLOUR, dispatch={"green": "county", "yellow": "city"}), "dispatch.red"),
    ],
)
def test_bad_params_are_named(rule, fragment):
    problems = check_params(rule)
    assert any(fragment in problem and rule.key in problem for problem in problems), problems
    with pytest.raises(RuleError, match=rule.key):
        evaluate(
            rule,
            {
                "total_investment": 1,
                "completed_investment": 1,
                "slip_months": 1,
                "requested_amount": 1,
            },
        )


def test_input_keys_cover_rule_fields():
    assert set(INPUT_KEYS) == {"project-tier", "subsidy", "colour"}
    assert {"total_investment", "completed_investment"} <= set(INPUT_KEYS["project-tier"])
    assert "requested_amount" in INPUT_KEYS["subsidy"]
    assert {"slip_months", "as_of", "annual_plan"} <= set(INPUT_KEYS["colour"])


# ----------------------------------------------------------------------------- bulk


def test_bulk_tier_matches_hand_values():
    totals = np.array([12, 12, 10, 9.99, 30]) * YI
    completed = np.array([6, 4, 5, 6, np.nan]) * YI
    result = evaluate_bulk(JX_TIER, {"total_investment": totals, "completed_investment": completed})
    assert result.decisions().tolist() == [
        "province",
        "city_county",
        "province",
        "city_county",
        "city_county",
    ]


def test_bulk_colour_matches_hand_values():
    columns = {
        "planned_date": np.array(
            ["2024-03-01", "2024-03-01", "2024-03-01", "2024-03-01", "NaT"], dtype="datetime64[D]"
        ),
        "actual_date": np.array(
            ["2024-03-31", "2024-04-01", "2024-06-01", "NaT", "NaT"], dtype="datetime64[D]"
        ),
        "completed_investment": np.array([50, 50, 50, 30, 40]) * WAN,
        "annual_plan": np.array([100, 100, 100, 100, 100]) * WAN,
        "as_of": "2024-06-30",
    }
    result = evaluate_bulk(COLOUR, columns)
    # row 4: milestone still open at as_of → 3 + 29/30 months; row 5: pace only, gap -10
    assert result.decisions().tolist() == ["green", "yellow", "red", "red", "yellow"]
    assert result.details["dispatch"].tolist() == ["county", "city", "province", "province", "city"]


def test_bulk_subsidy_is_refused():
    with pytest.raises(RuleError, match="project-tier and colour"):
        evaluate_bulk(JX_SUBSIDY, {"requested_amount": np.array([1.0])})


def test_bulk_50000_projects_agree_with_scalar():
    rng = np.random.default_rng(20240511)
    size = 50_000
    totals = rng.integers(1, 40, size) * 0.5 * YI
    done = rng.integers(0, 20, size) * 0.5 * YI
    planned = np.datetime64("2024-01-01") + rng.integers(0, 300, size).astype("timedelta64[D]")
    actual = planned + rng.integers(-20, 150, size).astype("timedelta64[D]")
    plan = rng.integers(1, 50, size) * 1000 * WAN
    ytd = (plan * rng.uniform(0, 1, size)).round()
    tier = evaluate_bulk(JX_TIER, {"total_investment": totals, "completed_investment": done})
    colour = evaluate_bulk(
        COLOUR,
        {
            "planned_date": planned,
            "actual_date": actual,
            "completed_investment": ytd,
            "annual_plan": plan,
            "as_of": "2024-09-30",
        },
    )
    assert len(set(colour.codes.tolist())) == 3
    for index in rng.choice(size, 300, replace=False):
        facts = {
            "total_investment": float(totals[index]),
            "completed_investment": float(done[index]),
        }
        assert tier.decisions()[index] == evaluate(JX_TIER, facts).decision
        colour_facts = {
            "planned_date": str(planned[index]),
            "actual_date": str(actual[index]),
            "completed_investment": float(ytd[index]),
            "annual_plan": float(plan[index]),
            "as_of": "2024-09-30",
        }
        assert colour.decisions()[index] == evaluate(COLOUR, colour_facts).decision
