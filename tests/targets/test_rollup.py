"""Roll-ups and consistency checks over Xilingol's appendix (锡林郭勒盟优势特色产业集群目标产值)."""

from __future__ import annotations

import pytest

from chainwatch.targets.rollup import check_allocations, check_totals, rollup

# Industry values in 亿元 for 2025 / 2027 / 2030, as the appendix states them; None = blank cell.
INDUSTRIES = {
    "绿色农畜产品": {
        "肉牛": (150, 170, 200),
        "肉羊": (140, 170, 200),
        "马铃薯": (75, 85, 100),
        "乳制品": (90, 95, 100),
    },
    "现代能源": {
        "煤炭": (360, 410, 480),
        "煤电": (220, 240, 260),
        "新能源发电": (110, 170, 210),
        "储能": (None, None, None),
    },
    "现代装备制造": {"现代装备制造产业": (70, 135, 260)},
    "绿电+先进载能": {
        "绿电+铁合金": (20, 200, 500),
        "绿电+铝": (140, 150, 280),
        "绿电+氢氨醇": (1, 18, 30),
    },
    "新型化工": {"现代煤化工": (45, 70, 140), "氟化工": (5, 50, 400)},
    "新材料": {"先进金属材料": (25, 40, 70), "锂电": (10, 60, 120), "先进碳材料": (10, 25, 30)},
    "文旅": {"文旅产业": (None, None, None)},
}
STATED_TOTALS = {  # the appendix's 合计 rows; single-industry clusters have none
    "绿色农畜产品": (455, 520, 600),
    "现代能源": (690, 820, 950),
    "绿电+先进载能": (161, 368, 810),
    "新型化工": (50, 120, 540),
    "新材料": (45, 125, 220),
}
CHILDREN = {"锡林郭勒盟": list(INDUSTRIES)} | {c: list(i) for c, i in INDUSTRIES.items()}


def industry_values(column: int) -> dict[str, float | None]:
    return {name: v[column] for inds in INDUSTRIES.values() for name, v in inds.items()}


def parts(column: int) -> dict[str, dict[str, float | None]]:
    return {c: {n: v[column] for n, v in inds.items()} for c, inds in INDUSTRIES.items()}


@pytest.mark.parametrize("column", [0, 1, 2])
def test_appendix_totals_add_up(column):
    stated = {c: t[column] for c, t in STATED_TOTALS.items()}
    assert check_totals(stated, parts(column)) == []


def test_planted_inconsistency_is_flagged():
    changed = parts(0)
    changed["绿色农畜产品"]["肉牛"] = 160  # the appendix says 150
    stated = {c: t[0] for c, t in STATED_TOTALS.items()}
    found = check_totals(stated, changed)
    assert len(found) == 1
    issue = found[0]
    assert issue.parent == "绿色农畜产品"
    assert issue.stated == 455 and issue.sum_of_parts == 465 and issue.difference == -10
    assert issue.children["肉牛"] == 160


def test_blank_part_named_when_total_disagrees():
    changed = parts(1)
    stated = {"现代能源": 830}  # 410 + 240 + 170 = 820, 储能 blank
    issue = check_totals(stated, changed)[0]
    assert issue.difference == 10 and issue.blank_parts == ["储能"]


def test_tolerance_is_absolute():
    assert check_totals({"p": 10.4}, {"p": {"a": 5, "b": 5}}, tolerance=0.5) == []
    assert len(check_totals({"p": 10.6}, {"p": {"a": 5, "b": 5}}, tolerance=0.5)) == 1


def test_sum_rollup_reproduces_cluster_totals_and_marks_blanks():
    rolled = rollup(industry_values(0), CHILDREN, "sum")
    assert rolled["绿色农畜产品"].value == 455
    assert rolled["绿色农畜产品"].complete is True
    assert rolled["现代能源"].value == 690
    assert rolled["现代能源"].complete is False
    assert rolled["现代能源"].missing_children == ["储能"]
    assert rolled["文旅"].value is None  # never a zero for nothing
    # league: 455 + 690 + 70 + 161 + 50 + 45 = 1471, incomplete because of 储能 and 文旅产业
    league = rolled["锡林郭勒盟"]
    assert league.value == 1471
    assert league.complete is False
    assert league.missing_children == ["储能", "文旅产业"]
    assert rolled["肉牛"].value == 150 and rolled["肉牛"].complete


def test_parent_stated_value_is_kept_apart():
    rolled = rollup({"a": 1, "b": 2, "p": 5}, {"p": ["a", "b"]}, "sum")
    assert rolled["p"].value == 3 and rolled["p"].stated == 5


def test_mean_and_weighted():
    values = {"a": 10.0, "b": 20.0, "c": None, "d": 40.0}
    tree = {"root": ["p", "d"], "p": ["a", "b", "c"]}
    mean = rollup(values, tree, "mean")
    assert mean["p"].value == 15  # (10 + 20)/2, c missing
    assert mean["root"].value == 27.5  # (15 + 40)/2, a mean of means
    assert mean["root"].missing_children == ["c"]
    weighted = rollup(values, tree, "weighted", weights={"a": 1, "b": 3, "c": 2, "d": 4})
    assert weighted["p"].value == pytest.approx(17.5)  # (10·1 + 20·3)/4
    # p weighs 1 + 3 = 4 (c has no value): (17.5·4 + 40·4)/8 = 28.75
    assert weighted["root"].value == pytest.approx(28.75)


def test_weighted_child_without_weight_is_missing():
    rolled = rollup({"a": 10.0, "b": 30.0}, {"p": ["a", "b"]}, "weighted", weights={"a": 1})
    assert rolled["p"].value == 10
    assert rolled["p"].complete is False and rolled["p"].missing_children == ["b"]


def test_none_keeps_own_values():
    rolled = rollup({"a": 0.5, "p": 0.7}, {"p": ["a", "b"]}, "none")
    assert rolled["p"].value == 0.7 and rolled["p"].complete
    assert rolled["b"].value is None and rolled["b"].missing_children == ["b"]


def test_cycle_and_bad_aggregation_raise():
    with pytest.raises(ValueError, match="cycle"):
        rollup({}, {"a": ["b"], "b": ["a"]}, "sum")
    with pytest.raises(ValueError):
        rollup({}, {}, "median")


def test_allocations():
    # 锂产业链产值 700亿元 allocated to three leagues/cities (hypothetical split)
    under = check_allocations(700, {"包头": 300, "鄂尔多斯": 250, "锡林郭勒": 100})
    assert under.status == "under" and under.difference == 50
    assert under.shares["包头"] == pytest.approx(300 / 700)
    over = check_allocations(700, {"包头": 300, "鄂尔多斯": 250, "锡林郭勒": 200})
    assert over.status == "over" and over.difference == -50
    exact = check_allocations(700, {"包头": 300, "鄂尔多斯": 250, "锡林郭勒": 150, "赤峰": None})
    assert exact.status == "exact" and exact.blank_children == ["赤峰"]
