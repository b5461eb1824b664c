"""Routine heartbeats settled at ingestion (alarms/liveness.py): stored processed with the device's
liveness written in the same transaction; everything else left for the alarm worker."""

import json
import secrets
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from tests.alarms.factories import event, make_elder_with_device
from yanglao.alarms import ingest, protocol, services, worker
from yanglao.alarms.ingest import Incoming, ingest_events
from yanglao.alarms.liveness import DeviceDirectory
from yanglao.alarms.models import Alarm, Device, DeviceEvent, DeviceStatus
from yanglao.alarms.mqtt import Message, MqttIngester
from yanglao.alarms.protocol import ParsedEvent, topic_for
from yanglao.alarms.services import device_secret

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit():
    elder, device, _ = make_elder_with_device()
    return elder, device


@pytest.fixture
def directory():
    return DeviceDirectory()


def ingest_one(directory, device, kind="heartbeat", *, received_at=None, event_id=None, **payload):
    """Store one event through the directory; the stored row."""
    event_id = event_id or f"{kind}-{secrets.token_hex(4)}"
    info = directory.lookup({device.serial})[device.serial]
    parsed = ParsedEvent(event_id, kind, timezone.now(), payload)
    (new,) = ingest_events(
        [Incoming(device.pk, parsed, info)], channel="http", received_at=received_at, directory=directory
    )
    assert new
    return DeviceEvent.objects.get(device=device, event_id=event_id)


def run_worker():
    worker.run(options=worker.WorkerOptions(until_done=True, checks_every_s=0))


def test_a_routine_heartbeat_is_stored_processed_and_the_device_row_updated(kit, directory):
    _, device = kit
    t = timezone.now()
    stored = ingest_one(directory, device, received_at=t, battery=80)
    device.refresh_from_db()
    assert stored.processed_at == t == stored.received_at
    assert device.last_seen_at == t
    assert device.offline_after == t + timedelta(seconds=device.heartbeat_interval_s * 2)
    assert device.battery_pct == 80
    assert worker.claim_batch(worker="w") == []  # nothing queued for the worker


def test_a_heartbeat_without_battery_is_routine_and_keeps_the_known_battery(kit, directory):
    _, device = kit
    Device.objects.filter(pk=device.pk).update(battery_pct=66)
    stored = ingest_one(directory, device)
    device.refresh_from_db()
    assert stored.processed_at is not None
    assert device.battery_pct == 66 and device.last_seen_at == stored.received_at


def test_a_low_battery_heartbeat_is_left_for_the_worker_which_raises_the_maintenance_alarm(kit, directory):
    _, device = kit
    stored = ingest_one(directory, device, battery=15)
    device.refresh_from_db()
    assert stored.processed_at is None
    assert device.last_seen_at is None  # not written at ingestion
    run_worker()
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.cause, alarm.device_id) == ("maintenance", "battery", device.pk)
    stored.refresh_from_db()
    device.refresh_from_db()
    assert stored.processed_at is not None and device.battery_pct == 15


def test_an_offline_devices_heartbeat_goes_to_the_worker_which_brings_it_back(kit, directory):
    _, device = kit
    past = timezone.now() - timedelta(hours=1)
    Device.objects.filter(pk=device.pk).update(last_seen_at=past, offline_after=past + timedelta(minutes=10))
    (offline_alarm,) = worker.check_offline(now=timezone.now())
    device.refresh_from_db()
    assert device.status == DeviceStatus.OFFLINE
    stored = ingest_one(directory, device, battery=90)
    device.refresh_from_db()
    assert stored.processed_at is None and device.last_seen_at == past
    run_worker()
    device.refresh_from_db()
    offline_alarm.refresh_from_db()
    assert device.status == DeviceStatus.ACTIVE and device.last_seen_at == stored.received_at
    assert offline_alarm.state == "resolved" and offline_alarm.open_key is None


def test_an_elders_battery_override_makes_a_battery_50_heartbeat_non_routine(kit, kailu_officer):
    elder, device = kit
    services.rule_override_set(
        actor=kailu_officer, elder=elder, cause="battery", enabled=None, params={"below_pct": 60}
    )
    directory = DeviceDirectory()
    stored = ingest_one(directory, device, battery=50)
    assert stored.processed_at is None
    run_worker()
    assert Alarm.objects.get().cause == "battery"
    # The same battery from another elder's device, under the default floor of 20, is routine.
    _, other, _ = make_elder_with_device(name="另一位老人")
    assert ingest_one(directory, other, battery=50).processed_at is not None


def test_a_battery_rule_switched_off_for_an_elder_makes_any_battery_routine(kit, kailu_officer):
    elder, device = kit
    services.rule_override_set(actor=kailu_officer, elder=elder, cause="battery", enabled=False)
    stored = ingest_one(DeviceDirectory(), device, battery=3)
    assert stored.processed_at is not None


def test_a_heartbeat_with_location_is_not_routine(kit, directory):
    _, device = kit
    stored = ingest_one(directory, device, battery=80, location={"lat": 43.6, "lng": 121.3})
    device.refresh_from_db()
    assert stored.processed_at is None and device.last_seen_at is None


@pytest.mark.parametrize(
    "kind, payload", [("sos", {}), ("fall", {}), ("activity", {"data": {"sensor": "door"}})]
)
def test_other_kinds_are_left_for_the_worker(kit, directory, kind, payload):
    _, device = kit
    assert ingest_one(directory, device, kind, battery=80, **payload).processed_at is None


def test_a_second_heartbeat_within_the_quiet_period_is_settled_without_rewriting_the_device(kit, directory):
    _, device = kit
    t = timezone.now()
    ingest_one(directory, device, received_at=t, battery=80)
    second = ingest_one(directory, device, received_at=t + timedelta(seconds=5), battery=80)
    device.refresh_from_db()
    assert second.processed_at == t + timedelta(seconds=5)
    assert device.last_seen_at == t  # not written again


