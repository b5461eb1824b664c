"""Leak-matrix cases for meals and day care (used by tests/test_leak_matrix.py).

``add_residential(w)`` uses each county's centre of the facilities cases (``w.my_facility``, a county
centre, so the facility counts of other cases stay as they are) as both canteen — it is given a meal
capacity — and day-care centre: a menu and an order of the county's elder today, the elder
enrolled, checked in today, and a respite stay. 开鲁县's officer must find
none of 科尔沁区's — not in lists, counts, statements, exports or the API — must get 404 on their
pages, and every write aimed at them must change nothing.
"""

import io
from datetime import date

from django.utils import timezone
from openpyxl import load_workbook

from yanglao.facilities.models import Facility
from yanglao.residential import services
from yanglao.residential.models import Attendance, Enrolment, MealOrder, Menu, RespiteStay


def add_residential(w) -> None:
    today = timezone.localdate()
    for side, facility, actor, elder in (
        ("my", w.my_facility, w.kailu, w.my_elder),
        ("their", w.their_facility, w.horqin, w.their_elder),
    ):
        label = "开鲁" if side == "my" else "科尔沁"
        Facility.objects.filter(pk=facility.pk).update(meal_capacity=40, residents_65_served=800)
        canteen = centre = Facility.objects.get(pk=facility.pk)
        services.menu_create(actor=actor, facility=canteen, on=today, meal="lunch", dishes=f"{label}炖菜",
                             price_fen=1200)  # fmt: skip
        services.meal_order_create(
            actor=actor, facility=canteen, elder=elder, on=today, meal="lunch", quantity=2
        )
        services.enrol(actor=actor, facility=centre, elder=elder, start_date=date(2025, 1, 1))
        services.check_in(actor=actor, facility=centre, elder=elder)
        services.respite_create(actor=actor, facility=centre, elder=elder, start_date=date(2025, 3, 1),
                                end_date=date(2025, 3, 5))  # fmt: skip
        setattr(w, f"{side}_canteen", canteen)
        setattr(w, f"{side}_centre", centre)


def _counts() -> tuple:
    return (Menu.objects.count(), MealOrder.objects.count(), Enrolment.objects.count(),
            Attendance.objects.filter(check_out_at__isnull=False).count(), RespiteStay.objects.count())  # fmt: skip


def cases(assert_list, api) -> dict:
    return {**html_cases(assert_list), **api_cases(assert_list, api)}


def html_cases(assert_list) -> dict:
    def _post_404(w, login, url, data):
        before = _counts()
        assert login(w.kailu).post(url, data).status_code == 404
        assert _counts() == before

    def canteens(w, login, client):
        assert_list(login(w.kailu).get("/residential/meals/"), "开鲁镇中心", "科尔沁中心")
        assert_list(login(w.kailu).get("/residential/meals/", {"q": "科尔沁"}), "助餐点", "科尔沁中心")

    def canteen(w, login, client):
        assert_list(login(w.kailu).get(f"/residential/meals/{w.my_canteen.pk}/"), "开鲁老人", "科尔沁老人")
        assert login(w.kailu).get(f"/residential/meals/{w.their_canteen.pk}/").status_code == 404

    def menu_create(w, login, client):
        today = timezone.localdate().isoformat()
        _post_404(w, login, f"/residential/meals/{w.their_canteen.pk}/menu/",
                  {"date": today, "meal": "dinner", "dishes": "越界", "price": "1"})  # fmt: skip

    def order_create(w, login, client):
        data = {"elder": "科尔沁老人", "date": timezone.localdate().isoformat(), "meal": "lunch", "kind": "dine_in",
                "quantity": "1"}  # fmt: skip
        _post_404(w, login, f"/residential/meals/{w.their_canteen.pk}/orders/", data)
        before = _counts()
        body = login(w.kailu).post(f"/residential/meals/{w.my_canteen.pk}/orders/", data).content.decode()
        assert "没有找到该老年人" in body and _counts() == before

    def statement(w, login, client):
        assert_list(
            login(w.kailu).get(f"/residential/meals/{w.my_canteen.pk}/statement/"), "开鲁老人", "科尔沁老人"
        )
        assert login(w.kailu).get(f"/residential/meals/{w.their_canteen.pk}/statement/").status_code == 404

    def statement_xlsx(w, login, client):
        response = login(w.kailu).get(f"/residential/meals/{w.my_canteen.pk}/statement.xlsx")
        names = {
            r[0] for r in load_workbook(io.BytesIO(response.content))["按老年人"].iter_rows(values_only=True)
        }
        assert "开鲁老人" in names and "科尔沁老人" not in names
        assert (
            login(w.kailu).get(f"/residential/meals/{w.their_canteen.pk}/statement.xlsx").status_code == 404
        )

    def centres(w, login, client):
        assert_list(login(w.kailu).get("/residential/daycare/"), "开鲁镇中心", "科尔沁中心")

    def centre(w, login, client):
        assert_list(login(w.kailu).get(f"/residential/daycare/{w.my_centre.pk}/"), "开鲁老人", "科尔沁老人")
        assert login(w.kailu).get(f"/residential/daycare/{w.their_centre.pk}/").status_code == 404

    def enrol(w, login, client):
        _post_404(w, login, f"/residential/daycare/{w.their_centre.pk}/enrol/",
                  {"elder": "科尔沁老人", "start_date": "2025-01-01"})  # fmt: skip

    def attendance(w, login, client):
        _post_404(w, login, f"/residential/daycare/{w.their_centre.pk}/attendance/",
                  {"elder": w.their_elder.pk, "action": "out"})  # fmt: skip
        _post_404(w, login, f"/residential/daycare/{w.my_centre.pk}/attendance/",
                  {"elder": w.their_elder.pk, "action": "out"})  # fmt: skip

    def respite(w, login, client):
        _post_404(w, login, f"/residential/daycare/{w.their_centre.pk}/respite/",
                  {"elder": "科尔沁老人", "start_date": "2025-06-01", "end_date": "2025-06-02"})  # fmt: skip

    return {
        "residential:canteens": canteens,
        "residential:canteen": canteen,
        "residential:menu_create": menu_create,
        "residential:order_create": order_create,
        "residential:statement": statement,
        "residential:statement_xlsx": statement_xlsx,
        "residential:centres": centres,
        "residential:centre": centre,
        "residential:enrol": enrol,
        "residential:attendance": attendance,
        "residential:respite": respite,
    }


