"""Writes of the device registry and the alarm rules. Ingestion lives in ``ingest``, the worker in ``worker``.

Every function takes keyword arguments, runs in a transaction, validates with ``full_clean`` and
raises ``ValidationError`` with a stable code. A device's secret is generated here, stored encrypted
and returned in clear exactly once, to the caller that registered it.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.alarms import protocol, rules
from yanglao.alarms.errors import DeviceErrorCode as E
from yanglao.alarms.models import (
    SECRET_CONTEXT,
    AlarmCause,
    AlarmRuleOverride,
    Device,
    DeviceKind,
    DeviceStatus,
)
from yanglao.core import audit, crypto
from yanglao.elders.models import Elder
from yanglao.elders.models import Status as ElderStatus
from yanglao.elders.services import elder_event_record


def _require(actor, capability: str = Cap.DEVICES_EDIT) -> None:
    if actor is not None and not actor.can(capability):
        raise PermissionDenied("您没有登记、停用告警设备的权限。")


@dataclass
class DeviceInput:
    """Parsed and typed values of the register/edit form, the API and the import."""

    kind: str
    serial: str
    model: str = ""
    elder: Elder | None = None
    region_code: str = ""
    installed_on: date | None = None
    heartbeat_interval_s: int = 300
    geofence_latitude: Decimal | None = None
    geofence_longitude: Decimal | None = None
    geofence_radius_m: int | None = None


def _check(actor, data: DeviceInput, *, device: Device | None = None) -> str:
    """The region the device will belong to, after the checks only the write can make."""
    errors: dict[str, list[ValidationError]] = {}
    if not protocol.SERIAL_RE.match(data.serial):
        errors.setdefault("serial", []).append(
            ValidationError(
                "设备编号应为 3–64 位字母、数字或 _ . : -，以字母或数字开头。", code=E.SERIAL_INVALID
            )
        )
    elif Device.objects.filter(serial=data.serial).exclude(pk=getattr(device, "pk", None)).exists():
        errors.setdefault("serial", []).append(ValidationError("该设备编号已登记。", code=E.SERIAL_EXISTS))
    if data.kind not in DeviceKind.values:
        errors.setdefault("kind", []).append(ValidationError("请选择设备类型。", code="invalid_choice"))
    region_code = data.region_code
    if data.elder is not None:
        if actor is not None and not actor.scope.contains(data.elder.region_id):
            errors.setdefault("elder", []).append(
                ValidationError("该老年人不在您的管辖范围内。", code=E.OUT_OF_SCOPE)
            )
        elif data.elder.status != ElderStatus.ACTIVE:
            errors.setdefault("elder", []).append(
                ValidationError("该老年人不是在册状态，不能登记设备。", code=E.ELDER_NOT_ACTIVE)
            )
        region_code = data.elder.region_id
    elif not region_code and actor is not None:
        region_code = actor.region_id
    if actor is not None and region_code and not actor.scope.contains(region_code):
        errors.setdefault("region", []).append(
            ValidationError("所选区划超出您的管辖范围。", code=E.OUT_OF_SCOPE)
        )
    fence = (data.geofence_latitude, data.geofence_longitude, data.geofence_radius_m)
    if any(v is not None for v in fence) and not all(v is not None for v in fence):
        errors.setdefault("geofence_radius_m", []).append(
            ValidationError("电子围栏需同时填写中心纬度、经度和半径。", code=E.GEOFENCE_INCOMPLETE)
        )
    if errors:
        raise ValidationError(errors)
    return region_code


def _apply(device: Device, data: DeviceInput, region_code: str) -> None:
    device.kind = data.kind
    device.serial = data.serial
    device.model = data.model
    device.elder = data.elder
    device.region_code = region_code
    device.installed_on = data.installed_on
    device.heartbeat_interval_s = data.heartbeat_interval_s
    device.geofence_latitude = data.geofence_latitude
    device.geofence_longitude = data.geofence_longitude
    device.geofence_radius_m = data.geofence_radius_m


def _clean(device: Device) -> None:
    device.full_clean(exclude=["elder", "created_by"], validate_unique=False, validate_constraints=False)


@transaction.atomic
def device_register(*, actor, data: DeviceInput, secret: str | None = None) -> tuple[Device, str]:
    """Register a device; returns it and its secret in clear (shown once, never again)."""
    _require(actor)
    region_code = _check(actor, data)
    secret = secret or protocol.new_secret()
    device = Device(
        secret_enc=crypto.encrypt(secret, context=SECRET_CONTEXT), created_by=actor if actor else None
    )
    _apply(device, data, region_code)
    _clean(device)
    device.save()
    audit.record(
        actor=actor,
        action=audit.Action.CREATE,
        obj=device,
        region_code=region_code,
        summary=f"登记告警设备 {device}",
    )
    if device.elder_id:
        elder_event_record(
            elder=device.elder,
            kind="device_assigned",
            summary=f"配发{device.get_kind_display()}（{device.serial}）",
            actor=actor,
            data={"device_id": device.pk, "serial": device.serial, "kind": device.kind},
            source="alarms",
        )
    return device, secret


@transaction.atomic
def device_update(*, actor, device: Device, data: DeviceInput) -> Device:
    """Change a device's details, or give it to another elder (both histories record it)."""
    _require(actor)
    if device.status == DeviceStatus.RETIRED:
        raise ValidationError("设备已停用，不能修改。", code=E.ALREADY_RETIRED)
    region_code = _check(actor, data, device=device)
    before_elder = device.elder
    _apply(device, data, region_code)
    _clean(device)
    device.save()
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=device,
        region_code=region_code,
        summary=f"修改告警设备 {device}",
    )
    if before_elder != device.elder:
        if before_elder is not None:
            elder_event_record(
                elder=before_elder, kind="device_returned", summary=f"交回{device.get_kind_display()}（{device.serial}）",
                actor=actor, data={"device_id": device.pk}, source="alarms",
            )  # fmt: skip
        if device.elder is not None:
            elder_event_record(
                elder=device.elder, kind="device_assigned", summary=f"配发{device.get_kind_display()}（{device.serial}）",
                actor=actor, data={"device_id": device.pk}, source="alarms",
            )  # fmt: skip
    return device


