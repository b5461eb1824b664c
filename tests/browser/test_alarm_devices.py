"""The device registry in a real browser, on the demo data: register a device, see its secret once."""

from playwright.sync_api import expect

from tests.browser.conftest import login


def test_officer_registers_a_device_and_sees_the_secret_once(server, page, shot):
    login(page, server, "kailu")
    page.click("nav.sidebar >> text=告警设备")
    expect(page.locator("h1")).to_contain_text("告警设备")
    expect(page.locator("table tbody")).to_contain_text("DEMO-SOS-")  # the demo devices
    expect(page.locator("main")).not_to_contain_text("科尔沁")
    shot(page, "alarm-devices")

    page.click("text=登记设备")
    page.fill("#id_serial", "坏编号")
    page.fill("#id_heartbeat_interval_s", "5")
    page.click("main form button[type=submit]")
    expect(page.locator(".field.has-error")).to_have_count(3)  # type, serial, interval — all at once
    expect(page.locator("main")).to_contain_text("请选择设备类型")

    page.select_option("#id_kind", "sos_button")
    page.fill("#id_serial", "KL-BROWSER-0001")
    page.fill("#id_heartbeat_interval_s", "300")
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("设备已登记")
    secret = page.locator("#device-secret").inner_text()
    assert len(secret) == 43
    shot(page, "alarm-device-secret")

    page.click("text=已记下，查看设备")
    expect(page.locator("h1")).to_contain_text("KL-BROWSER-0001")
    expect(page.locator("main")).not_to_contain_text(secret)

    page.click("nav.sidebar >> text=设备错误")
    expect(page.locator("h1")).to_contain_text("设备错误")
