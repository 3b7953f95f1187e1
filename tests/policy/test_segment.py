from pathlib import Path

from chainwatch.policy.segment import clause_at, segment

SEEDS = Path(__file__).resolve().parents[2] / "src" / "chainwatch" / "knowledge" / "seeds"


def read(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def test_levels_and_paths():
    text = "前言。\n一、总体要求\n（一）指导思想。坚持。\n（二）目标。到2025年。\n二、重点\n1. 第一项\n2．第二项\n"
    clauses = segment(text)
    assert [c.path for c in clauses] == ["一", "一(一)", "一(二)", "二", "二1", "二2"]
    assert clauses[1].parent_path == "一"
    assert clauses[0].end == text.index("二、")
    assert clauses[1].heading == "（一）指导思想"


def test_numeral_inside_a_sentence_is_not_a_clause():
    clauses = segment("一、目标\n建成1个集群，到2025年实现三、四个突破。\n")
    assert [c.path for c in clauses] == ["一"]


def test_inner_mongolia_lithium_targets_fall_in_two_two():
    text = read("000_42f07bc3c0448613.txt")
    clauses = segment(text)
    offset = text.index("电池 29GWh/年")
    assert clause_at(clauses, offset).path == "二(二)"
    assert [c.path for c in clauses if c.level == 1] == ["一", "二", "三", "四"]


def test_xilingol_industries_and_appendix():
    text = read("004_03225f89ac0f7f2b.txt")
    clauses = segment(text)
    paths = {c.path for c in clauses}
    assert {"二(一)一是", "二(一)四是", "二(七)五是", "四(四)", "附件"} <= paths
    assert clause_at(clauses, text.index("肉牛存栏达到240万头")).path == "二(一)一是"
    assert clause_at(clauses, text.index("合计")).path == "附件"


def test_guizhou_half_width_parentheses_and_numbered_items():
    text = read("001_bef384392e2dce2a.txt")
    clauses = segment(text)
    assert clause_at(clauses, text.index("负极材料。推进贵州六盘水")).path == "二(二)3"
    assert clause_at(clauses, text.index("推动循环梯次利用")).path == "二(七)"
