"""The work-order API: what each token sees (officer, provider, caregiver), creation with its error
codes, each transition route with its codes, and the check-in time window."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.care import order_factories as f
from tests.conftest import HORQIN_TOWN, make_elder
from yanglao.care import orders
from yanglao.care.models import OrderState, WorkOrder

TODAY = timezone.localdate()


@pytest.fixture
def w(db):
    return f.build()


def call(client, headers, method, url, **body):
    if method == "get":
        return client.get(url, body, headers=headers)
    return client.post(url, body, content_type="application/json", headers=headers)


def test_each_token_sees_its_own(w, kailu_officer, horqin_officer, client, auth_headers):
    other = f.build(elder_name="赵淑珍")
    mine = f.order_in(w, kailu_officer, "dispatched")
    theirs = f.order_in(other, kailu_officer, "dispatched")

    def numbers(user):
        items = call(client, auth_headers(user), "get", "/api/v1/orders").json()["items"]
        return {o["number"] for o in items}

    assert numbers(kailu_officer) == {mine.number, theirs.number}
    assert numbers(w.staff) == {mine.number}
    assert numbers(w.caregiver_user) == {mine.number}
    assert numbers(horqin_officer) == set()
    assert (
        call(client, auth_headers(w.caregiver_user), "get", f"/api/v1/orders/{theirs.pk}").status_code == 404
    )
    body = call(client, auth_headers(w.caregiver_user), "get", f"/api/v1/orders/{mine.pk}").json()
    assert body["caregiver"]["id"] == w.caregiver.pk and body["state"] == "dispatched"
    assert [e["kind"] for e in body["events"]] == ["created", "accept", "dispatch"]


def test_list_filters(w, kailu_officer, client, auth_headers):
    a = f.officer_order(w, kailu_officer)
    b = f.order_in(w, kailu_officer, "accepted")
    headers = auth_headers(kailu_officer)
    body = call(client, headers, "get", "/api/v1/orders", state="accepted").json()
    assert [o["number"] for o in body["items"]] == [b.number] and body["total"] == 1
    assert call(client, headers, "get", "/api/v1/orders", q=a.number).json()["total"] == 1
    assert call(client, headers, "get", "/api/v1/orders", region="150502").json()["total"] == 0
    assert call(client, headers, "get", "/api/v1/orders", anomaly="pending").json()["total"] == 0
    assert call(client, headers, "get", "/api/v1/orders", state="nonsense").status_code == 422


def _create(w, **overrides):
    body = {
        "elder_id": w.elder.pk,
        "product_id": f.product(f.CARE).pk,
        "provider_id": w.provider.pk,
        "scheduled_date": f"{TODAY:%Y-%m-%d}",
        "window_start": "09:00",
        "window_end": "10:00",
    }
    body.update(overrides)
    return body


def test_create(w, kailu_officer, client, auth_headers):
    response = call(client, auth_headers(kailu_officer), "post", "/api/v1/orders", **_create(w))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "requested" and body["number"].startswith("GD150523")
    assert body["window_start"] == "09:00:00"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"scheduled_date": "2020-01-01"}, "date_past", "scheduled_date"),
        ({"window_end": "08:00"}, "window_invalid", "window_end"),
        ({"source": "request"}, "request_note_required", "request_note"),
        ({"quantity": 0}, "invalid_quantity", "quantity"),
        ({"provider_id": 999999}, "provider_unknown", "provider_id"),
        ({"product_id": 999999}, "product_not_offered", "product_id"),
    ],
)
def test_create_error_codes(w, kailu_officer, client, auth_headers, overrides, code, field):
    response = call(client, auth_headers(kailu_officer), "post", "/api/v1/orders", **_create(w, **overrides))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code and field in body["fields"], body
    assert not WorkOrder.objects.exists()


def test_create_refusals(w, kailu_officer, horqin_officer, client, auth_headers):
    far = make_elder("150523101200", name="大榆树老人")
    response = call(
        client, auth_headers(kailu_officer), "post", "/api/v1/orders", **_create(w, elder_id=far.pk)
    )
    assert response.json()["code"] == "provider_not_covering"
    foreign = make_elder(HORQIN_TOWN + "001", name="科尔沁老人")
    assert (
        call(
            client, auth_headers(kailu_officer), "post", "/api/v1/orders", **_create(w, elder_id=foreign.pk)
        ).status_code
        == 404
    )
    assert (
        call(client, auth_headers(horqin_officer), "post", "/api/v1/orders", **_create(w)).status_code == 404
    )
    assert call(client, auth_headers(w.staff), "post", "/api/v1/orders", **_create(w)).status_code == 403
    assert not WorkOrder.objects.exists()


def test_the_whole_way_through_the_api(w, kailu_officer, client, auth_headers):
    order = f.officer_order(w, kailu_officer)
    staff, me, officer = auth_headers(w.staff), auth_headers(w.caregiver_user), auth_headers(kailu_officer)
    url = f"/api/v1/orders/{order.pk}"
    assert call(client, me, "post", f"{url}/accept").status_code == 404  # not dispatched to it: unseen
    assert call(client, staff, "post", f"{url}/accept").json()["state"] == "accepted"
    again = call(client, staff, "post", f"{url}/accept")
    assert again.status_code == 422 and again.json()["code"] == "illegal_transition"
    assert "已受理" in again.json()["message"]
    assert (
        call(client, staff, "post", f"{url}/dispatch", caregiver_id=w.caregiver.pk).json()["state"]
        == "dispatched"
    )
    refused = call(client, me, "post", f"{url}/cancel", reason="不想去")  # seen now, but not its to cancel
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    at = timezone.localtime() - timedelta(minutes=70)
    lat = f.north_of(f.HOME_LAT, 350)
    body = call(
        client,
        me,
        "post",
        f"{url}/check-in",
        lat=float(lat),
        lng=float(f.HOME_LNG),
        at=at.isoformat(),
        accuracy=10,
    ).json()
    assert body["state"] == "checked_in" and body["visit"]["distance_m"] == 350
    assert body["anomalies"] == ["far_check_in"] and body["anomaly_decision"] == "pending"
    body = call(
        client, me, "post", f"{url}/check-out", at=(at + timedelta(minutes=62)).isoformat(), note="生活照料"
    ).json()
    assert (
        body["state"] == "checked_out"
        and body["visit"]["duration_minutes"] == 62
        and body["price_fen"] == 4000
    )
    bad = call(client, officer, "post", f"{url}/review", rating=7, channel="phone")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_rating"
    assert (
        call(client, officer, "post", f"{url}/review", rating=5, channel="phone", comment="满意").json()[
            "state"
        ]
        == "reviewed"
    )
    assert call(client, staff, "post", f"{url}/anomaly", decision="pay", reason="x").status_code == 403
    missing = call(client, officer, "post", f"{url}/anomaly", decision="pay", reason="")
    assert missing.json()["code"] == "reason_required"
    decided = call(
        client, officer, "post", f"{url}/anomaly", decision="pay", reason="回访核实，在老人女儿家服务"
    )
    assert decided.json()["anomaly_decision"] == "pay"
    assert (
        call(client, officer, "post", f"{url}/anomaly", decision="no_pay", reason="x").json()["code"]
        == "anomaly_not_pending"
    )


def test_check_in_time_and_position_codes(w, kailu_officer, client, auth_headers):
    order = f.order_in(w, kailu_officer, "dispatched")
    me = auth_headers(w.caregiver_user)
    url = f"/api/v1/orders/{order.pk}/check-in"
    now = timezone.localtime()
    position = {"lat": float(f.HOME_LAT), "lng": float(f.HOME_LNG)}
    for at, code in (
        ((now + timedelta(minutes=11)).isoformat(), "check_in_future"),
        ((now - timedelta(hours=24, minutes=5)).isoformat(), "check_in_stale"),
        (now.replace(tzinfo=None).isoformat(), "time_without_offset"),
    ):
        response = call(client, me, "post", url, at=at, **position)
        assert response.status_code == 422 and response.json()["code"] == code, response.json()
        assert "at" in response.json()["fields"]
    response = call(client, me, "post", url, at=now.isoformat(), lat=95.0, lng=121.3)
    assert response.json()["code"] == "invalid_coordinate"
    assert call(client, me, "post", url, lat=43.6, lng=121.3).status_code == 422  # "at" is required
    assert f.fresh(order).state == OrderState.DISPATCHED
    ok = call(client, me, "post", url, at=(now + timedelta(minutes=9)).isoformat(), **position)
    assert ok.status_code == 200 and ok.json()["visit"]["distance_m"] == 0


def test_dispatch_codes(kailu_officer, client, auth_headers):
    w = f.build(certificate_expires=TODAY - timedelta(days=1))
    other = f.build(elder_name="赵淑珍")
    order = f.order_in(w, kailu_officer, "accepted")
    url = f"/api/v1/orders/{order.pk}/dispatch"
    expired = call(client, auth_headers(w.staff), "post", url, caregiver_id=w.caregiver.pk)
    assert expired.status_code == 422 and expired.json()["code"] == "certificate_expired"
    assert "caregiver_id" in expired.json()["fields"]
    foreign = call(client, auth_headers(w.staff), "post", url, caregiver_id=other.caregiver.pk)
    assert foreign.json()["code"] == "caregiver_unknown"
    assert (
        call(client, auth_headers(other.staff), "post", url, caregiver_id=other.caregiver.pk).status_code
        == 404
    )


def test_reasons_and_failures(w, kailu_officer, client, auth_headers):
    order = f.officer_order(w, kailu_officer)
    url = f"/api/v1/orders/{order.pk}"
    assert (
        call(client, auth_headers(w.staff), "post", f"{url}/refuse", reason="").json()["code"]
        == "reason_required"
    )
    assert (
        call(client, auth_headers(w.staff), "post", f"{url}/refuse", reason="本周人手不足").json()["state"]
        == "refused"
    )
    second = f.order_in(w, kailu_officer, "dispatched")
    response = call(
        client,
        auth_headers(w.caregiver_user),
        "post",
        f"/api/v1/orders/{second.pk}/fail",
        reason="老人不在家",
    )
    assert response.json()["state"] == "failed"
    third = f.order_in(w, kailu_officer, "checked_in")
    cancelled = call(
        client, auth_headers(kailu_officer), "post", f"/api/v1/orders/{third.pk}/cancel", reason="x"
    )
    assert cancelled.json()["code"] == "illegal_transition"


def test_check_out_without_check_in(w, kailu_officer, client, auth_headers):
    order = f.order_in(w, kailu_officer, "dispatched")
    body = call(client, auth_headers(w.caregiver_user), "post", f"/api/v1/orders/{order.pk}/check-out").json()
    assert body["state"] == "checked_out" and body["anomalies"] == ["no_check_in"]
    assert body["visit"]["check_in_at"] is None


def test_service_only_sees_through_the_selector(w, kailu_officer):
    # the API and the console share the services: a direct call outside scope is refused too
    from django.core.exceptions import PermissionDenied

    order = f.officer_order(w, kailu_officer)
    other = f.build(elder_name="赵淑珍")
    with pytest.raises(PermissionDenied):
        orders.order_refuse(actor=other.staff, order=f.fresh(order), reason="x")


def test_ids_out_of_range_are_not_found_or_refused(w, kailu_officer, client, auth_headers):
    headers = auth_headers(kailu_officer)
    huge = 2**70
    assert call(client, headers, "get", f"/api/v1/orders/{huge}").status_code in (404, 422)
    response = call(client, headers, "post", "/api/v1/orders", **_create(w, provider_id=huge))
    assert response.status_code == 422
    order = f.order_in(w, kailu_officer, "accepted")
    response = call(
        client, auth_headers(w.staff), "post", f"/api/v1/orders/{order.pk}/dispatch", caregiver_id=huge
    )
    assert response.status_code == 422
