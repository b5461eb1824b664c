"""Escalation: an emergency nobody answers goes up to the desk supervisor.

- Level 1: an emergency alarm still not acknowledged ``ACK_LIMIT`` (60 s) after it opened — the
  supervisor is notified: the board turns the card red and sounds a distinct alarm.
- Level 2: an emergency alarm still unresolved ``RESOLVE_LIMIT`` (30 min) after it opened — the
  second notice (whether or not level 1 happened: an emergency acknowledged in time but not closed
  in half an hour needs the supervisor as much).

``decide`` is the rule, a pure function of the alarm's facts and a clock, so tests set the time.
``escalate_due`` applies it to the alarms of the database: each raise is a conditional UPDATE on
the level it read, so two escalation loops running at once never raise one alarm twice. It is run by
``yanglao escalate_alarms`` (a loop; every few seconds) and may be called from any periodic loop.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from yanglao.alarms.desk import publish_after_commit
from yanglao.alarms.models import ActionKind, Alarm, AlarmAction, AlarmKind, AlarmState

log = logging.getLogger(__name__)

ACK_LIMIT = timedelta(seconds=60)
RESOLVE_LIMIT = timedelta(minutes=30)
ESCALATING_KINDS = (AlarmKind.EMERGENCY,)
LEVEL_NOTES = {
    1: "紧急告警 60 秒内无人受理，已通知值班主管",
    2: "紧急告警 30 分钟仍未结案，已再次通知值班主管",
}


@dataclass(frozen=True)
class AlarmFacts:
    kind: str
    state: str
    opened_at: datetime
    escalation_level: int = 0


def decide(facts: AlarmFacts, *, now: datetime) -> int | None:
    """The level the alarm should be raised to now, or None if it stays where it is.
    The limits are inclusive: exactly 60 s without acknowledgement escalates."""
    if facts.kind not in ESCALATING_KINDS or facts.state == AlarmState.RESOLVED:
        return None
    age = now - facts.opened_at
    target = facts.escalation_level
    if facts.state == AlarmState.OPEN and age >= ACK_LIMIT:
        target = max(target, 1)
    if age >= RESOLVE_LIMIT:
        target = max(target, 2)
    return target if target > facts.escalation_level else None


def next_due(facts: AlarmFacts) -> datetime | None:
    """When ``decide`` will next say yes, if nothing else happens (for the board's countdown)."""
    if facts.kind not in ESCALATING_KINDS or facts.state == AlarmState.RESOLVED:
        return None
    if facts.escalation_level < 1 and facts.state == AlarmState.OPEN:
        return facts.opened_at + ACK_LIMIT
    if facts.escalation_level < 2:
        return facts.opened_at + RESOLVE_LIMIT
    return None


def escalate_due(*, now: datetime | None = None, limit: int = 500) -> list[Alarm]:
    """Raise every alarm ``decide`` says is due; returns the alarms raised."""
    now = now or timezone.now()
    candidates = (
        Alarm.objects.filter(
            kind__in=ESCALATING_KINDS,
            state__in=(AlarmState.OPEN, AlarmState.ACKNOWLEDGED),
            escalation_level__lt=2,
            opened_at__lte=now - ACK_LIMIT,
        )
        .order_by("opened_at")
        .only("pk", "kind", "state", "opened_at", "escalation_level", "region_code", "cause", "priority")[
            :limit
        ]
    )
    raised = []
    for alarm in candidates:
        level = decide(AlarmFacts(alarm.kind, alarm.state, alarm.opened_at, alarm.escalation_level), now=now)
        if level is None:
            continue
        with transaction.atomic():
            # Conditional on what was read: a concurrent loop, an acknowledgement or a resolution in
            # between makes this a no-op (and the next round decides again on fresh facts).
            changed = Alarm.objects.filter(
                pk=alarm.pk, escalation_level=alarm.escalation_level, state=alarm.state
            ).update(escalation_level=level, escalated_at=now)
            if not changed:
                continue
            previous = alarm.escalation_level
            alarm.escalation_level, alarm.escalated_at = level, now
            AlarmAction.objects.create(
                alarm=alarm,
                kind=ActionKind.ESCALATE,
                at=now,
                note=LEVEL_NOTES[level],
                data={"level": level, "from": previous},
            )
            publish_after_commit("alarm.escalated", alarm)
        raised.append(alarm)
        log.warning("alarm %s escalated to level %s", alarm.pk, level)
    return raised
