"""``ingest.ingest_http_many``: several signed requests checked and stored in one transaction, each
answered as it would have been alone (the ASGI front end's group commit)."""

import json
import time
import uuid

import pytest

from tests.alarms.factories import event, make_elder_with_device
from yanglao.alarms import bus, ingest, protocol
from yanglao.alarms.models import DeviceEvent, IngestError, IngestNonce

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit():
    _, device, secret = make_elder_with_device()
    return device, secret


def signed_request(serial, secret, document=None, *, raw=None, now=None, nonce="", remote="10.0.0.7"):
    body = raw if raw is not None else json.dumps(document).encode()
    headers = protocol.signed_headers(serial, secret, body, now=now, nonce=nonce)
    return ingest.HttpRequest(headers.get, body, remote)


def alone(req: ingest.HttpRequest) -> ingest.HttpResult:
    """The same request through the one-request entry point."""
    return ingest.ingest_http(header=req.header, body=req.body, remote=req.remote)


def answers(results):
    return [(r.status, r.body.get("code")) for r in results]


def mixed_group(device, secret):
    nonce = f"n{uuid.uuid4().hex}"
    return [
        signed_request(device.serial, secret, event(event_id="good")),
        signed_request(device.serial, "not-the-secret-at-all", event(event_id="forged")),
        signed_request("NO-SUCH-DEVICE", secret, event(event_id="stranger")),
        signed_request(device.serial, secret, event(event_id="stale"), now=time.time() - 400),
        signed_request(device.serial, secret, event(event_id="first-use"), nonce=nonce),
        signed_request(device.serial, secret, event(event_id="first-use"), nonce=nonce),
    ]


@pytest.fixture(params=["redis", "table"])
def nonce_store(request, settings):
    """Where nonces are taken: Redis, or the ``IngestNonce`` table when Redis does not answer."""
    if request.param == "redis":
        assert bus.client() is not None and bus.client().ping(), "Redis must be running for this test"
        yield request.param
        return
    settings.YANGLAO_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    bus.reset()
    yield request.param
    bus.reset()


def test_each_request_of_a_group_gets_its_own_answer_in_order(kit, nonce_store):
    device, secret = kit
    results = ingest.ingest_http_many(mixed_group(device, secret))
    assert answers(results) == [
        (202, None),
        (401, "bad_signature"),
        (401, "unknown_device"),
        (401, "stale_timestamp"),
        (202, None),
        (409, "replayed_nonce"),
    ]
    assert results[0].body == {"event_id": "good", "duplicate": False}
    assert results[4].body == {"event_id": "first-use", "duplicate": False}
    assert all(r.body["message"] for r in results if r.status != 202)
    assert sorted(DeviceEvent.objects.values_list("event_id", flat=True)) == ["first-use", "good"]
    assert IngestNonce.objects.exists() is (nonce_store == "table")


def test_the_refusals_of_a_group_are_recorded_as_ingest_errors(kit):
    device, secret = kit
    ingest.ingest_http_many(mixed_group(device, secret))
    rows = {e.code: e for e in IngestError.objects.all()}
    assert sorted(rows) == ["bad_signature", "replayed_nonce", "stale_timestamp", "unknown_device"]
    assert IngestError.objects.count() == 4
    assert {e.channel for e in rows.values()} == {"http"}
    assert {e.remote for e in rows.values()} == {"10.0.0.7"}
    assert rows["unknown_device"].serial == "NO-SUCH-DEVICE" and rows["unknown_device"].device_id is None
    for code in ("bad_signature", "stale_timestamp", "replayed_nonce"):
        assert rows[code].device_id == device.pk and rows[code].region_code == device.region_code


def test_the_same_event_id_in_two_requests_of_a_group_is_stored_once(kit):
    device, secret = kit
    document = event("sos", event_id="twice", battery=70)
    first, second = ingest.ingest_http_many(
        [signed_request(device.serial, secret, document), signed_request(device.serial, secret, document)]
    )
    assert (first.status, second.status) == (202, 202)
    assert first.body == {"event_id": "twice", "duplicate": False}
    assert second.body == {"event_id": "twice", "duplicate": True}
    assert DeviceEvent.objects.filter(device=device, event_id="twice").count() == 1


