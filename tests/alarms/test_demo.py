"""Demo data for the alarm desk, and the demo event stream end to end (through the real Mosquitto)."""

import time
import uuid

import pytest
from django.core.management import call_command

from tests.conftest import make_elder
from yanglao.accounts.models import User
from yanglao.alarms import worker
from yanglao.alarms.models import Alarm, AlarmAction, Device, DeviceEvent
from yanglao.alarms.mqtt import MqttIngester
from yanglao.alarms.services import device_secret
from yanglao.demo.alarms import CITY_DESK_USERNAME, DESK_USERNAME, seed_alarms
from yanglao.elders.models import ElderEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def kailu_elders(db):
    return [
        make_elder(name=f"演示{i}", living_situation="alone" if i % 3 == 0 else "spouse") for i in range(30)
    ]


def test_seed_alarms_makes_devices_history_and_the_desk_login_once(kailu_elders):
    made = seed_alarms(seed=5, password="Demo-pass-2026", share=0.2)
    assert made >= 6
    devices = Device.objects.filter(serial__startswith="DEMO-")
    assert devices.count() == made
    assert {d.region_code[:6] for d in devices} == {"150523"}
    assert devices.filter(kind="sos_button").count() == 6  # one per chosen elder
    assert device_secret(device=devices.first())  # each has a working (encrypted) secret
    assert not devices.filter(last_seen_at__isnull=False).exists()  # nothing goes offline before the stream
    desk = User.objects.get(username=DESK_USERNAME)
    assert desk.role == "desk" and desk.region_id == "150523000000" and desk.is_demo
    city_desk = User.objects.get(username=CITY_DESK_USERNAME)
    assert city_desk.role == "desk" and city_desk.region_id == "150500000000" and city_desk.is_demo
    assert (
        Alarm.objects.filter(state="resolved").exists()
        and Alarm.objects.exclude(state="resolved").count() == 2
    )
    assert (
        AlarmAction.objects.filter(kind="resolve").count() == Alarm.objects.filter(state="resolved").count()
    )
    assert ElderEvent.objects.filter(kind="device_assigned", source="alarms").count() == made
    assert seed_alarms(seed=5, password="Demo-pass-2026", share=0.2) == 0  # made once


def test_the_demo_stream_reaches_the_database_and_the_worker_makes_alarms(kailu_elders, capsys):
    seed_alarms(seed=5, password="Demo-pass-2026", share=0.2)
    root = f"yanglao-demo-test-{uuid.uuid4().hex[:8]}"
    ingester = MqttIngester(client_id=f"demo-test-{uuid.uuid4().hex[:8]}", root=root, session_expiry_s=30)
    ingester.start()
    try:
        call_command(
            "demo_events",
            "--seconds",
            "2.5",
            "--rate",
            "20",
            "--alarm-every",
            "1",
            "--root",
            root,
            "--seed",
            "3",
        )
        received = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            batch = ingester.collect(timeout=0.3)
            if not batch and received:
                break
            received += batch
        ingester.handle(received)
    finally:
        ingester.stop()
    out = capsys.readouterr().out
    assert "已确认" in out and "sos ←" in out
    assert DeviceEvent.objects.filter(event_id__startswith="demo-").count() == len(received) >= 20
    while ids := worker.claim_batch(worker="demo"):
        worker.process_batch(worker="demo", ids=ids)
    assert Alarm.objects.filter(cause="sos", source_event__isnull=False).exists()
