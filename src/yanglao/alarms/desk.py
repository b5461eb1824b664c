"""The desk's actions on an alarm: acknowledge (claim), call the elder or a contact, dispatch help,
note, resolve with an outcome; and hotline calls registered as alarms.

Every action is an append-only ``AlarmAction`` row with its time, written in the same transaction
as the alarm's change, and audited. After the commit the change is published on the county's Redis
channel so every open board updates; the board re-reads the alarm from the database, so the notice
carries nothing a board has to trust.

The rules of the desk:

- **Acknowledging claims the alarm** with one conditional ``UPDATE … WHERE state = 'open'``: of two
  operators pressing at the same moment exactly one gets the row; the other is told who has it
  (``alarm_already_claimed``). Acknowledging an alarm one already holds changes nothing.
- **Handling implies acknowledgement.** A call, a dispatch or a resolution on an alarm nobody has
  acknowledged yet claims it first (through the same conditional UPDATE, with its own ``ack`` row at
  that moment), so the SLA clock stops at the first real handling and never stays open by omission.
- Once acknowledged, any operator of the desk may call, dispatch, note and resolve: a colleague may
  ring 120 while the claimant talks to the elder.
- A resolved alarm is closed: nothing but notes (a follow-up like "家属回电：已住院") may be added.
- The outcome goes to the elder's timeline through the elders service (``elder_event_record``).
- Phone numbers are never stored in clear in an action: only their masked form. Dialling a number
  means revealing it first, which the elders service audits.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.alarms import bus
from yanglao.alarms.desk_errors import DeskErrorCode as E
from yanglao.alarms.models import (
    KIND_PRIORITY,
    ActionKind,
    Alarm,
    AlarmAction,
    AlarmCause,
    AlarmKind,
    AlarmState,
    Outcome,
)
from yanglao.core import audit, crypto
from yanglao.core.masking import mask_phone
from yanglao.core.phones import PhoneError, parse_phone
from yanglao.elders import services as elder_services
from yanglao.elders.models import Elder, ElderContact
from yanglao.regions.codes import RegionCodeError, canonical
from yanglao.regions.models import Region

CALLER_PHONE_CONTEXT = "alarms.caller_phone"
OPEN_STATES = (AlarmState.OPEN, AlarmState.ACKNOWLEDGED)


class CallResult(TextChoices):
    CONNECTED = "connected", "已接通"
    NO_ANSWER = "no_answer", "无人接听"
    BUSY = "busy", "占线"
    UNREACHABLE = "unreachable", "关机/停机/空号"


class DispatchTarget(TextChoices):
    FAMILY = "family", "家属"
    CAREGIVER = "caregiver", "护理员"
    COMMUNITY = "community_worker", "社区（村）工作人员"
    AMBULANCE = "ambulance_120", "120 急救"
    FIRE = "fire_119", "119 消防"


# 120 and 119 are services, not people: the operator may leave "who" empty for them.
DEFAULT_WHO = {DispatchTarget.AMBULANCE: "120 急救中心", DispatchTarget.FIRE: "119 消防救援"}
# Outcomes that must be described: the record of a hospital admission or a death needs its facts.
NOTE_REQUIRED_OUTCOMES = (Outcome.HOSPITAL, Outcome.DEATH)
# "设备已处理" closes a device problem; it is not an answer to a person's call.
TECHNICAL_KINDS = (AlarmKind.TECHNICAL, AlarmKind.MAINTENANCE)
# What an operator may register a hotline call as.
HOTLINE_KINDS = (AlarmKind.EMERGENCY, AlarmKind.URGENT, AlarmKind.CHECK_ON)


def _check(actor, alarm: Alarm) -> None:
    if not actor.can(Cap.ALARMS_HANDLE):
        raise PermissionDenied("您没有处理告警的权限。")
    if not actor.scope.contains(alarm.region_code):
        raise PermissionDenied("该告警不在您的管辖范围内。")


def _action(alarm: Alarm, kind: str, actor, *, at: datetime, note: str = "", data: dict | None = None):
    return AlarmAction.objects.create(
        alarm=alarm,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=at,
        note=note[:500],
        data=data or {},
    )


def notice(event: str, alarm: Alarm) -> dict:
    """The pub/sub message for a change (the same shape as the worker's ``alarm.created``)."""
    return {
        "type": event,
        "id": alarm.pk,
        "kind": alarm.kind,
        "cause": alarm.cause,
        "priority": alarm.priority,
        "state": alarm.state,
        "region_code": alarm.region_code,
        "escalation_level": alarm.escalation_level,
    }


def publish_after_commit(event: str, alarm: Alarm) -> None:
    message = notice(event, alarm)
    region_code = alarm.region_code
    transaction.on_commit(lambda: bus.publish(region_code, message))


def _refuse_resolved(alarm: Alarm) -> None:
    if alarm.state == AlarmState.RESOLVED:
        raise ValidationError(
            f"该告警已于 {timezone.localtime(alarm.resolved_at):%m-%d %H:%M} 结案，不能再操作。",
            code=E.RESOLVED,
        )


def _claim(alarm: Alarm, actor, *, at: datetime) -> bool:
    """The conditional UPDATE that claims an open alarm; True if this call got it. On success the
    ``ack`` action is written and the object updated; on failure the object is refreshed."""
    claimed = Alarm.objects.filter(pk=alarm.pk, state=AlarmState.OPEN).update(
        state=AlarmState.ACKNOWLEDGED, acknowledged_at=at, acknowledged_by=actor
    )
    if not claimed:
        alarm.refresh_from_db()
        return False
    alarm.state, alarm.acknowledged_at, alarm.acknowledged_by = AlarmState.ACKNOWLEDGED, at, actor
    waited = (at - alarm.opened_at).total_seconds()
    _action(alarm, ActionKind.ACK, actor, at=at, data={"seconds": round(max(waited, 0), 1)})
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=alarm,
        region_code=alarm.region_code,
        summary=f"受理告警 #{alarm.pk}（{alarm.get_cause_display()}）",
    )
    return True


