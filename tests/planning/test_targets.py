"""The targets page on constructed data: each target's value, status and drill-down."""

from datetime import date

import pytest

from tests.conftest import make_elder, make_facility
from yanglao.planning import targets
from yanglao.planning.models import PlanItem

# 开鲁县 (150523): 10 residents' committees (village codes 001–199), 217 villages (200–399), ten towns
# (100–109) and three farms (400+). 科尔沁区 (150502): eleven streets (001–011).


def test_region_kinds_from_the_code():
    assert targets.village_kind("150523100002") == "urban"
    assert targets.village_kind("150523100247") == "rural"
    assert targets.village_kind("150523107500") == "other"
    assert targets.township_kind("150502001000") == "street"
    assert targets.township_kind("150523106000") == "township"
    assert targets.township_kind("150523400000") == "other"


@pytest.fixture
def kailu_world(kailu_officer):
    make_facility("150523100002", name="城北社区站", type="station", actor=kailu_officer)
    make_facility("150523100247", name="振兴村幸福院", type="mutual_aid", actor=kailu_officer)
    make_facility("150523100", name="开鲁县养老院", type="institution_public", actor=kailu_officer,
                  beds_total="100", beds_nursing="50", residents="30")  # fmt: skip
    make_facility("150523106201", name="明升村规划站", type="station", status="planned", actor=kailu_officer)
    for n in range(4):
        make_elder("150523100001", name=f"开鲁老人{n}", actor=kailu_officer)
    make_elder("150523101203", name="大榆树老人", actor=kailu_officer)
    PlanItem.objects.create(region_id="150523000000", kind="community_station", name="白塔站",
                            site_region_id="150523100007", deadline=date(2026, 12, 31))  # fmt: skip
    PlanItem.objects.create(region_id="150523000000", kind="community_station", name="工农站（明年）",
                            site_region_id="150523100004", deadline=date(2027, 6, 30))  # fmt: skip


def _by_key(board):
    return {t.key: t for t in board.targets}


def test_coverage_targets(kailu_world, kailu_officer):
    board = targets.targets_for(actor=kailu_officer, year=2026)
    t = _by_key(board)
    assert board.region.code == "150523000000" and board.elders == 5
    urban = t["urban"]
    assert urban.value == pytest.approx(1 / 10) and urban.status == "missed"
    assert "1/10" in urban.value_text and "2/10" in urban.planned_text  # 白塔 due 2026; 工农 not until 2027
    assert urban.missing_total == 9
    assert {m["name"].split("/")[-1] for m in urban.missing if m["detail"] == "已列入建设计划"} == {
        "白塔社区"
    }
    assert "城北社区居委会" not in {m["name"].split("/")[-1] for m in urban.missing}
    # 开鲁镇 has the station and the mutual-aid home; the planned facility in 小街基镇 does not count.
    township = t["township"]
    assert township.value == pytest.approx(1 / 10) and township.missing_total == 9
    assert "小街基镇" in {m["name"].split("/")[-1] for m in township.missing}
    rural = t["rural"]
    assert rural.value == pytest.approx(1 / 217) and rural.status == "missed" and rural.target_text == "≥ 60%"
    assert len(rural.missing) == targets.DRILL_LIMIT and rural.missing_total == 216
    assert t["street"].status == "nodata"  # 开鲁县 has no streets
    assert next_year_counts(kailu_officer)


def next_year_counts(actor) -> bool:
    urban = _by_key(targets.targets_for(actor=actor, year=2027))["urban"]
    return "3/10" in urban.planned_text


def test_beds_nursing_and_9073(kailu_world, kailu_officer):
    t = _by_key(targets.targets_for(actor=kailu_officer, year=2026))
    beds = t["beds"]
    assert beds.value == pytest.approx(100 / 5 * 1000) and beds.status == "met"
    nursing = t["nursing"]
    assert nursing.value == pytest.approx(0.5) and nursing.status == "missed"
    assert [m["name"] for m in nursing.missing] == ["开鲁镇"]  # the child region below 55%
    share = t["9073"]
    assert share.status == "nodata" and share.value == pytest.approx(30 / 5)
    assert "暂无数据" in share.value_text


