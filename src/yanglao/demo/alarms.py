"""Demo alarm desk: devices for about one in ten of 开鲁县's demo elders, a month of past alarms with
what the desk did about them, and the desk login ``zx-150523``.

Written in bulk (the services one by one would make ``make run`` slow); what they would record is
recorded: encrypted secrets, the elder's history for each device and each handled emergency. A
device has not yet been heard from (no ``last_seen_at``), so nothing goes offline until the demo
stream (``yanglao demo_events``) makes it talk. Made once: a second run finds the devices and stops.
"""

import base64
import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from yanglao.accounts.models import User
from yanglao.accounts.roles import Role
from yanglao.accounts.services import user_create
from yanglao.alarms.models import (
    KIND_PRIORITY,
    SECRET_CONTEXT,
    Alarm,
    AlarmAction,
    AlarmCause,
    AlarmKind,
    AlarmState,
    Device,
    DeviceKind,
    Outcome,
)
from yanglao.alarms.rules import SUMMARIES
from yanglao.core import crypto
from yanglao.demo.passwords import demo_password_hash
from yanglao.elders.models import Elder, ElderEvent, LivingSituation
from yanglao.elders.models import Status as ElderStatus

COUNTY = "150523"  # 开鲁县
SERIAL_PREFIX = "DEMO-"
DESK_USERNAME = "zx-150523"
DESK_NOTE = "呼叫中心坐席，开鲁县（告警受理）"
# The city's 24-hour centre sees every county's alarms (the region scope of a city desk).
CITY_DESK_USERNAME = "zx-1505"
CITY_DESK_NOTE = "呼叫中心坐席，通辽市（全市告警）"
HEARTBEAT_S = {
    DeviceKind.SOS_BUTTON: 3600,
    DeviceKind.WEARABLE: 600,
    DeviceKind.BED_SENSOR: 1800,
    DeviceKind.DOOR_SENSOR: 1800,
    DeviceKind.MOTION_SENSOR: 1800,
    DeviceKind.SMOKE_DETECTOR: 3600,
    DeviceKind.GAS_DETECTOR: 3600,
}
MODELS = {
    DeviceKind.SOS_BUTTON: "YJT-200", DeviceKind.WEARABLE: "HW-S6", DeviceKind.BED_SENSOR: "BM-10",
    DeviceKind.DOOR_SENSOR: "MC-3", DeviceKind.MOTION_SENSOR: "PIR-2", DeviceKind.SMOKE_DETECTOR: "YG-5",
    DeviceKind.GAS_DETECTOR: "RQ-1",
}  # fmt: skip
SHORT = {
    DeviceKind.SOS_BUTTON: "SOS", DeviceKind.WEARABLE: "WCH", DeviceKind.BED_SENSOR: "BED",
    DeviceKind.DOOR_SENSOR: "DOR", DeviceKind.MOTION_SENSOR: "PIR", DeviceKind.SMOKE_DETECTOR: "SMK",
    DeviceKind.GAS_DETECTOR: "GAS",
}  # fmt: skip
OUTCOMES = [
    (Outcome.FALSE_ALARM, 40), (Outcome.PHONE, 30), (Outcome.VISIT, 20), (Outcome.AMBULANCE, 7), (Outcome.HOSPITAL, 3),
]  # fmt: skip


def desk_user(password: str) -> tuple[User, bool]:
    made = False
    for username, name, region_code in (
        (CITY_DESK_USERNAME, "通辽市呼叫中心坐席", COUNTY[:4]),
        (DESK_USERNAME, "开鲁县呼叫中心坐席", COUNTY),
    ):
        if not User.objects.filter(username=username).exists():
            user_create(
                actor=None,
                username=username,
                display_name=name,
                role=Role.DESK,
                region_code=region_code,
                password_hash=demo_password_hash(password),
                is_demo=True,
            )
            made = True
    return User.objects.get(username=DESK_USERNAME), made