def _held_by_other(alarm: Alarm) -> ValidationError:
    who = alarm.acknowledged_by.display_name if alarm.acknowledged_by_id else "其他坐席"
    at = timezone.localtime(alarm.acknowledged_at) if alarm.acknowledged_at else None
    return ValidationError(
        f"该告警已由 {who}" + (f" 于 {at:%H:%M:%S}" if at else "") + " 受理。", code=E.ALREADY_CLAIMED
    )


@transaction.atomic
def acknowledge(*, actor, alarm: Alarm, at: datetime | None = None) -> Alarm:
    """Claim an open alarm. Raises ``alarm_already_claimed`` if another operator got it first."""
    _check(actor, alarm)
    at = at or timezone.now()
    if _claim(alarm, actor, at=at):
        publish_after_commit("alarm.acknowledged", alarm)
        return alarm
    _refuse_resolved(alarm)
    if alarm.acknowledged_by_id == actor.pk:
        return alarm
    raise _held_by_other(alarm)


def _begin_handling(actor, alarm: Alarm, *, at: datetime) -> bool:
    """Refuse a resolved alarm; claim an open one (handling implies acknowledgement). True if this
    call claimed it."""
    _check(actor, alarm)
    _refuse_resolved(alarm)
    if alarm.state != AlarmState.OPEN:
        return False
    claimed = _claim(alarm, actor, at=at)
    _refuse_resolved(alarm)  # resolved by someone else between our read and the UPDATE
    return claimed


def _call_result(result: str) -> str:
    if result not in CallResult.values:
        raise ValidationError({"result": ValidationError("请选择通话结果。", code=E.CALL_RESULT_INVALID)})
    return result


