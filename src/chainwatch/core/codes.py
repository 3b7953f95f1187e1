"""Chinese codes: 统一社会信用代码 (GB 32100-2015), GB/T 2260 division codes, enterprise names."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_USCC_SHAPE = re.compile(rf"^[{USCC_CHARSET}]{{18}}$")


def uscc_check_character(first17: str) -> str:
    """The 18th character of a 统一社会信用代码 from its first 17 (GB 32100-2015 §4.2)."""
    total = sum(USCC_CHARSET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid 统一社会信用代码, or None when it is."""
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实为{len(code)}位 / must be 18 characters"
    if not _USCC_SHAPE.match(code):
        bad = sorted({ch for ch in code if ch not in USCC_CHARSET})
        return f"统一社会信用代码含非法字符 {''.join(bad)} / invalid characters {bad}"
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码校验位错误：应为{expected}，实为{code[17]} / check character should be {expected}"
    return None


def validate_uscc(code: str) -> None:
    problem = uscc_problem(code)
    if problem:
        raise ValidationError(problem, code="invalid_uscc")


def make_uscc(registration: str, kind: str, division: str, organisation: str) -> str:
    """Compose a valid code from its parts (for sample and synthetic data)."""
    first17 = f"{registration}{kind}{division}{organisation}"
    if len(first17) != 17:
        raise ValueError("registration(1) + kind(1) + division(6) + organisation(9) = 17 characters")
    return first17 + uscc_check_character(first17)


_DIVISION_CODE = re.compile(r"^\d{6}$")
_ZONE_CODE = re.compile(r"^\d{6}Z\d{2}$")


def region_code_problem(code: str) -> str | None:
    if _DIVISION_CODE.match(code) or _ZONE_CODE.match(code):
        return None
    return f"地区代码“{code}”格式错误：应为6位GB/T 2260代码或“6位代码+Z+2位”园区代码"


_LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "集团", "公司", "厂")
_PUNCTUATION = re.compile(r"[\s()（）·・,，.。、\-—_]+")


def normalize_enterprise_name(name: str) -> str:
    """A comparison key: full-width folded, punctuation and legal-form suffixes removed."""
    folded = unicodedata.normalize("NFKC", name).strip()
    folded = _PUNCTUATION.sub("", folded)
    for suffix in _LEGAL_FORMS:
        if folded.endswith(suffix) and len(folded) > len(suffix) + 1:
            folded = folded[: -len(suffix)]
            break
    return folded.upper()
