"""Reading the construction-plan sheets (seed 002, 附件1/附件2) as the counties actually fill them.

Pure functions, no database: every one returns the normalised value together with a note that
says what was assumed (shown beside the original on the import report), or ``None`` and the
reason it could not be read. Nothing here guesses silently.

- deadlines: ``2021年底``/``2021年末`` → 2021-12-31; ``年底前``/``年末`` → the plan year's 12-31;
  ``2021-12-31``; ``2021年6月``/``2021.6``/``2021-06`` → the last day of that month; ``6月底`` →
  the plan year; ``2021年``/``2021`` → the year's end; ``上半年``/``下半年`` → 06-30/12-31;
- phones: mobiles (11 digits), landlines with an area code, and local 7-digit landlines to which
  通辽's area code 0475 is added (core/phones.py does the checking);
- areas written in the remarks (``300平``, ``300平方米``, ``300㎡``, ``300m²``);
- county cells merged or left blank for the rows below (carried down), county names abbreviated
  (科左中旗) or scrambled by a PDF's vertical text (旗后左科, 县鲁开);
- full-width characters and the line breaks a wrapped cell leaves inside a name.
"""

import calendar
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from yanglao.core.phones import PhoneError, parse_phone

DEFAULT_AREA_CODE = "0475"  # 通辽
EXCEL_EPOCH = date(1899, 12, 30)

_CJK = r"[\u3400-\u9fff]"
_WRAP_BETWEEN_CJK = re.compile(rf"(?<={_CJK})[ \t]*[\r\n]+[ \t]*(?={_CJK})")
_SPACES = re.compile(r"\s+")