@transaction.atomic
def call_elder(
    *, actor, alarm: Alarm, result: str, line: str = "phone", note: str = "", at: datetime | None = None
) -> AlarmAction:
    """Record a call to the elder (``line`` = phone or phone_alt) and how it went."""
    at = at or timezone.now()
    errors = {}
    if alarm.elder_id is None:
        errors["line"] = ValidationError("该告警没有关联老年人，无法呼叫老人。", code=E.NO_ELDER)
    elif line not in ("phone", "phone_alt") or not getattr(alarm.elder, f"{line}_masked"):
        errors["line"] = ValidationError("该老年人没有登记这个电话。", code=E.NO_PHONE)
    if result not in CallResult.values:
        errors["result"] = ValidationError("请选择通话结果。", code=E.CALL_RESULT_INVALID)
    if errors:
        raise ValidationError(errors)
    _begin_handling(actor, alarm, at=at)
    masked = getattr(alarm.elder, f"{line}_masked")
    action = _action(
        alarm,
        ActionKind.CALL_ELDER,
        actor,
        at=at,
        note=note.strip(),
        data={"line": line, "phone": masked, "result": result, "result_label": CallResult(result).label},
    )
    publish_after_commit("alarm.updated", alarm)
    return action


@transaction.atomic
def call_contact(
    *, actor, alarm: Alarm, contact_id: int | None, result: str, note: str = "", at: datetime | None = None
) -> AlarmAction:
    """Record a call to one of the elder's contacts and how it went."""
    at = at or timezone.now()
    errors = {}
    contact = None
    if alarm.elder_id is None:
        errors["contact"] = ValidationError("该告警没有关联老年人，没有联系人。", code=E.NO_ELDER)
    else:
        contact = (
            ElderContact.objects.filter(pk=contact_id, elder_id=alarm.elder_id).first()
            if contact_id
            else None
        )
        if contact is None:
            errors["contact"] = ValidationError("请选择该老年人的联系人。", code=E.CONTACT_INVALID)
        elif not contact.phone_masked:
            errors["contact"] = ValidationError(f"联系人 {contact.name} 没有登记电话。", code=E.NO_PHONE)
    if result not in CallResult.values:
        errors["result"] = ValidationError("请选择通话结果。", code=E.CALL_RESULT_INVALID)
    if errors:
        raise ValidationError(errors)
    _begin_handling(actor, alarm, at=at)
    action = _action(
        alarm,
        ActionKind.CALL_CONTACT,
        actor,
        at=at,
        note=note.strip(),
        data={
            "contact_id": contact.pk,
            "name": contact.name,
            "relation": contact.relation,
            "phone": contact.phone_masked,
            "result": result,
            "result_label": CallResult(result).label,
        },
    )
    publish_after_commit("alarm.updated", alarm)
    return action


@transaction.atomic
def dispatch(
    *,
    actor,
    alarm: Alarm,
    target: str,
    who: str = "",
    phone: str = "",
    note: str = "",
    at: datetime | None = None,
) -> AlarmAction:
    """Send help: family, a caregiver, a community worker, 120 or 119 — recorded with who was called."""
    at = at or timezone.now()
    errors = {}
    who = who.strip()[:100]
    masked = ""
    if target not in DispatchTarget.values:
        errors["target"] = ValidationError("请选择派遣对象。", code=E.DISPATCH_TARGET_INVALID)
    elif not who:
        who = DEFAULT_WHO.get(target, "")
        if not who:
            errors["who"] = ValidationError("请填写派遣了谁（姓名或单位）。", code=E.DISPATCH_WHO_REQUIRED)
    if phone.strip():
        try:
            masked = mask_phone(parse_phone(phone))
        except PhoneError as exc:
            errors["phone"] = ValidationError(exc.message, code=E.PHONE_INVALID)
    if errors:
        raise ValidationError(errors)
    _begin_handling(actor, alarm, at=at)
    action = _action(
        alarm,
        ActionKind.DISPATCH,
        actor,
        at=at,
        note=note.strip(),
        data={"target": target, "target_label": DispatchTarget(target).label, "who": who, "phone": masked},
    )
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=alarm,
        region_code=alarm.region_code,
        summary=f"告警 #{alarm.pk} 派遣：{DispatchTarget(target).label} {who}",
    )
    publish_after_commit("alarm.updated", alarm)
    return action


