"""The knowledge pack encodes the five seeds faithfully, loads idempotently and refuses bad input."""

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from chainwatch.chains.models import Sector
from chainwatch.geo.models import Region
from chainwatch.knowledge.loader import KNOWLEDGE_DIR, load_pack
from chainwatch.knowledge.yamlfile import PackError
from chainwatch.policy.models import Clause, PolicyDocument
from chainwatch.projects.models import Rule
from chainwatch.targets.models import Observation, Target

pytestmark = pytest.mark.django_db


def squeeze(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace() and ch not in "\u3000\u00a0")


def test_five_documents_with_their_clause_trees():
    assert PolicyDocument.objects.count() == 5
    im = PolicyDocument.objects.get(code="im-lithium-2024")
    assert list(Clause.objects.filter(document=im, level=1).values_list("path", flat=True)) == ["一", "二", "三", "四"]
    assert Clause.objects.filter(document__code="xl-clusters-2025", path="附件").exists()


def test_at_least_150_targets_each_with_a_span_found_in_its_seed():
    targets = Target.objects.select_related("document")
    assert targets.count() >= 150
    for target in targets:
        located = target.document.text[target.span_start:target.span_end]
        assert squeeze(located) == squeeze(target.span), target.key


def test_every_span_in_every_pack_file_occurs_in_its_seed():
    documents = {d["code"]: d["file"] for d in yaml.safe_load((KNOWLEDGE_DIR / "documents.yaml").read_text())}
    for path in (KNOWLEDGE_DIR / "pack").glob("*.yaml"):
        pack = yaml.safe_load(path.read_text())
        seed = squeeze((KNOWLEDGE_DIR / "seeds" / documents[pack["document"]]).read_text())
        for section in ("targets", "observations", "facts", "rules"):
            for item in pack.get(section) or []:
                if item.get("span"):
                    assert squeeze(item["span"]) in seed, f"{path.name} {item['key']}"


# (key, value, unit, year, comparator) — read off the seeds by hand.
HAND_CHECKED = [
    ("im-li-cap-concentrate-2025", "5", "万吨/年", 2025, "="),
    ("im-li-cap-lfp-2025", "52", "万吨/年", 2025, "="),
    ("im-li-cap-anode-2025", "176.4", "万吨/年", 2025, "="),
    ("im-li-cap-electrolyte-2025", "3", "万吨/年", 2025, "="),
    ("im-li-cap-separator-2025", "15", "亿平方米/年", 2025, "="),
    ("im-li-cap-cell-2025", "29", "GWh/年", 2025, "="),
    ("im-li-output-2025", "700", "亿元", 2025, "="),
    ("im-li-output-2030", "2000", "亿元", 2030, ">"),
]


@pytest.mark.parametrize("key,value,unit,year,comparator", HAND_CHECKED)
def test_inner_mongolia_lithium_targets(key, value, unit, year, comparator):
    target = Target.objects.get(key=key)
    assert (target.value, target.unit, target.year, target.comparator) == (Decimal(value), unit, year, comparator)
    assert target.region.code == "150000"
    assert target.clause.path == "二(二)"


def find(document: str, text: str, year: int | None = None, value: str | None = None) -> Target:
    found = Target.objects.filter(document__code=document, span__contains=text)
    if year is not None:
        found = found.filter(year=year)
    if value is not None:
        found = found.filter(value=Decimal(value))
    assert found.count() >= 1, (document, text, year)
    return found.first()


