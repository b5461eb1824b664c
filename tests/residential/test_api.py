import pytest
from django.utils import timezone

from tests.conftest import make_elder, make_user
from tests.residential.factories import grant_meal_subsidy, make_canteen, make_centre
from yanglao.residential.models import Attendance, MealOrder, Menu, RespiteStay


@pytest.fixture
def canteen(db):
    return make_canteen(capacity=4)


@pytest.fixture
def centre(db):
    return make_centre()


@pytest.fixture
def call(client, auth_headers):
    def call(user, method, url, **data):
        headers = auth_headers(user)
        if method == "get":
            return client.get(url, data, headers=headers)
        return client.post(url, data, content_type="application/json", headers=headers)

    return call


def test_menu_order_and_counts(call, kailu_officer, canteen):
    elder = make_elder()
    grant_meal_subsidy(elder)
    menu = {
        "facility_id": canteen.pk,
        "date": "2026-03-02",
        "meal": "lunch",
        "dishes": "饺子",
        "price_fen": 9000,
    }
    r = call(kailu_officer, "post", "/api/v1/meals/menus", **menu)
    assert r.status_code == 201, r.content
    r = call(kailu_officer, "post", "/api/v1/meals/menus", **menu)
    assert (r.status_code, r.json()["code"]) == (422, "menu_exists")
    order = {
        "facility_id": canteen.pk,
        "elder_id": elder.pk,
        "date": "2026-03-02",
        "meal": "lunch",
        "quantity": 2,
    }
    r = call(kailu_officer, "post", "/api/v1/meals/orders", **order)
    assert r.status_code == 201, r.content
    assert {k: r.json()[k] for k in ("amount_fen", "subsidy_fen", "self_fen")} == {
        "amount_fen": 18000, "subsidy_fen": 10000, "self_fen": 8000}  # fmt: skip
    r = call(kailu_officer, "post", "/api/v1/meals/orders", **{**order, "quantity": 3})
    assert (r.status_code, r.json()["code"]) == (422, "over_capacity")
    r = call(kailu_officer, "post", "/api/v1/meals/orders", **{**order, "meal": "dinner"})
    assert (r.status_code, r.json()["code"]) == (422, "no_menu")
    r = call(kailu_officer, "post", "/api/v1/meals/orders", **{**order, "quantity": 0})
    assert (r.status_code, r.json()["code"]) == (422, "validation_error") and "quantity" in r.json()["fields"]
    counts = call(
        kailu_officer, "get", "/api/v1/meals/day-counts", facility_id=canteen.pk, date="2026-03-02"
    ).json()
    assert (counts["portions"], counts["capacity"], counts["over_capacity"]) == (2, 4, False)
    assert call(kailu_officer, "get", "/api/v1/meals/orders", date="2026-03-02").json()["total"] == 1
    assert call(kailu_officer, "get", "/api/v1/meals/menus").json()["total"] == 1
    canteens = call(kailu_officer, "get", "/api/v1/meals/canteens", date="2026-03-02").json()
    assert canteens[0]["portions"] == 2 and canteens[0]["capacity_status"] == "short"  # 4 < 5% of 1000
    assert MealOrder.objects.count() == 1 and Menu.objects.count() == 1


def test_daycare_api(call, kailu_officer, centre):
    elder = make_elder()
    body = {"facility_id": centre.pk, "elder_id": elder.pk}
    r = call(kailu_officer, "post", "/api/v1/daycare/attendance/check-in", **body)
    assert (r.status_code, r.json()["code"]) == (422, "not_enrolled")
    r = call(kailu_officer, "post", "/api/v1/daycare/enrolments", **body, start_date="2026-01-01")
    assert r.status_code == 201, r.content
    r = call(kailu_officer, "post", "/api/v1/daycare/enrolments", **body, start_date="2026-01-01")
    assert (r.status_code, r.json()["code"]) == (422, "already_enrolled")
    r = call(kailu_officer, "post", "/api/v1/daycare/attendance/check-out", **body)
    assert (r.status_code, r.json()["code"]) == (422, "not_checked_in")
    assert call(kailu_officer, "post", "/api/v1/daycare/attendance/check-in", **body).status_code == 201
    r = call(kailu_officer, "post", "/api/v1/daycare/attendance/check-in", **body)
    assert (r.status_code, r.json()["code"]) == (422, "already_checked_in")
    assert call(kailu_officer, "post", "/api/v1/daycare/attendance/check-out", **body).status_code == 200
    assert Attendance.objects.count() == 1
    today = timezone.localdate()
    assert (
        call(kailu_officer, "get", "/api/v1/daycare/attendance", date=today.isoformat()).json()["total"] == 1
    )
    assert call(kailu_officer, "get", "/api/v1/daycare/enrolments").json()["total"] == 1
    counts = call(kailu_officer, "get", "/api/v1/daycare/counts", month=today.strftime("%Y-%m")).json()
    assert counts == [{"facility_id": centre.pk, "facility_name": centre.name, "person_days": 1, "elders": 1}]
    r = call(kailu_officer, "get", "/api/v1/daycare/counts", month="2026-13")
    assert (r.status_code, r.json()["code"]) == (422, "invalid_month")
    stay = {**body, "start_date": "2026-03-01", "end_date": "2026-03-05"}
    assert call(kailu_officer, "post", "/api/v1/daycare/respite", **stay).status_code == 201
    r = call(
        kailu_officer,
        "post",
        "/api/v1/daycare/respite",
        **{**stay, "start_date": "2026-03-05", "end_date": "2026-03-06"},
    )
    assert (r.status_code, r.json()["code"]) == (422, "respite_overlap")
    r = call(
        kailu_officer,
        "post",
        "/api/v1/daycare/respite",
        **{**stay, "start_date": "2026-04-05", "end_date": "2026-04-01"},
    )
    assert (r.status_code, r.json()["code"]) == (422, "respite_dates")
    assert RespiteStay.objects.count() == 1


def test_api_scope_and_capabilities(call, kailu_officer, horqin_officer, auditor, canteen, centre):
    elder = make_elder()
    r = call(horqin_officer, "post", "/api/v1/meals/menus", facility_id=canteen.pk, date="2026-03-02", meal="lunch",
             dishes="x", price_fen=1)  # fmt: skip
    assert r.status_code == 404
    r = call(auditor, "post", "/api/v1/meals/menus", facility_id=canteen.pk, date="2026-03-02", meal="lunch",
             dishes="x", price_fen=1)  # fmt: skip
    assert r.status_code == 403  # the auditor reads, never writes
    assert call(horqin_officer, "get", "/api/v1/meals/canteens").json() == []
    assert call(horqin_officer, "get", "/api/v1/meals/day-counts", facility_id=canteen.pk).status_code == 404
    other = make_centre(name="另一中心")
    operator = make_user("op-api", "operator", centre.region_id, facility=other)
    r = call(
        operator,
        "post",
        "/api/v1/daycare/enrolments",
        facility_id=centre.pk,
        elder_id=elder.pk,
        start_date="2026-01-01",
    )
    assert r.status_code == 404
    r = call(
        operator,
        "post",
        "/api/v1/daycare/enrolments",
        facility_id=other.pk,
        elder_id=elder.pk,
        start_date="2026-01-01",
    )
    assert r.status_code == 201
    assert call(kailu_officer, "get", "/api/v1/daycare/enrolments", facility_id=other.pk).json()["total"] == 1
    assert call(operator, "get", "/api/v1/daycare/enrolments", facility_id=centre.pk).json()["total"] == 0
