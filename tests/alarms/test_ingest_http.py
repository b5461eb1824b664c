"""POST /api/v1/device-events: signature, timestamp, nonce, replay, idempotency, and every refusal code."""

import json
import time
import uuid

import pytest

from tests.alarms.factories import event, make_device, make_elder_with_device, signed_post
from yanglao.alarms import bus, protocol
from yanglao.alarms.models import DeviceEvent, IngestError, IngestNonce

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit(db):
    _, device, secret = make_elder_with_device()
    return device, secret


@pytest.fixture
def no_redis(settings):
    settings.YANGLAO_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    bus.reset()
    yield
    bus.reset()


def refused(response, status, code):
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    assert IngestError.objects.filter(code=code).count() == 1
    return body


def test_a_signed_event_is_stored_and_answered_202(client, kit):
    device, secret = kit
    response = signed_post(client, device, secret, event("sos", event_id="sos-1", battery=80))
    assert response.status_code == 202, response.content
    assert response.json()["event_id"] == "sos-1" and response.json()["duplicate"] is False
    stored = DeviceEvent.objects.get(device=device, event_id="sos-1")
    assert stored.kind == "sos" and stored.channel == "http" and stored.payload == {"battery": 80}
    assert stored.processed_at is None
    assert not IngestError.objects.exists()


def test_a_repeated_event_id_is_acknowledged_as_duplicate_and_stored_once(client, kit):
    device, secret = kit
    document = event("sos", event_id="sos-again")
    first = signed_post(client, device, secret, document)
    second = signed_post(client, device, secret, document)  # a retry: new nonce, same event
    assert first.status_code == second.status_code == 202
    assert first.json()["duplicate"] is False and second.json()["duplicate"] is True
    assert DeviceEvent.objects.filter(device=device, event_id="sos-again").count() == 1


def test_the_same_event_id_on_two_devices_is_two_events(client, kit):
    device, secret = kit
    other, other_secret = make_device(kind="door_sensor")
    assert signed_post(client, device, secret, event(event_id="x-1")).json()["duplicate"] is False
    assert signed_post(client, other, other_secret, event(event_id="x-1")).json()["duplicate"] is False
    assert DeviceEvent.objects.filter(event_id="x-1").count() == 2


def test_a_batch_reports_each_event(client, kit):
    device, secret = kit
    signed_post(client, device, secret, event(event_id="b-0"))
    document = {"events": [event(event_id="b-0"), event(event_id="b-1"), {"event_id": "b-2", "kind": "sos"},
                           event("battery", event_id="b-3", battery=15)]}  # fmt: skip
    response = signed_post(client, device, secret, document)
    assert response.status_code == 202
    body = response.json()
    assert (body["stored"], body["duplicates"], body["rejected"]) == (2, 1, 1)
    assert [r["status"] for r in body["results"]] == ["duplicate", "stored", "rejected", "stored"]
    assert body["results"][2]["code"] == "invalid_event"
    assert DeviceEvent.objects.filter(device=device).count() == 3
    assert IngestError.objects.get().code == "invalid_event"


# --- refusals: each with its code, counted, nothing stored ----------------------------------------


def test_missing_headers(client, kit):
    body = json.dumps(event()).encode()
    refused(client.post("/api/v1/device-events", body, content_type="application/json"), 401, "missing_auth")
    assert not DeviceEvent.objects.exists()


def test_unknown_device(client, kit):
    device, secret = kit
    device.serial = "NO-SUCH-DEVICE"
    refused(signed_post(client, device, secret, event()), 401, "unknown_device")
    assert IngestError.objects.get().serial == "NO-SUCH-DEVICE"


def test_retired_device(client, kit, kailu_officer):
    from yanglao.alarms.services import device_retire

    device, secret = kit
    device_retire(actor=kailu_officer, device=device, reason="老人已去世")
    refused(signed_post(client, device, secret, event()), 403, "device_retired")


def test_bad_signature(client, kit):
    device, _ = kit
    body = refused(signed_post(client, device, "not-the-secret-at-all", event()), 401, "bad_signature")
    assert "secret" not in json.dumps(body)
    error = IngestError.objects.get()
    assert error.device_id == device.pk and error.region_code == device.region_code


def test_a_signature_over_another_body_is_refused(client, kit):
    device, secret = kit
    signed = protocol.signed_headers(device.serial, secret, json.dumps(event(event_id="a")).encode())
    response = client.post(
        "/api/v1/device-events",
        json.dumps(event(event_id="b")),
        content_type="application/json",
        headers=signed,
    )
    refused(response, 401, "bad_signature")


def test_malformed_signature_header(client, kit):
    device, secret = kit
    refused(
        signed_post(client, device, secret, event(), headers={protocol.HEADER_SIGNATURE: "zz"}),
        401,
        "bad_signature",
    )


def test_stale_timestamp(client, kit):
    device, secret = kit
    refused(signed_post(client, device, secret, event(), now=time.time() - 301), 401, "stale_timestamp")


