import json
from pathlib import Path

import pytest

from chainwatch.policy.evaluate import combine, evaluate
from chainwatch.policy.extract import TARGET_FIELDS, extract_facts, extract_targets, extract_tasks
from chainwatch.policy.textio import PolicyTextError, read_policy_text

SEEDS = Path(__file__).resolve().parents[2] / "src" / "chainwatch" / "knowledge" / "seeds"
LABELS = Path(__file__).resolve().parent / "labels"


def one(text: str):
    targets = extract_targets(text)
    assert len(targets) == 1, [t.to_dict() for t in targets]
    return targets[0]


# ---------------------------------------------------------------- comparators and values


@pytest.mark.parametrize(
    ("sentence", "value", "comparator"),
    [
        ("到2025年，全省产值达到500亿元以上。", 500, ">="),
        ("到2025年，研发投入不低于30亿元。", 30, ">="),
        ("到2025年，培育企业不少于20家。", 20, ">="),
        ("到2025年，至少建成3个园区。", 3, ">="),
        ("到2025年，产值突破800亿元。", 800, ">"),
        ("到2025年，产值超过800亿元。", 800, ">"),
        ("到2025年，产值300亿元左右。", 300, "~"),
        ("到2025年，产值约300亿元。", 300, "~"),
        ("到2025年，产能近50万吨。", 50, "~"),
        ("到2025年，能耗控制在120万吨标准煤以内。", 120, "<="),
        ("到2025年，单位能耗不超过0.5吨标准煤。", 0.5, "<="),
        ("到2025年，产值达到400亿元。", 400, "="),
        ("到2025年，转化率提升至70%。", 70, "="),
        ("到2025年，电池产能35GWh/年。", 35, "="),
    ],
)
def test_comparators(sentence, value, comparator):
    target = one(sentence)
    assert target.value == value
    assert target.comparator == comparator
    assert target.year == 2025


def test_suffix_wins_over_verb():
    target = one("到2025年，新能源汽车产能利用率提高到40%以上。")
    assert (target.value, target.unit, target.comparator) == (40, "%", ">=")
    assert target.indicator == "新能源汽车产能利用率"


@pytest.mark.parametrize(
    ("sentence", "low", "high", "unit"),
    [
        ("到2025年，新增1至2户上市企业。", 1, 2, "户"),
        ("到2027年，引进1—2家低空飞机制造企业。", 1, 2, "家"),
        ("到2030年，引育1—3家头部企业。", 1, 3, "家"),
    ],
)
def test_ranges(sentence, low, high, unit):
    target = one(sentence)
    assert (target.value, target.value_max, target.unit) == (low, high, unit)


def test_year_carries_until_another_year_and_ends_with_the_clause():
    text = (
        "一、目标\n（一）近期目标。到2025年，产值达到100亿元，产能20万吨。\n"
        "到2030年，产值达到300亿元。\n（二）保障。产值达到50亿元。\n"
    )
    targets = extract_targets(text)
    assert [(t.value, t.year) for t in targets] == [(100, 2025), (20, 2025), (300, 2030)]


def test_period_gives_its_end_year():
    target = one("2024-2030年，累计新增储能装机500万千瓦。")
    assert (target.year, target.value, target.unit) == (2030, 500, "万千瓦")


def test_annual_target_without_year():
    target = one("每年新增规上企业不少于10家。")
    assert (target.year, target.value, target.comparator) == (None, 10, ">=")


def test_change_against_a_base_year():
    target = one("到2025年，万元工业增加值用水量较2020年下降13%。")
    assert target.change == {"kind": "decrease", "base_year": 2020, "percent": 13}
    assert target.indicator == "万元工业增加值用水量"
    assert (target.value, target.unit, target.year) == (13, "%", 2025)
    rising = one("到2025年，研发投入强度比2020年提高2%。")
    assert rising.change == {"kind": "increase", "base_year": 2020, "percent": 2}


def test_count_of_threshold_first():
    targets = extract_targets("到2025年建成500亿元以上产业集群1个、200亿元以上产业集群2个。")
    assert [t.count_of for t in targets] == [
        {"threshold": 500, "threshold_unit": "亿元", "count": 1},
        {"threshold": 200, "threshold_unit": "亿元", "count": 2},
    ]
    assert [(t.value, t.unit, t.indicator) for t in targets] == [(1, "个", "产业集群"), (2, "个", "产业集群")]


def test_count_of_exceeding_threshold():
    target = one("到2025年，培育年营收超百亿元企业10户以上。")
    assert target.count_of == {"threshold": 100, "threshold_unit": "亿元", "count": 10}
    assert (target.value, target.unit, target.comparator) == (10, "户", ">=")


def test_count_of_level_words():
    targets = extract_targets("到2025年，建成1个“五百亿级”、4个左右“百亿级”优势产业集聚区。")
    assert [(t.value, t.comparator, t.count_of["threshold"]) for t in targets] == [
        (1, "=", 500), (4, "~", 100)]
    assert targets[0].indicator == "优势产业集聚区"


