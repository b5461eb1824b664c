"""Alarm rules: pure functions over an event and the elder's recent state; no database here.

The worker (``alarms.worker``) gathers the facts — the event, the device, the elder's effective rules
and the alarms already open — and applies the decisions. Rules per cause have built-in defaults
(``DEFAULTS``), a stored default (``AlarmRule``) overrides them, and an elder's ``AlarmRuleOverride``
overrides that (``effective_rules``).

- SOS button, fall, smoke, gas → emergency; a repeat from the same device within the merge window
  (60 s) is merged into the open alarm instead of raising another.
- Leaving the electronic fence → urgent, for elders whose fence rule is switched on (认知障碍 or
  走失风险: off by default, on per elder).
- No door/motion/bed activity for N daytime hours (default 12) for an elder living alone → check-on.
- No heartbeat for 2× the device's interval → device offline (technical).
- Battery under 20% → maintenance.
"""

import math
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from yanglao.alarms.models import KIND_PRIORITY, AlarmCause, AlarmKind, DeviceKind, EventKind

LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Rule:
    cause: str
    enabled: bool
    kind: str
    params: dict = field(default_factory=dict)

    def param(self, name: str):
        return self.params.get(name, DEFAULTS[self.cause].params.get(name))


DEFAULTS: dict[str, Rule] = {
    rule.cause: rule
    for rule in (
        Rule(AlarmCause.SOS, True, AlarmKind.EMERGENCY, {"merge_window_s": 60}),
        Rule(AlarmCause.FALL, True, AlarmKind.EMERGENCY, {"merge_window_s": 60}),
        Rule(AlarmCause.SMOKE, True, AlarmKind.EMERGENCY, {"merge_window_s": 60}),
        Rule(AlarmCause.GAS, True, AlarmKind.EMERGENCY, {"merge_window_s": 60}),
        Rule(AlarmCause.GEOFENCE, False, AlarmKind.URGENT, {}),
        Rule(AlarmCause.INACTIVITY, True, AlarmKind.CHECK_ON, {"hours": 12, "day_start": 7, "day_end": 21}),
        Rule(AlarmCause.OFFLINE, True, AlarmKind.TECHNICAL, {"factor": 2}),
        Rule(AlarmCause.BATTERY, True, AlarmKind.MAINTENANCE, {"below_pct": 20}),
    )
}

# The parameters an officer may set, with their allowed range (validated by services).
PARAM_RANGES: dict[str, dict[str, tuple[int, int]]] = {
    AlarmCause.SOS: {"merge_window_s": (0, 600)},
    AlarmCause.FALL: {"merge_window_s": (0, 600)},
    AlarmCause.SMOKE: {"merge_window_s": (0, 600)},
    AlarmCause.GAS: {"merge_window_s": (0, 600)},
    AlarmCause.GEOFENCE: {},
    AlarmCause.INACTIVITY: {"hours": (1, 72), "day_start": (0, 23), "day_end": (1, 24)},
    AlarmCause.OFFLINE: {"factor": (2, 20)},
    AlarmCause.BATTERY: {"below_pct": (1, 99)},
}

EMERGENCY_EVENTS = {
    EventKind.SOS: AlarmCause.SOS,
    EventKind.FALL: AlarmCause.FALL,
    EventKind.SMOKE: AlarmCause.SMOKE,
    EventKind.GAS: AlarmCause.GAS,
}
ACTIVITY_DEVICES = frozenset({DeviceKind.DOOR_SENSOR, DeviceKind.MOTION_SENSOR, DeviceKind.BED_SENSOR})
SUMMARIES = {
    AlarmCause.SOS: "一键呼叫",
    AlarmCause.FALL: "检测到跌倒",
    AlarmCause.SMOKE: "烟雾报警",
    AlarmCause.GAS: "燃气泄漏报警",
    AlarmCause.GEOFENCE: "离开电子围栏",
    AlarmCause.INACTIVITY: "长时间无活动，请电话关怀或上门探访",
    AlarmCause.OFFLINE: "设备离线",
    AlarmCause.BATTERY: "设备电量低，请安排更换电池或充电",
}


def effective_rules(
    stored: dict[str, Rule] | None = None, overrides: dict[str, tuple] | None = None
) -> dict[str, Rule]:
    """Built-in defaults ← stored defaults ← one elder's overrides ``{cause: (enabled or None, params)}``."""
    rules = dict(DEFAULTS)
    for cause, rule in (stored or {}).items():
        rules[cause] = Rule(cause, rule.enabled, rule.kind, {**DEFAULTS[cause].params, **rule.params})
    for cause, (enabled, params) in (overrides or {}).items():
        base = rules[cause]
        rules[cause] = Rule(
            cause, base.enabled if enabled is None else enabled, base.kind, {**base.params, **(params or {})}
        )
    return rules


@dataclass(frozen=True)
class EventFacts:
    id: int
    kind: str
    occurred_at: datetime
    battery: int | None = None
    lat: float | None = None
    lng: float | None = None


@dataclass(frozen=True)
class DeviceFacts:
    id: int
    kind: str
    serial: str
    geofence: tuple[float, float, float] | None = None  # lat, lng, radius in metres


@dataclass(frozen=True)
class OpenAlarm:
    id: int
    cause: str
    last_event_at: datetime | None


@dataclass(frozen=True)
class ElderState:
    """What the rules know of the elder and the device's open alarms when the event is looked at."""

    elder_id: int | None
    rules: dict[str, Rule]
    living_alone: bool = False
    # Open alarms of this device raised by events, by cause (for merging repeats).
    open_by_cause: dict[str, OpenAlarm] = field(default_factory=dict)
    # ``open_key`` of every alarm still open that concerns this device or elder (read only).
    open_keys: AbstractSet[str] = frozenset()


