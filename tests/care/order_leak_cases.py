"""Leak-matrix cases for work orders (used by tests/test_leak_matrix.py, after ``add_care``).

``add_orders(w)`` gives each county's provider (from ``add_care``) a staff login and its caregiver a
login, and makes in each county: an order checked out with a photo and a no-check-in anomaly
pending (``*_order``), and an order waiting to be accepted (``*_open``). 开鲁县's officer, staff and
caregiver must find none of 科尔沁区's orders — in lists, searches, the dispatch board, the phone page
or the API — get 404 on their pages, photos and phone numbers, and change nothing of theirs.
"""

import io
from datetime import timedelta

from django.utils import timezone

from tests.care.factories import provider_user
from tests.conftest import make_user
from yanglao.care import orders
from yanglao.care import services as care_services
from yanglao.care.models import ServiceProduct, VisitPhoto, WorkOrder, WorkOrderEvent
from yanglao.core.models import AuditEntry

CLEAN = "01.03.02"  # 助洁: no certificate needed


def _png():
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile("visit.png", buffer.getvalue(), content_type="image/png")


def add_orders(w) -> None:
    product = ServiceProduct.objects.select_related("item").get(code=CLEAN)
    today = timezone.localdate()
    for side, officer, elder in (("my", w.kailu, w.my_elder), ("their", w.horqin, w.their_elder)):
        provider, caregiver = getattr(w, f"{side}_provider"), getattr(w, f"{side}_caregiver")
        staff = provider_user(provider, username=f"{side}-staff")
        login = make_user(f"{side}-hl", "caregiver", caregiver.home_region_id)
        care_services.caregiver_link_user(actor=None, caregiver=caregiver, user=login)
        caregiver.skills.add(product)

        def new(officer=officer, elder=elder, provider=provider):
            return orders.order_create(
                actor=officer, elder=elder, product=product, provider=provider, scheduled_date=today
            )

        order = new()
        orders.order_accept(actor=staff, order=_fresh(order))
        orders.order_dispatch(actor=staff, order=_fresh(order), caregiver=caregiver)
        orders.order_check_out(
            actor=login, order=_fresh(order), at=timezone.now() - timedelta(minutes=5), photos=[_png()]
        )
        setattr(w, f"{side}_staff", staff)
        setattr(w, f"{side}_hl", login)
        setattr(w, f"{side}_order", _fresh(order))
        setattr(w, f"{side}_open", new())
        dispatched = new()
        orders.order_accept(actor=staff, order=_fresh(dispatched))
        orders.order_dispatch(actor=staff, order=_fresh(dispatched), caregiver=caregiver)
        setattr(w, f"{side}_dispatched", _fresh(dispatched))
    w.their_photo_visit = VisitPhoto.objects.get(visit__order=w.their_order)
    w.my_photo_visit = VisitPhoto.objects.get(visit__order=w.my_order)


def _fresh(order) -> WorkOrder:
    return WorkOrder.objects.select_related("elder", "provider", "product__item", "caregiver").get(
        pk=order.pk
    )


def _their_state(w) -> tuple:
    rows = WorkOrder.objects.filter(provider=w.their_provider).order_by("pk")
    return (
        list(rows.values_list("pk", "state", "caregiver_id", "anomaly_decision", "rating", "updated_at")),
        WorkOrderEvent.objects.filter(order__provider=w.their_provider).count(),
        WorkOrder.objects.count(),
    )


