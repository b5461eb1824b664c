"""The catalogue, caregivers and coverage pages in a real browser, on the demo data."""

from playwright.sync_api import expect

from tests.browser.conftest import login, pick


def test_officer_reads_the_catalogue_and_finds_expired_certificates(server, page, shot):
    login(page, server, "kailu")
    page.click("nav.sidebar >> text=服务目录")
    expect(page.locator("h1")).to_contain_text("服务目录")
    expect(page.locator("main h2")).to_have_count(8 + 1)  # 8 categories and the 个性服务 form
    expect(page.locator("main")).to_contain_text("01.03 居家照护")
    shot(page, "care-catalogue")

    page.click("nav.sidebar >> text=护理员")
    page.select_option("select[name=certificate]", "expired")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("table tbody tr")).to_have_count(2)
    expect(page.locator("table tbody")).to_contain_text("已过期")
    expect(page.locator("main")).not_to_contain_text("科尔沁")

    page.click("nav.sidebar >> text=服务覆盖")
    pick(page, "township", "开鲁镇")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(page.locator("table tbody")).to_contain_text("/20")
    shot(page, "care-coverage")


def test_provider_staff_see_their_own_caregivers_only(server, page):
    login(page, server, "fws-150523")
    page.goto(server + "/care/caregivers/")
    providers = page.locator("select[name=provider] option").all_inner_texts()
    assert len(providers) == 2  # 全部 and its own
    rows = page.locator("table tbody tr td[data-label=服务商]").all_inner_texts()
    assert rows and len(set(rows)) == 1 and rows[0] == providers[1]
