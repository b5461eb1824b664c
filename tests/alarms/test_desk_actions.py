"""The desk's actions as services: acknowledge (the claim and its race), calls, dispatch, notes,
resolution with its outcome on the elder's timeline, the refusals, and hotline calls.

Decided and pinned here: handling an alarm nobody acknowledged (call, dispatch, resolve) acknowledges
it for the handler first; once acknowledged any operator of the desk may act on it; a resolved alarm
takes nothing but notes."""

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.alarms.conftest import PROJECT, proc_env
from tests.alarms.desk_factories import (
    HORQIN_VILLAGE,
    elder_with_contacts,
    horqin_desk,
    kailu_desk,
    make_alarm,
)
from tests.alarms.factories import make_device
from tests.conftest import KAILU_VILLAGE, make_elder, make_user
from yanglao.alarms import desk
from yanglao.alarms.desk_errors import DeskErrorCode as E
from yanglao.alarms.models import ActionKind, Alarm, AlarmAction, AlarmState
from yanglao.core.models import AuditEntry
from yanglao.elders.models import ElderEvent


def codes(exc: ValidationError) -> dict[str, set[str]]:
    if hasattr(exc, "error_dict"):
        return {field: {e.code for e in errors} for field, errors in exc.error_dict.items()}
    return {"__all__": {e.code for e in exc.error_list}}


def kinds(alarm) -> list[str]:
    return list(AlarmAction.objects.filter(alarm=alarm).order_by("at", "pk").values_list("kind", flat=True))


@pytest.fixture
def operator(db):
    return kailu_desk()


@pytest.fixture
def colleague(db):
    return make_user("zx-kl-2", "desk", "150523")


@pytest.fixture
def elder(db):
    return elder_with_contacts()


@pytest.fixture
def alarm(elder):
    return make_alarm(elder, ago_s=20)


# --- acknowledge ---------------------------------------------------------------------------------


def test_acknowledge_claims_the_alarm_once_with_its_time(operator, alarm):
    desk.acknowledge(actor=operator, alarm=alarm)
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.ACKNOWLEDGED and alarm.acknowledged_by == operator
    assert 19 <= (alarm.acknowledged_at - alarm.opened_at).total_seconds() <= 30
    ack = AlarmAction.objects.get(alarm=alarm, kind=ActionKind.ACK)
    assert ack.actor == operator and ack.at == alarm.acknowledged_at and ack.data["seconds"] >= 19
    assert AuditEntry.objects.filter(object_id=str(alarm.pk), summary__startswith="受理告警").exists()
    # Pressing again changes nothing.
    desk.acknowledge(actor=operator, alarm=alarm)
    assert kinds(alarm).count(ActionKind.ACK) == 1


def test_two_operators_with_the_same_stale_view_cannot_both_claim(operator, colleague, alarm):
    mine = Alarm.objects.get(pk=alarm.pk)
    theirs = Alarm.objects.get(pk=alarm.pk)  # both loaded while it was open
    desk.acknowledge(actor=operator, alarm=mine)
    with pytest.raises(ValidationError) as refused:
        desk.acknowledge(actor=colleague, alarm=theirs)
    assert codes(refused.value) == {"__all__": {E.ALREADY_CLAIMED}}
    assert operator.display_name in refused.value.messages[0]
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == operator
    assert kinds(alarm).count(ActionKind.ACK) == 1


