"""The pure validation-rule engine: hand-computed cases, no database."""

import pytest

from chainwatch.targets.validation import (
    RuleError,
    Value,
    evaluate,
    evaluate_expression,
    parse_expression,
    rule_from_row,
)


def rule(**row):
    return rule_from_row({"code": "R", "name": "规则", "importance": "error", **row})


def v(indicator, value, sector=None, region="152502", period="2024", row=None):
    return Value(indicator, region, period, value, sector, row)


def test_expression_precedence_and_parentheses():
    lookup = {("A", None): 2.0, ("B", None): 3.0, ("C", "S1"): 4.0}
    assert evaluate_expression(parse_expression("A + B * 2"), lookup) == 8.0
    assert evaluate_expression(parse_expression("(A + B) * 2"), lookup) == 10.0
    assert evaluate_expression(parse_expression("-A + C@S1 / 2"), lookup) == 0.0
    assert parse_expression("XL.CATTLE_STOCK + XL.SHEEP_STOCK").refs() == {("XL.CATTLE_STOCK", None), ("XL.SHEEP_STOCK", None)}


@pytest.mark.parametrize("text", ["", "A +", "(A + B", "A B", "A $ B"])
def test_bad_expressions_are_refused(text):
    with pytest.raises(RuleError):
        parse_expression(text)


def test_range_rule_errors_below_minimum_and_above_maximum():
    r = rule(kind="range", indicator="X", min_value=0, max_value=100)
    findings = evaluate([r], [v("X", -1, row=2), v("X", 50, row=3), v("X", 100.5, row=4)])
    assert [(f.rows, f.is_error) for f in findings] == [((2,), True), ((4,), True)]
    assert "低于下限 0" in findings[0].message and "above the maximum 100" in findings[1].message


def test_change_rule_warns_beyond_fifty_percent():
    r = rule(kind="change", indicator="X", max_change_percent=50, importance="warning")
    previous = {("X", "152502", None, "2024"): 100.0, ("X", "152522", None, "2024"): 100.0}
    # 151 is +51 % -> warning; 150 is exactly +50 % -> fine; no previous value -> skipped
    findings = evaluate([r], [v("X", 151), v("X", 150, region="152522"), v("X", 1, region="152523")], previous)
    assert len(findings) == 1
    assert findings[0].importance == "warning" and findings[0].region == "152502"
    assert "+51.0%" in findings[0].message


def test_change_rule_skips_a_zero_previous_value():
    r = rule(kind="change", indicator="X", max_change_percent=50)
    assert evaluate([r], [v("X", 10)], {("X", "152502", None, "2024"): 0.0}) == []


@pytest.mark.parametrize(("operator", "holds"), [("<", True), ("<=", True), ("==", False), (">=", False), (">", False), ("!=", True)])
def test_compare_operators(operator, holds):
    # dairy 30 against cattle 12.5 + 20 = 32.5
    r = rule(kind="compare", left="DAIRY", operator=operator, right="CATTLE + 20")
    findings = evaluate([r], [v("DAIRY", 30, row=2), v("CATTLE", 12.5, row=3)])
    assert (findings == []) is holds
    if findings:
        assert findings[0].rows == (2, 3)
        assert "32.5" in findings[0].message


def test_compare_sums_sectors_and_picks_one_with_at():
    values = [v("OUT", 10, sector="S1"), v("OUT", 5, sector="S2"), v("TOTAL", 15)]
    assert evaluate([rule(kind="compare", left="OUT", operator="==", right="TOTAL")], values) == []
    found = evaluate([rule(kind="compare", left="OUT@S1", operator=">=", right="TOTAL")], values)
    assert len(found) == 1


def test_compare_is_skipped_when_a_value_is_missing_and_grouped_by_region_and_period():
    r = rule(kind="compare", left="A", operator="<=", right="B")
    values = [v("A", 5), v("B", 4, region="152522"), v("A", 5, period="2023"), v("B", 6, period="2023")]
    assert evaluate([r], values) == []


def test_equality_tolerates_float_rounding():
    r = rule(kind="compare", left="A + B", operator="==", right="C")
    assert evaluate([r], [v("A", 0.1), v("B", 0.2), v("C", 0.3)]) == []


@pytest.mark.parametrize("row", [
    {"kind": "range", "indicator": "X"},
    {"kind": "range", "indicator": "X", "min_value": 5, "max_value": 1},
    {"kind": "change", "indicator": "X"},
    {"kind": "compare", "left": "A", "operator": "=>", "right": "B"},
    {"kind": "ratio", "indicator": "X"},
    {"kind": "range", "indicator": "X", "min_value": 0, "importance": "fatal"},
])
def test_incomplete_rules_are_refused(row):
    with pytest.raises(RuleError):
        rule_from_row({"code": "R", **row})