def test_beds_per_thousand_drill_down(kailu_officer):
    make_facility("150523100", name="小养老院", type="institution_private", actor=kailu_officer, beds_total="0",
                  beds_nursing="0")  # fmt: skip
    make_elder("150523101203", name="大榆树老人", actor=kailu_officer)
    t = _by_key(targets.targets_for(actor=kailu_officer))
    assert t["beds"].value == 0 and t["beds"].status == "missed"
    assert [m["name"] for m in t["beds"].missing] == ["大榆树镇"]
    assert t["nursing"].status == "nodata"


def test_a_street_centre_in_every_street(horqin_officer):
    make_facility("150502001", name="科尔沁街道中心", type="township_centre", actor=horqin_officer)
    make_facility("150502002", name="西门街道服务站", type="station", actor=horqin_officer)
    PlanItem.objects.create(region_id="150502000000", kind="street_centre", name="西门街道中心",
                            site_region_id="150502002000", deadline=date(2026, 12, 31))  # fmt: skip
    street = _by_key(targets.targets_for(actor=horqin_officer, year=2026))["street"]
    assert street.value == pytest.approx(1 / 11) and street.status == "missed"
    assert "2/11" in street.planned_text
    names = {m["name"].split("/")[-1] for m in street.missing}
    assert "科尔沁街道" not in names and "西门街道" in names and len(names) == 10


def test_region_narrowing_and_out_of_scope(kailu_world, kailu_officer):
    board = targets.targets_for(actor=kailu_officer, region="150523100", year=2026)
    assert board.region.name == "开鲁镇" and board.elders == 4
    assert _by_key(board)["township"].value == 1.0 and _by_key(board)["township"].status == "met"
    foreign = targets.targets_for(actor=kailu_officer, region="150502", year=2026)
    assert foreign.elders == 0 and all(t.missing_total == 0 for t in foreign.targets)


def test_page_and_api(client_for, client, kailu_world, kailu_officer, auth_headers):
    response = client_for(kailu_officer).get("/planning/targets/", {"year": "2026"})
    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "城镇社区养老服务设施覆盖率",
        "003",
        "≥ 60%",
        "每千名老年人养老床位数",
        "护理型床位",
        "暂无数据",
        "未达标",
    ):
        assert text in body, text
    bad = client_for(kailu_officer).get("/planning/targets/", {"year": "99"})
    assert "年度应在 2000–2100 之间。" in bad.content.decode()
    data = client.get("/api/v1/targets", {"year": 2026}, headers=auth_headers(kailu_officer)).json()
    keys = [t["key"] for t in data["targets"]]
    assert keys == ["urban", "township", "rural", "street", "beds", "nursing", "9073"]
    assert data["targets"][0]["status"] == "missed" and data["targets"][0]["missing_total"] == 9
    response = client.get("/api/v1/targets", {"year": 1}, headers=auth_headers(kailu_officer))
    assert response.status_code == 422 and response.json()["code"] == "validation_error"


def test_items_without_a_readable_deadline_count_by_their_plan_year(kailu_world, kailu_officer):
    # 城北 has a station already; these two communities have none.
    PlanItem.objects.create(region_id="150523000000", kind="community_station", name="西城站（年底前）",
                            site_region_id="150523100005", plan_year=2026, deadline=None,
                            deadline_text="年底前")  # fmt: skip
    PlanItem.objects.create(region_id="150523000000", kind="community_station", name="东城站（下年度计划）",
                            site_region_id="150523100006", plan_year=2027, deadline=None)  # fmt: skip
    this_year = _by_key(targets.targets_for(actor=kailu_officer, year=2026))["urban"]
    # 城北 operating + 白塔 (due 2026) + 西城 (2026 plan, no date); not 工农 (2027-06) nor 东城 (2027 plan).
    assert "3/10" in this_year.planned_text
    next_year = _by_key(targets.targets_for(actor=kailu_officer, year=2027))["urban"]
    assert "5/10" in next_year.planned_text
