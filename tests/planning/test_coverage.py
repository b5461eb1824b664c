"""Service-circle coverage on small hand-made geometries: inside, on and outside the radius, planned
versus operating, services, weights, where elders are placed, scope, and the pages and API."""

import io
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.conftest import KAILU_TOWN, KAILU_VILLAGE, make_elder, make_facility, make_user
from yanglao.core.models import AuditEntry
from yanglao.elders.models import Category, CategoryMembership
from yanglao.planning import selectors, spatial
from yanglao.planning.models import CoverageSetting, PlanItem
from yanglao.regions.models import Region

LAT, LNG = 43.6, 121.3
# At 43.6° N a degree of latitude is about 111.1 km: these offsets are ~900 m and ~1100 m.
INSIDE, OUTSIDE = 0.0081, 0.0099
VILLAGE_2 = "150523100002"


@pytest.fixture
def one_km(db):
    """开鲁镇: 15 minutes on foot at 4 km/h with no detour, so every circle is exactly 1000 m."""
    return CoverageSetting.objects.create(
        region=Region.objects.get(code="150523100000"),
        minutes=15,
        mode="walk",
        speed_kmh=Decimal("4.0"),
        detour=Decimal("1.00"),
    )


def elder_at(dlat, name, *, region=KAILU_VILLAGE, dlng=0.0, **raw):
    return make_elder(region, name=name, latitude=f"{LAT + dlat:.6f}", longitude=f"{LNG + dlng:.6f}", **raw)


def facility_at(dlat=0.0, *, dlng=0.0, name="站", region=KAILU_TOWN, **raw):
    return make_facility(
        region, name=name, latitude=f"{LAT + dlat:.6f}", longitude=f"{LNG + dlng:.6f}", **raw
    )


def report(user, **query):
    return selectors.coverage(actor=user, query=selectors.CoverageQuery(**query))


def covered_names(result) -> set[str]:
    from yanglao.elders.models import Elder

    ids = result.demand.ids[result.covered_mask].tolist()
    return set(Elder.objects.filter(pk__in=ids).values_list("name", flat=True))


def test_inside_is_covered_and_outside_is_not(kailu_officer, one_km):
    elder_at(INSIDE, "圈内")
    elder_at(OUTSIDE, "圈外")
    elder_at(-INSIDE, "南边圈内")
    facility_at(name="民主站", services="堂食")
    result = report(kailu_officer)
    assert covered_names(result) == {"圈内", "南边圈内"}
    assert (result.total, result.located, result.covered, result.uncovered) == (3, 3, 2, 1)
    assert result.circles == [{"radius_m": 1000.0, "sites": 1}]
    # The uncovered list says how far the nearest facility is (about 1100 m).
    (only,) = result.uncovered_ids()
    assert 1090 < result.distance_of()[only] < 1110


def test_a_point_exactly_on_the_radius_is_covered(kailu_officer, monkeypatch):
    elder_at(OUTSIDE, "圈上", dlng=0.0031)
    facility_at()
    # The radius is set to the exact plane distance between the two stored points.
    lat = np.array([LAT + OUTSIDE, LAT])
    lng = np.array([LNG + 0.0031, LNG])
    xy = spatial.project(lat, lng, origin=spatial.Projection.fit(lat, lng))
    exact = float(np.hypot(*(xy[0] - xy[1])))

    def circle_of(radius):
        return lambda self, code: selectors.Circle(60, "walk", radius / 1000.0, 1.0, "test")

    monkeypatch.setattr(selectors.CircleResolver, "circle", circle_of(exact))
    assert report(kailu_officer).covered == 1
    monkeypatch.setattr(selectors.CircleResolver, "circle", circle_of(exact - 0.001))
    assert report(kailu_officer).covered == 0


def test_planned_facilities_and_plan_items_count_only_when_asked(kailu_officer, one_km):
    elder_at(0.0, "运营站旁")
    elder_at(0.05, "规划站旁")
    elder_at(0.10, "计划项目旁")
    facility_at(name="运营站")
    facility_at(0.05, name="规划站", status="planned")
    PlanItem.objects.create(
        region_id="150523000000",
        site_region_id=KAILU_VILLAGE,
        kind="community_station",
        name="计划项目",
        latitude=Decimal(f"{LAT + 0.10:.6f}"),
        longitude=Decimal(f"{LNG:.6f}"),
    )
    assert covered_names(report(kailu_officer)) == {"运营站旁"}
    after = report(kailu_officer, include_planned=True)
    assert covered_names(after) == {"运营站旁", "规划站旁", "计划项目旁"}
    kinds = sorted((s["name"], s["planned"]) for s in after.sites)
    assert kinds == [("规划站", True), ("计划项目", True), ("运营站", False)]


def test_only_facilities_offering_the_service_count(kailu_officer, one_km):
    elder_at(0.0, "甲")
    elder_at(0.05, "乙")
    facility_at(name="助餐点", services="堂食")
    facility_at(0.05, name="照护站", services="居家照护")
    assert covered_names(report(kailu_officer, service="meal.dine_in")) == {"甲"}
    assert covered_names(report(kailu_officer, service="care.home")) == {"乙"}
    assert covered_names(report(kailu_officer)) == {"甲", "乙"}
    assert report(kailu_officer, service="family.respite").covered == 0


