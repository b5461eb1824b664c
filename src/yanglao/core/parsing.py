"""Reading values as people type them in spreadsheets and forms: yes/no words, dates."""

import re
from datetime import date

TRUE_WORDS = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
FALSE_WORDS = {"", "否", "无", "n", "no", "false", "0"}


def parse_flag(value: str) -> bool | None:
    text = (value or "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


def parse_date(value: str) -> date | None:
    """2026-01-31, 2026/1/31, 2026.1.31, 20260131, 2026年1月31日."""
    text = (value or "").strip()
    if not text:
        return None
    match = re.fullmatch(
        r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s+00:00(?::00)?)?", text
    ) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if not match:
        raise ValueError(text)
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