def clean_text(value) -> str:
    """Full-width → half-width (NFKC), the line breaks a wrapped cell leaves between Chinese
    characters removed, other runs of white space (a separator: 日间照料 医疗) collapsed to one space."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).replace("\u3000", " ")
    text = _WRAP_BETWEEN_CJK.sub("", text.strip())
    return _SPACES.sub(" ", text)


# --- deadlines ------------------------------------------------------------------------------------


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


_YEAR_END_WORDS = r"(?:年底前?|年末前?|底前?|末)"
_D_FULL = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:前|之前)?")
_D_YEAR_MONTH = re.compile(r"(\d{4})[-/.年](\d{1,2})月?(?:底|末|份)?(?:前|之前)?")
_D_YEAR_END = re.compile(rf"(\d{{4}}){_YEAR_END_WORDS}")
_D_YEAR = re.compile(r"(\d{4})年?(?:内|度)?")
_D_HALF = re.compile(r"(\d{4})?年?(上|下)半年(?:前|之前|底|末)?")
_D_MONTH_ONLY = re.compile(r"(\d{1,2})月(?:底|末|份)?(?:前|之前)?")
_D_PLAIN_YEAR_END = re.compile(rf"(?:今年|本年|当年)?{_YEAR_END_WORDS}")
_D_SERIAL = re.compile(r"(\d{5})(?:\.0+)?")


def parse_deadline(raw, *, plan_year: int) -> tuple[date | None, str]:
    """The completion deadline as a date, and a note of what was assumed ("" when nothing was).
    ``plan_year`` fills a year left out (``年底前`` in a 2021 plan is 2021-12-31)."""
    if isinstance(raw, date):  # an Excel date cell (datetime is a date too)
        return date(raw.year, raw.month, raw.day), ""
    text = clean_text(raw).replace(" ", "")
    if not text:
        return None, "未填写完成时限"
    try:
        if m := _D_FULL.fullmatch(text):
            return date(int(m[1]), int(m[2]), int(m[3])), ""
        if m := _D_YEAR_END.fullmatch(text):
            return date(int(m[1]), 12, 31), "年底按 12 月 31 日"
        if m := _D_HALF.fullmatch(text):
            year = int(m[1]) if m[1] else plan_year
            when = date(year, 6, 30) if m[2] == "上" else date(year, 12, 31)
            note = "上半年按 6 月 30 日" if m[2] == "上" else "下半年按 12 月 31 日"
            return when, note + ("" if m[1] else f"；未写年份，按计划年度 {plan_year} 年")
        if m := _D_YEAR_MONTH.fullmatch(text):
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                return None, f"无法识别的完成时限：{text}（月份 {month} 不存在）"
            return _month_end(year, month), "只写到月，按当月最后一天"
        if m := _D_YEAR.fullmatch(text):
            year = int(m[1])
            if 2000 <= year <= 2100:
                return date(year, 12, 31), "只写了年份，按当年 12 月 31 日"
        if _D_PLAIN_YEAR_END.fullmatch(text):
            return date(plan_year, 12, 31), f"未写年份，按计划年度 {plan_year} 年 12 月 31 日"
        if m := _D_MONTH_ONLY.fullmatch(text):
            month = int(m[1])
            if not 1 <= month <= 12:
                return None, f"无法识别的完成时限：{text}（月份 {month} 不存在）"
            return _month_end(plan_year, month), f"未写年份，按计划年度 {plan_year} 年，当月最后一天"
        if m := _D_SERIAL.fullmatch(text):
            # An Excel date cell read as its serial number (days since 1899-12-30).
            when = EXCEL_EPOCH + timedelta(days=int(m[1]))
            if 2000 <= when.year <= 2100:
                return when, "Excel 日期序号已换算"
    except ValueError:
        return None, f"无法识别的完成时限：{text}（日期不存在）"
    return None, f"无法识别的完成时限：{text}"


# --- phones ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phone:
    value: str  # normalised, "" when it could not be read
    note: str  # what was assumed, or why it could not be read ("" when plain)
    ok: bool


def parse_plan_phone(raw, *, area_code: str = DEFAULT_AREA_CODE) -> Phone:
    """A contact number as written in the sheet. A local landline (7–8 digits) gets the city's
    area code; several numbers in one cell keep the first (the note says so)."""
    if isinstance(raw, float) and raw.is_integer():  # a number cell
        raw = int(raw)
    text = clean_text(raw)
    if not text:
        return Phone("", "未填写联系电话", False)
    parts = [p for p in re.split(r"[、,，;；/]|\s{2,}", text) if p.strip()]
    first = parts[0].strip()
    extra = f"；另有号码 {'、'.join(p.strip() for p in parts[1:])} 未导入" if len(parts) > 1 else ""
    try:
        return Phone(parse_phone(first), extra.lstrip("；"), True)
    except PhoneError as exc:
        if exc.code == "phone_area_code":
            digits = re.sub(r"\D", "", first)
            try:
                value = parse_phone(area_code + digits)
            except PhoneError:
                pass
            else:
                return Phone(value, f"本地号码，补充区号 {area_code}" + extra, True)
        return Phone("", exc.message, False)


# --- areas ----------------------------------------------------------------------------------------

_AREA = re.compile(r"(\d+(?:\.\d+)?)\s*(?:平方米|平方|平米|平|m2|m²|M2|米2|㎡)(?![a-zA-Z])")


def parse_area(raw) -> tuple[Decimal | None, str]:
    """The floor area (m²) written in a cell such as the remarks: ``300平``, ``300平方米``, ``300㎡``.
    Several areas in one cell are not added up: the cell is reported instead."""
    text = clean_text(raw)  # NFKC turns ㎡ into "m2"
    if not text:
        return None, ""
    found = _AREA.findall(text)
    if not found:
        return None, ""
    if len(set(found)) > 1:
        return None, f"备注中有多个面积（{'、'.join(found)}），请人工确认"
    try:
        value = Decimal(found[0])
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        return None, f"无法识别的面积：{text}"
    if value <= 0 or value > 1_000_000:
        return None, f"面积 {found[0]} 平方米不合理"
    return value, f"面积取自备注“{text}”"


def parse_count(raw) -> tuple[int | None, str]:
    """A small whole number written with or without a unit: ``5个``, ``10``, ``6 个社区``."""
    text = clean_text(raw).replace(" ", "")
    if not text:
        return None, ""
    if m := re.fullmatch(r"(\d+)(?:\.0+)?(?:个|个社区|个村|张)?", text):
        return int(m[1]), ""
    return None, f"无法识别的数量：{text}"


# --- counties -------------------------------------------------------------------------------------

_COUNTY_SUFFIXES = ("旗", "县", "区", "市")


def county_aliases(name: str) -> set[str]:
    """Short forms people write: 科尔沁左翼中旗 → 科左中旗, 通辽经济技术开发区 → 开发区/经济技术开发区."""
    aliases = {name}
    if "左翼" in name or "右翼" in name:
        aliases.add(name.replace("科尔沁左翼", "科左").replace("科尔沁右翼", "科右"))
        aliases.add(name.replace("左翼", "左").replace("右翼", "右"))
    if name.endswith("经济技术开发区"):
        aliases.update({"经济技术开发区", "开发区", name.replace("经济技术开发区", "开发区")})
    return aliases


def match_county(text: str, names: list[str]) -> tuple[str | None, str]:
    """Which of ``names`` (the counties of the city) a county cell means, and a note when it was
    not written out in full. Tried in order: exact, a known short form, the same characters in
    another order (a PDF's vertical cell read sideways: 旗后左科 = 科左后旗)."""
    cell = clean_text(text).replace(" ", "")
    if not cell:
        return None, ""
    if cell in names:
        return cell, ""
    for name in names:
        if cell in county_aliases(name):
            return name, f"“{cell}”按简称识别为{name}"
    for name in names:
        for alias in county_aliases(name):
            if len(alias) == len(cell) and Counter(alias) == Counter(cell):
                return name, f"“{cell}”字序颠倒，识别为{name}"
    return None, f"无法识别的旗县（市、区）：{cell}"


def split_leading_county(text: str, names: list[str]) -> tuple[str | None, str]:
    """``库伦旗 山水人家居家社区养老服务站`` (a county written into the name cell, or a name into
    the county cell) → (库伦旗, 山水人家居家社区养老服务站); (None, text) when it does not start so."""
    raw = unicodedata.normalize("NFKC", str(text or "")).strip()
    for name in names:
        for alias in sorted(county_aliases(name), key=len, reverse=True):
            if raw.startswith(alias) and len(raw) > len(alias) and raw[len(alias)].isspace():
                return name, clean_text(raw[len(alias) :])
    return None, clean_text(raw)


def carry_down(values: list[str]) -> list[tuple[str, bool]]:
    """A merged (or blank-below) column filled in: each value, and whether it was carried from
    a row above."""
    out, last = [], ""
    for value in values:
        text = clean_text(value)
        if text:
            last = text
            out.append((text, False))
        else:
            out.append((last, bool(last)))
    return out
