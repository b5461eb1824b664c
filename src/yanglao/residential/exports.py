"""A canteen's monthly meal statement as xlsx (names only; no ID numbers or phones)."""

from io import BytesIO

from openpyxl import Workbook

from yanglao.care.validation import format_fen
from yanglao.core.sheets import xlsx_response
from yanglao.residential.selectors import Statement


def _yuan(fen) -> str:
    return format_fen(fen or 0).replace(",", "")


def statement_workbook(s: Statement) -> Workbook:
    book = Workbook()
    sheet = book.active
    sheet.title = "按老年人"
    sheet.append([f"{s.facility.name} 助餐月结算 {s.first:%Y-%m}"])
    sheet.append(["老年人", "订单数", "份数", "金额（元）", "助餐补贴（元）", "自付（元）"])
    for row in s.elders:
        sheet.append([row["elder__name"], row["orders"], row["portions"], _yuan(row["amount"]),
                      _yuan(row["subsidy"]), _yuan(row["self_paid"])])  # fmt: skip
    t = s.totals
    sheet.append(
        ["合计", t["orders"], t["portions"], _yuan(t["amount"]), _yuan(t["subsidy"]), _yuan(t["self_paid"])]
    )
    days = book.create_sheet("按日")
    days.append(["日期", "份数", "堂食", "送餐", "金额（元）", "助餐补贴（元）", "自付（元）"])
    for row in s.days:
        days.append([row["date"].isoformat(), row["portions"], row["dine_in"] or 0, row["delivery"] or 0,
                     _yuan(row["amount"]), _yuan(row["subsidy"]), _yuan(row["self_paid"])])  # fmt: skip
    return book


def statement_response(s: Statement):
    buffer = BytesIO()
    statement_workbook(s).save(buffer)
    return xlsx_response(buffer.getvalue(), f"助餐月结算-{s.facility.name}-{s.first:%Y-%m}.xlsx")
