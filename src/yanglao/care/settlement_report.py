"""A statement as a spreadsheet (openpyxl) and as a printable PDF (WeasyPrint, Noto CJK fonts).

Amounts are stored in fen; both documents show yuan with two decimals, converted exactly
(``Decimal(fen) / 100``, never a float). The spreadsheet ends with a total row whose figures are
the statement's totals (the sums of its lines). Personal data: only the elder's name is printed,
never an ID number or a phone.
"""

import io
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from yanglao.care import settlement_selectors as reads
from yanglao.care.models import Anomaly, AnomalyDecision, Settlement
from yanglao.care.validation import format_fen

ZONE = ZoneInfo("Asia/Shanghai")
YUAN_FORMAT = "#,##0.00"
HEADER_FILL = PatternFill("solid", fgColor="F3E3DC")
TOTAL_FILL = PatternFill("solid", fgColor="EFEFEF")
THIN = Side(style="thin", color="999999")
PDF_TEMPLATE = "care/settlement/statement_pdf.html"


class PdfUnavailable(Exception):
    """WeasyPrint or pango cannot be loaded on this machine."""


def yuan(fen: int | None) -> Decimal:
    return (Decimal(int(fen or 0)) / 100).quantize(Decimal("0.01"))


def anomaly_text(codes) -> str:
    labels = dict(Anomaly.choices)
    return "、".join(labels.get(code, code) for code in codes or [])


def filename(settlement: Settlement, ext: str) -> str:
    return f"结算单-{settlement.number}-{settlement.provider.name}-{settlement.month:%Y%m}.{ext}"


COLUMNS = [
    ("序号", 6),
    ("工单编号", 20),
    ("服务日期", 12),
    ("老年人", 10),
    ("区划代码", 14),
    ("服务产品", 18),
    ("数量", 6),
    ("单价（元）", 11),
    ("金额（元）", 12),
    ("政府购买（元）", 13),
    ("补贴（元）", 11),
    ("自付（元）", 11),
    ("异常处理", 20),
]


def build_xlsx(settlement: Settlement) -> bytes:
    """The statement as .xlsx: a heading block, one row per line, and the total row."""
    book = Workbook()
    sheet = book.active
    sheet.title = "结算明细"
    state = settlement.get_state_display()
    sheet.append([f"{settlement.county.name} 居家社区养老服务资金结算单"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"结算单号：{settlement.number}", "", "", f"服务商：{settlement.provider.name}"])
    sheet.append(
        [f"结算月份：{settlement.month:%Y年%m月}", "", "", f"状态：{state}"]
        + (
            [
                "",
                "",
                f"确认：{settlement.confirmed_by.display_name if settlement.confirmed_by_id else ''} "
                f"{timezone.localtime(settlement.confirmed_at, ZONE):%Y-%m-%d %H:%M}",
            ]
            if settlement.confirmed_at
            else []
        )
    )
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append([name for name, _ in COLUMNS])
    for index, (_, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=header_row, column=index)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
        sheet.column_dimensions[get_column_letter(index)].width = width
    lines = reads.settlement_lines(settlement=settlement).iterator(chunk_size=2000)
    for number, line in enumerate(lines, start=1):
        excluded = line.anomaly_decision == AnomalyDecision.NO_PAY
        decision = ""
        if excluded:
            decision = f"不予结算：{line.order.anomaly_reason or anomaly_text(line.order.anomalies)}"
        elif line.anomaly_decision == AnomalyDecision.PAY:
            decision = "异常已核实，予以结算"
        sheet.append(
            [
                number,
                line.order.number,
                line.service_date,
                line.order.elder.name,
                line.order.region_code,
                line.product.name,
                line.quantity,
                yuan(line.unit_price_fen),
                yuan(line.amount_fen),
                yuan(line.government_fen),
                yuan(line.subsidy_fen),
                yuan(line.self_fen),
                decision,
            ]
        )
        row = sheet.max_row
        sheet.cell(row=row, column=3).number_format = "yyyy-mm-dd"
        sheet.cell(row=row, column=5).number_format = "@"
        for column in range(8, 13):
            sheet.cell(row=row, column=column).number_format = YUAN_FORMAT
    sheet.append(
        [
            "合计",
            f"{settlement.order_count} 单",
            "",
            "",
            "",
            "",
            "",
            "",
            yuan(settlement.total_fen),
            yuan(settlement.government_fen),
            yuan(settlement.subsidy_fen),
            yuan(settlement.self_fen),
            "",
        ]
    )
    total_row = sheet.max_row
    for column in range(1, len(COLUMNS) + 1):
        cell = sheet.cell(row=total_row, column=column)
        cell.font = Font(bold=True)
        cell.fill = TOTAL_FILL
        cell.border = Border(top=THIN, bottom=THIN)
        if 9 <= column <= 12:
            cell.number_format = YUAN_FORMAT
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def pdf_context(settlement: Settlement) -> dict:
    lines = list(reads.settlement_lines(settlement=settlement))
    return {
        "s": settlement,
        "lines": [
            {
                "line": line,
                "unit": format_fen(line.unit_price_fen),
                "amount": format_fen(line.amount_fen),
                "government": format_fen(line.government_fen),
                "subsidy": format_fen(line.subsidy_fen),
                "self": format_fen(line.self_fen),
                "excluded": line.anomaly_decision == AnomalyDecision.NO_PAY,
                "reason": line.order.anomaly_reason or anomaly_text(line.order.anomalies),
            }
            for line in lines
        ],
        "products": [
            {**row, **{k: format_fen(row[k]) for k in ("amount", "government", "subsidy", "self_paid")}}
            for row in reads.lines_by_product(settlement=settlement)
        ],
        "totals": {
            "total": format_fen(settlement.total_fen),
            "government": format_fen(settlement.government_fen),
            "subsidy": format_fen(settlement.subsidy_fen),
            "self": format_fen(settlement.self_fen),
        },
        "confirmed_at": (
            f"{timezone.localtime(settlement.confirmed_at, ZONE):%Y-%m-%d %H:%M}"
            if settlement.confirmed_at
            else ""
        ),
        "printed_at": f"{timezone.localtime(timezone.now(), ZONE):%Y-%m-%d %H:%M}",
    }


def render_pdf(settlement: Settlement) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: cffi could not load libpango / libgobject
        raise PdfUnavailable(
            "本服务器暂不能生成 PDF：缺少 WeasyPrint 或其依赖的系统库（pango），请联系系统管理员安装。"
        ) from exc
    html = render_to_string(PDF_TEMPLATE, pdf_context(settlement))
    return HTML(string=html, base_url=None).write_pdf()
