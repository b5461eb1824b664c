"""The facility map: county outlines as the base (no internet tiles), coloured markers, clusters, a
legend, popups linking to the facility, and the filter form narrowing it to one county."""

from urllib.parse import urlparse

from playwright.sync_api import expect

from tests.browser.conftest import login, pick

LOCAL_HOSTS = ("127.0.0.1", "localhost")
# 通辽市 has 9 counties; 通辽经济技术开发区 (150571) has no outline in the map data.
TONGLIAO_OUTLINES = 8

# The centre of a marker or cluster the user could click: inside the map, off the legend and the
# controls, and not covered by anything else (elementFromPoint hits it).
CLICKABLE = """(selector) => {
  const map = document.getElementById("facility-map").getBoundingClientRect();
  const legend = document.querySelector(".map-legend");
  const avoid = legend ? legend.getBoundingClientRect() : null;
  for (const element of document.querySelectorAll(selector)) {
    const r = element.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (r.width === 0 || x < map.left + 60 || x > map.right - 20 || y < map.top + 20 || y > map.bottom - 40) continue;
    if (avoid && x > avoid.left - 10 && y < avoid.bottom + 10) continue;
    const hit = document.elementFromPoint(x, y);
    if (hit === element || element.contains(hit)) return [x, y];
  }
  return null;
}"""


def _map_ready(page):
    page.wait_for_selector("#facility-map[data-state=ready]", timeout=20_000)
    page.wait_for_selector("#facility-map .facility-cluster, #facility-map path.facility-marker")


def _settled(page):
    """Wait until Leaflet has finished zooming and the clusters their animation."""
    page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim, .leaflet-cluster-anim')")
    page.wait_for_timeout(150)


def _legend_total(page) -> int:
    return int(page.locator(".map-legend").get_attribute("data-total"))


def _open_a_marker_popup(page):
    """Click clusters (each zooms in) until a single marker can be clicked, then click it."""
    for _ in range(12):
        point = page.evaluate(CLICKABLE, "path.facility-marker")
        if point is not None:
            page.mouse.click(*point)
            expect(page.locator(".leaflet-popup-content")).to_be_visible()
            # Leaflet fades a popup in: wait for it to be opaque (for the screenshot).
            page.wait_for_function(
                "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
            )
            return
        cluster = page.evaluate(CLICKABLE, ".facility-cluster")
        assert cluster is not None, "neither a marker nor a cluster can be clicked"
        page.mouse.click(*cluster)
        _settled(page)
    raise AssertionError("no single marker reachable after zooming into clusters")


def test_facility_map_outlines_markers_and_county_filter(server, page, shot):
    foreign = []

    def note(request):
        if request.url.startswith("http") and urlparse(request.url).hostname not in LOCAL_HOSTS:
            foreign.append(request.url)

    page.on("request", note)
    login(page, server, "tongliao")
    page.goto(server + "/facilities/map/")
    _map_ready(page)

    # The base layer: 通辽市's county outlines, each named; no tile layer at all.
    expect(page.locator("path.county-outline")).to_have_count(TONGLIAO_OUTLINES)
    expect(page.locator(".county-label")).to_have_count(TONGLIAO_OUTLINES)
    expect(page.locator(".county-label", has_text="开鲁县")).to_have_count(1)
    expect(page.locator(".leaflet-tile")).to_have_count(0)

    # The legend: every type in Chinese, with counts that add up to the total on the map.
    legend = page.locator(".map-legend")
    expect(legend).to_contain_text("县级养老服务中心")
    expect(legend).to_contain_text("老年食堂/助餐点")
    expect(legend.locator(".map-legend-item")).to_have_count(9)
    city_total = _legend_total(page)
    counts = legend.locator(".map-legend-item").evaluate_all(
        "items => items.map(i => Number(i.dataset.count))"
    )
    assert sum(counts) == city_total > 1000
    expect(page.locator("#facility-map-status")).to_have_text(f"地图上显示 {city_total} 个设施。")
    expect(page.locator("#facility-map-error")).to_be_hidden()

    # Narrow to 开鲁县 with the filter form's region picker.
    pick(page, "county", "开鲁县")
    page.click("form.map-filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    _map_ready(page)
    assert page.locator("input[type=hidden][name=region]").input_value() == "150523000000"

    expect(page.locator("path.county-outline")).to_have_count(1)
    expect(page.locator(".county-label")).to_have_text(["开鲁县"])
    county_total = _legend_total(page)
    assert 0 < county_total < city_total
    api = page.request.get(server + "/api/v1/facilities/map?region=150523")
    assert api.ok and api.json()["count"] == county_total
    expect(page.locator("#facility-map-status")).to_have_text(f"地图上显示 {county_total} 个设施。")
    shot(page, "facility-map-kailu")

    # A marker's popup: its name (a link), type and status in Chinese.
    _open_a_marker_popup(page)
    popup = page.locator(".leaflet-popup-content")
    expect(popup.locator(".facility-popup-type")).to_contain_text("类型：")
    expect(popup.locator(".facility-popup-status")).to_contain_text("状态：")
    link = popup.locator("a.facility-popup-name")
    name = link.inner_text()
    href = link.get_attribute("href")
    assert href.startswith("/facilities/") and name
    facility_id = int(href.strip("/").split("/")[-1])
    assert facility_id in {point[0] for point in api.json()["points"]}
    shot(page, "facility-map-kailu-popup")

    # …and the link leads to that facility, which lies in 开鲁县.
    link.click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.locator(".facts")).to_contain_text("开鲁县")
    assert foreign == [], f"the map must work offline, but it asked for {foreign}"


def test_county_officer_sees_its_own_county_outline(server, page):
    login(page, server, "kailu")
    page.goto(server + "/facilities/map/")
    _map_ready(page)
    expect(page.locator("path.county-outline")).to_have_count(1)
    expect(page.locator(".county-label")).to_have_text(["开鲁县"])
    api = page.request.get(server + "/api/v1/facilities/map")
    assert api.ok and _legend_total(page) == api.json()["count"] > 0
