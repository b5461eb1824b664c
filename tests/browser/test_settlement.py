"""A county officer builds last month's statement for a provider of the demo county, opens the draft,
goes through the confirmation step, sees it confirmed, and downloads the Excel file, whose total row
matches the page."""

import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import login


def test_officer_confirms_a_statement_and_downloads_it(server, page, shot):
    login(page, server, "kailu")
    page.goto(server + "/care/settlements/")
    expect(page.locator("h1")).to_have_text("资金结算")
    last_month = date.today().replace(day=1) - timedelta(days=1)

    # Build the draft: last month (over, its anomalies decided in the demo data), first provider.
    page.click("details#build summary")
    page.select_option("#id_provider", index=1)
    page.fill("#id_month", f"{last_month:%Y-%m}")
    page.click("details#build button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_contain_text("结算单")
    expect(page.locator("h1 .badge")).to_have_text("草稿")
    total = page.locator('[data-figure="1"]').inner_text()
    assert Decimal(total.replace(",", "")) > 0
    expect(page.locator("#lines tbody tr").first).to_be_visible()
    shot(page, "settlement-draft")

    # The confirmation step: refused without the box ticked, then confirmed.
    page.get_by_role("link", name="确认结算单…").click()
    expect(page.locator("h1")).to_contain_text("确认结算单")
    page.get_by_role("button", name="确认结算单").click()
    expect(page.locator(".error")).to_contain_text("请勾选确认已核对结算单。")
    page.check("#id_checked")
    page.get_by_role("button", name="确认结算单").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".msg-success")).to_contain_text("已确认")
    expect(page.locator("h1 .badge")).to_have_text("已确认")
    expect(page.get_by_role("link", name="确认结算单…")).to_have_count(0)
    expect(page.locator(".notice-ok")).to_contain_text("不能修改")
    shot(page, "settlement-confirmed")

    # The Excel file: amounts in yuan, a total row equal to the page's total.
    with page.expect_download() as download:
        page.get_by_test_id("xlsx").click()
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".xlsx")
    rows = list(load_workbook(io.BytesIO(Path(path).read_bytes())).active.iter_rows(values_only=True))
    assert rows[-1][0] == "合计"
    assert Decimal(str(rows[-1][8])).quantize(Decimal("0.01")) == Decimal(total.replace(",", ""))