def test_future_timestamp(client, kit):
    device, secret = kit
    refused(signed_post(client, device, secret, event(), now=time.time() + 400), 401, "stale_timestamp")


def test_timestamp_within_the_window_is_accepted(client, kit):
    device, secret = kit
    assert signed_post(client, device, secret, event(), now=time.time() - 280).status_code == 202


def test_malformed_timestamp(client, kit):
    device, secret = kit
    headers = {protocol.HEADER_TIMESTAMP: "yesterday"}
    refused(signed_post(client, device, secret, event(), headers=headers), 401, "bad_timestamp")


def test_bad_nonce(client, kit):
    device, secret = kit
    refused(signed_post(client, device, secret, event(), nonce="short"), 401, "bad_nonce")


def test_replayed_request_is_refused_with_redis(client, kit):
    assert bus.client() is not None and bus.client().ping(), "Redis must be running for this test"
    device, secret = kit
    document = json.dumps(event(event_id="r-1")).encode()
    headers = protocol.signed_headers(device.serial, secret, document, nonce=f"n{uuid.uuid4().hex}")
    first = client.post("/api/v1/device-events", document, content_type="application/json", headers=headers)
    again = client.post("/api/v1/device-events", document, content_type="application/json", headers=headers)
    assert first.status_code == 202
    refused(again, 409, "replayed_nonce")
    assert not IngestNonce.objects.exists()  # Redis held it


def test_replayed_request_is_refused_without_redis(client, kit, no_redis):
    device, secret = kit
    document = json.dumps(event(event_id="r-2")).encode()
    headers = protocol.signed_headers(device.serial, secret, document, nonce=f"n{uuid.uuid4().hex}")
    first = client.post("/api/v1/device-events", document, content_type="application/json", headers=headers)
    again = client.post("/api/v1/device-events", document, content_type="application/json", headers=headers)
    assert first.status_code == 202
    refused(again, 409, "replayed_nonce")
    assert IngestNonce.objects.count() == 1
    assert DeviceEvent.objects.count() == 1


def test_a_nonce_is_not_burned_by_a_bad_signature(client, kit):
    device, secret = kit
    nonce = f"n{uuid.uuid4().hex}"
    assert signed_post(client, device, "wrong-secret-xxxxxxxx", event(), nonce=nonce).status_code == 401
    assert signed_post(client, device, secret, event(), nonce=nonce).status_code == 202


def test_oversize_body_by_content_length(client, kit):
    device, secret = kit
    big = json.dumps({**event(), "data": {"blob": "x" * 17000}}).encode()
    refused(signed_post(client, device, secret, None, raw=big), 413, "payload_too_large")
    assert not DeviceEvent.objects.exists()


def test_malformed_json(client, kit):
    device, secret = kit
    refused(signed_post(client, device, secret, None, raw=b'{"event_id": "a", '), 422, "malformed_json")


def test_json_that_is_not_an_object(client, kit):
    device, secret = kit
    refused(signed_post(client, device, secret, None, raw=b"[1, 2]"), 422, "malformed_json")


@pytest.mark.parametrize(
    "change, field",
    [
        ({"battery": "80"}, "battery"),
        ({"battery": True}, "battery"),
        ({"battery": 101}, "battery"),
        ({"kind": "explosion"}, "kind"),
        ({"event_id": 17}, "event_id"),
        ({"event_id": ""}, "event_id"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-01-01T08:00:00"}, "occurred_at"),  # no time zone
        ({"location": {"lat": "43.6", "lng": 121.3}}, "location.lat"),
        ({"location": [43.6, 121.3]}, "location"),
        ({"data": "fell"}, "data"),
        ({"colour": "red"}, "未知字段"),
    ],
)
def test_wrong_types_are_invalid_event(client, kit, change, field):
    device, secret = kit
    body = refused(signed_post(client, device, secret, {**event(), **change}), 422, "invalid_event")
    assert field in body["message"]
    assert not DeviceEvent.objects.exists()


def test_an_old_event_is_refused(client, kit):
    from datetime import timedelta

    from django.utils import timezone

    device, secret = kit
    refused(
        signed_post(client, device, secret, event(at=timezone.now() - timedelta(days=8))),
        422,
        "invalid_event",
    )


def test_refusals_never_store_the_secret(client, kit):
    device, secret = kit
    signed_post(
        client, device, secret, None, raw=secret.encode()
    )  # a device that sent its own secret as body
    signed_post(client, device, secret[::-1], event())
    for error in IngestError.objects.all():
        assert secret not in error.detail and secret[::-1] not in error.detail


def test_a_bad_device_does_not_disturb_a_good_one(client, kit):
    device, secret = kit
    for _ in range(3):
        signed_post(client, device, "wrong-secret-xxxxxxxx", event())
    assert signed_post(client, device, secret, event(event_id="ok")).status_code == 202
    assert DeviceEvent.objects.filter(event_id="ok").exists()