def cases(assert_list, api) -> dict:
    def unchanged(w, before):
        assert _their_state(w) == before

    def post_404(user_attr, url_of, data=None):
        def case(w, login, client):
            before = _their_state(w)
            for target in ("their_order", "their_open", "their_dispatched"):
                url = url_of(getattr(w, target).pk)
                assert login(getattr(w, user_attr)).post(url, data or {}).status_code == 404, url
            unchanged(w, before)

        return case

    def order_list(w, login, client):
        assert_list(login(w.kailu).get("/care/orders/"), w.my_order.number, w.their_order.number)
        for params in (
            {"region": "150502"},
            {"q": "科尔沁老人"},
            {"q": w.their_order.number},
            {"anomaly": "pending"},
        ):
            body = login(w.kailu).get("/care/orders/", params).content.decode()
            assert f"<code>{w.their_order.number}</code>" not in body, params
        for user in (w.my_staff, w.my_hl):
            assert_list(login(user).get("/care/orders/"), w.my_order.number, w.their_order.number)

    def order_create(w, login, client):
        page = login(w.kailu).get("/care/orders/new/").content.decode()
        assert "科尔沁" not in page
        count = WorkOrder.objects.count()
        response = login(w.kailu).post(
            "/care/orders/new/",
            {"elder": w.their_elder.pk, "product": ServiceProduct.objects.get(code=CLEAN).pk,
             "scheduled_date": f"{timezone.localdate():%Y-%m-%d}", "quantity": "1",
             "provider": w.their_provider.pk, "source": "officer"},
        )  # fmt: skip
        assert response.status_code == 422 and "科尔沁老人" not in response.content.decode()
        assert WorkOrder.objects.count() == count

    def order_elder_search(w, login, client):
        body = login(w.kailu).get("/care/orders/new/elders/", {"elder_q": "科尔沁老人"}).content.decode()
        assert 'name="elder"' not in body
        assert (
            'name="elder"'
            in login(w.kailu).get("/care/orders/new/elders/", {"elder_q": "开鲁老人"}).content.decode()
        )

    def order_provider_options(w, login, client):
        product = ServiceProduct.objects.get(code=CLEAN).pk
        mine = login(w.kailu).get("/care/orders/new/providers/", {"elder": w.my_elder.pk, "product": product})
        assert "开鲁服务商" in mine.content.decode()
        theirs = login(w.kailu).get(
            "/care/orders/new/providers/", {"elder": w.their_elder.pk, "product": product}
        )
        assert theirs.status_code == 404 and "科尔沁" not in theirs.content.decode()

    def order_generate(w, login, client):
        page = login(w.kailu).get("/care/orders/generate/").content.decode()
        assert "开鲁县" in page and "科尔沁" not in page
        before = _their_state(w)
        next_month = (timezone.localdate().replace(day=28) + timedelta(days=4)).strftime("%Y-%m")
        response = login(w.kailu).post("/care/orders/generate/", {"county": "150502", "month": next_month})
        assert response.status_code == 422
        unchanged(w, before)

    def order_detail(w, login, client):
        assert login(w.kailu).get(f"/care/orders/{w.my_order.pk}/").status_code == 200
        for user in (w.kailu, w.my_staff, w.my_hl):
            response = login(user).get(f"/care/orders/{w.their_order.pk}/")
            assert response.status_code == 404 and "科尔沁老人" not in response.content.decode()

    def order_action(w, login, client):
        before = _their_state(w)
        for user, action, data in (
            (w.my_staff, "accept", {}),
            (w.my_staff, "refuse", {"refuse-reason": "x"}),
            (w.kailu, "cancel", {"cancel-reason": "x"}),
            (w.kailu, "review", {"review-rating": "5", "review-channel": "phone"}),
            (w.my_staff, "dispatch", {"dispatch-caregiver": w.my_caregiver.pk}),
            (w.my_staff, "fail", {"fail-reason": "x"}),
        ):
            for target in (w.their_order, w.their_open, w.their_dispatched):
                response = login(user).post(f"/care/orders/{target.pk}/do/{action}/", data)
                assert response.status_code == 404, (action, target.state)
        unchanged(w, before)

    def order_anomaly(w, login, client):
        before = _their_state(w)
        data = {"anomaly-decision": "pay", "anomaly-reason": "越界"}
        assert login(w.kailu).post(f"/care/orders/{w.their_order.pk}/anomaly/", data).status_code == 404
        unchanged(w, before)

    def order_photo(w, login, client):
        mine = w.my_photo_visit
        assert login(w.kailu).get(f"/care/orders/{w.my_order.pk}/photos/{mine.pk}/").status_code == 200
        theirs = w.their_photo_visit
        for user in (w.kailu, w.my_staff, w.my_hl):
            assert login(user).get(f"/care/orders/{w.their_order.pk}/photos/{theirs.pk}/").status_code == 404
        # a foreign photo through one's own order
        assert login(w.kailu).get(f"/care/orders/{w.my_order.pk}/photos/{theirs.pk}/").status_code == 404

    def dispatch(w, login, client):
        body = login(w.my_staff).get("/care/dispatch/").content.decode()
        assert "开鲁老人" in body and "科尔沁老人" not in body and "科尔沁护理员" not in body
        assert (
            "科尔沁老人"
            not in login(w.my_staff).get("/care/dispatch/", {"township": "150502001"}).content.decode()
        )

    def mobile(w, login, client):
        body = login(w.my_hl).get("/care/m/").content.decode()
        assert w.my_dispatched.number in body and w.their_dispatched.number not in body

    def mobile_order(w, login, client):
        assert login(w.my_hl).get(f"/care/m/{w.my_dispatched.pk}/").status_code == 200
        assert login(w.my_hl).get(f"/care/m/{w.their_dispatched.pk}/").status_code == 404

    def mobile_phone(w, login, client):
        reveals = AuditEntry.objects.filter(action="reveal").count()
        for user in (w.my_hl, w.kailu, w.my_staff):
            assert login(user).post(f"/care/m/{w.their_dispatched.pk}/phone/").status_code == 404
        assert AuditEntry.objects.filter(action="reveal").count() == reveals

    # --- the API -----------------------------------------------------------------------------------

    def api_order_list(w, login, client):
        for user in (w.kailu, w.my_staff, w.my_hl):
            body = api(user, client, "get", "/api/v1/orders", page_size=200).json()
            numbers = {o["number"] for o in body["items"]}
            assert w.my_order.number in numbers or user is w.my_staff
            assert not any(o["region_code"].startswith("150502") for o in body["items"])
            assert body["total"] == len(numbers)
        for params in ({"region": "150502"}, {"q": "科尔沁老人"}, {"q": w.their_order.number}):
            assert api(w.kailu, client, "get", "/api/v1/orders", **params).json()["total"] == 0, params

    def api_order_create(w, login, client):
        count = WorkOrder.objects.count()
        response = api(w.kailu, client, "post", "/api/v1/orders", elder_id=w.their_elder.pk,
                       product_id=ServiceProduct.objects.get(code=CLEAN).pk, provider_id=w.their_provider.pk,
                       scheduled_date=f"{timezone.localdate():%Y-%m-%d}")  # fmt: skip
        assert response.status_code == 404
        # one's own elder with the other county's provider: refused without naming it
        response = api(w.kailu, client, "post", "/api/v1/orders", elder_id=w.my_elder.pk,
                       product_id=ServiceProduct.objects.get(code=CLEAN).pk, provider_id=w.their_provider.pk,
                       scheduled_date=f"{timezone.localdate():%Y-%m-%d}")  # fmt: skip
        assert response.status_code == 422 and response.json()["code"] == "provider_unknown"
        assert "科尔沁" not in response.content.decode()
        assert WorkOrder.objects.count() == count

    def api_order_detail(w, login, client):
        assert api(w.kailu, client, "get", f"/api/v1/orders/{w.my_order.pk}").status_code == 200
        for user in (w.kailu, w.my_staff, w.my_hl):
            response = api(user, client, "get", f"/api/v1/orders/{w.their_order.pk}")
            assert response.status_code == 404 and "科尔沁" not in response.content.decode()

    def api_transition(path, user_attr, **body):
        def case(w, login, client):
            before = _their_state(w)
            for target in (w.their_order, w.their_open, w.their_dispatched):
                response = api(
                    getattr(w, user_attr), client, "post", f"/api/v1/orders/{target.pk}/{path}", **body
                )
                assert response.status_code == 404, (path, target.state, response.content)
            unchanged(w, before)

        return case

    now = timezone.localtime().isoformat()
    return {
        "care:order_list": order_list, "care:order_create": order_create,
        "care:order_elder_search": order_elder_search, "care:order_provider_options": order_provider_options,
        "care:order_generate": order_generate, "care:order_detail": order_detail, "care:order_action": order_action,
        "care:order_anomaly": order_anomaly, "care:order_photo": order_photo, "care:dispatch": dispatch,
        "care:mobile": mobile, "care:mobile_order": mobile_order,
        "care:mobile_check_in": post_404("my_hl", lambda pk: f"/care/m/{pk}/check-in/", {"lat": "43.6", "lng": "121.3"}),
        "care:mobile_check_out": post_404("my_hl", lambda pk: f"/care/m/{pk}/check-out/", {"note": "越界"}),
        "care:mobile_fail": post_404("my_hl", lambda pk: f"/care/m/{pk}/fail/", {"fail-reason": "越界"}),
        "care:mobile_phone": mobile_phone,
        "api:order_list": api_order_list, "api:order_create": api_order_create, "api:order_detail": api_order_detail,
        "api:order_accept": api_transition("accept", "my_staff"),
        "api:order_refuse": api_transition("refuse", "my_staff", reason="越界"),
        "api:order_dispatch": api_transition("dispatch", "my_staff", caregiver_id=0),
        "api:order_check_in": api_transition("check-in", "my_hl", lat=43.6, lng=121.3, at=now),
        "api:order_check_out": api_transition("check-out", "my_hl"),
        "api:order_review": api_transition("review", "kailu", rating=5, channel="phone"),
        "api:order_cancel": api_transition("cancel", "kailu", reason="越界"),
        "api:order_fail": api_transition("fail", "my_staff", reason="越界"),
        "api:order_anomaly_decide": api_transition("anomaly", "kailu", decision="pay", reason="越界"),
    }  # fmt: skip