def test_qualifier():
    target = one("到2025年，锂精矿产能达到5万吨/年（折碳酸锂当量）。")
    assert target.qualifier == "折碳酸锂当量"
    assert (target.value, target.unit, target.indicator) == (5, "万吨/年", "锂精矿产能")


def test_full_width_digits_and_spans_are_exact_substrings():
    text = "到２０２５年，数字化率达到５０％，产值达到１２．５亿元。"
    targets = extract_targets(text)
    assert [(t.value, t.unit, t.year) for t in targets] == [(50, "%", 2025), (12.5, "亿元", 2025)]
    for target in targets:
        assert text[target.start:target.end] == target.span
    assert targets[0].span == "数字化率达到５０％"


def test_line_breaks_inside_a_number_and_unit():
    text = "到 2025年，电解液 3 万吨/\n\n年，隔膜 15 亿平方\n米/年。"
    targets = extract_targets(text)
    assert [(t.value, t.unit) for t in targets] == [(3, "万吨/年"), (15, "亿平方米/年")]
    assert targets[0].span == "电解液 3 万吨/\n\n年"


def test_chinese_numerals():
    assert one("到2025年，新能源装备制造业产值突破千亿元。").value == 1000
    assert one("到2025年，培育两个百亿级产业集群。").count_of == {
        "threshold": 100, "threshold_unit": "亿元", "count": 2}
    assert one("到2025年，建成三十个智能工厂。").value == 30


@pytest.mark.parametrize(
    "text",
    [
        "贵州省新型工业化工作领导小组文件\n黔新工〔2021〕2号\n",
        "2024年5月11日\n",
        "三、重点任务\n（四）加强招商引资。\n",
        "为落实工信部等十四部门和7部门《方案》，到2025年实施五大行动。",
        "到2025年，深入实施企业上市高质量发展三年行动计划，引进世界500强企业。",
        "共印 200 份，其中电子公文 160 份",
        "据中国有色金属工业协会预测，2030年全球锂电池出货量将达到5000GWh。",
        "一、发展基础\n（一）发展现状。建成负极材料67.7万吨/年，2023年实现产值165亿元。\n",
        "到2025年，将投资10亿元以上锂电池材料重大项目列入清单。",
        "对投资10亿元以上且实际完成固定资产投资5亿元以上的项目，由省直部门推进。",
        "给予不低于200万元、最高不超过1000万元的资金补助支持。",
        "到2025年，建成环多伦300公里最美风景大环线，培育一个牵头部门。",
        "到2025年，基本形成三元、磷系全产业链条。",
    ],
)
def test_not_targets(text):
    assert extract_targets(text) == []


def test_baseline_is_a_fact_not_a_target():
    text = "建成磷酸铁锂正极材料16万吨/年，2023年锂产业链实现产值165亿元。到2025年，产值达到700亿元。"
    assert [t.value for t in extract_targets(text)] == [700]
    facts = extract_facts(text)
    assert [(f.value, f.year) for f in facts] == [(16, None), (165, 2023)]


def test_table_with_year_columns():
    text = (
        "附件\n产业集群目标产值\n单位：亿元\n"
        "集群\t产业\t2025年\t2027年\n"
        "农畜产品集群\t肉牛产业\t150\t170\n"
        "\t合计\t455\t520\n"
    )
    targets = extract_targets(text)
    assert [(t.subject, t.year, t.value, t.unit, t.indicator) for t in targets] == [
        ("肉牛产业", 2025, 150, "亿元", "产值"), ("肉牛产业", 2027, 170, "亿元", "产值"),
        ("农畜产品集群", 2025, 455, "亿元", "产值"), ("农畜产品集群", 2027, 520, "亿元", "产值"),
    ]
    assert text[targets[0].start:targets[0].end] == "150"


def test_to_dict_has_exactly_the_target_fields():
    target = one("到2025年，产值达到400亿元。")
    assert tuple(target.to_dict()) == TARGET_FIELDS
    assert json.dumps(target.to_dict(), ensure_ascii=False)


# ---------------------------------------------------------------- tasks


def test_tasks_from_responsibility_notes():
    text = (
        "一、持续做强产业链条。做强基础锂盐。（责任单位：各设区市人民政府，省工业和信息化厅、省商务厅）\n"
        "二、重点\n（一）绿色农畜产品产业集群。(盟农牧局牵头推进)\n"
        "一是肉牛产业。建设肉牛产业带。(责任部门：盟能源局；配合部门：盟工信局)\n"
    )
    tasks = extract_tasks(text)
    assert [(t.clause_path, t.title, t.lead, t.cooperating) for t in tasks] == [
        ("一", "持续做强产业链条", ["各设区市人民政府", "省工业和信息化厅", "省商务厅"], []),
        ("二(一)", "绿色农畜产品产业集群", ["盟农牧局"], []),
        ("二(一)一是", "肉牛产业", ["盟能源局"], ["盟工信局"]),
    ]
    assert tasks[0].span == text[tasks[0].start:tasks[0].end] == "一、持续做强产业链条"


