"""The alarm worker in process: claims, leases, the rules applied, periodic checks, Redis notices."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.alarms.factories import make_device, make_elder_with_device
from tests.conftest import make_elder
from yanglao.alarms import bus, services, worker
from yanglao.alarms.ingest import Incoming, ingest_events
from yanglao.alarms.models import Alarm, AlarmAction, DeviceEvent, DeviceStatus
from yanglao.alarms.protocol import ParsedEvent

pytestmark = pytest.mark.django_db


def store(device, kind="heartbeat", *, at=None, event_id=None, **payload) -> DeviceEvent:
    at = at or timezone.now()
    event_id = event_id or f"{kind}-{DeviceEvent.objects.count()}-{at.timestamp()}"
    (new,) = ingest_events([Incoming(device.pk, ParsedEvent(event_id, kind, at, payload))], channel="mqtt")
    assert new
    return DeviceEvent.objects.get(device=device, event_id=event_id)


def drain(now=None, name="w1"):
    """Claim and process until nothing is left; returns the results."""
    results = []
    while ids := worker.claim_batch(worker=name, now=now):
        results.append(worker.process_batch(worker=name, ids=ids, now=now))
    return results


@pytest.fixture
def sos(db):
    elder, device, _ = make_elder_with_device()
    return elder, device


# --- claims ---------------------------------------------------------------------------------------


def test_two_workers_never_claim_the_same_event(sos):
    _, device = sos
    events = [store(device, event_id=f"h{i}") for i in range(10)]
    a = worker.claim_batch(worker="a", limit=4)
    b = worker.claim_batch(worker="b", limit=10)
    assert len(a) == 4 and len(b) == 6 and not set(a) & set(b)
    assert set(a) | set(b) == {e.pk for e in events}
    assert worker.claim_batch(worker="c") == []


def test_a_dead_workers_claim_is_taken_over_after_the_lease(sos):
    _, device = sos
    store(device)
    now = timezone.now()
    (claimed,) = worker.claim_batch(worker="dead", now=now)
    assert worker.claim_batch(worker="next", now=now + timedelta(seconds=30)) == []
    assert worker.claim_batch(worker="next", now=now + timedelta(seconds=worker.LEASE_S + 1)) == [claimed]
    # The dead worker, had it come back, no longer owns the event: it processes nothing.
    assert worker.process_batch(worker="dead", ids=[claimed]).events == 0
    assert worker.process_batch(worker="next", ids=[claimed]).events == 1
    assert DeviceEvent.objects.get(pk=claimed).processed_at is not None
    assert worker.claim_batch(worker="third", now=now + timedelta(hours=1)) == []


# --- event rules applied --------------------------------------------------------------------------


def test_an_sos_becomes_one_emergency_alarm_and_the_event_is_processed(sos):
    elder, device = sos
    event = store(device, "sos", battery=64, location={"lat": 43.6, "lng": 121.3})
    (result,) = drain()
    alarm = Alarm.objects.get()
    assert result.created == [alarm.pk]
    assert (alarm.kind, alarm.cause, alarm.priority, alarm.state) == ("emergency", "sos", 1, "open")
    assert (
        alarm.elder_id == elder.pk
        and alarm.region_code == elder.region_id
        and alarm.source_event_id == event.pk
    )
    assert float(alarm.latitude) == 43.6
    assert AlarmAction.objects.get(alarm=alarm).kind == "created"
    event.refresh_from_db()
    device.refresh_from_db()
    assert event.processed_at is not None
    assert (
        device.battery_pct == 64
        and device.last_seen_at is not None
        and device.offline_after > device.last_seen_at
    )


def test_repeated_presses_within_a_minute_merge_even_across_batches(sos):
    _, device = sos
    t = timezone.now() - timedelta(minutes=5)
    store(device, "sos", at=t)
    drain()
    store(device, "sos", at=t + timedelta(seconds=30))
    store(device, "sos", at=t + timedelta(seconds=80))  # 50 s after the second: still merged
    drain()
    alarm = Alarm.objects.get()
    assert alarm.merged_count == 2
    assert list(AlarmAction.objects.filter(alarm=alarm).values_list("kind", flat=True)) == [
        "created",
        "merged",
        "merged",
    ]
    store(device, "sos", at=t + timedelta(seconds=200))
    drain()
    assert Alarm.objects.count() == 2


def test_one_event_never_makes_two_alarms(sos):
    _, device = sos
    event = store(device, "fall")
    drain()
    decision = worker.rules.Decision(cause="fall", kind="emergency", summary="again")
    again = worker._create_alarm(decision, device=device, elder_id=None, region_code=device.region_code,
                                 at=timezone.now(), source_event_id=event.pk, now=timezone.now())  # fmt: skip
    assert again is None
    assert Alarm.objects.filter(source_event=event).count() == 1


def test_low_battery_once_until_resolved(sos):
    _, device = sos
    store(device, battery=15)
    store(device, battery=12)
    drain()
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.cause, alarm.open_key) == ("maintenance", "battery", f"battery:{device.pk}")


def test_geofence_for_an_elder_with_the_rule_on(kailu_officer):
    elder, watch, _ = make_elder_with_device(kind="wearable")
    watch.geofence_latitude, watch.geofence_longitude, watch.geofence_radius_m = 43.6, 121.3, 300
    watch.save()
    store(watch, "location", location={"lat": 43.61, "lng": 121.3})
    drain()
    assert not Alarm.objects.exists()  # off by default
    services.rule_override_set(
        actor=kailu_officer, elder=elder, cause="geofence", enabled=True, note="走失风险"
    )
    store(watch, "location", location={"lat": 43.61, "lng": 121.3})
    store(watch, "location", location={"lat": 43.62, "lng": 121.3})
    drain()
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.cause) == ("urgent", "geofence")


def test_a_device_in_stock_still_raises_an_emergency():
    device, _ = make_device()
    store(device, "smoke")
    drain()
    alarm = Alarm.objects.get()
    assert alarm.elder_id is None and alarm.region_code == device.region_code


# --- periodic checks ------------------------------------------------------------------------------


def test_offline_after_twice_the_heartbeat_then_back(sos, django_capture_on_commit_callbacks):
    _, device = sos
    t = timezone.now()
    store(device, at=t)
    drain(now=t)
    device.refresh_from_db()
    assert worker.run_checks(now=device.last_seen_at + timedelta(seconds=599)).offline == []
    later = device.last_seen_at + timedelta(seconds=601)
    result = worker.run_checks(now=later)
    (alarm_id,) = result.offline
    alarm = Alarm.objects.get(pk=alarm_id)
    assert (alarm.kind, alarm.cause, alarm.open_key) == ("technical", "offline", f"offline:{device.pk}")
    device.refresh_from_db()
    assert device.status == DeviceStatus.OFFLINE
    assert worker.run_checks(now=later + timedelta(minutes=30)).offline == []  # one alarm, not one per sweep
    store(device, at=later + timedelta(minutes=31))
    drain(now=later + timedelta(minutes=31))
    device.refresh_from_db()
    alarm.refresh_from_db()
    assert device.status == DeviceStatus.ACTIVE
    assert alarm.state == "resolved" and alarm.open_key is None and alarm.outcome == "technical"


def test_a_device_that_never_spoke_goes_offline_from_its_registration(sos):
    _, device = sos
    assert device.offline_after is None  # not yet heard from: no deadline until the first message
    assert worker.run_checks(now=timezone.now() + timedelta(days=1)).offline == []


def test_inactivity_for_an_elder_living_alone():
    alone = make_elder(name="独居老人", living_situation="alone")
    together = make_elder(name="同住老人", living_situation="children")
    door, _ = make_device(alone, kind="door_sensor")
    other_door, _ = make_device(together, kind="door_sensor")
    t = timezone.now() - timedelta(days=3)
    store(door, "activity", at=t, data={"sensor": "door"})
    store(other_door, "activity", at=t, data={"sensor": "door"})
    drain()
    door.refresh_from_db()
    assert door.last_activity_at == t
    (alarm_id,) = worker.run_checks().inactivity
    alarm = Alarm.objects.get(pk=alarm_id)
    assert (alarm.elder_id, alarm.kind, alarm.cause) == (alone.pk, "check_on", "inactivity")
    assert worker.run_checks().inactivity == []


def test_recent_activity_means_no_check_on_alarm():
    alone = make_elder(name="独居老人", living_situation="alone")
    motion, _ = make_device(alone, kind="motion_sensor")
    store(motion, "activity", at=timezone.now() - timedelta(minutes=5), data={"sensor": "motion"})
    drain()
    assert worker.run_checks().inactivity == []


# --- notices to the desk --------------------------------------------------------------------------


def test_new_alarms_are_published_to_the_county_channel_after_commit(sos, django_capture_on_commit_callbacks):
    client = bus.client()
    assert client is not None and client.ping(), "Redis must be running for this test"
    _, device = sos
    pubsub = client.pubsub()
    pubsub.subscribe(bus.channel_for(device.region_code))
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    store(device, "sos")
    with django_capture_on_commit_callbacks(execute=True):
        drain()
    message = None
    for _ in range(20):
        message = pubsub.get_message(timeout=0.5)
        if message and message["type"] == "message":
            break
    pubsub.close()
    assert message and message["channel"].decode() == "yanglao:alarms:150523"
    notice = json.loads(message["data"])
    assert notice["type"] == "alarm.created" and notice["cause"] == "sos" and notice["priority"] == 1


def test_without_redis_the_worker_goes_on(sos, settings, django_capture_on_commit_callbacks):
    settings.YANGLAO_REDIS_URL = "redis://127.0.0.1:1/0"
    bus.reset()
    try:
        _, device = sos
        store(device, "gas")
        with django_capture_on_commit_callbacks(execute=True):
            drain()
        assert Alarm.objects.filter(cause="gas").count() == 1
        assert bus.publish("150523100001", {"x": 1}) is False
    finally:
        bus.reset()


# --- rule overrides -------------------------------------------------------------------------------


def test_rule_override_validation(sos, kailu_officer, horqin_officer):
    elder, _ = sos
    with pytest.raises(ValidationError) as exc:
        services.rule_override_set(
            actor=kailu_officer, elder=elder, cause="inactivity", enabled=None, params={"hours": 0}
        )
    assert exc.value.error_dict["params"][0].code == "param_out_of_range"
    with pytest.raises(ValidationError):
        services.rule_override_set(
            actor=kailu_officer, elder=elder, cause="battery", enabled=None, params={"colour": 1}
        )
    with pytest.raises(PermissionDenied):
        services.rule_override_set(actor=horqin_officer, elder=elder, cause="geofence", enabled=True)
    override = services.rule_override_set(
        actor=kailu_officer, elder=elder, cause="inactivity", enabled=None, params={"hours": 8}
    )
    assert override.params == {"hours": 8} and override.region_code == elder.region_id
    assert (
        services.rule_override_set(actor=kailu_officer, elder=elder, cause="inactivity", enabled=None) is None
    )
