import pytest

from chainwatch.core.units import UnitError, compatible, convert, is_known_unit, parse_unit

SEED_UNITS = [
    "万吨/年", "亿元", "GWh", "GWh/年", "万千瓦", "万千瓦时", "亿平方米", "亿平方米/年", "万头",
    "万只", "万亩", "万人次", "%", "个", "户", "家", "万辆", "万吨标准煤", "万台", "亿吨", "吨",
]


@pytest.mark.parametrize("unit", SEED_UNITS)
def test_every_seed_unit_is_understood(unit):
    assert is_known_unit(unit)


def test_wan_tonne_per_year_in_tonnes():
    assert convert(52, "万吨/年", "吨/年") == pytest.approx(520_000)


def test_yi_and_wan_yuan():
    assert convert(1, "亿元", "万元") == pytest.approx(10_000)
    assert convert(200, "万元", "元") == pytest.approx(2_000_000)


def test_energy_and_power():
    assert convert(640, "万千瓦时", "GWh") == pytest.approx(6.4)
    assert convert(290, "万千瓦", "GW") == pytest.approx(2.9)


def test_area_units():
    assert convert(15, "亿平方米", "万平方米") == pytest.approx(150_000)
    assert convert(85, "万亩", "平方米") == pytest.approx(85e4 * 10000 / 15)


def test_tonne_to_wan_tonne_is_a_conversion():
    assert convert(5000, "吨", "万吨") == pytest.approx(0.5)


def test_incompatible_dimensions_are_refused():
    assert not compatible("亿元", "万头")
    with pytest.raises(UnitError, match="不兼容"):
        convert(1, "亿元", "万头")


def test_unknown_unit_is_a_clear_error():
    with pytest.raises(UnitError, match="无法识别"):
        parse_unit("斤斤")


def test_livestock_heads_and_counts():
    assert convert(1200, "万只", "头") == pytest.approx(12_000_000)
    assert compatible("户", "家")
    assert not compatible("万头", "个")
