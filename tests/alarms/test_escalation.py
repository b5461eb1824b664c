"""Escalation with a controlled clock: an emergency not acknowledged in 60 s goes to level 1 (59 s
no, 60 s yes), one unresolved after 30 minutes to level 2; nothing else escalates, nothing twice."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from tests.alarms.desk_factories import kailu_desk, make_alarm
from yanglao.alarms import desk, escalation
from yanglao.alarms.escalation import AlarmFacts, decide, next_due
from yanglao.alarms.models import ActionKind, AlarmAction

T0 = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def facts(state="open", kind="emergency", level=0) -> AlarmFacts:
    return AlarmFacts(kind=kind, state=state, opened_at=T0, escalation_level=level)


# --- the rule ------------------------------------------------------------------------------------


def test_not_acknowledged_for_59_seconds_stays_60_seconds_escalates():
    assert decide(facts(), now=at(59)) is None
    assert decide(facts(), now=at(59.999)) is None
    assert decide(facts(), now=at(60)) == 1
    assert decide(facts(), now=at(61)) == 1


def test_acknowledged_in_time_is_not_escalated_for_the_acknowledgement():
    assert decide(facts(state="acknowledged"), now=at(60)) is None
    assert decide(facts(state="acknowledged"), now=at(29 * 60 + 59)) is None


def test_unresolved_after_30_minutes_escalates_again():
    assert decide(facts(level=1), now=at(29 * 60 + 59)) is None
    assert decide(facts(level=1), now=at(30 * 60)) == 2
    # Acknowledged in time but still open after half an hour: straight to level 2.
    assert decide(facts(state="acknowledged"), now=at(30 * 60)) == 2
    # Never acknowledged and nobody ran the loop for half an hour: level 2 at once.
    assert decide(facts(), now=at(31 * 60)) == 2


def test_nothing_escalates_twice_or_when_resolved_or_not_an_emergency():
    assert decide(facts(level=1), now=at(120)) is None
    assert decide(facts(level=2), now=at(3600)) is None
    assert decide(facts(state="resolved"), now=at(3600)) is None
    for kind in ("urgent", "check_on", "technical", "maintenance"):
        assert decide(facts(kind=kind), now=at(3600)) is None


def test_next_due_is_the_boards_countdown():
    assert next_due(facts()) == at(60)
    assert next_due(facts(level=1)) == at(30 * 60)
    assert next_due(facts(state="acknowledged")) == at(30 * 60)
    assert next_due(facts(level=2)) is None and next_due(facts(kind="urgent")) is None


# --- applied to the database ---------------------------------------------------------------------


@pytest.fixture
def operator(db):
    return kailu_desk()


def test_escalate_due_raises_the_alarms_due_with_an_action_each(operator, django_capture_on_commit_callbacks):
    due = make_alarm(None, opened_at=T0)
    young = make_alarm(None, opened_at=at(30))
    urgent = make_alarm(None, opened_at=T0, kind="urgent", cause="geofence")
    taken = make_alarm(None, opened_at=T0)
    desk.acknowledge(actor=operator, alarm=taken, at=at(40))
    with django_capture_on_commit_callbacks() as published:
        raised = escalation.escalate_due(now=at(60))
    assert [a.pk for a in raised] == [due.pk]
    assert len(published) == 1  # one notice for the boards
    for alarm, level in ((due, 1), (young, 0), (urgent, 0), (taken, 0)):
        alarm.refresh_from_db()
        assert alarm.escalation_level == level, alarm
    assert due.escalated_at == at(60)
    action = AlarmAction.objects.get(alarm=due, kind=ActionKind.ESCALATE)
    assert action.actor is None and action.at == at(60) and action.data == {"level": 1, "from": 0}
    assert "值班主管" in action.note
    # A second round at the same moment changes nothing; half an hour later both open ones go to 2.
    assert escalation.escalate_due(now=at(60)) == []
    raised = escalation.escalate_due(now=at(30 * 60 + 30))
    assert sorted(a.pk for a in raised) == sorted([due.pk, young.pk, taken.pk])
    assert AlarmAction.objects.filter(kind=ActionKind.ESCALATE).count() == 4


def test_an_escalation_decided_on_stale_facts_is_not_applied(operator, monkeypatch):
    """The raise is conditional on the state read: an acknowledgement in between wins."""
    alarm = make_alarm(None, opened_at=T0)
    real_decide = escalation.decide

    def decide_then_someone_acks(facts, *, now):
        level = real_decide(facts, now=now)
        desk.acknowledge(actor=operator, alarm=alarm, at=at(59))
        return level

    monkeypatch.setattr(escalation, "decide", decide_then_someone_acks)
    assert escalation.escalate_due(now=at(61)) == []
    alarm.refresh_from_db()
    assert alarm.escalation_level == 0 and alarm.state == "acknowledged"


def test_the_command_runs_one_round(db, capsys):
    alarm = make_alarm(None, ago_s=90)
    call_command("escalate_alarms", "--once")
    alarm.refresh_from_db()
    assert alarm.escalation_level == 1
    assert "escalated=1" in capsys.readouterr().out
