"""Mainland China phone numbers: mobiles (11 digits starting 13–19) and landlines with area code."""

import re

MOBILE = re.compile(r"^1[3-9]\d{9}$")
EXTENSION = re.compile(r"(?:转|ext\.?|x|#)\s*(\d{1,6})$", flags=re.IGNORECASE)
SEPARATORS = re.compile(r"[\s\-()（）]")


class PhoneError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def parse_phone(raw: str) -> str:
    """Normalise to ``13812345678`` or ``0475-8835970`` (extension as ``-123``); raise PhoneError otherwise."""
    text = str(raw or "").strip()
    if not text:
        raise PhoneError("phone_required", "请填写电话号码。")
    extension = ""
    match = EXTENSION.search(text)
    if match:
        extension, text = match.group(1), text[: match.start()]
    digits = SEPARATORS.sub("", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not digits.isdigit():
        raise PhoneError("phone_format", f"电话号码 {raw} 含有无效字符。")
    if MOBILE.match(digits):
        if extension:
            raise PhoneError("phone_format", "手机号不能带分机号。")
        return digits
    if digits.startswith("0") and 10 <= len(digits) <= 12:
        # Area codes are 010 and 02x (3 digits, 8-digit numbers) or 0xxx (4 digits, 7–8-digit numbers).
        cut = 3 if digits.startswith(("010", "02")) else 4
        area, number = digits[:cut], digits[cut:]
        if (cut == 3 and len(number) != 8) or not 7 <= len(number) <= 8:
            raise PhoneError("phone_format", f"电话号码 {raw} 位数不对。")
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    if len(digits) in (7, 8):
        raise PhoneError("phone_area_code", f"固定电话 {raw} 请带区号，如 0475-8835970。")
    if digits.startswith("1"):
        raise PhoneError("phone_format", f"手机号 {raw} 应为 11 位、以 13–19 开头。")
    raise PhoneError("phone_format", f"电话号码 {raw} 不是有效的手机或固定电话号码。")