@dataclass(frozen=True)
class Decision:
    cause: str
    kind: str
    summary: str
    priority: int = 0
    open_key: str | None = None
    merge_into: int | None = None

    def __post_init__(self):
        if not self.priority:
            object.__setattr__(self, "priority", KIND_PRIORITY[self.kind])


def _raise(rule: Rule, device: DeviceFacts, *, detail: str = "", open_key: str | None = None) -> Decision:
    summary = f"{SUMMARIES[rule.cause]}（{DeviceKind(device.kind).label} {device.serial}）"
    if detail:
        summary += "：" + detail
    return Decision(cause=rule.cause, kind=rule.kind, summary=summary[:200], open_key=open_key)


def emergency_rule(event: EventFacts, device: DeviceFacts, state: ElderState) -> Decision | None:
    """SOS, fall, smoke, gas: an emergency, or a merge into the same device's open alarm of that
    cause if its last event lies within the merge window."""
    cause = EMERGENCY_EVENTS.get(event.kind)
    if cause is None:
        return None
    rule = state.rules[cause]
    if not rule.enabled:
        return None
    window = timedelta(seconds=int(rule.param("merge_window_s") or 0))
    open_alarm = state.open_by_cause.get(cause)
    if (
        open_alarm is not None
        and open_alarm.last_event_at is not None
        and abs(event.occurred_at - open_alarm.last_event_at) <= window
    ):
        return Decision(cause=cause, kind=rule.kind, summary="", merge_into=open_alarm.id)
    return _raise(rule, device)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def geofence_rule(event: EventFacts, device: DeviceFacts, state: ElderState) -> Decision | None:
    """A device-reported exit, or a reported position outside the fence, for an elder whose fence
    rule is on. One open alarm per device until it is resolved."""
    if event.kind not in (EventKind.GEOFENCE_EXIT, EventKind.LOCATION):
        return None
    rule = state.rules[AlarmCause.GEOFENCE]
    key = f"geofence:{device.id}"
    if not rule.enabled or state.elder_id is None or key in state.open_keys:
        return None
    detail = ""
    if event.kind == EventKind.LOCATION:
        if device.geofence is None or event.lat is None or event.lng is None:
            return None
        lat, lng, radius = device.geofence
        away = distance_m(lat, lng, event.lat, event.lng)
        if away <= radius:
            return None
        detail = f"距围栏中心约 {away:.0f} 米（半径 {radius:.0f} 米）"
    return _raise(rule, device, detail=detail, open_key=key)


def battery_rule(event: EventFacts, device: DeviceFacts, state: ElderState) -> Decision | None:
    if event.battery is None:
        return None
    rule = state.rules[AlarmCause.BATTERY]
    key = f"battery:{device.id}"
    if not rule.enabled or key in state.open_keys or event.battery >= int(rule.param("below_pct")):
        return None
    return _raise(rule, device, detail=f"剩余 {event.battery}%", open_key=key)


EVENT_RULES = (emergency_rule, geofence_rule, battery_rule)


def evaluate(event: EventFacts, device: DeviceFacts, state: ElderState) -> list[Decision]:
    """Every decision the event leads to (often none: a heartbeat with a good battery)."""
    return [decision for rule in EVENT_RULES if (decision := rule(event, device, state)) is not None]


# --- periodic checks ------------------------------------------------------------------------------


def offline_due(*, last_seen: datetime, interval_s: int, now: datetime, rule: Rule) -> bool:
    """No heartbeat (nor any other event) for ``factor`` × the device's heartbeat interval."""
    return rule.enabled and now - last_seen > timedelta(seconds=interval_s * int(rule.param("factor")))


def daytime_hours_between(start: datetime, end: datetime, *, day_start: int, day_end: int) -> float:
    """Hours between ``start`` and ``end`` that fall within the local day window [day_start, day_end)."""
    if end <= start or day_end <= day_start:
        return 0.0
    start, end = start.astimezone(LOCAL), end.astimezone(LOCAL)
    total = 0.0
    day = start.date()
    while day <= end.date():
        window_start = datetime.combine(day, time(day_start), tzinfo=LOCAL)
        window_end = (
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL)
            if day_end == 24
            else datetime.combine(day, time(day_end), tzinfo=LOCAL)
        )
        overlap = (min(end, window_end) - max(start, window_start)).total_seconds()
        if overlap > 0:
            total += overlap / 3600
        day += timedelta(days=1)
    return total


def inactivity_due(*, last_activity: datetime, now: datetime, living_alone: bool, rule: Rule) -> bool:
    """An elder living alone whose door, motion and bed sensors reported nothing for N daytime hours."""
    if not rule.enabled or not living_alone:
        return False
    hours = daytime_hours_between(
        last_activity, now, day_start=int(rule.param("day_start")), day_end=int(rule.param("day_end"))
    )
    return hours >= float(rule.param("hours"))


def inactivity_decision(rule: Rule, *, elder_id: int, last_activity: datetime) -> Decision:
    local = last_activity.astimezone(LOCAL)
    return Decision(
        cause=AlarmCause.INACTIVITY,
        kind=rule.kind,
        summary=f"{SUMMARIES[AlarmCause.INACTIVITY]}（最近活动 {local:%m-%d %H:%M}）",
        open_key=f"inactivity:{elder_id}",
    )


def offline_decision(rule: Rule, device: DeviceFacts, *, last_seen: datetime) -> Decision:
    local = last_seen.astimezone(LOCAL)
    return _raise(rule, device, detail=f"最近通信 {local:%m-%d %H:%M}", open_key=f"offline:{device.id}")
