"""Quantities with the units Chinese policy texts write.

A value is stored with its unit text as entered (``52`` + ``万吨/年``); this module turns unit text
into a pint quantity so values can be compared and converted. The registry knows the multipliers
万 (1e4) and 亿 (1e8), the compound units of the seeds (万吨/年, 亿元, GWh, 万千瓦, 万千瓦时,
亿平方米, 万头, 万只, 万亩, 万人次, %, 个, 户, 家 …) and refuses to convert between incompatible
dimensions (亿元 into 万头).
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

import pint

ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
ureg.define("yuan = [currency] = CNY")
ureg.define("head = [livestock]")
ureg.define("item = [count]")
ureg.define("person_visit = [visit]")
ureg.define("tce = [coal_equivalent] = tonne_coal_equivalent")
ureg.define("mu = 10000 / 15 * meter ** 2")
ureg.define("percentage_point = percent")


class UnitError(ValueError):
    """A unit text that cannot be read, or two units that cannot be converted."""


# Longest names first: the tokenizer is greedy.
_BASE_UNITS: dict[str, str] = {
    "吨标准煤": "tce",
    "标准煤": "tce",
    "平方米": "meter**2",
    "立方米": "meter**3",
    "千瓦时": "kilowatt_hour",
    "兆瓦时": "megawatt_hour",
    "千瓦": "kilowatt",
    "兆瓦": "megawatt",
    "百分点": "percentage_point",
    "人次": "person_visit",
    "公里": "kilometer",
    "千米": "kilometer",
    "kWh": "kilowatt_hour",
    "MWh": "megawatt_hour",
    "GWh": "gigawatt_hour",
    "TWh": "terawatt_hour",
    "kW": "kilowatt",
    "MW": "megawatt",
    "GW": "gigawatt",
    "m²": "meter**2",
    "m2": "meter**2",
    "m³": "meter**3",
    "m3": "meter**3",
    "kg": "kilogram",
    "km": "kilometer",
    "吨": "tonne",
    "t": "tonne",
    "元": "yuan",
    "头": "head",
    "只": "head",
    "亩": "mu",
    "年": "year",
    "月": "month",
    "天": "day",
    "日": "day",
    "%": "percent",
    "％": "percent",
    "‰": "permille",
    "倍": "dimensionless",
}
_COUNT_WORDS = "个户家条处台辆座项套名件人所批次"
for _word in _COUNT_WORDS:
    _BASE_UNITS[_word] = "item"
_MULTIPLIERS = {"万": "1e4", "亿": "1e8", "千": "1e3", "百": "1e2"}
_SORTED_BASES = sorted(_BASE_UNITS, key=len, reverse=True)
_ALIASES = {"亿m²": "亿平方米", "万m²": "万平方米", "亿m2": "亿平方米"}


def _translate(unit_text: str) -> str:
    """Translate Chinese unit text into a pint expression, e.g. 万吨/年 -> (1e4*tonne)/(year)."""
    text = unit_text.strip().replace(" ", "")
    text = _ALIASES.get(text, text)
    if not text:
        return "dimensionless"
    parts = re.split(r"[/／]", text)
    translated = []
    for part in parts:
        if not part:
            raise UnitError(f"单位“{unit_text}”不完整 / incomplete unit {unit_text!r}")
        factors: list[str] = []
        rest = part
        while rest:
            base = next((b for b in _SORTED_BASES if rest.startswith(b)), None)
            if base is not None:
                factors.append(_BASE_UNITS[base])
                rest = rest[len(base):]
            elif rest[0] in _MULTIPLIERS and len(rest) > 1:
                factors.append(_MULTIPLIERS[rest[0]])
                rest = rest[1:]
            else:
                raise UnitError(f"无法识别的单位“{unit_text}” / unknown unit {unit_text!r}")
        translated.append("(" + "*".join(factors) + ")")
    return "/".join(translated)


@lru_cache(maxsize=1024)
def parse_unit(unit_text: str) -> pint.Quantity:
    """The quantity one unit of ``unit_text`` stands for (万吨/年 -> 10000 tonne / year)."""
    try:
        return ureg.parse_expression(_translate(unit_text)) * 1
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError) as exc:
        raise UnitError(f"无法识别的单位“{unit_text}” / unknown unit {unit_text!r}") from exc


def is_known_unit(unit_text: str) -> bool:
    try:
        parse_unit(unit_text)
    except UnitError:
        return False
    return True


def to_quantity(value: float | Decimal | int, unit_text: str) -> pint.Quantity:
    return float(value) * parse_unit(unit_text)


def compatible(unit_a: str, unit_b: str) -> bool:
    return parse_unit(unit_a).dimensionality == parse_unit(unit_b).dimensionality


@lru_cache(maxsize=4096)
def conversion_factor(from_unit: str, to_unit: str) -> float:
    """How many ``to_unit`` one ``from_unit`` is (吨 -> 万吨: 0.0001)."""
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    if source.dimensionality != target.dimensionality:
        raise UnitError(
            f"单位不兼容：“{from_unit}”不能换算为“{to_unit}” / "
            f"incompatible units {from_unit!r} and {to_unit!r}"
        )
    return float((source / target).to("dimensionless").magnitude)


def factor_or_none(from_unit: str, to_unit: str) -> float | None:
    """The conversion factor, or None when the units cannot be converted (never a guess)."""
    try:
        return conversion_factor(from_unit, to_unit)
    except UnitError:
        return None


def convert(value: float | Decimal | int, from_unit: str, to_unit: str) -> float:
    """Convert ``value`` from one unit text to another (52 万吨/年 -> 520000 吨/年)."""
    return float(value) * conversion_factor(from_unit, to_unit)
