"""Routine events (a heartbeat saying "alive, battery fine") settled at ingestion, not by the worker.

At 10,000 events/s nearly everything a fleet sends is a heartbeat, and each one handed to the alarm
worker costs a claim, a rule run and a second write of the event row. What a routine heartbeat
tells is only "the device is alive": ``last_seen_at``, ``offline_after`` and the battery. The
ingester writes that in the transaction that stores the event, and stores the event already
processed, so the worker's queue holds only what may raise or close an alarm.

An event is routine when all of these hold — otherwise it goes to the worker as before:
- it is a heartbeat without location or data, with no battery figure or one at or above the
  device's low-battery threshold (the elder's override of the battery rule included);
- its device is ``active`` *in the database, in this transaction*: the device row is updated with
  ``… WHERE status = 'active'``, and only the devices that update touched count. A device this
  ingester wrote less than its quiet period ago (``min(60 s, interval / 10)``, as the worker's
  ``_touch``) is not written again: its ``offline_after`` still lies at least 2 × its interval ahead,
  so the offline sweep cannot have flipped it since. An offline device's first heartbeat therefore
  always reaches the worker, which brings it back and closes its offline alarm.

``offline_after`` is written only when it would come within one heartbeat interval (then it is set
to now + factor × interval), so most liveness writes change no indexed column and PostgreSQL can
make them HOT updates (no index entries, far less WAL). It is therefore a lower bound: the offline
sweep (worker.check_offline) checks ``last_seen_at`` before calling a device silent, and moves the
deadline of one that was heard.

The directory of devices (serial → id, status, region, interval, thresholds) is read once and
reloaded every ``RELOAD_S``; a serial it does not know is looked up at once and remembered as
unknown for ``UNKNOWN_TTL_S``. A device retired since the last reload is refused at most
``RELOAD_S`` late (its events would be stored, never alarmed on: the worker skips retired devices).
"""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection

from yanglao.alarms import rules
from yanglao.alarms.models import (
    AlarmCause,
    AlarmRule,
    AlarmRuleOverride,
    Device,
    DeviceStatus,
    EventKind,
)

RELOAD_S = 60.0
UNKNOWN_TTL_S = 10.0
QUIET_MAX_S = 60


@dataclass(slots=True)
class DeviceInfo:
    id: int
    serial: str
    status: str
    region_code: str
    interval_s: int
    # Battery below this raises the maintenance alarm (0: the rule is off for this elder).
    battery_floor: int
    offline_factor: int


