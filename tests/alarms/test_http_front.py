"""The ASGI front end of ``POST /api/v1/device-events`` (alarms/http_front.py), called directly.

Its storing thread has a database connection of its own, so these tests commit for real
(``transaction=True``) and the fixture closes that connection when the test ends.
"""

import asyncio
import json
import secrets

import pytest
from django.db import OperationalError, connection

from tests.alarms.factories import event, signed_post
from tests.conftest import KAILU_VILLAGE
from yanglao.alarms import http_front, ingest, protocol
from yanglao.alarms.models import SECRET_CONTEXT, Device, DeviceEvent, IngestError
from yanglao.core import crypto

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module", autouse=True)
def _reload_session_rows(django_db_setup, django_db_blocker):
    """Each transactional test ends by flushing every table, the regions and default rules loaded
    once per session (tests/conftest.py) included: put them back for the tests after this module."""
    yield
    from yanglao.benefits.defaults import install_default_rules
    from yanglao.regions.services import bundled_regions_path, bundled_seats_path, regions_load

    with django_db_blocker.unblock():
        regions_load(path=bundled_regions_path(), seats_path=bundled_seats_path())
        install_default_rules()


class InnerApp:
    """Stands in for Django: records what reaches it and answers 200."""

    def __init__(self):
        self.calls = []

    async def __call__(self, scope, receive, send):
        message = await receive()
        self.calls.append(
            (scope["method"] if "method" in scope else scope["type"], scope.get("path"), message)
        )
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"inner"})


@pytest.fixture
def inner():
    return InnerApp()


@pytest.fixture
def front(inner):
    made = http_front.DeviceEventsFront(inner)
    yield made
    made.executor.submit(lambda: connection.close()).result()  # the storing thread's own connection
    made.executor.shutdown(wait=True)


@pytest.fixture
def kit():
    """A device in stock, made without the registration service: its audit entry could not be
    deleted by the flush that ends a transactional test (the audit log is append-only)."""
    secret = protocol.new_secret()
    device = Device.objects.create(
        kind="sos_button",
        serial=f"T-FRONT-{secrets.token_hex(4)}",
        region_code=KAILU_VILLAGE,
        secret_enc=crypto.encrypt(secret, context=SECRET_CONTEXT),
    )
    return device, secret


def scope(*, method="POST", path=http_front.PATH, headers=None, content_length=True, body=b""):
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    raw.append((b"content-type", b"application/json"))
    if content_length is True:
        raw.append((b"content-length", str(len(body)).encode()))
    elif content_length is not None:
        raw.append((b"content-length", str(content_length).encode()))
    return {"type": "http", "method": method, "path": path, "headers": raw, "client": ("10.1.2.3", 40000)}


class Receiver:
    """An ASGI ``receive`` yielding the body in chunks; counts how many it handed out."""

    def __init__(self, body=b"", *, chunk=4096):
        self.chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
        self.calls = 0

    async def __call__(self):
        index = self.calls
        self.calls += 1
        if index >= len(self.chunks):
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": self.chunks[index], "more_body": index + 1 < len(self.chunks)}


async def call(app, scope_, receive):
    sent = []

    async def send(message):
        sent.append(message)

    await app(scope_, receive, send)
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], body


def signed(device, secret, document=None, *, raw=None, nonce=""):
    body = raw if raw is not None else json.dumps(document).encode()
    return scope(headers=protocol.signed_headers(device.serial, secret, body, nonce=nonce), body=body), body


async def post(front, device, secret, document=None, *, raw=None):
    scope_, body = signed(device, secret, document, raw=raw)
    status, answer = await call(front, scope_, Receiver(body))
    return status, json.loads(answer)


def test_a_signed_event_is_stored_and_answered_202(front, kit):
    device, secret = kit
    status, body = asyncio.run(post(front, device, secret, event("sos", event_id="f-1", battery=80)))
    assert (status, body) == (202, {"event_id": "f-1", "duplicate": False})
    stored = DeviceEvent.objects.get(device=device, event_id="f-1")
    assert stored.channel == "http" and stored.kind == "sos" and stored.payload == {"battery": 80}