@transaction.atomic
def add_note(*, actor, alarm: Alarm, note: str, at: datetime | None = None) -> AlarmAction:
    """A free-text record. Allowed in every state (a follow-up after resolution too); never claims."""
    _check(actor, alarm)
    text = (note or "").strip()
    if not text:
        raise ValidationError({"note": ValidationError("请填写记录内容。", code=E.NOTE_REQUIRED)})
    if len(text) > 500:
        raise ValidationError({"note": ValidationError("记录不能超过 500 字。", code=E.NOTE_REQUIRED)})
    action = _action(alarm, ActionKind.NOTE, actor, at=at or timezone.now(), note=text)
    publish_after_commit("alarm.updated", alarm)
    return action


@transaction.atomic
def resolve(*, actor, alarm: Alarm, outcome: str, note: str = "", at: datetime | None = None) -> Alarm:
    """Close the alarm with its outcome; the outcome goes to the elder's timeline."""
    at = at or timezone.now()
    note = (note or "").strip()
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": ValidationError("请选择处置结果。", code=E.OUTCOME_INVALID)})
    if outcome == Outcome.TECHNICAL and alarm.kind not in TECHNICAL_KINDS:
        raise ValidationError(
            {"outcome": ValidationError("“设备已处理”只用于设备故障和维护类告警。", code=E.OUTCOME_INVALID)}
        )
    if outcome in NOTE_REQUIRED_OUTCOMES and not note:
        raise ValidationError(
            {
                "note": ValidationError(
                    f"处置结果为“{Outcome(outcome).label}”时请写明情况（医院、时间等）。",
                    code=E.OUTCOME_NOTE_REQUIRED,
                )
            }
        )
    if len(note) > 500:
        raise ValidationError(
            {"note": ValidationError("说明不能超过 500 字。", code=E.OUTCOME_NOTE_REQUIRED)}
        )
    _begin_handling(actor, alarm, at=at)
    closed = Alarm.objects.filter(pk=alarm.pk, state=AlarmState.ACKNOWLEDGED).update(
        state=AlarmState.RESOLVED,
        resolved_at=at,
        resolved_by=actor,
        outcome=outcome,
        outcome_note=note,
        open_key=None,
    )
    if not closed:  # resolved by someone else in the meantime
        alarm.refresh_from_db()
        _refuse_resolved(alarm)
        raise ValidationError("告警状态已变化，请刷新后重试。", code=E.RESOLVED)  # pragma: no cover
    alarm.refresh_from_db()
    label = Outcome(outcome).label
    _action(
        alarm, ActionKind.RESOLVE, actor, at=at, note=note, data={"outcome": outcome, "outcome_label": label}
    )
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=alarm,
        region_code=alarm.region_code,
        summary=f"告警 #{alarm.pk} 结案：{label}",
        changes={"state": [AlarmState.ACKNOWLEDGED, AlarmState.RESOLVED], "outcome": [None, outcome]},
    )
    if alarm.elder_id is not None:
        elder_services.elder_event_record(
            elder=alarm.elder,
            kind="alarm_resolved",
            summary=f"呼叫中心：{alarm.get_cause_display()}告警已处置，结果：{label}"
            + (f"（{note[:100]}）" if note else ""),
            actor=actor,
            data={"alarm_id": alarm.pk, "kind": alarm.kind, "cause": alarm.cause, "outcome": outcome},
            source="alarms",
            region_code=alarm.region_code,
            at=at,
        )
    publish_after_commit("alarm.resolved", alarm)
    return alarm


# --- the hotline ---------------------------------------------------------------------------------


def _hotline_region(actor, elder: Elder | None, region: str) -> str:
    if elder is not None:
        return elder.region_id
    if region:
        try:
            code = canonical(region)
        except RegionCodeError:
            code = ""
        if not code or not actor.scope.contains(code) or not Region.objects.filter(code=code).exists():
            raise ValidationError(
                {"region": ValidationError("所选区划无效或超出您的管辖范围。", code=E.REGION_INVALID)}
            )
        return code
    if actor.region_id and actor.scope.contains(actor.region_id):
        return actor.region_id
    raise ValidationError({"region": ValidationError("请选择来电所在区划。", code=E.REGION_INVALID)})