@pytest.mark.parametrize(
    "document,text,year,value,unit,comparator",
    [
        ("gz-lithium-2021", "1000亿元以上", 2025, "1000", "亿元", ">="),
        ("gz-lithium-2021", "新增1至2户上市企业", 2025, "1", "户", "="),
        ("gz-lithium-2021", "10户以上省级", 2025, "10", "户", ">="),
        ("im-manufacturing-2022", "关键工序数控化率达到68%", 2025, "68", "%", "="),
        ("im-manufacturing-2022", "生物医药产业产值达到350亿元", 2025, "350", "亿元", "="),
        ("im-manufacturing-2022", "新材料（包括铝后和铜后加工）产业产值突破3000亿元", 2025, "3000", "亿元", ">"),
        ("im-manufacturing-2022", "新能源汽车产能利用率提高到40%以上", 2025, "40", "%", ">="),
        ("xl-clusters-2025", "肉牛存栏达到240万头", 2025, "240", "万头", "="),
        ("xl-clusters-2025", "存栏达到260万头", 2030, "260", "万头", "="),
        ("xl-clusters-2025", "种植面积85万亩左右", 2025, "85", "万亩", "~"),
        ("xl-clusters-2025", "新能源装机达到3000万千瓦左右", 2025, "3000", "万千瓦", "~"),
        ("xl-clusters-2025", "总容量达到640万千瓦时", 2025, "640", "万千瓦时", "="),
        ("xl-clusters-2025", "铁合金产能达到950万吨", 2030, "950", "万吨", "="),
        ("xl-clusters-2025", "引流10万人次", 2025, "10", "万人次", "="),
    ],
)
def test_hand_checked_values(document, text, year, value, unit, comparator):
    target = find(document, text, year, value)
    assert (target.unit, target.comparator) == (unit, comparator)


def test_water_use_is_a_change_target_against_2020():
    target = find("im-manufacturing-2022", "万元工业增加值用水量较2020年下降13%")
    assert target.change == {"kind": "decrease", "base_year": 2020, "percent": 13.0}
    assert target.indicator.direction == "decrease"


def test_xilingol_cluster_count_targets():
    counts = Target.objects.filter(document__code="xl-clusters-2025", count_threshold__isnull=False)
    ladder = sorted((t.year, float(t.count_threshold), float(t.value)) for t in counts)
    assert ladder == [
        (2025, 100, 3), (2025, 200, 2), (2025, 500, 1),
        (2027, 100, 6), (2027, 200, 3), (2027, 500, 2), (2027, 800, 1),
        (2030, 200, 6), (2030, 500, 4), (2030, 800, 2), (2030, 900, 1),
    ]


def test_xilingol_appendix_totals_equal_the_sums_of_their_industries():
    appendix = Target.objects.filter(document__code="xl-clusters-2025", clause__path="附件", indicator__code="OUTPUT")
    checked = 0
    for cluster in Sector.objects.filter(kind="cluster", code__startswith="XL."):
        for year in (2025, 2027, 2030):
            total = appendix.filter(sector=cluster, year=year).first()
            parts = appendix.filter(sector__parent=cluster, year=year)
            if total is None or cluster.industries.count() < 2:
                continue
            assert total.value == sum(p.value for p in parts), (cluster.code, year)
            checked += 1
    assert checked == 15  # five clusters with a 合计 row × three years


def test_inner_mongolia_baselines():
    output = Observation.objects.get(document__code="im-lithium-2024", indicator__code="OUTPUT")
    assert (output.period, output.value, output.unit) == ("2023", Decimal("165"), "亿元")
    lfp = Observation.objects.get(indicator__code="CAPACITY_UC", chain_node__code="LI.CATHODE_LFP")
    assert (lfp.value, lfp.unit) == (Decimal("7.5"), "万吨/年")
    weilasituo = Observation.objects.get(indicator__code="CAPACITY_PLANNED")
    assert weilasituo.region.code == "150425" and weilasituo.value == Decimal("22.2")


def test_jiangxi_and_guizhou_rules_with_their_spans():
    tier = Rule.objects.get(key="jx-tier-2024")
    assert tier.jurisdiction.code == "360000"
    assert tier.params["all"][0] == {"field": "total_investment", "op": ">=", "value": 1000000000}
    assert tier.clause.path == "一"
    subsidy = Rule.objects.get(key="jx-subsidy-2024")
    assert (subsidy.params["min"], subsidy.params["max"]) == (2000000, 10000000)
    assert Rule.objects.filter(kind="project-tier", jurisdiction__code="520000").exists()


