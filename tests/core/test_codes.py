import pytest
from django.core.exceptions import ValidationError

from chainwatch.core.codes import (
    make_uscc,
    normalize_enterprise_name,
    region_code_problem,
    uscc_check_character,
    uscc_problem,
    validate_uscc,
)

# The example code widely used to illustrate GB 32100-2015.
REAL_CODES = ["91350100M000100Y43"]


def test_hand_computed_check_character():
    # 9 1 3 5 0 1 0 0 M 0 0 0 1 0 0 Y 4 -> weights 3^i mod 31
    first17 = "91350100M000100Y4"
    values = [9, 1, 3, 5, 0, 1, 0, 0, 21, 0, 0, 0, 1, 0, 0, 30, 4]
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(v * w for v, w in zip(values, weights, strict=True))
    assert total % 31 == 28  # 31 - 28 = 3
    assert uscc_check_character(first17) == "3"


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert uscc_problem(code) is None


def test_wrong_check_character_names_the_expected_one():
    problem = uscc_problem("91350100M000100Y44")
    assert "校验位" in problem and "应为3" in problem


@pytest.mark.parametrize("code,word", [("91350100M000100Y4", "18位"), ("91350100M000100I43", "非法字符")])
def test_malformed_codes(code, word):
    assert word in uscc_problem(code)
    with pytest.raises(ValidationError):
        validate_uscc(code)


def test_make_uscc_round_trip():
    code = make_uscc("9", "1", "152500", "MA0000017")
    assert uscc_problem(code) is None


def test_region_codes():
    assert region_code_problem("152500") is None
    assert region_code_problem("152500Z01") is None
    assert "格式错误" in region_code_problem("15250")


def test_enterprise_name_normalisation():
    assert normalize_enterprise_name("内蒙古 某某新材料（集团）股份有限公司") == normalize_enterprise_name(
        "内蒙古某某新材料(集团)股份有限公司"
    )
    assert normalize_enterprise_name("ＡＢＣ锂业有限公司") == "ABC锂业"