def test_jiangxi_has_ten_tasks():
    tasks = extract_tasks((SEEDS / "002_80f370a30a1f2377.txt").read_text(encoding="utf-8"))
    assert [t.clause_path for t in tasks] == ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
    assert tasks[5].lead[0] == "中国人民银行江西省分行"


# ---------------------------------------------------------------- text input


def test_gbk_utf8_bom_and_utf8_input(tmp_path):
    sentence = "到2025年，锂电池材料产业总产值达到1000亿元以上。"
    for name, data in (
        ("gbk.txt", sentence.encode("gbk")),
        ("bom.txt", b"\xef\xbb\xbf" + sentence.encode("utf-8")),
        ("plain.txt", sentence.encode("utf-8")),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        text = read_policy_text(path)
        assert text == sentence
        assert one(text).value == 1000


def test_refuses_empty_binary_and_oversized_files(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "image.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (5 * 1024 * 1024 + 1))
    for path, word in ((empty, "empty"), (binary, "binary"), (big, "5 MB")):
        with pytest.raises(PolicyTextError) as error:
            read_policy_text(path)
        assert word in str(error.value)


def test_one_megabyte_document(tmp_path):
    seed = (SEEDS / "000_42f07bc3c0448613.txt").read_text(encoding="utf-8")
    text = "\n".join([seed] * (1024 * 1024 // len(seed.encode("utf-8")) + 1))
    path = tmp_path / "large.txt"
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size > 1024 * 1024
    assert len(extract_targets(read_policy_text(path))) >= 8


def test_docx_round_trip(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("一、发展目标")
    document.add_paragraph("到2025年，锂电池材料产业总产值达到1000亿元以上。")
    document.add_paragraph("附件")
    document.add_paragraph("目标产值")
    document.add_paragraph("单位：亿元")
    table = document.add_table(rows=2, cols=4)
    for cell, value in zip(table.rows[0].cells, ["集群", "产业", "2025年", "2027年"], strict=True):
        cell.text = value
    for cell, value in zip(table.rows[1].cells, ["新材料集群", "锂电产业", "10", "60"], strict=True):
        cell.text = value
    path = tmp_path / "policy.docx"
    document.save(path)
    text = read_policy_text(path)
    assert "新材料集群\t锂电产业\t10\t60" in text
    targets = extract_targets(text)
    assert [(t.value, t.year, t.subject) for t in targets] == [
        (1000, 2025, None), (10, 2025, "锂电产业"), (60, 2027, "锂电产业")]


def test_text_pdf(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(width=200, height=100)
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    })
    page[NameObject("/Resources")] = DictionaryObject({
        NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)}),
    })
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 10 50 Td (Target 2025: 45%) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)
    path = tmp_path / "policy.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    assert "Target 2025: 45%" in read_policy_text(path)


# ---------------------------------------------------------------- the seeds against the labels


def test_seeds_against_hand_labels():
    parts = []
    for label_file in sorted(LABELS.glob("*.jsonl")):
        text = (SEEDS / f"{label_file.stem}.txt").read_text(encoding="utf-8")
        labels = [json.loads(line) for line in label_file.read_text(encoding="utf-8").splitlines()
                  if line.strip()]
        for label in labels:
            assert text[label["start"]:label["end"]] == label["span"]
            assert set(label) == set(TARGET_FIELDS) | {"start", "end"}
        predicted = [dict(t.to_dict(), start=t.start, end=t.end) for t in extract_targets(text)]
        parts.append(evaluate(predicted, labels))
    assert len(parts) == 5
    total = combine(parts)
    assert total.tp + total.fn == 213
    assert total.f1 >= 0.9, (total.to_dict(), total.misses, total.false_alarms)


# ---------------------------------------------------------------- evaluation


def test_evaluate_one_to_one_and_span_overlap():
    label = {"value": 240, "unit": "万头", "year": 2025, "comparator": "=", "span": "肉牛存栏达到240万头"}
    twice = [dict(label, span="存栏达到240万头"), dict(label, span="240万头")]
    scores = evaluate(twice, [label])
    assert (scores.tp, scores.fp, scores.fn) == (1, 1, 0)
    assert scores.precision == 0.5 and scores.recall == 1.0
    wrong_year = evaluate([dict(label, year=2027)], [label])
    assert (wrong_year.tp, wrong_year.fn, len(wrong_year.misses)) == (0, 1, 1)
    by_offset = evaluate([dict(label, start=10, end=20)], [dict(label, start=20, end=30)])
    assert by_offset.tp == 0
    assert evaluate([], []).f1 == 1.0