def without_nulls(value):
    """The Django view's schema (IngestOut) also writes the absent fields as null; the front end
    writes only what is there, as docs/device-protocol.md shows. Compared without the nulls."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def test_the_answers_are_the_same_json_as_the_django_views(front, kit, client):
    device, secret = kit
    document = event(event_id="same")
    status, body = asyncio.run(post(front, device, secret, document))
    assert (status, body) == (202, {"event_id": "same", "duplicate": False})
    # The same event again, once through each: a duplicate both times.
    again = asyncio.run(post(front, device, secret, document))
    via_django = signed_post(client, device, secret, document)
    assert again == (202, {"event_id": "same", "duplicate": True})
    assert (via_django.status_code, without_nulls(via_django.json())) == again
    batch = {"events": [event(event_id="same"), {"event_id": "b", "kind": "nope"}]}
    status, body = asyncio.run(post(front, device, secret, batch))
    via_django = signed_post(client, device, secret, batch)
    assert status == via_django.status_code == 202
    assert body == without_nulls(via_django.json())
    assert [r["status"] for r in body["results"]] == ["duplicate", "rejected"]
    status, body = asyncio.run(post(front, device, "not-the-secret-at-all", document))
    via_django = signed_post(client, device, "not-the-secret-at-all", document)
    assert (status, body) == (via_django.status_code, via_django.json())
    assert body["code"] == "bad_signature"


def test_concurrent_requests_are_all_answered_and_stored(front, kit):
    device, secret = kit

    async def many():
        return await asyncio.gather(
            *(post(front, device, secret, event(event_id=f"c-{i}")) for i in range(20))
        )

    answers = asyncio.run(many())
    assert [status for status, _ in answers] == [202] * 20
    assert sorted(body["event_id"] for _, body in answers) == sorted(f"c-{i}" for i in range(20))
    assert DeviceEvent.objects.filter(device=device, event_id__startswith="c-").count() == 20


def test_a_declared_content_length_over_the_limit_is_413_without_reading_the_body(front, kit):
    device, _ = kit
    receive = Receiver(b"x" * 100)
    scope_ = scope(
        headers={protocol.HEADER_SERIAL: device.serial}, content_length=protocol.MAX_BODY_BYTES + 1
    )
    status, body = asyncio.run(call(front, scope_, receive))
    assert status == 413 and json.loads(body)["code"] == "payload_too_large"
    assert receive.calls == 0
    error = IngestError.objects.get()
    assert (error.code, error.serial, error.remote) == ("payload_too_large", device.serial, "10.1.2.3")
    assert not DeviceEvent.objects.exists()


def test_a_body_over_the_limit_without_content_length_is_413(front, kit):
    device, secret = kit
    big = json.dumps({**event(), "data": {"blob": "x" * (4 * protocol.MAX_BODY_BYTES)}}).encode()
    scope_ = scope(headers=protocol.signed_headers(device.serial, secret, big), content_length=None)
    receive = Receiver(big, chunk=4096)
    status, body = asyncio.run(call(front, scope_, receive))
    assert status == 413 and json.loads(body)["code"] == "payload_too_large"
    assert receive.calls < len(receive.chunks)  # stopped reading once over the limit
    assert IngestError.objects.get().code == "payload_too_large"
    assert not DeviceEvent.objects.exists()


@pytest.mark.parametrize(
    "method, path",
    [("GET", http_front.PATH), ("POST", "/api/v1/devices"), ("POST", "/api/v1/device-events/")],
)
def test_other_methods_and_paths_go_to_the_inner_app_untouched(front, inner, kit, method, path):
    device, secret = kit
    scope_, body = signed(device, secret, event(event_id="inner"))
    scope_ = {**scope_, "method": method, "path": path}
    status, answer = asyncio.run(call(front, scope_, Receiver(body)))
    assert (status, answer) == (200, b"inner")
    assert inner.calls == [(method, path, {"type": "http.request", "body": body, "more_body": False})]
    assert not DeviceEvent.objects.exists()


def test_a_non_http_scope_goes_to_the_inner_app(front, inner):
    async def lifespan():
        async def receive():
            return {"type": "lifespan.startup"}

        async def send(message):
            pass

        await front({"type": "lifespan"}, receive, send)

    asyncio.run(lifespan())
    assert inner.calls == [("lifespan", None, {"type": "lifespan.startup"})]


def test_a_database_error_answers_503_unavailable_and_stores_nothing(front, kit, monkeypatch):
    device, secret = kit

    def insert_fails(*args, **kwargs):
        raise OperationalError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(ingest, "_insert", insert_fails)
        status, body = asyncio.run(post(front, device, secret, event(event_id="lost")))
    assert status == 503 and body["code"] == "unavailable" and body["message"]
    assert not DeviceEvent.objects.exists() and not IngestError.objects.exists()
    # The next request is stored: the storing thread opened its connection again.
    assert asyncio.run(post(front, device, secret, event(event_id="lost")))[0] == 202
    assert DeviceEvent.objects.filter(event_id="lost").count() == 1


def test_a_failing_group_answers_503_to_every_request_of_it(front, kit, monkeypatch):
    device, secret = kit

    def fails(requests, **kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(ingest, "ingest_http_many", fails)

    async def many():
        return await asyncio.gather(
            *(post(front, device, secret, event(event_id=f"g-{i}")) for i in range(5))
        )

    answers = asyncio.run(many())
    assert [(status, body["code"]) for status, body in answers] == [(503, "unavailable")] * 5
    assert not DeviceEvent.objects.exists()


def test_a_client_that_disconnects_before_the_body_gets_400_and_nothing_is_stored(front, kit):
    device, secret = kit

    async def gone():
        return {"type": "http.disconnect"}

    scope_, _ = signed(device, secret, event(event_id="gone"))
    status, body = asyncio.run(call(front, scope_, gone))
    assert status == 400 and json.loads(body)["code"] == "disconnected"
    assert not DeviceEvent.objects.exists()
