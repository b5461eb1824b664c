"""A caregiver on a phone-sized screen: logs in, sees the day's orders in time order, checks in with
the phone's (mocked) position and checks out with a note; the order then shows 已完成 and the
check-in's distance from the elder's home. Also: a refused location gives a Chinese message and
nothing is recorded."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import login

PHONE = {"width": 390, "height": 844}
KAILU_TOWN = {"latitude": 43.6012, "longitude": 121.3155, "accuracy": 12}


def _phone(browser, **extra):
    return browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, **extra)


def test_check_in_and_out_on_a_phone(server, browser, shot):
    context = _phone(browser, geolocation=KAILU_TOWN, permissions=["geolocation"])
    page = context.new_page()
    login(page, server, "hl-150523-1")
    page.goto(server + "/care/m/")
    expect(page.locator("h1")).to_contain_text("我的工单")
    cards = page.locator("li.m-card[data-order]")
    assert cards.count() >= 2
    times = [t.strip() for t in page.locator("li.m-card[data-order] .m-time").all_inner_texts()]
    assert times == sorted(times), times
    # the page fits the phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "caregiver-today")

    card = page.locator("li.m-card[data-order]").filter(has=page.get_by_role("button", name="签到")).first
    number = card.get_attribute("data-order")
    card.get_by_role("button", name="签到").click()
    page.wait_for_url(re.compile(r"/care/m/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("已签到")
    expect(page.locator(".messages")).to_contain_text("米")
    expect(page.locator("#m-distance")).to_have_text(re.compile(r"^\d+$"))
    distance = page.locator("#m-distance").inner_text()
    order_url = page.url
    shot(page, "caregiver-checked-in")

    page.fill("#id_note", "协助老人洗漱，整理房间")
    page.get_by_role("button", name="签退").click()
    page.wait_for_url(server + "/care/m/")
    expect(page.locator(".messages")).to_contain_text("已签退")
    done = page.locator(f'li.m-card[data-order="{number}"]')
    expect(done.locator(".badge")).to_have_text("已完成")
    shot(page, "caregiver-checked-out")

    # the order's own page: checked out, with the check-in's distance from home
    pk = re.search(r"/care/m/(\d+)/", order_url).group(1)
    page.goto(f"{server}/care/orders/{pk}/")
    expect(page.locator("h1")).to_contain_text(number)
    expect(page.locator("h1 .badge")).to_have_text("已完成")
    expect(page.locator("#visit-distance")).to_have_text(f"{distance} 米")
    expect(page.locator(".timeline")).to_contain_text("签退")
    shot(page, "caregiver-order-done")
    context.close()


def test_without_location_permission_nothing_is_recorded(server, browser):
    context = _phone(browser)  # no geolocation permission granted
    page = context.new_page()
    login(page, server, "hl-150523-1")
    page.goto(server + "/care/m/")
    card = page.locator("li.m-card[data-order]").filter(has=page.get_by_role("button", name="签到")).first
    card.get_by_role("button", name="签到").click()
    expect(card.locator(".geo-status")).to_contain_text("定位", timeout=20000)
    assert page.url.endswith("/care/m/")
    expect(card.locator(".badge")).to_have_text("已派单")
    context.close()