class DeviceDirectory:
    def __init__(self, *, reload_s: float = RELOAD_S):
        self.reload_s = reload_s
        self.by_serial: dict[str, DeviceInfo] = {}
        self.unknown: dict[str, float] = {}
        self.loaded_at = -1e18
        # device id → (monotonic time of our last liveness write, battery written, offline_after written)
        self.written: dict[int, tuple[float, int | None, datetime]] = {}

    # --- the directory ------------------------------------------------------------------------

    def _rule_params(self, elder_ids) -> tuple[dict, dict]:
        stored = {r.cause: rules.Rule(r.cause, r.enabled, r.kind, r.params) for r in AlarmRule.objects.all()}
        overrides: dict[int, dict] = {}
        query = AlarmRuleOverride.objects.filter(cause__in=(AlarmCause.BATTERY, AlarmCause.OFFLINE))
        if elder_ids is not None:
            query = query.filter(elder_id__in=elder_ids)
        for elder_id, cause, enabled, params in query.values_list("elder_id", "cause", "enabled", "params"):
            overrides.setdefault(elder_id, {})[cause] = (enabled, params)
        return stored, overrides

    def _infos(self, rows, elder_ids=None) -> list[DeviceInfo]:
        stored, overrides = self._rule_params(elder_ids)
        plain = rules.effective_rules(stored, None)
        infos = []
        for pk, serial, status, region_code, interval_s, elder_id in rows:
            effective = rules.effective_rules(stored, overrides[elder_id]) if elder_id in overrides else plain
            battery, offline = effective[AlarmCause.BATTERY], effective[AlarmCause.OFFLINE]
            infos.append(
                DeviceInfo(
                    id=pk,
                    serial=serial,
                    status=status,
                    region_code=region_code,
                    interval_s=interval_s,
                    battery_floor=int(battery.param("below_pct")) if battery.enabled else 0,
                    offline_factor=int(offline.param("factor")),
                )
            )
        return infos

    _COLUMNS = ("id", "serial", "status", "region_code", "heartbeat_interval_s", "elder_id")

    def reload(self) -> None:
        rows = Device.objects.order_by().values_list(*self._COLUMNS).iterator(chunk_size=20_000)
        self.by_serial = {info.serial: info for info in self._infos(list(rows))}
        self.unknown.clear()
        self.loaded_at = time.monotonic()

    def lookup(self, serials) -> dict[str, DeviceInfo | None]:
        now = time.monotonic()
        if now - self.loaded_at > self.reload_s:
            self.reload()
        found: dict[str, DeviceInfo | None] = {}
        missing = []
        for serial in serials:
            info = self.by_serial.get(serial)
            if info is None and self.unknown.get(serial, 0.0) < now:
                missing.append(serial)
            found[serial] = info
        if missing:
            rows = list(Device.objects.filter(serial__in=missing).order_by().values_list(*self._COLUMNS))
            for info in self._infos(rows, elder_ids={r[5] for r in rows if r[5]}):
                self.by_serial[info.serial] = found[info.serial] = info
            for serial in missing:
                if found[serial] is None:
                    self.unknown[serial] = now + UNKNOWN_TTL_S
        return found

    # --- routine events -----------------------------------------------------------------------

    @staticmethod
    def routine_shape(kind: str, payload: dict, info: DeviceInfo) -> bool:
        if kind != EventKind.HEARTBEAT or info.status == DeviceStatus.RETIRED:
            return False
        if "location" in payload or "data" in payload:
            return False
        battery = payload.get("battery")
        return battery is None or battery >= info.battery_floor

    def settle(
        self, candidates: dict[int, tuple[DeviceInfo, int | None]], *, received_at: datetime
    ) -> set[int]:
        """Write the liveness of the devices with routine events (inside the caller's transaction);
        the ids of the devices confirmed active, whose routine events may be stored processed.

        ``candidates``: device id → (its info, the battery of its latest routine event)."""
        now = time.monotonic()
        confirmed: set[int] = set()
        due: list[tuple[DeviceInfo, int | None, datetime | None]] = []
        for device_id, (info, battery) in candidates.items():
            written = self.written.get(device_id)
            quiet = min(QUIET_MAX_S, info.interval_s / 10)
            if (
                written is not None
                and now - written[0] < quiet
                and (battery is None or battery == written[1])
            ):
                confirmed.add(device_id)
                continue
            deadline = None  # keep the stored one
            if written is None or (written[2] - received_at).total_seconds() < info.interval_s:
                deadline = received_at + timedelta(seconds=info.interval_s * info.offline_factor)
            due.append((info, battery, deadline))
        if due:
            touched = _write_liveness(due, received_at=received_at)
            for info, battery, deadline in due:
                if info.id in touched:
                    confirmed.add(info.id)
                    self.written[info.id] = (now, battery, deadline or self.written[info.id][2])
                else:
                    # Not active in the database (offline, or retired since the reload): its events
                    # go to the worker, which decides. The next heartbeat tries again.
                    self.written.pop(info.id, None)
        return confirmed

    def forget_writes(self) -> None:
        """After a rolled-back transaction nothing we remember writing was written."""
        self.written.clear()


def _write_liveness(
    due: list[tuple[DeviceInfo, int | None, datetime | None]], *, received_at: datetime
) -> set[int]:
    """``UPDATE device … WHERE status = 'active'`` for each device; the ids it touched. A deadline of
    None keeps the stored ``offline_after``."""
    q = connection.ops.quote_name
    table = q(Device._meta.db_table)
    if connection.vendor == "postgresql":
        ids = [info.id for info, _, _ in due]
        offline_after = [deadline for _, _, deadline in due]
        battery = [b for _, b, _ in due]
        sql = (
            f"UPDATE {table} AS d SET {q('last_seen_at')} = %s, "  # noqa: S608 - identifiers only
            f"{q('offline_after')} = COALESCE(v.o, d.{q('offline_after')}), "
            f"{q('battery_pct')} = COALESCE(v.b, d.{q('battery_pct')}) "
            f"FROM unnest(%s::bigint[], %s::timestamptz[], %s::smallint[]) AS v(id, o, b) "
            f"WHERE d.{q('id')} = v.id AND d.{q('status')} = %s RETURNING d.{q('id')}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [received_at, ids, offline_after, battery, DeviceStatus.ACTIVE])
            return {row[0] for row in cursor.fetchall()}
    touched = set()
    sql = (
        f"UPDATE {table} SET {q('last_seen_at')} = %s, "  # noqa: S608 - identifiers only
        f"{q('offline_after')} = COALESCE(%s, {q('offline_after')}), "
        f"{q('battery_pct')} = COALESCE(%s, {q('battery_pct')}) WHERE {q('id')} = %s AND {q('status')} = %s"
    )
    field = Device._meta.get_field("last_seen_at")
    seen = field.get_db_prep_save(received_at, connection)
    with connection.cursor() as cursor:
        for info, battery, deadline in due:
            after = field.get_db_prep_save(deadline, connection) if deadline is not None else None
            cursor.execute(sql, [seen, after, battery, info.id, DeviceStatus.ACTIVE])
            if cursor.rowcount:
                touched.add(info.id)
    return touched
