"""Held-out texts written for this test set (not the seeds): the extractor's rules are general
enough when they score well on documents they were not written against."""

import json
from pathlib import Path

from chainwatch.policy.evaluate import combine, evaluate
from chainwatch.policy.extract import TARGET_FIELDS, extract_targets, extract_tasks

HERE = Path(__file__).resolve().parent
DOCS = HERE / "heldout"
LABELS = HERE / "labels_heldout"


def _labels(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_heldout_labels_are_exact_spans_with_the_target_fields():
    files = sorted(LABELS.glob("*.jsonl"))
    assert len(files) == 4
    for label_file in files:
        text = (DOCS / f"{label_file.stem}.txt").read_text(encoding="utf-8")
        for label in _labels(label_file):
            assert text[label["start"]:label["end"]] == label["span"]
            assert set(label) == set(TARGET_FIELDS) | {"start", "end"}


def test_heldout_scores():
    parts = []
    for label_file in sorted(LABELS.glob("*.jsonl")):
        text = (DOCS / f"{label_file.stem}.txt").read_text(encoding="utf-8")
        predicted = [dict(t.to_dict(), start=t.start, end=t.end) for t in extract_targets(text)]
        parts.append(evaluate(predicted, _labels(label_file)))
    total = combine(parts)
    assert total.tp + total.fn == 107
    assert total.precision >= 0.95 and total.recall >= 0.95, (total.to_dict(), total.misses)


def test_table_with_unit_column_and_baseline_year():
    text = (
        "到2025年，产值达到100亿元。\n附件：主要指标\n"
        "序号\t指标名称\t单位\t2022年\t2025年\t2027年\n"
        "1\t软件业务收入\t亿元\t1260\t2000\t2800\n"
    )
    table = [t for t in extract_targets(text) if t.span.isdigit()]
    assert [(t.indicator, t.value, t.unit, t.year, t.subject) for t in table] == [
        ("软件业务收入", 2000, "亿元", 2025, None), ("软件业务收入", 2800, "亿元", 2027, None)]


def test_baseline_column_marked_in_its_header():
    text = "指标名称\t单位\t2024年（现状）\t2027年\t2030年\n加氢站\t座\t2\t15\t40\n"
    assert [(t.value, t.year, t.unit) for t in extract_targets(text)] == [(15, 2027, "座"), (40, 2030, "座")]


def test_prefixed_counters_per_units_and_bare_ratios():
    targets = extract_targets(
        "到2027年，建成公共充电桩5万个以上，千兆宽带用户数突破800万户，玉米单产提高到每亩800公斤，"
        "平均电能利用效率（PUE）控制在1.3以下，算力总规模超过20EFLOPS，服务半径小于1公里。"
    )
    assert [(t.value, t.unit, t.comparator) for t in targets] == [
        (5, "万个", ">="), (800, "万户", ">"), (800, "公斤/亩", "="), (1.3, "", "<="),
        (20, "EFLOPS", ">"), (1, "公里", "<=")]
    assert targets[2].span == "玉米单产提高到每亩800公斤"


def test_forward_verbs_without_a_year_and_rules_only_void_their_own_chunk():
    targets = extract_targets(
        "三、重点任务\n（一）做强产业。新建零部件项目20个以上，打造2个百亿级产业集群。\n"
        "（二）资金。每年安排资金不低于5亿元，对新建养殖场给予每头牛2000元补贴。\n"
    )
    assert [(t.value, t.unit, t.year, t.comparator) for t in targets] == [
        (20, "个", None, ">="), (2, "个", None, "="), (5, "亿元", None, ">=")]
    assert targets[1].count_of == {"threshold": 100, "threshold_unit": "亿元", "count": 2}


def test_slogans_with_chinese_numerals_do_not_crash():
    assert extract_targets("到2027年，实施数字人才“百千万”工程，推进“十大工程”。") == []


def test_traditional_characters_are_read_and_spans_stay_original():
    text = "到2025年，全省鋰電產業產值達到500億元以上，新能源汽車產能突破20萬輛。"
    targets = extract_targets(text)
    assert [(t.value, t.unit, t.comparator) for t in targets] == [(500, "亿元", ">="), (20, "万辆", ">")]
    assert all(text[t.start:t.end] == t.span for t in targets)
    assert targets[0].span == "鋰電產業產值達到500億元以上"


def test_responsibility_with_nested_parentheses():
    tasks = extract_tasks("三、任务\n（二）完善配套。新建项目。（责任单位：市商务局，各县（市、区）人民政府）\n")
    assert tasks[0].lead == ["市商务局", "各县(市、区)人民政府"]