def test_a_real_race_between_two_connections_has_exactly_one_winner(proc_db_url):
    """Two threads, two database connections, a barrier, twenty rounds (a separate process on a
    database file shared with the test): the conditional UPDATE lets exactly one through each time."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.alarms.desk_race_tool", json.dumps({"rounds": 20})],
        cwd=PROJECT, env=proc_env(proc_db_url), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    rounds = json.loads(done.stdout.strip().splitlines()[-1])["rounds"]
    assert len(rounds) == 20
    for r in rounds:
        assert sorted(r["results"].values()) == sorted(["claimed", E.ALREADY_CLAIMED]), r
        winner = next(name for name, result in r["results"].items() if result == "claimed")
        assert r["holder"] == winner and r["acks"] == 1, r


def test_acknowledging_a_resolved_alarm_is_refused(operator, alarm):
    desk.resolve(actor=operator, alarm=alarm, outcome="false_alarm")
    with pytest.raises(ValidationError) as refused:
        desk.acknowledge(actor=operator, alarm=Alarm.objects.get(pk=alarm.pk))
    assert codes(refused.value) == {"__all__": {E.RESOLVED}}


def test_only_desk_operators_of_the_alarms_region_may_act(alarm, kailu_officer):
    with pytest.raises(PermissionDenied):
        desk.acknowledge(actor=kailu_officer, alarm=alarm)  # officers watch, the desk handles
    with pytest.raises(PermissionDenied):
        desk.acknowledge(actor=horqin_desk(), alarm=alarm)
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.OPEN and kinds(alarm) == [ActionKind.CREATED]


# --- calls, dispatch, notes ----------------------------------------------------------------------


def test_calling_the_elder_acknowledges_an_open_alarm_first(operator, alarm, elder):
    desk.call_elder(actor=operator, alarm=alarm, result="no_answer", note="响铃无人接")
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.ACKNOWLEDGED and alarm.acknowledged_by == operator
    assert kinds(alarm) == [ActionKind.CREATED, ActionKind.ACK, ActionKind.CALL_ELDER]
    call = AlarmAction.objects.get(alarm=alarm, kind=ActionKind.CALL_ELDER)
    assert call.data == {
        "line": "phone",
        "phone": elder.phone_masked,
        "result": "no_answer",
        "result_label": "无人接听",
    }
    assert "13900000001" not in str(call.data) and call.note == "响铃无人接"


def test_calling_a_contact_records_who_and_how_it_went(operator, colleague, alarm, elder):
    desk.acknowledge(actor=colleague, alarm=alarm)
    son = elder.contacts.get(relation="儿子")
    desk.call_contact(actor=operator, alarm=alarm, contact_id=son.pk, result="connected", note="儿子十分钟到")
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == colleague  # a colleague's call does not take the claim
    call = AlarmAction.objects.get(alarm=alarm, kind=ActionKind.CALL_CONTACT)
    assert call.actor == operator
    assert (
        call.data["name"] == "王强"
        and call.data["relation"] == "儿子"
        and call.data["phone"] == "137****0002"
    )
    assert call.data["result"] == "connected"


def test_call_refusals_name_the_field(operator, alarm):
    other = elder_with_contacts(name="别家老人", phone="13900000009")
    foreign_contact = other.contacts.first()
    with pytest.raises(ValidationError) as refused:
        desk.call_contact(actor=operator, alarm=alarm, contact_id=foreign_contact.pk, result="maybe")
    assert codes(refused.value) == {"contact": {E.CONTACT_INVALID}, "result": {E.CALL_RESULT_INVALID}}
    with pytest.raises(ValidationError) as refused:
        desk.call_elder(actor=operator, alarm=alarm, line="phone_alt", result="connected")
    assert codes(refused.value) == {"line": {E.NO_PHONE}}
    no_elder = make_alarm(None, cause="hotline")
    with pytest.raises(ValidationError) as refused:
        desk.call_elder(actor=operator, alarm=no_elder, result="connected")
    assert codes(refused.value) == {"line": {E.NO_ELDER}}
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.OPEN and kinds(alarm) == [ActionKind.CREATED]  # nothing changed


def test_dispatch_records_who_was_sent_and_masks_their_phone(operator, alarm):
    desk.dispatch(
        actor=operator, alarm=alarm, target="community_worker", who="村委 李主任", phone="13512345678"
    )
    desk.dispatch(actor=operator, alarm=alarm, target="ambulance_120")
    first, second = AlarmAction.objects.filter(alarm=alarm, kind=ActionKind.DISPATCH).order_by("pk")
    assert first.data == {"target": "community_worker", "target_label": "社区（村）工作人员", "who": "村委 李主任",
                          "phone": "135****5678"}  # fmt: skip
    assert second.data["who"] == "120 急救中心"
    assert AuditEntry.objects.filter(summary__contains="派遣：120 急救").exists()


def test_dispatch_refusals(operator, alarm):
    with pytest.raises(ValidationError) as refused:
        desk.dispatch(actor=operator, alarm=alarm, target="family", who="", phone="12345")
    assert codes(refused.value) == {"who": {E.DISPATCH_WHO_REQUIRED}, "phone": {E.PHONE_INVALID}}
    with pytest.raises(ValidationError) as refused:
        desk.dispatch(actor=operator, alarm=alarm, target="police", who="派出所")
    assert codes(refused.value) == {"target": {E.DISPATCH_TARGET_INVALID}}
    assert kinds(alarm) == [ActionKind.CREATED]


def test_a_note_never_claims_and_is_allowed_after_resolution(operator, alarm):
    desk.add_note(actor=operator, alarm=alarm, note="同一老人两分钟前也呼叫过")
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.OPEN
    with pytest.raises(ValidationError) as refused:
        desk.add_note(actor=operator, alarm=alarm, note="   ")
    assert codes(refused.value) == {"note": {E.NOTE_REQUIRED}}
    desk.resolve(actor=operator, alarm=alarm, outcome="phone")
    desk.add_note(actor=operator, alarm=alarm, note="家属回电：已到家")
    assert kinds(alarm)[-1] == ActionKind.NOTE


# --- resolve -------------------------------------------------------------------------------------


def test_resolving_closes_the_alarm_and_writes_the_elders_timeline(operator, alarm, elder):
    desk.acknowledge(actor=operator, alarm=alarm)
    desk.resolve(actor=operator, alarm=alarm, outcome="hospital", note="送开鲁县医院，已住院")
    alarm.refresh_from_db()
    assert (
        alarm.state == AlarmState.RESOLVED and alarm.outcome == "hospital" and alarm.resolved_by == operator
    )
    assert alarm.outcome_note == "送开鲁县医院，已住院" and alarm.open_key is None
    event = ElderEvent.objects.get(elder=elder, kind="alarm_resolved")
    assert event.source == "alarms" and event.actor == operator and "住院" in event.summary
    assert event.data == {"alarm_id": alarm.pk, "kind": "emergency", "cause": "sos", "outcome": "hospital"}
    assert AuditEntry.objects.filter(object_id=str(alarm.pk), summary__contains="结案：住院").exists()
    assert kinds(alarm)[-1] == ActionKind.RESOLVE


def test_resolving_an_open_alarm_acknowledges_it_at_the_same_moment(operator, alarm):
    at = timezone.now()
    desk.resolve(actor=operator, alarm=alarm, outcome="false_alarm", at=at)
    alarm.refresh_from_db()
    assert alarm.acknowledged_at == alarm.resolved_at == at and alarm.acknowledged_by == operator
    assert kinds(alarm) == [ActionKind.CREATED, ActionKind.ACK, ActionKind.RESOLVE]


def test_resolve_refusals_change_nothing(operator, alarm):
    for outcome, note, expected in (
        ("", "", {"outcome": {E.OUTCOME_INVALID}}),
        ("vanished", "", {"outcome": {E.OUTCOME_INVALID}}),
        ("technical", "", {"outcome": {E.OUTCOME_INVALID}}),  # an SOS is not a device problem
        ("death", "", {"note": {E.OUTCOME_NOTE_REQUIRED}}),
        ("hospital", "  ", {"note": {E.OUTCOME_NOTE_REQUIRED}}),
    ):
        with pytest.raises(ValidationError) as refused:
            desk.resolve(actor=operator, alarm=alarm, outcome=outcome, note=note)
        assert codes(refused.value) == expected, outcome
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.OPEN and kinds(alarm) == [ActionKind.CREATED]
    assert not ElderEvent.objects.filter(kind="alarm_resolved").exists()


def test_a_resolved_alarm_takes_no_more_handling(operator, alarm):
    desk.resolve(actor=operator, alarm=alarm, outcome="visit")
    stale = Alarm.objects.get(pk=alarm.pk)
    for act in (
        lambda: desk.resolve(actor=operator, alarm=stale, outcome="phone"),
        lambda: desk.call_elder(actor=operator, alarm=stale, result="connected"),
        lambda: desk.dispatch(actor=operator, alarm=stale, target="ambulance_120"),
    ):
        with pytest.raises(ValidationError) as refused:
            act()
        assert codes(refused.value) == {"__all__": {E.RESOLVED}}
    assert kinds(alarm).count(ActionKind.RESOLVE) == 1


def test_device_alarms_close_as_technical(operator):
    device, _ = make_device(region_code=KAILU_VILLAGE)
    offline = make_alarm(
        None, device=device, kind="technical", cause="offline", open_key=f"offline:{device.pk}"
    )
    desk.resolve(actor=operator, alarm=offline, outcome="technical", note="已更换电池")
    offline.refresh_from_db()
    assert offline.state == AlarmState.RESOLVED and offline.open_key is None  # a new offline alarm may open


# --- the hotline ---------------------------------------------------------------------------------


def test_hotline_lookup_finds_own_alternate_and_contact_phones_in_scope_only(operator, elder):
    from yanglao.alarms.desk_selectors import caller_matches

    alt = make_elder(KAILU_VILLAGE, name="备用老人", phone="13900000011", phone_alt="13900000012")
    make_elder(HORQIN_VILLAGE, name="科尔沁老人", phone="13900000001")  # same number, other county
    assert [(m.elder.name, m.how) for m in caller_matches(actor=operator, phone="13900000001")] == [
        ("王秀兰", "本人电话")
    ]
    assert [(m.elder.pk, m.how) for m in caller_matches(actor=operator, phone="13900000012")] == [
        (alt.pk, "备用电话")
    ]
    son = caller_matches(actor=operator, phone="13700000002")
    assert [(m.elder.name, m.how) for m in son] == [("王秀兰", "联系人 王强（儿子）")]
    assert caller_matches(actor=operator, phone="13800009999") == []
    assert caller_matches(actor=horqin_desk(), phone="13700000002") == []


def test_hotline_call_becomes_an_acknowledged_alarm_of_the_elder(operator, elder):
    alarm = desk.hotline_register(
        actor=operator, caller_phone="137-0000-0002", kind="urgent", summary="儿子来电：母亲摔倒后起不来",
        elder=elder, matched_as="联系人 王强（儿子）",
    )  # fmt: skip
    assert alarm.cause == "hotline" and alarm.kind == "urgent" and alarm.priority == 2
    assert alarm.state == AlarmState.ACKNOWLEDGED and alarm.acknowledged_by == operator
    assert alarm.acknowledged_at == alarm.opened_at and alarm.region_code == elder.region_id
    assert alarm.caller_phone_masked == "137****0002" and "13700000002" not in alarm.caller_phone_enc
    assert kinds(alarm) == [ActionKind.CREATED, ActionKind.ACK]
    assert (
        AlarmAction.objects.get(alarm=alarm, kind=ActionKind.CREATED).data["matched_as"]
        == "联系人 王强（儿子）"
    )
    before = AuditEntry.objects.filter(action="reveal").count()
    assert desk.reveal_caller_phone(actor=operator, alarm=alarm) == "13700000002"
    assert AuditEntry.objects.filter(action="reveal").count() == before + 1


def test_hotline_call_without_a_known_elder_lands_in_the_operators_region(operator):
    alarm = desk.hotline_register(
        actor=operator, caller_phone="0475-8835970", kind="check_on", summary="邻居反映老人两天未出门"
    )
    assert alarm.elder is None and alarm.region_code == operator.region_id
    chosen = desk.hotline_register(
        actor=operator,
        caller_phone="13512345678",
        kind="emergency",
        summary="路人报告老人晕倒",
        region="150523100001",
    )
    assert chosen.region_code == "150523100001"


def test_hotline_refusals_name_each_field(operator):
    foreign = make_elder(HORQIN_VILLAGE, name="科尔沁老人")
    with pytest.raises(ValidationError) as refused:
        desk.hotline_register(actor=operator, caller_phone="12", kind="technical", summary=" ", elder=foreign)
    assert codes(refused.value) == {
        "caller_phone": {E.PHONE_INVALID},
        "kind": {E.KIND_INVALID},
        "summary": {E.SUMMARY_REQUIRED},
        "elder": {E.ELDER_NOT_FOUND},
    }
    with pytest.raises(ValidationError) as refused:
        desk.hotline_register(
            actor=operator, caller_phone="13512345678", kind="urgent", summary="x", region="150502001001"
        )
    assert codes(refused.value) == {"region": {E.REGION_INVALID}}
    assert not Alarm.objects.exists()


def test_hotline_needs_the_desk_role(kailu_officer):
    with pytest.raises(PermissionDenied):
        desk.hotline_register(actor=kailu_officer, caller_phone="13512345678", kind="urgent", summary="x")


def test_actions_are_timestamped_in_order(operator, alarm):
    t0 = timezone.now()
    desk.acknowledge(actor=operator, alarm=alarm, at=t0)
    desk.call_elder(actor=operator, alarm=alarm, result="connected", at=t0 + timedelta(seconds=5))
    desk.dispatch(actor=operator, alarm=alarm, target="family", who="儿子", at=t0 + timedelta(seconds=40))
    desk.resolve(actor=operator, alarm=alarm, outcome="visit", at=t0 + timedelta(minutes=9))
    times = list(AlarmAction.objects.filter(alarm=alarm).order_by("at", "pk").values_list("kind", "at"))
    assert [k for k, _ in times] == ["created", "ack", "call_elder", "dispatch", "resolve"]
    assert times[-1][1] - times[1][1] == timedelta(minutes=9)
