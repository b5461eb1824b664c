"""The city imports 附件2 as printed, reads the row-by-row report, a county reports last month's
progress, and the city's monthly view and targets page show it."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.conftest import login

FIXTURE = Path(__file__).resolve().parents[1] / "planning" / "fixtures" / "plan_attachment2.xlsx"


def test_import_report_progress_and_targets(server, browser, shot):
    city = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
    login(city, server, "tongliao")
    city.goto(server + "/planning/plans/import/")
    city.select_option("#id_kind", "community_station")
    city.set_input_files("input[type=file][name=file]", str(FIXTURE))
    city.click("main form[enctype='multipart/form-data'] button[type=submit]")
    expect(city.locator("h1")).to_contain_text("导入报告")
    # Every row is on the report: 19 imported, the repeated header skipped, none refused.
    expect(city.locator(".figure", has_text="总行数")).to_contain_text("20")
    expect(city.locator(".figure", has_text="新增")).to_contain_text("19")
    expect(city.locator("tbody tr", has_text="重复的表头行")).to_have_count(1)
    expect(city.locator("tbody tr", has_text="山水人家")).to_contain_text("库伦旗")
    shot(city, "plans-import-report")

    kailu = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
    login(kailu, server, "kailu")
    kailu.goto(server + "/planning/plans/?q=白塔社区")
    kailu.click("table a:has-text('开鲁镇白塔社区')")
    kailu.click("text=填报月度进度")
    kailu.select_option("#id_status", "construction")
    kailu.fill("#id_percent", "0")
    kailu.click("main form button[type=submit]")
    expect(kailu.locator(".error")).to_contain_text("“在建”的完成比例应在 1%–99% 之间。")
    kailu.fill("#id_percent", "60")
    kailu.fill("#id_problems", "外墙保温未完成")
    kailu.click("main form button[type=submit]")
    expect(kailu.locator("table", has_text="外墙保温未完成")).to_contain_text("60%")

    city.goto(server + "/planning/plans/progress/")
    counties = city.locator("table").first
    # 开鲁县 has five items; one reported (late if today is past the 10th), four missing.
    past_due = datetime.now(ZoneInfo("Asia/Shanghai")).day > 10
    expect(counties.locator("tbody tr", has_text="开鲁县").locator("td")).to_have_text(
        ["开鲁县", "5", "1", "4", "1" if past_due else "0", "未报送（已逾期）" if past_due else "未报齐"]
    )
    expect(counties.locator("tbody tr", has_text="库伦旗")).to_contain_text("未报送")
    shot(city, "plans-monthly")
    city.goto(server + "/planning/targets/")
    expect(city.locator("#target-urban")).to_contain_text("003")
    expect(city.locator("#target-9073")).to_contain_text("暂无数据")
    shot(city, "plans-targets")