@transaction.atomic
def hotline_register(
    *,
    actor,
    caller_phone: str,
    kind: str,
    summary: str,
    elder: Elder | None = None,
    region: str = "",
    matched_as: str = "",
    at: datetime | None = None,
) -> Alarm:
    """An inbound call to the hotline, recorded by the operator who took it. The caller is already
    on the line, so the alarm is acknowledged by that operator at once (the SLA's acknowledgement
    figures leave hotline calls out: their ringing time is not known to the platform)."""
    if not actor.can(Cap.ALARMS_HANDLE):
        raise PermissionDenied("您没有登记来电的权限。")
    at = at or timezone.now()
    errors = {}
    phone = ""
    try:
        phone = parse_phone(caller_phone)
    except PhoneError as exc:
        errors["caller_phone"] = ValidationError(exc.message, code=E.PHONE_INVALID)
    if kind not in HOTLINE_KINDS:
        errors["kind"] = ValidationError("请选择告警类别（紧急、加急或关怀探访）。", code=E.KIND_INVALID)
    summary = (summary or "").strip()
    if not summary:
        errors["summary"] = ValidationError("请简要记录来电内容。", code=E.SUMMARY_REQUIRED)
    elif len(summary) > 200:
        errors["summary"] = ValidationError(
            "来电内容摘要不能超过 200 字，详情请在处置记录中补充。", code=E.SUMMARY_REQUIRED
        )
    if elder is not None and not actor.scope.contains(elder.region_id):
        errors["elder"] = ValidationError("老年人不存在或不在您的管辖范围内。", code=E.ELDER_NOT_FOUND)
    if errors:
        raise ValidationError(errors)
    region_code = _hotline_region(actor, elder, region)
    alarm = Alarm(
        elder=elder,
        region_code=region_code,
        kind=kind,
        cause=AlarmCause.HOTLINE,
        priority=KIND_PRIORITY[AlarmKind(kind)],
        state=AlarmState.ACKNOWLEDGED,
        summary=summary,
        opened_at=at,
        last_event_at=at,
        acknowledged_at=at,
        acknowledged_by=actor,
        caller_phone_enc=crypto.encrypt(phone, context=CALLER_PHONE_CONTEXT),
        caller_phone_masked=mask_phone(phone),
        created_by=actor,
    )
    alarm.full_clean()
    alarm.save()
    _action(
        alarm,
        ActionKind.CREATED,
        actor,
        at=at,
        note=summary,
        data={"source": "hotline", "caller": alarm.caller_phone_masked, "matched_as": matched_as[:60]},
    )
    _action(alarm, ActionKind.ACK, actor, at=at, data={"seconds": 0, "source": "hotline"})
    audit.record(
        actor=actor,
        action=audit.Action.CREATE,
        obj=alarm,
        region_code=region_code,
        summary=f"登记热线来电 #{alarm.pk}（{alarm.caller_phone_masked}）"
        + (f"：{elder.name}" if elder is not None else ""),
    )
    publish_after_commit("alarm.created", alarm)
    return alarm


def reveal_caller_phone(*, actor, alarm: Alarm) -> str:
    """The hotline caller's number in clear (to call back), audited like any reveal."""
    _check(actor, alarm)
    if not actor.can(Cap.ELDERS_REVEAL):
        raise PermissionDenied("您的角色不能查看完整电话。")
    if not alarm.caller_phone_enc:
        return ""
    audit.record(
        actor=actor,
        action=audit.Action.REVEAL,
        obj=alarm,
        region_code=alarm.region_code,
        summary=f"查看告警 #{alarm.pk} 的完整来电号码",
    )
    return crypto.decrypt(alarm.caller_phone_enc, context=CALLER_PHONE_CONTEXT)