def test_region_tree_holds_every_seed_banner_and_zone():
    xilingol = Region.objects.get(code="152500")
    banners = Region.objects.subtree(xilingol).filter(level="county")
    assert banners.filter(name_zh="镶黄旗").exists() and banners.filter(name_zh="多伦县").exists()
    assert Region.objects.get(code="150425").parent.code == "150400"
    assert Region.objects.get(name_zh="乌拉盖管理区").level == "zone"
    assert Region.objects.filter(level="province").count() == 34
    assert 2800 <= Region.objects.filter(level="county").count() <= 2900


def test_loading_twice_changes_nothing():
    before = Target.objects.count(), Observation.objects.count(), Region.objects.count()
    summary = load_pack()
    assert summary.changed == 0
    assert (Target.objects.count(), Observation.objects.count(), Region.objects.count()) == before


@pytest.fixture
def pack_copy(tmp_path) -> Path:
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return copy


def corrupt(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_malformed_value_names_file_line_and_field_and_writes_nothing(pack_copy):
    pack = pack_copy / "pack" / "im-lithium-2024.yaml"
    corrupt(pack, "value: 176.4", "value: 一百七十六")
    corrupt(pack_copy / "documents.yaml", "title_en: Guiding Opinions on the Development", "title_en: CHANGED")
    before = Target.objects.count()
    with pytest.raises(PackError) as error:
        load_pack(directory=pack_copy, with_regions=False)
    message = "\n".join(error.value.problems)
    assert "im-lithium-2024.yaml:" in message and ".value:" in message and "不是数值" in message
    assert Target.objects.count() == before
    assert not PolicyDocument.objects.filter(title_en="CHANGED").exists()


@pytest.mark.parametrize(
    "old,new,expected",
    [
        ('unit: 万吨/年\n    comparator: "="\n    change: null\n    count_of: null\n    qualifier: null\n    span: 磷酸铁锂', 'unit: 万斤/年\n    comparator: "="\n    change: null\n    count_of: null\n    qualifier: null\n    span: 磷酸铁锂', "无法识别的单位"),
        ('region: "150000"', 'region: "159999"', "地区代码“159999”不存在"),
        ("span: 负极材料176.4万吨/年", "span: 负极材料999万吨/年", "原文中找不到"),
    ],
)
def test_bad_units_regions_and_spans_are_clear_errors(pack_copy, old, new, expected):
    pack = pack_copy / "pack" / "im-lithium-2024.yaml"
    corrupt(pack, old, new)
    with pytest.raises(PackError) as error:
        load_pack(directory=pack_copy, with_regions=False)
    assert any(expected in p and p.startswith("im-lithium-2024.yaml:") for p in error.value.problems), error.value.problems


def test_yaml_syntax_error_names_the_line(pack_copy):
    pack = pack_copy / "pack" / "gz-lithium-2021.yaml"
    lines = pack.read_text(encoding="utf-8").splitlines()
    lines[10] = lines[10] + " : : ["
    pack.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(PackError) as error:
        load_pack(directory=pack_copy, with_regions=False)
    assert "gz-lithium-2021.yaml:" in error.value.problems[0] and "YAML" in error.value.problems[0]


def test_count_targets_say_what_they_count():
    industries = Target.objects.get(key="im-mfg-equip-industries-1000yi-2025")
    assert (industries.count_members, industries.sector.code, industries.value) == ("industries", "IM.C.EQUIP", Decimal("2"))
    xilingol = Target.objects.filter(document__code="xl-clusters-2025", count_threshold__isnull=False)
    assert set(xilingol.values_list("count_members", flat=True)) == {""}  # the league's clusters


def test_unknown_count_members_is_refused(pack_copy):
    pack = pack_copy / "pack" / "im-manufacturing-2022.yaml"
    corrupt(pack, "count: 2, members: industries}", "count: 2, members: enterprises}")
    with pytest.raises(PackError) as error:
        load_pack(directory=pack_copy, with_regions=False)
    assert any("count_of.members" in p for p in error.value.problems)