def test_a_changed_battery_is_written_even_within_the_quiet_period(kit, directory):
    _, device = kit
    t = timezone.now()
    ingest_one(directory, device, received_at=t, battery=80)
    ingest_one(directory, device, received_at=t + timedelta(seconds=5), battery=79)
    device.refresh_from_db()
    assert device.battery_pct == 79 and device.last_seen_at == t + timedelta(seconds=5)


def test_a_device_retired_after_the_directory_loaded_it_is_not_settled(kit, directory, kailu_officer):
    _, device = kit
    assert directory.lookup({device.serial})[device.serial].status == DeviceStatus.ACTIVE
    services.device_retire(actor=kailu_officer, device=device, reason="老人已去世")
    stored = ingest_one(directory, device, battery=80)
    device.refresh_from_db()
    assert stored.processed_at is None
    assert device.status == DeviceStatus.RETIRED and device.last_seen_at is None
    assert device.pk not in directory.written


def test_a_rolled_back_transaction_makes_the_directory_forget_what_it_wrote(kit, directory, monkeypatch):
    _, device = kit
    info = directory.lookup({device.serial})[device.serial]

    def insert_fails(*args, **kwargs):
        raise OperationalError("database went away")

    with monkeypatch.context() as patch:
        patch.setattr(ingest, "_insert", insert_fails)
        parsed = ParsedEvent("lost", "heartbeat", timezone.now(), {"battery": 80})
        with pytest.raises(OperationalError):
            ingest_events([Incoming(device.pk, parsed, info)], channel="http", directory=directory)
    device.refresh_from_db()
    assert device.last_seen_at is None  # the liveness write was rolled back with the event
    assert directory.written == {}
    # So the next heartbeat, right after, writes the device rather than trusting the lost write.
    stored = ingest_one(directory, device, battery=80)
    device.refresh_from_db()
    assert stored.processed_at is not None and device.last_seen_at == stored.received_at


def test_routine_heartbeats_through_http_many_are_settled(kit, directory):
    _, device = kit
    body = json.dumps(event(event_id="via-http", battery=90)).encode()
    headers = protocol.signed_headers(device.serial, device_secret(device=device), body)
    (result,) = ingest.ingest_http_many([ingest.HttpRequest(headers.get, body)], directory=directory)
    assert result.status == 202
    assert DeviceEvent.objects.get(event_id="via-http").processed_at is not None


def test_the_mqtt_ingester_settles_routine_heartbeats_but_leaves_an_sos_for_the_worker(kit):
    _, device = kit
    topic = topic_for(device.serial)
    documents = [event(event_id="mq-hb", battery=70), event("sos", event_id="mq-sos", battery=70)]
    messages = [Message(i + 1, 1, topic, json.dumps(d).encode()) for i, d in enumerate(documents)]
    ing = MqttIngester(host="127.0.0.1", port=1883)  # not started: handle() needs no broker without acks
    assert ing.handle(messages, ack=False) == [True, True]
    heartbeat = DeviceEvent.objects.get(event_id="mq-hb")
    sos = DeviceEvent.objects.get(event_id="mq-sos")
    assert heartbeat.processed_at is not None and heartbeat.channel == "mqtt"
    assert sos.processed_at is None
    device.refresh_from_db()
    assert device.last_seen_at == heartbeat.received_at
    run_worker()
    assert Alarm.objects.get().cause == "sos"


def test_a_later_heartbeat_moves_last_seen_but_not_a_deadline_still_an_interval_away(
    kit, directory, monkeypatch
):
    """offline_after is extended only when it comes within one interval: the write touches no
    indexed column (a HOT update on PostgreSQL)."""
    _, device = kit
    t0 = timezone.now()
    ingest_one(directory, device, received_at=t0, battery=80)
    interval = timedelta(seconds=device.heartbeat_interval_s)
    # Past the quiet period (the directory's clock), half an interval later: deadline kept.
    monkeypatch.setattr("yanglao.alarms.liveness.time.monotonic", lambda: 1e9)
    t1 = t0 + interval / 2
    ingest_one(directory, device, received_at=t1, battery=80)
    device.refresh_from_db()
    assert device.last_seen_at == t1 and device.offline_after == t0 + 2 * interval
    # Later still, the deadline would be less than an interval away: extended from this heartbeat.
    monkeypatch.setattr("yanglao.alarms.liveness.time.monotonic", lambda: 2e9)
    t2 = t0 + interval * 1.5
    ingest_one(directory, device, received_at=t2, battery=80)
    device.refresh_from_db()
    assert device.last_seen_at == t2 and device.offline_after == t2 + 2 * interval


def test_the_offline_sweep_moves_the_deadline_of_a_device_heard_since_instead_of_alarming(kit):
    _, device = kit
    now = timezone.now()
    interval = timedelta(seconds=device.heartbeat_interval_s)
    Device.objects.filter(pk=device.pk).update(
        last_seen_at=now - interval / 2, offline_after=now - timedelta(seconds=1)
    )
    assert worker.check_offline(now=now) == []
    device.refresh_from_db()
    assert device.status == DeviceStatus.ACTIVE
    assert device.offline_after == now - interval / 2 + 2 * interval
    assert not Alarm.objects.exists()
    # Really silent for two intervals: offline, with its technical alarm.
    Device.objects.filter(pk=device.pk).update(last_seen_at=now - 3 * interval, offline_after=now - interval)
    made = worker.check_offline(now=now)
    device.refresh_from_db()
    assert device.status == DeviceStatus.OFFLINE and [a.cause for a in made] == ["offline"]
