from playwright.sync_api import expect

from tests.browser.conftest import login, pick


def test_login_pick_a_region_and_see_the_home_page(server, page, shot):
    login(page, server, "tongliao")
    expect(page.locator("h1")).to_contain_text("通辽市")
    expect(page.locator(".figure").first).to_contain_text("旗县市区")
    shot(page, "home-tongliao")

    # The user list's region filter: county, then township, each loaded when the one above is chosen.
    page.goto(server + "/accounts/users/")
    pick(page, "county", "开鲁县")
    expect(page.locator("select[data-level=township]")).to_be_visible()
    pick(page, "township", "开鲁镇")
    expect(page.locator("select[data-level=village]")).to_be_visible()
    assert page.locator("input[type=hidden][name=region]").input_value() == "150523100000"
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("table")).to_contain_text("kailu-zhen")
    expect(page.locator("table")).not_to_contain_text("horqin")
    shot(page, "users-filtered-by-picker")


def test_county_officer_sees_only_its_county(server, page, shot):
    login(page, server, "kailu")
    expect(page.locator("h1")).to_contain_text("开鲁县")
    expect(page.locator("main")).not_to_contain_text("科尔沁")
    page.goto(server + "/accounts/users/new/")
    options = page.locator("select[data-level=township] option").all_inner_texts()
    assert "开鲁镇" in options and not any("科尔沁" in o for o in options)


def test_wrong_password_is_explained_in_chinese(server, page):
    login(page, server, "auditor", "not-the-password-1A")
    expect(page.locator(".form-errors")).to_contain_text("用户名或密码错误")


def test_phone_layout_has_a_menu_and_readable_tables(server, browser, shot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    login(page, server, "horqin")
    expect(page.locator(".sidebar")).to_be_hidden()
    page.click(".menu-toggle summary")
    expect(page.locator(".nav-mobile")).to_contain_text("用户管理")
    page.goto(server + "/accounts/users/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "users-phone")
    context.close()