def _secret(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()


def seed_alarms(*, seed: int, password: str, share: float = 0.1) -> int:
    """Devices for ``share`` of the county's active demo elders; returns how many devices were made."""
    desk, _ = desk_user(password)
    if Device.objects.filter(serial__startswith=SERIAL_PREFIX).exists():
        return 0
    rng = random.Random(seed + 23)
    now = timezone.now()
    elders = list(
        Elder.objects.filter(status=ElderStatus.ACTIVE, region__code__startswith=COUNTY)
        .order_by("pk")
        .only("pk", "name", "region_id", "living_situation", "latitude", "longitude", "birth_date")
    )
    if not elders:
        return 0
    chosen = rng.sample(elders, k=max(1, int(len(elders) * share)))
    devices: list[Device] = []
    counter = 0
    for elder in chosen:
        kinds = [DeviceKind.SOS_BUTTON]
        if elder.latitude is not None and rng.random() < 0.3:
            kinds.append(DeviceKind.WEARABLE)
        if elder.living_situation == LivingSituation.ALONE:
            kinds += [DeviceKind.DOOR_SENSOR, DeviceKind.MOTION_SENSOR]
        if rng.random() < 0.15:
            kinds.append(
                rng.choice([DeviceKind.SMOKE_DETECTOR, DeviceKind.GAS_DETECTOR, DeviceKind.BED_SENSOR])
            )
        installed = (now - timedelta(days=rng.randint(20, 700))).date()
        for kind in kinds:
            counter += 1
            device = Device(
                kind=kind,
                serial=f"{SERIAL_PREFIX}{SHORT[kind]}-{counter:05d}",
                model=MODELS[kind],
                elder=elder,
                region_code=elder.region_id,
                installed_on=installed,
                heartbeat_interval_s=HEARTBEAT_S[kind],
                secret_enc=crypto.encrypt(_secret(rng), context=SECRET_CONTEXT),
                battery_pct=rng.randint(35, 100)
                if kind in (DeviceKind.SOS_BUTTON, DeviceKind.WEARABLE)
                else None,
                created_by=None,
            )
            if kind == DeviceKind.WEARABLE:
                device.geofence_latitude, device.geofence_longitude = elder.latitude, elder.longitude
                device.geofence_radius_m = rng.choice([300, 500, 800])
            devices.append(device)
    Device.objects.bulk_create(devices, batch_size=1000)
    ElderEvent.objects.bulk_create(
        [
            ElderEvent(elder_id=d.elder_id, kind="device_assigned", summary=f"配发{d.get_kind_display()}（{d.serial}）",
                       data={"device_id": d.pk, "serial": d.serial, "kind": d.kind}, source="alarms",
                       region_code=d.region_code, at=timezone.make_aware(datetime.combine(d.installed_on, time(10))))
            for d in devices
        ],
        batch_size=2000,
    )  # fmt: skip
    _history(rng, devices, desk, now)
    return len(devices)


def _history(rng: random.Random, devices: list[Device], desk: User, now) -> None:
    """A month of handled alarms, and a few still open for the desk to find."""
    buttons = [d for d in devices if d.kind == DeviceKind.SOS_BUTTON]
    alarms: list[Alarm] = []
    for _ in range(min(40, len(buttons))):
        device = rng.choice(buttons)
        cause = rng.choices([AlarmCause.SOS, AlarmCause.FALL, AlarmCause.BATTERY], [70, 15, 15])[0]
        kind = AlarmKind.MAINTENANCE if cause == AlarmCause.BATTERY else AlarmKind.EMERGENCY
        opened = now - timedelta(days=rng.uniform(0.5, 30), minutes=rng.uniform(0, 600))
        ack_after = timedelta(seconds=rng.choice([12, 18, 25, 31, 40, 48, 55, 70, 95, 150, 240]))
        resolve_after = ack_after + timedelta(minutes=rng.uniform(2, 45))
        outcome = rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
        if cause == AlarmCause.BATTERY:
            outcome = Outcome.TECHNICAL
        alarms.append(
            Alarm(elder_id=device.elder_id, device=device, region_code=device.region_code, kind=kind, cause=cause,
                  priority=KIND_PRIORITY[kind], state=AlarmState.RESOLVED, summary=f"{SUMMARIES[cause]}（{device.get_kind_display()} {device.serial}）",
                  opened_at=opened, last_event_at=opened, acknowledged_at=opened + ack_after, acknowledged_by=desk,
                  resolved_at=opened + resolve_after, resolved_by=desk, outcome=outcome,
                  merged_count=rng.choice([0, 0, 0, 1, 2]) if cause == AlarmCause.SOS else 0)
        )  # fmt: skip
    # Still open: a low battery waiting for a visit, an acknowledged fall being handled.
    for cause, kind, state in (
        (AlarmCause.BATTERY, AlarmKind.MAINTENANCE, AlarmState.OPEN),
        (AlarmCause.FALL, AlarmKind.EMERGENCY, AlarmState.ACKNOWLEDGED),
    ):
        device = rng.choice(buttons)
        opened = now - timedelta(minutes=rng.uniform(20, 90))
        alarms.append(
            Alarm(elder_id=device.elder_id, device=device, region_code=device.region_code, kind=kind, cause=cause,
                  priority=KIND_PRIORITY[kind], state=state, summary=f"{SUMMARIES[cause]}（{device.get_kind_display()} {device.serial}）",
                  opened_at=opened, last_event_at=opened,
                  acknowledged_at=opened + timedelta(seconds=35) if state == AlarmState.ACKNOWLEDGED else None,
                  acknowledged_by=desk if state == AlarmState.ACKNOWLEDGED else None,
                  open_key=f"battery:{device.pk}" if cause == AlarmCause.BATTERY else None)
        )  # fmt: skip
    seen_keys: set[str] = set()
    alarms = [
        a for a in alarms if not a.open_key or (a.open_key not in seen_keys and not seen_keys.add(a.open_key))
    ]
    Alarm.objects.bulk_create(alarms)
    actions, events = [], []
    for alarm in alarms:
        actions.append(
            AlarmAction(alarm=alarm, kind=AlarmAction.Kind.CREATED, at=alarm.opened_at, note=alarm.summary)
        )
        if alarm.acknowledged_at:
            actions.append(
                AlarmAction(alarm=alarm, kind=AlarmAction.Kind.ACK, actor=desk, at=alarm.acknowledged_at)
            )
            actions.append(AlarmAction(alarm=alarm, kind=AlarmAction.Kind.CALL_ELDER, actor=desk,
                                       at=alarm.acknowledged_at + timedelta(seconds=20),
                                       data={"answered": rng.random() < 0.7}))  # fmt: skip
        if alarm.outcome in (Outcome.VISIT, Outcome.AMBULANCE, Outcome.HOSPITAL):
            target = {"visit": ("caregiver", "社区护理员"), "ambulance": ("120", "120 急救中心"), "hospital": ("120", "120 急救中心")}[alarm.outcome]  # fmt: skip
            actions.append(AlarmAction(alarm=alarm, kind=AlarmAction.Kind.DISPATCH, actor=desk,
                                       at=alarm.acknowledged_at + timedelta(minutes=1), data={"to": target[0], "name": target[1]}))  # fmt: skip
        if alarm.state == AlarmState.RESOLVED:
            actions.append(AlarmAction(alarm=alarm, kind=AlarmAction.Kind.RESOLVE, actor=desk, at=alarm.resolved_at,
                                       data={"outcome": alarm.outcome}))  # fmt: skip
            if alarm.kind == AlarmKind.EMERGENCY and alarm.elder_id:
                events.append(ElderEvent(elder_id=alarm.elder_id, actor=desk, kind="alarm_resolved", source="alarms",
                                         summary=f"呼叫中心：{alarm.get_cause_display()}告警已处置，结果：{alarm.get_outcome_display()}",
                                         data={"alarm_id": alarm.pk, "kind": alarm.kind, "cause": alarm.cause, "outcome": alarm.outcome},
                                         region_code=alarm.region_code, at=alarm.resolved_at))  # fmt: skip
    AlarmAction.objects.bulk_create(actions, batch_size=1000)
    ElderEvent.objects.bulk_create(events, batch_size=1000)


def alarm_login_rows(present: set[str]) -> list[str]:
    return [
        f"  {username:<12} {note}"
        for username, note in ((DESK_USERNAME, DESK_NOTE), (CITY_DESK_USERNAME, CITY_DESK_NOTE))
        if username in present
    ]
