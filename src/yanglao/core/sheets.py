"""Spreadsheets in and out: import templates, reading .xlsx/.csv rows, error reports, streaming exports.

Domain-free: a domain describes its columns (``Column``) and gets back raw cell values per row; it
parses and validates them itself. Everything that reaches the user is in Chinese.
"""

import csv
import io
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineError, CalamineWorkbook, XmlError, ZipError

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 30 * 1024 * 1024
ERROR_HEADER = "错误说明"
ROW_HEADER = "原行号"
# Columns an error report adds: re-importing the fixed report must not trip over them.
REPORT_HEADERS = {ERROR_HEADER, ROW_HEADER}
HEADER_FILL = PatternFill("solid", fgColor="F3E3DC")
REQUIRED_FILL = PatternFill("solid", fgColor="E9B8A6")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()
    width: int = 14
    example: str = ""
    aliases: tuple[str, ...] = ()


class SheetError(Exception):
    """The file as a whole cannot be read (wrong type, wrong headers, empty)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class RowProblem:
    row: int
    column: str
    value: str
    message: str


@dataclass
class SheetRows:
    columns: list[Column]
    rows: Iterator[tuple[int, dict[str, str]]]
    total: int
    extra: list[str] = field(default_factory=list)


# --- templates ----------------------------------------------------------------------------------


def build_template(
    *, title: str, columns: list[Column], instructions: list[str], examples: list[dict[str, str]] = ()
) -> bytes:
    """An .xlsx with the data sheet (headers, required ones marked *), an instructions sheet and
    dropdowns for coded columns (their options on a hidden sheet, so long lists work too)."""
    book = Workbook()
    data = book.active
    data.title = title[:31]
    options = book.create_sheet("选项")
    notes = book.create_sheet("填写说明")
    for index, column in enumerate(columns, start=1):
        cell = data.cell(row=1, column=index, value=column.header + ("*" if column.required else ""))
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        data.column_dimensions[get_column_letter(index)].width = column.width
        if column.choices:
            letter = get_column_letter(index)
            options.cell(row=1, column=index, value=column.header)
            for offset, choice in enumerate(column.choices, start=2):
                options.cell(row=offset, column=index, value=choice)
            rule = DataValidation(
                type="list",
                formula1=f"'选项'!${letter}$2:${letter}${len(column.choices) + 1}",
                allow_blank=not column.required,
                showErrorMessage=True,
                errorTitle="无效的值",
                error=f"请从下拉列表中选择{column.header}",
            )
            rule.add(f"{letter}2:{letter}200000")
            data.add_data_validation(rule)
        # Text columns stay text in Excel: an ID number must not become 1.50523E+17.
        if column.key in (
            "id_number",
            "phone",
            "phone_alt",
            "contact_phone",
            "region",
        ) or column.key.endswith("_code"):
            for row in range(2, 1002):
                data.cell(row=row, column=index).number_format = "@"
    for row_index, example in enumerate(examples, start=2):
        for index, column in enumerate(columns, start=1):
            data.cell(row=row_index, column=index, value=example.get(column.key, ""))
    data.freeze_panes = "A2"
    options.sheet_state = "hidden"
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 90
    notes.append(["填写说明"])
    notes["A1"].font = Font(bold=True, size=13)
    for line in instructions:
        notes.append(["", line])
    notes.append([])
    notes.append(["列", "说明"])
    for column in columns:
        notes.append([column.header + ("（必填）" if column.required else ""), column.help])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- reading ------------------------------------------------------------------------------------


def _cell_text(value) -> str:
    if type(value) is str:  # the common case, first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _match_headers(raw_headers: list[str], columns: list[Column]) -> tuple[list[Column | None], list[str]]:
    by_name = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            by_name[name] = column
    mapped, unknown = [], []
    for header in raw_headers:
        name = header.strip().rstrip("*＊").strip()
        column = by_name.get(name)
        if column is None and name and name not in REPORT_HEADERS:
            unknown.append(name)
        mapped.append(column)
    present = {c.key for c in mapped if c is not None}
    missing = [c.header for c in columns if c.required and c.key not in present]
    seen = Counter(c.key for c in mapped if c is not None)
    duplicated = [c.header for c in columns if seen[c.key] > 1]
    problems = []
    if missing:
        problems.append(f"缺少必填列：{'、'.join(missing)}")
    if unknown:
        problems.append(f"无法识别的列：{'、'.join(unknown)}")
    if duplicated:
        problems.append(f"列重复：{'、'.join(duplicated)}")
    if problems:
        raise SheetError("wrong_header", "表头与模板不符：" + "；".join(problems) + "。请使用下载的模板。")
    return mapped, unknown


def _decode_csv(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError("bad_encoding", "CSV 文件既不是 UTF-8 也不是 GBK 编码。")


def read_sheet(path: Path, columns: list[Column]) -> SheetRows:
    """Open an uploaded .xlsx or .csv and map its header to ``columns``. Rows are yielded lazily as
    (spreadsheet row number, {key: text}); blank rows are skipped."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise SheetError("empty_file", "文件是空的。")
    if size > MAX_UPLOAD_BYTES:
        raise SheetError("file_too_large", f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB，请分批导入。")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, columns)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise SheetError("old_excel", "不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再导入。")
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise SheetError("not_a_spreadsheet", "文件不是 Excel（.xlsx）或 CSV 文件。")
    return _read_csv(_decode_csv(raw), columns)


def _read_xlsx(path: Path, columns: list[Column]) -> SheetRows:
    # calamine (Rust) reads cells about ten times faster than openpyxl: a 100,000-row registry
    # is seconds, not a minute.
    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_index(0)
    except (CalamineError, ZipError, XmlError, ValueError, IndexError):
        raise SheetError("not_a_spreadsheet", "文件不是有效的 Excel（.xlsx）文件。") from None
    rows = iter(sheet.iter_rows())
    try:
        header = next(rows)
    except StopIteration:
        raise SheetError("empty_file", "文件中没有表头和数据。") from None
    mapped, unknown = _match_headers([_cell_text(h) for h in header], columns)
    total = max((sheet.height or 1) - 1, 0)

    def generate():
        for number, values in enumerate(rows, start=2):
            record = {}
            for column, value in zip(mapped, values, strict=False):
                if column is not None:
                    record[column.key] = _cell_text(value)
            if any(record.values()):
                yield number, record

    return SheetRows(columns=columns, rows=generate(), total=total, extra=unknown)


def _read_csv(text: str, columns: list[Column]) -> SheetRows:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise SheetError("empty_file", "文件中没有表头和数据。") from None
    mapped, unknown = _match_headers(header, columns)
    total = max(text.count("\n") - 1, 0)

    def generate():
        for number, values in enumerate(reader, start=2):
            record = {c.key: (v or "").strip() for c, v in zip(mapped, values, strict=False) if c is not None}
            if any(record.values()):
                yield number, record

    return SheetRows(columns=columns, rows=generate(), total=total, extra=unknown)


# --- writing ------------------------------------------------------------------------------------


def write_error_report(
    path: Path, columns: list[Column], failed: Iterable[tuple[int, dict[str, str], list[str]]]
) -> None:
    """The failed rows as they were, plus their row number in the original file and what is wrong:
    fix them there and import this file again (the two added columns are ignored on import)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("未导入的行")
    sheet.append([c.header + ("*" if c.required else "") for c in columns] + [ROW_HEADER, ERROR_HEADER])
    for row, record, messages in failed:
        sheet.append([record.get(c.key, "") for c in columns] + [row, "；".join(messages)])
    book.save(path)


class XlsxStream:
    """Rows appended one at a time to a write-only workbook on disk: memory stays flat for any size."""

    def __init__(self, sheet_title: str, header: list[str]):
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(sheet_title[:31])
        self.sheet.append(header)
        self.rows = 0

    def append(self, values: list) -> None:
        self.sheet.append(values)
        self.rows += 1

    def response(self, filename: str) -> FileResponse:
        handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
        self.book.save(handle)
        handle.seek(0)
        response = FileResponse(handle, content_type=XLSX_MIME)
        response["Content-Disposition"] = content_disposition(filename)
        return response


def content_disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "ignore").decode() or "export.xlsx"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_MIME)
    response["Content-Disposition"] = content_disposition(filename)
    return response