def test_weights_favour_disabled_alone_and_very_old(kailu_officer, one_km):
    frail = elder_at(0.0, "独居高龄失能", born=date(1935, 1, 1), living_situation="alone")
    CategoryMembership.objects.create(
        elder=frail, category=Category.DISABLED_CARE, valid_from=date(2020, 1, 1)
    )
    elder_at(OUTSIDE, "一般", born=date(1955, 1, 1))
    facility_at()
    result = report(kailu_officer)
    # 1 + 失能 2 + 独居 1 + 高龄 1 = 5 covered, against 1 uncovered.
    assert (result.weight_covered, result.weight_total) == (5.0, 6.0)
    assert result.weighted_pct == "83.3%" and result.share_pct == "50.0%"
    groups = {g["key"]: (g["covered"], g["total"]) for g in result.groups}
    assert groups == {"disabled": (1, 1), "alone": (1, 1), "advanced_age": (1, 1)}
    assert result.uncovered_ids()[0] != frail.pk


def test_elders_without_coordinates_are_placed_at_their_village(kailu_officer, one_km):
    elder_at(INSIDE, "有坐标")
    make_elder(KAILU_VILLAGE, name="同村无坐标")
    make_elder(VILLAGE_2, name="同镇别村无坐标")
    elsewhere = Region.objects.filter(code__startswith="150523102", level="village").first()
    make_elder(elsewhere.code, name="外乡无坐标")
    facility_at()
    result = report(kailu_officer)
    counts = (result.own_location, result.village_location, result.township_location, result.unlocated)
    assert counts == (1, 1, 1, 1)
    # Both are placed where the located elder is (the centre of its village, and of its township).
    assert covered_names(result) == {"有坐标", "同村无坐标", "同镇别村无坐标"}
    assert result.located == 3 and result.uncovered == 0
    # A region with recorded coordinates is used as recorded.
    Region.objects.filter(code=elsewhere.code).update(
        latitude=Decimal("43.600000"), longitude=Decimal("121.300000")
    )
    result = report(kailu_officer)
    assert result.unlocated == 0 and result.covered == 4


def test_default_circles_are_by_area_type(kailu_officer):
    assert selectors.is_urban("民主社区居委会") and selectors.is_urban("某村", "科尔沁街道")
    assert not selectors.is_urban("保安农场嘎查") and not selectors.is_urban("开鲁镇")
    urban, rural = selectors.default_circle(True), selectors.default_circle(False)
    assert round(urban.radius_m) == 865 and round(rural.radius_m) == 5357
    # A 社区 facility gets the walking circle; a 嘎查 facility the road circle.
    elder_at(0.0, "甲")
    facility_at(name="社区站", region=KAILU_VILLAGE)
    gacha = (
        Region.objects.filter(code__startswith="150523", level="village")
        .exclude(name__contains="社区")
        .first()
    )
    facility_at(0.2, name="嘎查站", region=gacha.code)
    radii = {s["name"]: round(s["radius"]) for s in report(kailu_officer).sites}
    assert radii == {"社区站": 865, "嘎查站": 5357}


def test_table_by_sub_region(kailu_officer, one_km):
    elder_at(0.0, "一村甲")
    elder_at(OUTSIDE, "一村乙")
    elder_at(0.0, "二村", region=VILLAGE_2)
    facility_at()
    result = report(kailu_officer, region=KAILU_TOWN)
    rows = {r.region.code: (r.total, r.covered) for r in result.rows if r.total}
    assert rows == {KAILU_VILLAGE: (2, 1), VILLAGE_2: (1, 1)}
    county = report(kailu_officer)
    assert {r.region.code: r.total for r in county.rows if r.total} == {"150523100000": 3}


def test_facilities_outside_the_readers_scope_do_not_count(kailu_officer, city_officer, one_km):
    elder_at(0.0, "边界老人")
    facility_at(name="科尔沁的站", region="150502001000")
    assert report(kailu_officer).covered == 0
    assert report(city_officer, region="150523").covered == 1


def test_a_region_outside_scope_is_not_found(kailu_officer):
    from django.http import Http404

    with pytest.raises(Http404):
        report(kailu_officer, region="150502")


# --- pages -----------------------------------------------------------------------------------------


def test_coverage_page_shows_figures_table_and_map(client_for, kailu_officer, one_km):
    elder_at(0.0, "圈内")
    elder_at(OUTSIDE, "圈外")
    facility_at(name="民主站")
    response = client_for(kailu_officer).get("/planning/coverage/", {"region": KAILU_TOWN})
    body = response.content.decode()
    assert response.status_code == 200
    assert "开鲁镇" in body and "50.0%" in body and "位置来源：本人坐标 2 人" in body
    assert 'id="coverage-map"' in body and 'id="coverage-data"' in body
    data = response.context["map_data"]
    assert data["sites"][0][3] == "民主站" and data["sites"][0][2] == 1000.0
    assert sum(h[2] for h in data["hexes"]) == 1