@transaction.atomic
def device_retire(*, actor, device: Device, reason: str) -> Device:
    """Take a device out of service: its events are refused from now on; its history stays."""
    _require(actor)
    device = Device.objects.select_for_update(of=("self",)).select_related("elder").get(pk=device.pk)
    if actor is not None and not actor.scope.contains(device.region_code):
        raise PermissionDenied("该设备不在您的管辖范围内。")
    if device.status == DeviceStatus.RETIRED:
        raise ValidationError({"reason": ValidationError("设备已停用。", code=E.ALREADY_RETIRED)})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError("请填写停用原因。", code="required")})
    device.status = DeviceStatus.RETIRED
    device.retired_at = timezone.now()
    device.offline_after = None
    device.save(update_fields=["status", "retired_at", "offline_after"])
    audit.record(
        actor=actor, action=audit.Action.DISABLE, obj=device, region_code=device.region_code,
        summary=f"停用告警设备 {device}：{reason[:200]}",
    )  # fmt: skip
    if device.elder_id:
        elder_event_record(
            elder=device.elder, kind="device_retired", summary=f"停用{device.get_kind_display()}（{device.serial}）：{reason[:100]}",
            actor=actor, data={"device_id": device.pk}, source="alarms",
        )  # fmt: skip
    return device


@transaction.atomic
def device_rotate_secret(*, actor, device: Device) -> str:
    """A new secret for the device (the old one stops working at once); returned in clear once."""
    _require(actor)
    if actor is not None and not actor.scope.contains(device.region_code):
        raise PermissionDenied("该设备不在您的管辖范围内。")
    if device.status == DeviceStatus.RETIRED:
        raise ValidationError("设备已停用。", code=E.ALREADY_RETIRED)
    secret = protocol.new_secret()
    device.secret_enc = crypto.encrypt(secret, context=SECRET_CONTEXT)
    device.save(update_fields=["secret_enc"])
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=device, region_code=device.region_code,
                 summary=f"重置告警设备密钥 {device}")  # fmt: skip
    return secret


def device_secret(*, device: Device) -> str:
    """The secret in clear — for the ingestion path and the demo stream only, never for a page."""
    return crypto.decrypt(device.secret_enc, context=SECRET_CONTEXT)


# --- rules ----------------------------------------------------------------------------------------


def _check_params(cause: str, params: dict) -> dict:
    allowed = rules.PARAM_RANGES[cause]
    cleaned = {}
    for name, value in (params or {}).items():
        if name not in allowed:
            raise ValidationError(
                {
                    "params": ValidationError(
                        f"规则“{AlarmCause(cause).label}”没有参数 {name}。", code="unknown_param"
                    )
                }
            )
        low, high = allowed[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationError(
                {
                    "params": ValidationError(
                        f"参数 {name} 应为 {low}–{high} 的整数。", code="param_out_of_range"
                    )
                }
            )
        cleaned[name] = value
    if cause == AlarmCause.INACTIVITY:
        merged = {**rules.DEFAULTS[cause].params, **cleaned}
        if merged["day_start"] >= merged["day_end"]:
            raise ValidationError(
                {"params": ValidationError("白天时段的开始应早于结束。", code="param_out_of_range")}
            )
    return cleaned


@transaction.atomic
def rule_override_set(
    *, actor, elder: Elder, cause: str, enabled: bool | None, params: dict | None = None, note: str = ""
) -> AlarmRuleOverride | None:
    """An elder's own setting of one rule (e.g. the fence on for 认知障碍/走失风险, inactivity after 8 hours).
    ``enabled=None`` and no parameters removes the override."""
    _require(actor)
    if actor is not None and not actor.scope.contains(elder.region_id):
        raise PermissionDenied("该老年人不在您的管辖范围内。")
    if cause not in rules.PARAM_RANGES:
        raise ValidationError({"cause": ValidationError("没有这条告警规则。", code="invalid_choice")})
    params = _check_params(cause, params or {})
    existing = AlarmRuleOverride.objects.filter(elder=elder, cause=cause).first()
    if enabled is None and not params:
        if existing is not None:
            existing.delete()
        audit.record(actor=actor, action=audit.Action.DELETE, object_type="alarms.alarmruleoverride", object_id=elder.pk,
                     region_code=elder.region_id, summary=f"恢复默认告警规则：{AlarmCause(cause).label}")  # fmt: skip
        return None
    override = existing or AlarmRuleOverride(elder=elder, cause=cause)
    override.region_code = elder.region_id
    override.enabled = enabled
    override.params = params
    override.note = (note or "")[:200]
    override.updated_at = timezone.now()
    override.updated_by = actor if actor else None
    override.full_clean(exclude=["elder", "updated_by"], validate_unique=False)
    override.save()
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=override, region_code=elder.region_id,
                 summary=f"个人告警规则：{AlarmCause(cause).label}", changes={"enabled": enabled, "params": params})  # fmt: skip
    return override