def api_cases(assert_list, api) -> dict:
    def _refused(w, client, url, **data):
        before = _counts()
        response = api(w.kailu, client, "post", url, **data)
        assert response.status_code == 404, response.content
        assert "科尔沁" not in response.content.decode()
        assert _counts() == before

    def canteens(w, login, client):
        names = {c["name"] for c in api(w.kailu, client, "get", "/api/v1/meals/canteens").json()}
        assert "开鲁镇中心" in names and "科尔沁中心" not in names

    def menu_list(w, login, client):
        body = api(w.kailu, client, "get", "/api/v1/meals/menus").json()
        assert {m["facility_id"] for m in body["items"]} == {w.my_canteen.pk} and body["total"] == 1
        assert (
            api(w.kailu, client, "get", "/api/v1/meals/menus", facility_id=w.their_canteen.pk).json()["total"]
            == 0
        )

    def menu_create(w, login, client):
        _refused(w, client, "/api/v1/meals/menus", facility_id=w.their_canteen.pk, date="2025-06-01", meal="lunch",
                 dishes="越界", price_fen=1)  # fmt: skip

    def order_list(w, login, client):
        body = api(w.kailu, client, "get", "/api/v1/meals/orders").json()
        assert {o["elder_name"] for o in body["items"]} == {"开鲁老人"} and body["total"] == 1
        assert (
            api(w.kailu, client, "get", "/api/v1/meals/orders", facility_id=w.their_canteen.pk).json()[
                "total"
            ]
            == 0
        )

    def order_create(w, login, client):
        today = timezone.localdate().isoformat()
        _refused(w, client, "/api/v1/meals/orders", facility_id=w.their_canteen.pk, elder_id=w.my_elder.pk,
                 date=today, meal="lunch")  # fmt: skip
        _refused(w, client, "/api/v1/meals/orders", facility_id=w.my_canteen.pk, elder_id=w.their_elder.pk,
                 date=today, meal="lunch")  # fmt: skip

    def day_counts(w, login, client):
        mine = api(w.kailu, client, "get", "/api/v1/meals/day-counts", facility_id=w.my_canteen.pk).json()
        assert mine["portions"] == 2
        response = api(w.kailu, client, "get", "/api/v1/meals/day-counts", facility_id=w.their_canteen.pk)
        assert response.status_code == 404

    def enrolment_list(w, login, client):
        body = api(w.kailu, client, "get", "/api/v1/daycare/enrolments").json()
        assert {e["elder_name"] for e in body["items"]} == {"开鲁老人"} and body["total"] == 1

    def enrol(w, login, client):
        _refused(w, client, "/api/v1/daycare/enrolments", facility_id=w.their_centre.pk, elder_id=w.their_elder.pk,
                 start_date="2025-01-01")  # fmt: skip
        _refused(w, client, "/api/v1/daycare/enrolments", facility_id=w.my_centre.pk, elder_id=w.their_elder.pk,
                 start_date="2025-01-01")  # fmt: skip

    def attendance_list(w, login, client):
        body = api(w.kailu, client, "get", "/api/v1/daycare/attendance").json()
        assert {a["elder_name"] for a in body["items"]} == {"开鲁老人"} and body["total"] == 1

    def check_in(w, login, client):
        _refused(w, client, "/api/v1/daycare/attendance/check-in", facility_id=w.their_centre.pk,
                 elder_id=w.their_elder.pk)  # fmt: skip

    def check_out(w, login, client):
        _refused(w, client, "/api/v1/daycare/attendance/check-out", facility_id=w.their_centre.pk,
                 elder_id=w.their_elder.pk)  # fmt: skip
        _refused(w, client, "/api/v1/daycare/attendance/check-out", facility_id=w.my_centre.pk,
                 elder_id=w.their_elder.pk)  # fmt: skip

    def respite(w, login, client):
        _refused(w, client, "/api/v1/daycare/respite", facility_id=w.their_centre.pk, elder_id=w.their_elder.pk,
                 start_date="2025-06-01", end_date="2025-06-02")  # fmt: skip

    def counts(w, login, client):
        month = timezone.localdate().strftime("%Y-%m")
        rows = api(w.kailu, client, "get", "/api/v1/daycare/counts", month=month).json()
        assert [r["facility_name"] for r in rows] == ["开鲁镇中心"]

    return {
        "api:meals_canteens": canteens,
        "api:meals_menu_list": menu_list,
        "api:meals_menu_create": menu_create,
        "api:meals_order_list": order_list,
        "api:meals_order_create": order_create,
        "api:meals_day_counts": day_counts,
        "api:daycare_enrolment_list": enrolment_list,
        "api:daycare_enrol": enrol,
        "api:daycare_attendance_list": attendance_list,
        "api:daycare_check_in": check_in,
        "api:daycare_check_out": check_out,
        "api:daycare_respite_create": respite,
        "api:daycare_counts": counts,
    }