def test_coverage_page_rejects_bad_filters(client_for, kailu_officer):
    response = client_for(kailu_officer).get("/planning/coverage/", {"region": "150502", "service": "nope"})
    body = response.content.decode()
    assert response.context["report"] is None
    assert "所选区划超出您的管辖范围" in body and "选择一个有效的选项" in body


def test_coverage_needs_the_capability(client_for, caregiver):
    assert client_for(caregiver).get("/planning/coverage/").status_code == 403


def test_uncovered_list_is_masked_and_pages_in_constant_queries(client_for, kailu_officer, one_km):
    facility_at()
    elder_at(OUTSIDE, "圈外一", phone="13812345678")
    client = client_for(kailu_officer)
    client.get("/planning/coverage/uncovered/")  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        body = client.get("/planning/coverage/uncovered/").content.decode()
    assert "圈外一" in body and "138****5678" in body and "13812345678" not in body
    for i in range(24):
        elder_at(OUTSIDE + i * 0.001, f"圈外{i + 2}")
    with CaptureQueriesContext(connection) as many:
        body = client.get("/planning/coverage/uncovered/").content.decode()
    assert "共 25 条" in body
    assert len(many) == len(few)


def test_export_is_masked_and_audited(client_for, kailu_officer, one_km):
    facility_at()
    elder = elder_at(OUTSIDE, "圈外", phone="13812345678", living_situation="alone", born=date(1955, 1, 1))
    make_elder(KAILU_VILLAGE, name="同村无坐标")
    response = client_for(kailu_officer).get("/planning/coverage/uncovered/export.xlsx")
    rows = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True)
    )
    assert rows[1][1] == "圈外" and rows[1][4] == elder.id_number_masked and rows[1][5] == "138****5678"
    assert rows[1][9] == "独居" and rows[1][10] == "本人坐标" and rows[1][11] == 2
    assert rows[2][1] == "同村无坐标" and rows[2][10] == "所在村（社区）位置"
    entry = AuditEntry.objects.get(action="export", object_type="planning.coverage")
    assert "2 人（脱敏）" in entry.summary and "13812345678" not in str(entry.changes)


def test_settings_form_checks_each_field_and_saves(client_for, kailu_officer):
    client = client_for(kailu_officer)
    response = client.post(
        "/planning/coverage/settings/",
        {"region": "", "minutes": "0", "mode": "fly", "speed_kmh": "", "detour": "9"},
    )
    body = response.content.decode()
    assert "请选择区划" in body and "确保该值大于或等于1" in body and "选择一个有效的选项" in body
    assert "这个字段是必填项" in body and "确保该值小于或等于3" in body
    assert not CoverageSetting.objects.exists()
    response = client.post(
        "/planning/coverage/settings/",
        {"region": KAILU_TOWN, "minutes": "20", "mode": "walk", "speed_kmh": "4.5", "detour": "1.5"},
    )
    assert response.status_code == 302
    setting = CoverageSetting.objects.get()
    assert (setting.region_id, round(setting.radius_m)) == ("150523100000", 1000)
    assert AuditEntry.objects.filter(object_type="planning.coveragesetting").exists()


def test_auditor_sees_settings_but_cannot_change_them(client_for, db):
    auditor = make_user("kl-aud", "auditor", "150523")
    client = client_for(auditor)
    assert client.get("/planning/coverage/settings/").status_code == 200
    response = client.post(
        "/planning/coverage/settings/",
        {"region": KAILU_TOWN, "minutes": "20", "mode": "walk", "speed_kmh": "4"},
    )
    assert response.status_code == 403 and not CoverageSetting.objects.exists()


# --- API -------------------------------------------------------------------------------------------


def test_api_coverage(client, auth_headers, kailu_officer, one_km):
    elder_at(0.0, "圈内")
    elder_at(OUTSIDE, "圈外")
    facility_at(services="堂食")
    response = client.get(
        "/api/v1/coverage", {"region": KAILU_TOWN, "service": "meal.dine_in", "detail": "true"},
        headers=auth_headers(kailu_officer),
    )  # fmt: skip
    body = response.json()
    assert response.status_code == 200
    assert (body["total"], body["covered"], body["uncovered"], body["share"]) == (2, 1, 1, 0.5)
    assert body["region_code"] == "150523100000" and body["circles"] == [{"radius_m": 1000.0, "sites": 1}]
    assert body["weights"]["disabled"] == 2.0 and len(body["hexes"]) == 1
    assert {r["code"] for r in body["sub_regions"]} >= {KAILU_VILLAGE}


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [({"service": "nope"}, "question_invalid", "service"), ({"region": "123"}, "region_invalid", "region")],
)
def test_api_coverage_rejects_bad_input(client, auth_headers, kailu_officer, params, code, field):
    response = client.get("/api/v1/coverage", params, headers=auth_headers(kailu_officer))
    assert response.status_code == 422
    assert response.json()["code"] == code and field in response.json()["fields"]
