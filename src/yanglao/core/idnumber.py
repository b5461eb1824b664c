"""Citizen ID numbers (公民身份号码), GB 11643-1999.

18 characters: a 6-digit region code (where the number was issued), the birth date YYYYMMDD, a 3-digit
sequence whose last digit is odd for men and even for women, and a check character computed with
ISO 7064 MOD 11-2 (0–9 or X). The 15-digit numbers issued before 1999 (YYMMDD, no check character)
are converted: the century 19 is inserted and the check character computed.
"""

import re
from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH = date(1890, 1, 1)

_EIGHTEEN = re.compile(r"^\d{17}[\dX]$")
_SEPARATORS = re.compile(r"[\s\-]")
_FIFTEEN = re.compile(r"^\d{15}$")


class IdNumberError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IdNumber:
    value: str  # normalised 18 characters, upper-case X
    region_code: str  # the 6 issuing digits
    birth_date: date
    gender: str  # "M" or "F"
    converted_from_15: bool = False

    @property
    def masked(self) -> str:
        return self.value[:6] + "*" * 8 + self.value[-4:]


def check_char(first17: str) -> str:
    total = sum(map(int.__mul__, map(int, first17), WEIGHTS))
    return CHECK_CHARS[total % 11]


def normalise(raw: str) -> str:
    return _SEPARATORS.sub("", str(raw or "")).upper()


def _birth(text: str) -> date:
    try:
        born = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise IdNumberError("id_birth_date_invalid", f"身份证号中的出生日期 {text} 不是有效日期。") from None
    if born < EARLIEST_BIRTH or born > date.today():
        raise IdNumberError("id_birth_date_invalid", f"身份证号中的出生日期 {text} 不合理。")
    return born


def parse(raw: str, *, today: date | None = None) -> IdNumber:
    """Validate and normalise an ID number. Raises IdNumberError with a stable code and a Chinese message."""
    value = normalise(raw)
    if not value:
        raise IdNumberError("id_required", "请填写身份证号。")
    converted = False
    if _FIFTEEN.match(value):
        body = value[:6] + "19" + value[6:]
        value = body + check_char(body)
        converted = True
    elif len(value) == 15:
        raise IdNumberError("id_format", "15 位身份证号应全为数字。")
    if len(value) != 18:
        raise IdNumberError("id_length", f"身份证号应为 18 位，当前为 {len(value)} 位。")
    if not _EIGHTEEN.match(value):
        raise IdNumberError("id_format", "身份证号前 17 位应为数字，最后一位为数字或 X。")
    if value[:2] == "00" or value[:6] == "000000":
        raise IdNumberError("id_region_invalid", "身份证号的地区码无效。")
    born = _birth(value[6:14])
    expected = check_char(value[:17])
    if value[17] != expected:
        raise IdNumberError("id_checksum", "身份证号校验位不正确，请核对号码。")
    gender = "M" if int(value[16]) % 2 == 1 else "F"
    return IdNumber(
        value=value, region_code=value[:6], birth_date=born, gender=gender, converted_from_15=converted
    )


def make(region6: str, born: date, sequence: int, gender: str) -> str:
    """Build a valid number (demo data and tests): the sequence's last digit is set to fit the gender."""
    seq = sequence % 1000
    last = seq % 10
    if (gender == "M") != (last % 2 == 1):
        seq = seq - last + ((last + 1) % 10)
    body = f"{region6}{born:%Y%m%d}{seq:03d}"
    return body + check_char(body)
