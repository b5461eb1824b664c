"""Reading devices, their events and ingest errors — always inside the reader's region scope."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.alarms.models import Alarm, AlarmRuleOverride, Device, DeviceEvent, IngestError
from yanglao.elders.models import Elder
from yanglao.regions.models import Region
from yanglao.regions.selectors import scope_narrowed

RECENT_EVENTS = 50


def _require(actor, capability: str = Cap.ALARMS_VIEW) -> None:
    if not actor.can(capability):
        raise PermissionDenied("您没有查看告警设备的权限。")


@dataclass
class DeviceFilters:
    q: str = ""
    kind: str = ""
    status: str = ""
    region: str = ""


def devices_in_scope(*, actor) -> QuerySet[Device]:
    _require(actor)
    return actor.scope.apply(Device.objects.all(), "region_code")


def device_list(*, actor, filters: DeviceFilters) -> QuerySet[Device]:
    """Search by serial (exact or its start) or the elder's name; filter by kind, status, region."""
    _require(actor)
    scope = scope_narrowed(scope=actor.scope, code=filters.region)
    devices = scope.apply(Device.objects.all(), "region_code")
    if filters.kind:
        devices = devices.filter(kind=filters.kind)
    if filters.status:
        devices = devices.filter(status=filters.status)
    text = filters.q.strip()
    if text:
        if re.fullmatch(r"[A-Za-z0-9_.:-]+", text):
            devices = devices.filter(
                Q(serial__istartswith=text) | Q(elder__name_initials__startswith=text.lower())
            )
        else:
            devices = devices.filter(elder__name__contains=text)
    return devices.select_related("elder").order_by("region_code", "serial")


def device_get(*, actor, pk: int) -> Device:
    _require(actor)
    device = (
        actor.scope.apply(Device.objects.select_related("elder", "created_by"), "region_code")
        .filter(pk=pk)
        .first()
    )
    if device is None:
        raise Http404("设备不存在")
    return device


def region_name(*, code: str) -> str:
    """The full name of a device's region (the device was read through the scope)."""
    return Region.objects.filter(code=code).values_list("full_name", flat=True).first() or code


def device_events(*, device: Device, limit: int = RECENT_EVENTS) -> list[DeviceEvent]:
    """The device's latest events (the device was read through the scope)."""
    return list(DeviceEvent.objects.filter(device=device).order_by("-occurred_at", "-pk")[:limit])


def device_alarms(*, device: Device, limit: int = 20) -> list[Alarm]:
    return list(Alarm.objects.filter(device=device).order_by("-opened_at", "-pk")[:limit])


def elder_devices(*, actor, elder: Elder) -> list[Device]:
    """The devices of an elder the reader may see (for the elder page's panel)."""
    _require(actor)
    return list(
        actor.scope.apply(Device.objects.filter(elder=elder), "region_code").order_by(
            "status", "kind", "serial"
        )
    )


def elder_overrides(*, actor, elder: Elder) -> list[AlarmRuleOverride]:
    _require(actor)
    return list(
        actor.scope.apply(AlarmRuleOverride.objects.filter(elder=elder), "region_code").order_by("cause")
    )


def device_counts(*, actor) -> dict[str, int]:
    counts = dict(devices_in_scope(actor=actor).values_list("status").annotate(n=Count("pk")))
    counts["total"] = sum(counts.values())
    return counts


# --- ingest errors --------------------------------------------------------------------------------


@dataclass
class ErrorFilters:
    code: str = ""
    channel: str = ""
    q: str = ""
    days: int = 7


def _errors_in_scope(actor) -> QuerySet[IngestError]:
    _require(actor)
    visible = actor.scope.q("region_code")
    # An unknown device belongs to no region: only platform-wide users (scope = the whole region) see those.
    if len(actor.scope.prefix) <= 2 and not actor.scope.is_empty:
        visible |= Q(region_code="")
    return IngestError.objects.filter(visible)


def ingest_errors(*, actor, filters: ErrorFilters, now: datetime | None = None) -> QuerySet[IngestError]:
    since = (now or timezone.now()) - timedelta(days=filters.days)
    errors = _errors_in_scope(actor).filter(at__gte=since)
    if filters.code:
        errors = errors.filter(code=filters.code)
    if filters.channel:
        errors = errors.filter(channel=filters.channel)
    if filters.q.strip():
        errors = errors.filter(serial__istartswith=filters.q.strip())
    return errors.order_by("-at", "-pk")


def ingest_error_counts(*, actor, days: int = 7, now: datetime | None = None) -> list[tuple[str, int]]:
    """How many refusals of each code in the last ``days`` days, most frequent first."""
    since = (now or timezone.now()) - timedelta(days=days)
    rows = (
        _errors_in_scope(actor)
        .filter(at__gte=since)
        .values_list("code")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    return list(rows)
