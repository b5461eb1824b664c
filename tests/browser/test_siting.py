"""Siting in the browser: an officer asks where to put new meal-delivery points, the answer appears on
the map (numbered sites with their circles) and in the table, and the coverage map draws too."""

from playwright.sync_api import expect

from tests.browser.conftest import login


def test_officer_runs_a_siting_question_and_sees_the_sites_on_the_map(server, page, shot):
    login(page, server, "kailu")
    page.goto(server + "/planning/coverage/?service=meal.delivery")
    page.wait_for_selector("#coverage-map[data-state=ready]", timeout=20_000)
    assert int(page.get_attribute("#coverage-map", "data-site-count")) > 0
    assert int(page.get_attribute("#coverage-map", "data-hex-count")) > 0
    expect(page.locator("#coverage-map path.service-circle").first).to_be_visible()
    expect(page.locator("#subregion-table tbody tr").first).to_be_visible()
    shot(page, "planning-coverage")

    page.goto(server + "/planning/siting/")
    page.select_option("#id_question", "max_cover")
    page.fill("#id_p", "3")
    page.select_option("#id_service", "meal.delivery")
    page.click("#siting-submit")
    page.wait_for_url("**/planning/siting/runs/*/", timeout=60_000)
    page.wait_for_selector("#siting-map[data-state=ready]", timeout=20_000)

    rows = page.locator("#result-table tbody tr")
    assert rows.count() == 3
    assert page.get_attribute("#siting-map", "data-site-count") == "3"
    markers = page.locator("#siting-map .proposed-site")
    expect(markers).to_have_count(3)
    for i in range(3):
        expect(markers.nth(i)).to_be_visible()
    assert sorted(markers.all_inner_texts()) == ["1", "2", "3"]
    expect(page.locator("#siting-map path.proposed-circle")).to_have_count(3)
    expect(page.locator("#run-gap")).not_to_be_empty()
    shot(page, "planning-siting-run")
