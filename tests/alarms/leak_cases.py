"""Leak-matrix cases for the device registry and ingestion (used by tests/test_leak_matrix.py).

``add_alarms(w)`` gives each county's elder a device with an event, an ingest error and (for
科尔沁区) a device import task; ``cases`` returns a case per route.
"""

import json

from django.core.files.base import ContentFile
from django.utils import timezone

from tests.alarms.factories import make_device
from yanglao.alarms import protocol
from yanglao.alarms.imports import KIND
from yanglao.alarms.ingest import Incoming, ingest_events
from yanglao.alarms.models import AlarmRuleOverride, Device, IngestError
from yanglao.alarms.protocol import ParsedEvent
from yanglao.alarms.services import device_secret
from yanglao.core.tasks import enqueue


def add_alarms(w) -> None:
    w.my_device, w.my_secret = make_device(w.my_elder, actor=w.kailu, serial="KL-LEAK-0001")
    w.their_device, w.their_secret = make_device(w.their_elder, actor=w.horqin, serial="HQ-LEAK-0001")
    for device in (w.my_device, w.their_device):
        ingest_events(
            [
                Incoming(
                    device.pk,
                    ParsedEvent(f"{device.serial}-evt", "heartbeat", timezone.now(), {"battery": 77}),
                )
            ],
            channel="http",
        )
        IngestError.objects.create(code="bad_signature", serial=device.serial, device=device,
                                   region_code=device.region_code, channel="http", detail="leak test")  # fmt: skip
    IngestError.objects.create(
        code="unknown_device", serial="NOBODY-0001", channel="mqtt", detail="leak test"
    )
    w.their_device_task = enqueue(
        kind=KIND,
        actor=w.horqin,
        params={"filename": "hq-devices.xlsx"},
        region_code="150502000000",
        input_file=ContentFile(b"x", name="hq-devices.xlsx"),
    )


def _their_state(w):
    d = Device.objects.get(pk=w.their_device.pk)
    return (d.status, d.model, d.elder_id, d.secret_enc, d.heartbeat_interval_s)


