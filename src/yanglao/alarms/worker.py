"""The alarm worker: stored events in, alarms out, durably.

1. ``claim_batch`` takes up to N unprocessed events with a conditional UPDATE (claimed_by, claimed_at)
   and commits. On PostgreSQL the candidates are read ``FOR UPDATE SKIP LOCKED``, so concurrent
   workers take different events without waiting; on SQLite the write lock serialises claims. A claim
   older than the lease (the worker died) is taken over by the next claimer.
2. ``process_batch`` in ONE transaction: lock the events still claimed by this worker, run the rules,
   create or merge alarms, update the devices, mark the events processed. A kill -9 anywhere before
   the commit loses nothing (the claim expires, another worker redoes the batch); after it, nothing
   is redone. ``Alarm.source_event`` is unique, and periodic alarms carry a unique ``open_key``, so
   even a bug here cannot make two alarms of one event.
3. New alarms are published to Redis after the commit (``bus.publish_many``).

``run_checks`` holds the periodic rules: devices gone silent (offline), elders living alone with
no activity (check-on), and the purge of old nonces.
"""

import logging
import os
import secrets
import socket
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from yanglao.alarms import bus, ingest, rules
from yanglao.alarms.models import (
    Alarm,
    AlarmAction,
    AlarmCause,
    AlarmRule,
    AlarmRuleOverride,
    AlarmState,
    Device,
    DeviceEvent,
    DeviceStatus,
    EventKind,
    Outcome,
)
from yanglao.elders.models import Elder, LivingSituation
from yanglao.elders.models import Status as ElderStatus

log = logging.getLogger(__name__)

LEASE_S = 60
BATCH_SIZE = 200
OPEN_STATES = (AlarmState.OPEN, AlarmState.ACKNOWLEDGED)


def worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(3)}"


def _unclaimed(stale: datetime) -> Q:
    return Q(processed_at__isnull=True) & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))


