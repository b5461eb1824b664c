"""Region codes: the statistical division codes, written canonically as 12 digits.

The source table writes a province or city as 6 digits, a county as 6, a township as 9 and a village
as 12. Canonically every code is padded to 12 digits; its *prefix* is the significant part
(2/4/6/9/12 digits by level), and a region's subtree is every code that starts with that prefix.
"""

import re

LEVELS = ("province", "city", "county", "township", "village")
PREFIX_LENGTH = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}
LEVEL_LABELS = {
    "province": "自治区",
    "city": "盟市",
    "county": "旗县市区",
    "township": "苏木乡镇(街道)",
    "village": "嘎查村(社区)",
}
_DIGITS = re.compile(r"^\d{2,12}$")


class RegionCodeError(ValueError):
    pass


def canonical(code: str) -> str:
    code = (code or "").strip()
    if not _DIGITS.match(code) or len(code) not in (2, 4, 6, 9, 12):
        raise RegionCodeError(f"区划代码 {code!r} 应为 2、4、6、9 或 12 位数字")
    return code.ljust(12, "0")


def prefix_for(code: str, level: str) -> str:
    return canonical(code)[: PREFIX_LENGTH[level]]


def next_prefix(prefix: str) -> str | None:
    """The smallest code string above every code starting with ``prefix`` (None past all nines)."""
    if set(prefix) == {"9"}:
        return None
    return str(int(prefix) + 1).zfill(len(prefix))