def cases(assert_list, api) -> dict:
    def device_list(w, login, client):
        assert_list(login(w.kailu).get("/alarms/devices/"), "KL-LEAK-0001", "HQ-LEAK-0001")
        for params in ({"region": "150502"}, {"q": "HQ-LEAK"}, {"q": "科尔沁老人"}):
            body = login(w.kailu).get("/alarms/devices/", params).content.decode()
            assert "HQ-LEAK-0001</code>" not in body and "科尔沁老人</a>" not in body, params

    def device_detail(w, login, client):
        assert login(w.kailu).get(f"/alarms/devices/{w.my_device.pk}/").status_code == 200
        assert login(w.kailu).get(f"/alarms/devices/{w.their_device.pk}/").status_code == 404

    def device_edit(w, login, client):
        before = _their_state(w)
        assert login(w.kailu).get(f"/alarms/devices/{w.their_device.pk}/edit/").status_code == 404
        response = login(w.kailu).post(
            f"/alarms/devices/{w.their_device.pk}/edit/",
            {
                "kind": "sos_button",
                "serial": "HQ-LEAK-0001",
                "model": "changed",
                "heartbeat_interval_s": "60",
            },
        )
        assert response.status_code == 404 and _their_state(w) == before

    def device_retire(w, login, client):
        before = _their_state(w)
        assert (
            login(w.kailu).post(f"/alarms/devices/{w.their_device.pk}/retire/", {"reason": "x"}).status_code
            == 404
        )
        assert _their_state(w) == before

    def device_secret_reset(w, login, client):
        before = _their_state(w)
        assert login(w.kailu).post(f"/alarms/devices/{w.their_device.pk}/secret/").status_code == 404
        assert _their_state(w) == before and device_secret(device=w.their_device) == w.their_secret

    def device_new(w, login, client):
        count = Device.objects.count()
        for elder in (str(w.their_elder.pk), ""):
            data = {"kind": "sos_button", "serial": "SNEAKY-0001", "elder": elder, "region": "150502001001",
                    "heartbeat_interval_s": "300"}  # fmt: skip
            response = login(w.kailu).post("/alarms/devices/new/", data)
            assert response.status_code == 422 and Device.objects.count() == count
            assert (
                "找不到该老年人" in response.content.decode()
                or "超出您的管辖范围" in response.content.decode()
            )
        assert "科尔沁" not in login(w.kailu).get("/alarms/devices/new/").content.decode()

    def device_errors(w, login, client):
        assert_list(login(w.kailu).get("/alarms/device-errors/"), "KL-LEAK-0001", "HQ-LEAK-0001")
        body = login(w.kailu).get("/alarms/device-errors/", {"q": "HQ-LEAK"}).content.decode()
        assert "HQ-LEAK-0001</code>" not in body
        # An unknown device belongs to no county: only platform-wide users see it.
        assert "NOBODY-0001" not in login(w.kailu).get("/alarms/device-errors/").content.decode()

    def device_import(w, login, client):
        assert "hq-devices.xlsx" not in login(w.kailu).get("/alarms/devices/import/").content.decode()

    def device_import_template(w, login, client):
        assert login(w.kailu).get("/alarms/devices/import/template.xlsx").status_code == 200  # blank, for all

    def device_import_status(w, login, client):
        assert login(w.kailu).get(f"/alarms/devices/import/{w.their_device_task.pk}/").status_code == 404
        assert login(w.horqin).get(f"/alarms/devices/import/{w.their_device_task.pk}/").status_code == 200

    def device_import_errors(w, login, client):
        assert (
            login(w.kailu).get(f"/alarms/devices/import/{w.their_device_task.pk}/errors.xlsx").status_code
            == 404
        )

    def elder_rules(w, login, client):
        response = login(w.kailu).post(f"/alarms/elder/{w.their_elder.pk}/rules/", {"geofence": "on"})
        assert response.status_code == 404
        assert not AlarmRuleOverride.objects.filter(elder=w.their_elder).exists()

    def api_device_list(w, login, client):
        body = api(w.kailu, client, "get", "/api/v1/devices").json()
        serials = {d["serial"] for d in body["items"]}
        assert "KL-LEAK-0001" in serials and "HQ-LEAK-0001" not in serials and body["total"] == len(serials)
        assert api(w.kailu, client, "get", "/api/v1/devices", region="150502").json()["total"] == 0
        assert api(w.kailu, client, "get", "/api/v1/devices", q="HQ-LEAK").json()["total"] == 0

    def api_device_detail(w, login, client):
        assert api(w.kailu, client, "get", f"/api/v1/devices/{w.my_device.pk}").status_code == 200
        assert api(w.kailu, client, "get", f"/api/v1/devices/{w.their_device.pk}").status_code == 404

    def api_device_create(w, login, client):
        count = Device.objects.count()
        response = api(w.kailu, client, "post", "/api/v1/devices", kind="sos_button", serial="SNEAKY-0002",
                       elder=str(w.their_elder.pk))  # fmt: skip
        assert response.status_code == 422 and "elder" in response.json()["fields"]
        response = api(w.kailu, client, "post", "/api/v1/devices", kind="sos_button", serial="SNEAKY-0003",
                       region="150502001001")  # fmt: skip
        assert response.status_code == 422 and "region" in response.json()["fields"]
        assert Device.objects.count() == count

    def api_device_retire(w, login, client):
        before = _their_state(w)
        response = api(w.kailu, client, "post", f"/api/v1/devices/{w.their_device.pk}/retire", reason="x")
        assert response.status_code == 404 and _their_state(w) == before

    def api_device_event_ingest(w, login, client):
        # A device signs for itself only: one county's device secret opens nothing of another's.
        body = json.dumps(
            protocol.event_document(event_id="x-1", kind="sos", occurred_at=timezone.now())
        ).encode()
        headers = protocol.signed_headers("HQ-LEAK-0001", w.my_secret, body)
        response = client.post(
            "/api/v1/device-events", body, content_type="application/json", headers=headers
        )
        assert response.status_code == 401 and response.json()["code"] == "bad_signature"
        assert "150502" not in response.content.decode() and "科尔沁" not in response.content.decode()
        assert not w.their_device.events.filter(event_id="x-1").exists()

    return {
        "alarms:device_list": device_list,
        "alarms:device_detail": device_detail,
        "alarms:device_edit": device_edit,
        "alarms:device_retire": device_retire,
        "alarms:device_secret": device_secret_reset,
        "alarms:device_new": device_new,
        "alarms:device_errors": device_errors,
        "alarms:import": device_import,
        "alarms:import_template": device_import_template,
        "alarms:import_status": device_import_status,
        "alarms:import_errors": device_import_errors,
        "alarms:elder_rules": elder_rules,
        "api:device_list": api_device_list,
        "api:device_detail": api_device_detail,
        "api:device_create": api_device_create,
        "api:device_retire": api_device_retire,
        "api:device_event_ingest": api_device_event_ingest,
    }