def claim_batch(
    *, worker: str, limit: int = BATCH_SIZE, lease_s: int = LEASE_S, now: datetime | None = None
) -> list[int]:
    """Claim up to ``limit`` unprocessed events (unclaimed, or claimed longer ago than the lease)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=lease_s)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A claim is a lease, not a record: lost in a database crash, the events are simply
            # unclaimed again (process_batch only takes events still claimed by this worker). So it
            # need not wait for its WAL flush — one fsync per batch instead of two.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        candidates = DeviceEvent.objects.filter(_unclaimed(stale)).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        # Conditional: a row someone else claimed meanwhile keeps its claim.
        updated = DeviceEvent.objects.filter(_unclaimed(stale), id__in=ids).update(
            claimed_by=worker, claimed_at=now
        )
    if updated == len(ids):
        return ids
    return list(
        DeviceEvent.objects.filter(id__in=ids, claimed_by=worker, claimed_at=now).values_list("id", flat=True)
    )


def unprocessed_count() -> int:
    return DeviceEvent.objects.filter(processed_at__isnull=True).count()


# --- the rules' facts -----------------------------------------------------------------------------


def stored_rules() -> dict[str, rules.Rule]:
    return {r.cause: rules.Rule(r.cause, r.enabled, r.kind, r.params) for r in AlarmRule.objects.all()}


def overrides_for(elder_ids) -> dict[int, dict[str, tuple]]:
    result: dict[int, dict[str, tuple]] = defaultdict(dict)
    for elder_id, cause, enabled, params in AlarmRuleOverride.objects.filter(
        elder_id__in=elder_ids
    ).values_list("elder_id", "cause", "enabled", "params"):
        result[elder_id][cause] = (enabled, params)
    return result


def _device_facts(device: Device) -> rules.DeviceFacts:
    fence = None
    if device.has_geofence:
        fence = (
            float(device.geofence_latitude),
            float(device.geofence_longitude),
            float(device.geofence_radius_m),
        )
    return rules.DeviceFacts(id=device.pk, kind=device.kind, serial=device.serial, geofence=fence)


def _notice(kind: str, alarm: Alarm) -> tuple[str, dict]:
    return alarm.region_code, {
        "type": kind,
        "id": alarm.pk,
        "kind": alarm.kind,
        "cause": alarm.cause,
        "priority": alarm.priority,
        "state": alarm.state,
        "region_code": alarm.region_code,
        "elder_id": alarm.elder_id,
        "device_id": alarm.device_id,
        "opened_at": alarm.opened_at.isoformat(),
        "merged_count": alarm.merged_count,
        "summary": alarm.summary,
    }


def _create_alarm(decision: rules.Decision, *, device: Device | None, elder_id, region_code: str, at: datetime,
                  source_event_id: int | None, lat=None, lng=None, now: datetime) -> Alarm | None:  # fmt: skip
    """One alarm and its ``created`` action, in a savepoint: a unique ``open_key`` or ``source_event``
    already taken means the alarm exists, and the rest of the batch goes on."""
    alarm = Alarm(
        elder_id=elder_id,
        device=device,
        region_code=region_code,
        kind=decision.kind,
        cause=decision.cause,
        priority=decision.priority,
        summary=decision.summary,
        opened_at=at,
        last_event_at=at,
        source_event_id=source_event_id,
        open_key=decision.open_key,
        latitude=lat,
        longitude=lng,
    )
    try:
        with transaction.atomic():
            alarm.save(force_insert=True)
            AlarmAction.objects.create(
                alarm=alarm, kind=AlarmAction.Kind.CREATED, at=now, note=decision.summary[:500]
            )
    except IntegrityError:
        log.info("alarm not created, one is already open: %s %s", decision.cause, decision.open_key)
        return None
    return alarm


def _resolve_by_system(alarm_ids: list[int], *, note: str, now: datetime) -> list[Alarm]:
    """Close alarms whose condition ended by itself (a silent device talks again)."""
    alarms = list(Alarm.objects.select_for_update().filter(pk__in=alarm_ids, state__in=OPEN_STATES))
    for alarm in alarms:
        alarm.state = AlarmState.RESOLVED
        alarm.resolved_at = now
        alarm.outcome = Outcome.TECHNICAL
        alarm.outcome_note = note
        alarm.open_key = None
    Alarm.objects.bulk_update(alarms, ["state", "resolved_at", "outcome", "outcome_note", "open_key"])
    AlarmAction.objects.bulk_create(
        [
            AlarmAction(alarm=a, kind=AlarmAction.Kind.RESOLVE, at=now, note=note, data={"by": "system"})
            for a in alarms
        ]
    )
    return alarms


@dataclass
class BatchResult:
    events: int = 0
    created: list[int] = field(default_factory=list)
    merged: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)


def process_batch(*, worker: str, ids: list[int], now: datetime | None = None) -> BatchResult:
    """Run the rules over the claimed events and mark them processed, all in one transaction."""
    now = now or timezone.now()
    result = BatchResult()
    notices: list[tuple[str, dict]] = []
    with transaction.atomic():
        mine = DeviceEvent.objects.filter(id__in=ids, claimed_by=worker, processed_at__isnull=True)
        if connection.features.has_select_for_update:
            mine = mine.select_for_update(of=("self",))
        events = list(
            mine.order_by("id").values_list(
                "id", "device_id", "kind", "occurred_at", "received_at", "payload"
            )
        )
        if not events:
            return result
        # Locked in id order (no deadlock between workers): two batches never write one device at once.
        device_rows = Device.objects.filter(pk__in={e[1] for e in events}).order_by("pk")
        if connection.features.has_select_for_update:
            device_rows = device_rows.select_for_update(of=("self",))
        devices = {d.pk: d for d in device_rows}
        elder_ids = {d.elder_id for d in devices.values() if d.elder_id}
        elders = dict(Elder.objects.filter(pk__in=elder_ids).values_list("pk", "living_situation"))
        stored = stored_rules()
        overrides = overrides_for(elder_ids)
        rule_cache: dict[int | None, dict[str, rules.Rule]] = {}

        def rules_of(elder_id):
            if elder_id not in rule_cache:
                rule_cache[elder_id] = rules.effective_rules(stored, overrides.get(elder_id))
            return rule_cache[elder_id]

        open_by_cause: dict[int, dict[str, rules.OpenAlarm]] = defaultdict(dict)
        open_keys: set[str] = set()
        offline_alarms: dict[int, int] = {}
        for alarm_id, device_id, cause, last_event_at, open_key in Alarm.objects.filter(
            device_id__in=devices.keys(), state__in=OPEN_STATES
        ).values_list("id", "device_id", "cause", "last_event_at", "open_key"):
            if cause in rules.EMERGENCY_EVENTS.values():
                known = open_by_cause[device_id].get(cause)
                if known is None or (
                    last_event_at and known.last_event_at and last_event_at > known.last_event_at
                ):
                    open_by_cause[device_id][cause] = rules.OpenAlarm(alarm_id, cause, last_event_at)
            if open_key:
                open_keys.add(open_key)
            if cause == AlarmCause.OFFLINE:
                offline_alarms[device_id] = alarm_id

        touched: dict[int, Device] = {}
        heard: set[int] = set()
        for event_id, device_id, kind, occurred_at, received_at, payload in events:
            device = devices[device_id]
            elder_id = device.elder_id if device.elder_id in elders else None
            location = payload.get("location") or {}
            facts = rules.EventFacts(
                id=event_id,
                kind=kind,
                occurred_at=occurred_at,
                battery=payload.get("battery"),
                lat=location.get("lat"),
                lng=location.get("lng"),
            )
            state = rules.ElderState(
                elder_id=elder_id,
                rules=rules_of(elder_id),
                living_alone=elders.get(elder_id) == LivingSituation.ALONE,
                open_by_cause=open_by_cause.get(device_id, {}),
                open_keys=open_keys,
            )
            source = event_id
            for decision in rules.evaluate(facts, _device_facts(device), state):
                if decision.merge_into is not None:
                    alarm = Alarm.objects.select_for_update().get(pk=decision.merge_into)
                    alarm.merged_count += 1
                    alarm.last_event_at = max(alarm.last_event_at or occurred_at, occurred_at)
                    alarm.save(update_fields=["merged_count", "last_event_at"])
                    AlarmAction.objects.create(
                        alarm=alarm,
                        kind=AlarmAction.Kind.MERGED,
                        at=now,
                        note=f"重复{rules.SUMMARIES[alarm.cause]}，第 {alarm.merged_count + 1} 次",
                        data={"event_id": event_id},
                    )
                    open_by_cause[device_id][alarm.cause] = rules.OpenAlarm(
                        alarm.pk, alarm.cause, alarm.last_event_at
                    )
                    result.merged.append(alarm.pk)
                    notices.append(_notice("alarm.merged", alarm))
                    continue
                alarm = _create_alarm(
                    decision, device=device, elder_id=elder_id, region_code=device.region_code, at=occurred_at,
                    source_event_id=source, lat=facts.lat, lng=facts.lng, now=now,
                )  # fmt: skip
                source = None  # one alarm per event carries it; the others have their open_key
                if alarm is None:
                    continue
                if decision.open_key:
                    open_keys.add(decision.open_key)
                if decision.cause in rules.EMERGENCY_EVENTS.values():
                    open_by_cause[device_id][decision.cause] = rules.OpenAlarm(
                        alarm.pk, alarm.cause, occurred_at
                    )
                result.created.append(alarm.pk)
                notices.append(_notice("alarm.created", alarm))
            if _touch(device, kind=kind, occurred_at=occurred_at, received_at=received_at, payload=payload,
                      rule=rules_of(elder_id)[AlarmCause.OFFLINE]):  # fmt: skip
                touched[device_id] = device
            heard.add(device_id)
        back = [offline_alarms[d] for d in heard if d in offline_alarms]
        if back:
            for alarm in _resolve_by_system(back, note="设备恢复通信，系统自动结案", now=now):
                result.resolved.append(alarm.pk)
                notices.append(_notice("alarm.resolved", alarm))
        save_device_state(list(touched.values()))
        DeviceEvent.objects.filter(id__in=[e[0] for e in events]).update(processed_at=now)
        result.events = len(events)
        transaction.on_commit(lambda: bus.publish_many(notices))
    return result


def _touch(device: Device, *, kind, occurred_at, received_at, payload, rule: rules.Rule) -> bool:
    """What an event tells about its device: alive, battery, position, activity. True if the row
    must be written. A device talking more often than every tenth of its interval (at most 60 s) is
    not rewritten for each message: ``offline_after`` is then early by at most that much."""
    dirty = False
    quiet = timedelta(seconds=min(60, device.heartbeat_interval_s / 10))
    if device.last_seen_at is None or received_at - device.last_seen_at >= quiet:
        device.last_seen_at = received_at
        device.offline_after = received_at + timedelta(
            seconds=device.heartbeat_interval_s * int(rule.param("factor"))
        )
        dirty = True
    if device.status == DeviceStatus.OFFLINE:
        device.status = DeviceStatus.ACTIVE
        dirty = True
    battery = payload.get("battery")
    if battery is not None and battery != device.battery_pct:
        device.battery_pct = battery
        dirty = True
    location = payload.get("location")
    if location:
        lat, lng = Decimal(str(round(location["lat"], 6))), Decimal(str(round(location["lng"], 6)))
        if (lat, lng) != (device.last_latitude, device.last_longitude):
            device.last_latitude, device.last_longitude = lat, lng
            dirty = True
    if kind == EventKind.ACTIVITY and (
        device.last_activity_at is None or occurred_at > device.last_activity_at
    ):
        device.last_activity_at = occurred_at
        dirty = True
    return dirty


DEVICE_STATE = [
    "last_seen_at",
    "offline_after",
    "battery_pct",
    "last_latitude",
    "last_longitude",
    "last_activity_at",
    "status",
]
_PG_TYPES = [
    "bigint",
    "timestamptz",
    "timestamptz",
    "smallint",
    "numeric",
    "numeric",
    "timestamptz",
    "varchar",
]


def save_device_state(devices: list[Device]) -> None:
    """Write the devices' state columns: on PostgreSQL one ``UPDATE … FROM (VALUES …)``, elsewhere
    ``bulk_update`` (its CASE per column grows with the batch; PostgreSQL plans the join far faster)."""
    if not devices:
        return
    if connection.vendor != "postgresql":
        Device.objects.bulk_update(devices, DEVICE_STATE)
        return
    q = connection.ops.quote_name
    row = "(" + ", ".join(f"%s::{t}" for t in _PG_TYPES) + ")"
    columns = ["id", *DEVICE_STATE]
    params: list = []
    for d in devices:
        params += [d.pk, d.last_seen_at, d.offline_after, d.battery_pct, d.last_latitude, d.last_longitude,
                   d.last_activity_at, d.status]  # fmt: skip
    sets = ", ".join(f"{q(c)} = v.{q(c)}" for c in DEVICE_STATE)
    sql = (
        f"UPDATE {q(Device._meta.db_table)} AS d SET {sets} "  # noqa: S608 - identifiers only; values are parameters
        f"FROM (VALUES {', '.join([row] * len(devices))}) AS v({', '.join(q(c) for c in columns)}) "
        f"WHERE d.{q('id')} = v.{q('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- periodic checks ------------------------------------------------------------------------------


@dataclass
class ChecksResult:
    offline: list[int] = field(default_factory=list)
    inactivity: list[int] = field(default_factory=list)
    nonces_purged: int = 0


def check_offline(*, now: datetime, limit: int = 1000) -> list[Alarm]:
    """Active devices of an elder, silent past their ``offline_after``: device offline + technical alarm."""
    made = []
    with transaction.atomic():
        due = Device.objects.filter(status=DeviceStatus.ACTIVE, offline_after__lt=now, elder__isnull=False)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        devices = list(due.order_by("offline_after")[:limit])
        if not devices:
            return made
        stored = stored_rules()
        overrides = overrides_for({d.elder_id for d in devices})
        silent, talking = [], []
        for device in devices:
            rule = rules.effective_rules(stored, overrides.get(device.elder_id))[AlarmCause.OFFLINE]
            last_seen = device.last_seen_at or device.created_at
            due = rules.offline_due(
                last_seen=last_seen, interval_s=device.heartbeat_interval_s, now=now, rule=rule
            )
            if rule.enabled and not due:
                # ``offline_after`` is a lower bound: ingestion extends it only when it comes within one
                # interval (liveness.py), so a device heard since is due no earlier than this.
                device.offline_after = last_seen + timedelta(
                    seconds=device.heartbeat_interval_s * int(rule.param("factor"))
                )
                talking.append(device)
                continue
            if rule.enabled:
                decision = rules.offline_decision(rule, _device_facts(device), last_seen=last_seen)
                alarm = _create_alarm(decision, device=device, elder_id=device.elder_id, region_code=device.region_code,
                                      at=now, source_event_id=None, now=now)  # fmt: skip
                if alarm is not None:
                    made.append(alarm)
            device.status = DeviceStatus.OFFLINE
            silent.append(device)
        Device.objects.bulk_update(silent, ["status"])
        Device.objects.bulk_update(talking, ["offline_after"])
        notices = [_notice("alarm.created", a) for a in made]
        transaction.on_commit(lambda: bus.publish_many(notices))
    return made


def check_inactivity(*, now: datetime) -> list[Alarm]:
    """Elders living alone whose door/motion/bed sensors have said nothing for N daytime hours."""
    made = []
    with transaction.atomic():
        latest = (
            Device.objects.filter(
                kind__in=rules.ACTIVITY_DEVICES,
                status__in=(DeviceStatus.ACTIVE, DeviceStatus.OFFLINE),
                elder__living_situation=LivingSituation.ALONE,
                elder__status=ElderStatus.ACTIVE,
            )
            .values("elder_id")
            .annotate(last=Max("last_activity_at"), installed=Max("created_at"), region=Max("region_code"))
        )
        rows = list(latest)
        if not rows:
            return made
        open_keys = set(
            Alarm.objects.filter(open_key__in=[f"inactivity:{r['elder_id']}" for r in rows]).values_list(
                "open_key", flat=True
            )
        )
        stored = stored_rules()
        overrides = overrides_for({r["elder_id"] for r in rows})
        for row in rows:
            elder_id = row["elder_id"]
            if f"inactivity:{elder_id}" in open_keys:
                continue
            rule = rules.effective_rules(stored, overrides.get(elder_id))[AlarmCause.INACTIVITY]
            last = row["last"] or row["installed"]
            if rules.inactivity_due(last_activity=last, now=now, living_alone=True, rule=rule):
                decision = rules.inactivity_decision(rule, elder_id=elder_id, last_activity=last)
                alarm = _create_alarm(decision, device=None, elder_id=elder_id, region_code=row["region"], at=now,
                                      source_event_id=None, now=now)  # fmt: skip
                if alarm is not None:
                    made.append(alarm)
        notices = [_notice("alarm.created", a) for a in made]
        transaction.on_commit(lambda: bus.publish_many(notices))
    return made


def run_checks(*, now: datetime | None = None) -> ChecksResult:
    now = now or timezone.now()
    result = ChecksResult()
    result.offline = [a.pk for a in check_offline(now=now)]
    result.inactivity = [a.pk for a in check_inactivity(now=now)]
    result.nonces_purged = ingest.purge_nonces(now=now)
    return result


# --- the loop -------------------------------------------------------------------------------------


@dataclass
class WorkerOptions:
    batch_size: int = BATCH_SIZE
    lease_s: int = LEASE_S
    idle_sleep_s: float = 0.05
    # With Redis an idle worker waits for the ingester's doorbell, polling this often regardless.
    ring_wait_s: float = 0.25
    checks_every_s: float = 30.0
    until_done: bool = False
    max_seconds: float | None = None
    pause_s: float = 0.0  # between claiming a batch and processing it (tests kill a worker holding a claim)


def run(*, options: WorkerOptions, stop=None, report=None) -> int:
    """Claim and process until ``stop`` is set (or, with ``until_done``, until nothing is left).
    Database errors are logged and retried: the worker outlives a database restart."""
    from django.db import DatabaseError, close_old_connections

    name = worker_name()
    started = time.monotonic()
    next_checks = started
    processed = 0
    while not (stop is not None and stop.is_set()):
        if options.max_seconds is not None and time.monotonic() - started > options.max_seconds:
            break
        try:
            if options.checks_every_s and time.monotonic() >= next_checks:
                run_checks()
                next_checks = time.monotonic() + options.checks_every_s
            ids = claim_batch(worker=name, limit=options.batch_size, lease_s=options.lease_s)
            if ids:
                if options.pause_s:
                    time.sleep(options.pause_s)
                outcome = process_batch(worker=name, ids=ids)
                processed += outcome.events
                if report:
                    report(outcome)
                continue
            if options.until_done and unprocessed_count() == 0:
                break
        except DatabaseError as exc:
            log.warning("alarm worker: database error, retrying: %s", exc)
            close_old_connections()
            connection.close()
            time.sleep(1.0)
            continue
        if bus.wait_for_ring(options.ring_wait_s) is None:
            time.sleep(options.idle_sleep_s)
    return processed