def test_the_same_event_id_on_two_devices_of_a_group_is_two_events(kit):
    device, secret = kit
    _, other, other_secret = make_elder_with_device(name="另一位老人")
    results = ingest.ingest_http_many(
        [
            signed_request(device.serial, secret, event(event_id="x")),
            signed_request(other.serial, other_secret, event(event_id="x")),
        ]
    )
    assert [r.body["duplicate"] for r in results] == [False, False]
    assert DeviceEvent.objects.filter(event_id="x").count() == 2


def test_batch_bodies_in_a_group_report_per_event_results(kit):
    device, secret = kit
    alone(signed_request(device.serial, secret, event(event_id="old")))
    group = [
        signed_request(
            device.serial,
            secret,
            {"events": [event(event_id="old"), event(event_id="a1"), {"event_id": "bad", "kind": "sos"}]},
        ),
        signed_request(device.serial, secret, event("fall", event_id="single")),
        signed_request(
            device.serial,
            secret,
            {"events": [event(event_id="a1"), event("battery", event_id="b2", battery=10), {"kind": "x"}]},
        ),
    ]
    first, single, second = ingest.ingest_http_many(group)
    assert first.status == single.status == second.status == 202
    assert (first.body["stored"], first.body["duplicates"], first.body["rejected"]) == (1, 1, 1)
    assert [r["status"] for r in first.body["results"]] == ["duplicate", "stored", "rejected"]
    assert first.body["results"][2] | {"message": ""} == {
        "event_id": "bad", "code": "invalid_event", "message": "", "status": "rejected"
    }  # fmt: skip
    assert single.body == {"event_id": "single", "duplicate": False}
    # "a1" was stored by the first request of the same group: a duplicate here.
    assert (second.body["stored"], second.body["duplicates"], second.body["rejected"]) == (1, 1, 1)
    assert [r["status"] for r in second.body["results"]] == ["duplicate", "stored", "rejected"]
    assert second.body["results"][2]["event_id"] is None
    assert [len(first.rejections), len(single.rejections), len(second.rejections)] == [1, 0, 1]
    assert sorted(DeviceEvent.objects.values_list("event_id", flat=True)) == ["a1", "b2", "old", "single"]
    assert list(IngestError.objects.values_list("code", flat=True)) == ["invalid_event", "invalid_event"]


def test_a_group_answers_like_requests_one_by_one(kit):
    device, secret = kit
    documents = [event(event_id="s1"), event(event_id="s1"), {"event_id": "s2", "kind": "nope"}]
    one_by_one = [alone(signed_request(device.serial, secret, d)) for d in documents]
    DeviceEvent.objects.all().delete()
    IngestError.objects.all().delete()
    together = ingest.ingest_http_many([signed_request(device.serial, secret, d) for d in documents])
    assert [(r.status, r.body) for r in together] == [(r.status, r.body) for r in one_by_one]


def test_a_json_body_with_an_escaped_nul_is_refused_as_invalid_event(kit):
    device, secret = kit
    raw = json.dumps(event(event_id="nul", data={"note": "a\u0000b"})).encode()
    assert b"\\u0000" in raw
    ok, refused = ingest.ingest_http_many(
        [
            signed_request(device.serial, secret, event(event_id="fine")),
            signed_request(device.serial, secret, raw=raw),
        ]
    )
    assert ok.status == 202
    assert (refused.status, refused.body["code"]) == (422, "invalid_event")
    assert list(DeviceEvent.objects.values_list("event_id", flat=True)) == ["fine"]
    assert IngestError.objects.get().code == "invalid_event"


def test_an_empty_group_stores_nothing(kit):
    assert ingest.ingest_http_many([]) == []
    assert not DeviceEvent.objects.exists() and not IngestError.objects.exists()
