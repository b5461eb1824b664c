"""An assessor fills a capability assessment, watches the level change as items are chosen, submits
it with a second assessor, and a city officer approves it: the elder's page then shows the level."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import htmx_idle, login


def choose(page, code: str, score: int):
    page.check(f'input[name="item_{code}"][value="{score}"]')
    htmx_idle(page)


def test_fill_watch_the_level_submit_and_approve(server, page, browser, shot):
    login(page, server, "kailu")
    page.goto(server + "/assessments/due/?kind=overdue")
    expect(page.locator("h1")).to_contain_text("到期复评名单")
    row = page.locator("tbody tr").first
    elder_name = row.locator("td").first.inner_text().strip()
    row.get_by_role("link", name="开始评估").click()
    expect(page.locator("h1")).to_contain_text("新建能力评估")
    expect(page.locator("#id_reason")).to_have_value("routine")
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_contain_text("能力评估")
    assert "/edit/" in page.url
    number = page.locator("h1 code").inner_text()

    # Full marks on every item but one: no level until all 26 are answered.
    items = page.locator("fieldset.item")
    assert items.count() == 26
    codes = [fs.get_attribute("id").removeprefix("item-") for fs in items.all()]
    for code in codes[:-1]:
        first = page.locator(f'[id="item-{code}"] input[type=radio]').first
        first.check()
    htmx_idle(page)
    expect(page.locator("#final-level-pending")).to_contain_text("还有 1 项未评")
    last = page.locator(f'[id="item-{codes[-1]}"] input[type=radio]').first
    last.check()
    htmx_idle(page)
    expect(page.locator("#score-total")).to_have_text("90")
    expect(page.locator("#final-level")).to_have_text("能力完好")

    # Lower self-care and mobility: the level follows live, without saving.
    for code in ("B.1.1", "B.1.2", "B.1.3", "B.2.4"):
        choose(page, code, 0)
    total = int(page.locator("#score-total").inner_text())
    assert total == 90 - 4 * 3 - 3  # 75: 66–89 is 轻度受损
    expect(page.locator("#final-level")).to_have_text(re.compile("轻度受损"))
    # Two falls in the last 30 days raise it one level (C.4), with the reason shown.
    page.select_option("#risk_0", "2")
    htmx_idle(page)
    expect(page.locator("#final-level")).to_have_text(re.compile("中度受损"))
    expect(page.locator("#score-panel .reasons")).to_contain_text("照护风险事件")
    shot(page, "assessment-live-score")

    # Submitting without a second assessor is refused, and nothing typed is lost.
    page.click("button[value=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".form-errors").first).to_contain_text("第二评估员")
    expect(page.locator('input[name="item_B.1.1"][value="0"]')).to_be_checked()
    expect(page.locator("#risk_0")).to_have_value("2")

    page.fill("#assessor_2", "pg-150523-1")
    page.click("button[value=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".msg-success")).to_contain_text("已提交审核")
    expect(page.locator("h1")).to_contain_text("待审核")
    # The assessor cannot approve its own assessment: no approve button for it.
    expect(page.get_by_role("button", name="审核通过")).to_have_count(0)

    # A city officer approves it.
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    approver = context.new_page()
    login(approver, server, "tongliao")
    approver.goto(server + f"/assessments/?q={number}")
    approver.get_by_role("link", name=number).click()
    approver.get_by_role("button", name="审核通过").click()
    approver.wait_for_load_state("networkidle")
    expect(approver.locator(".msg-success")).to_contain_text("已审核通过")
    expect(approver.locator("h1")).to_contain_text("已审核")
    shot(approver, "assessment-approved")
    approver.get_by_role("link", name=elder_name).first.click()
    approver.wait_for_load_state("networkidle")
    panel = approver.locator("#capability")
    expect(panel).to_contain_text("能力中度受损")
    expect(panel).to_contain_text(number)
    expect(approver.locator(".timeline")).to_contain_text(f"评估 {number}")
    # 中度 makes the person 半失能 in the registry.
    expect(approver.locator(".card").filter(has_text="人员类别").first).to_contain_text("半失能")
    shot(approver, "assessment-elder-page")
    context.close()
