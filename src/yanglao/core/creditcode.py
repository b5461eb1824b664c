"""Unified social credit codes (统一社会信用代码), GB 32100-2015.

18 characters from the 31-character set 0-9 and A–Y without I, O, S, V, Z: a registration
authority code, an organisation type, the 6-digit region code, the 9-character organisation code and
a check character: 31 − (Σ value(cᵢ) × 3^(i−1) mod 31) mod 31, with 31 written as 0.
"""

import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]
_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


class CreditCodeError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def check_char(first17: str) -> str:
    remainder = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True)) % 31
    return ALPHABET[(31 - remainder) % 31]


def parse_credit_code(raw: str) -> str:
    value = re.sub(r"\s", "", str(raw or "")).upper()
    if not value:
        raise CreditCodeError("credit_code_required", "请填写统一社会信用代码。")
    if len(value) != 18:
        raise CreditCodeError("credit_code_length", f"统一社会信用代码应为 18 位，当前为 {len(value)} 位。")
    if not _SHAPE.match(value):
        raise CreditCodeError(
            "credit_code_format",
            "统一社会信用代码含有无效字符（不使用 I、O、S、V、Z），或第 3–8 位不是地区码。",
        )
    if value[17] != check_char(value[:17]):
        raise CreditCodeError("credit_code_checksum", "统一社会信用代码校验位不正确，请核对。")
    return value


def make_credit_code(body17: str) -> str:
    """Complete 17 characters with their check character (demo data and tests)."""
    return body17 + check_char(body17)
