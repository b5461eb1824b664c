"""Helpers for the desk tests: desk operators, and alarms made directly (the worker's output) at a
chosen time, with the ``created`` action the worker writes."""

from datetime import timedelta

from django.utils import timezone

from tests.conftest import CITY, HORQIN, KAILU, KAILU_VILLAGE, make_elder, make_user
from yanglao.alarms.models import KIND_PRIORITY, ActionKind, Alarm, AlarmAction, AlarmKind

HORQIN_VILLAGE = "150502001001"


def desk_user(username="zx-kl", region=KAILU):
    return make_user(username, "desk", region)


def kailu_desk():
    return desk_user("zx-kl", KAILU)


def horqin_desk():
    return desk_user("zx-hq", HORQIN)


def city_desk():
    return desk_user("zx-city", CITY)


def make_alarm(
    elder=None,
    *,
    region_code=None,
    kind=AlarmKind.EMERGENCY,
    cause="sos",
    opened_at=None,
    ago_s: float | None = None,
    device=None,
    summary="一键呼叫",
    **fields,
) -> Alarm:
    """An alarm as the worker would make it. ``ago_s`` opens it that many seconds ago."""
    now = timezone.now()
    opened_at = opened_at or (now - timedelta(seconds=ago_s) if ago_s is not None else now)
    alarm = Alarm.objects.create(
        elder=elder,
        device=device,
        region_code=region_code or (elder.region_id if elder is not None else KAILU_VILLAGE),
        kind=kind,
        cause=cause,
        priority=KIND_PRIORITY[AlarmKind(kind)],
        summary=summary,
        opened_at=opened_at,
        last_event_at=opened_at,
        **fields,
    )
    AlarmAction.objects.create(alarm=alarm, kind=ActionKind.CREATED, at=opened_at, note=summary)
    return alarm


def elder_with_contacts(region=KAILU_VILLAGE, *, name="王秀兰", phone="13900000001", **raw):
    """An elder with a phone and two contacts (son and daughter)."""
    return make_elder(
        region,
        name=name,
        phone=phone,
        living_situation="alone",
        contacts=[
            {"kind": "emergency", "name": "王强", "relation": "儿子", "phone": "13700000002"},
            {"kind": "emergency", "name": "王芳", "relation": "女儿", "phone": "13600000003"},
        ],
        **raw,
    )
