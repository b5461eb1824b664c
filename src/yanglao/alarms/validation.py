"""Reading a device as typed (the form, the API, a spreadsheet row): text in, ``DeviceInput`` out.

Every problem is reported against its field, in Chinese, with a stable code; all of them at once.
The elder is named by 档案编号 or 身份证号 and must be one the user may see.
"""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from yanglao.alarms import protocol
from yanglao.alarms.models import DeviceKind
from yanglao.alarms.services import DeviceInput
from yanglao.core.idnumber import IdNumberError
from yanglao.core.idnumber import parse as parse_id
from yanglao.core.parsing import parse_date
from yanglao.elders import privacy
from yanglao.elders.models import Elder
from yanglao.regions.resolver import RegionResolver

KIND_BY_TEXT = {**{k: k for k in DeviceKind.values}, **{label: value for value, label in DeviceKind.choices}}
KIND_BY_TEXT.update({"一键通": DeviceKind.SOS_BUTTON, "智能手环": DeviceKind.WEARABLE, "智能手表": DeviceKind.WEARABLE,
                     "床垫传感器": DeviceKind.BED_SENSOR, "门磁": DeviceKind.DOOR_SENSOR, "人体感应": DeviceKind.MOTION_SENSOR,
                     "烟感": DeviceKind.SMOKE_DETECTOR, "燃气": DeviceKind.GAS_DETECTOR})  # fmt: skip
MIN_INTERVAL_S, MAX_INTERVAL_S = 10, 86400


def find_elder(text: str, *, scope) -> Elder | None:
    """An elder by 档案编号 (digits) or 身份证号, inside ``scope`` (None = anywhere)."""
    text = (text or "").strip()
    elders = Elder.objects.select_related("region")
    if scope is not None:
        elders = scope.apply(elders)
    if re.fullmatch(r"\d{1,12}", text):
        return elders.filter(pk=int(text)).first()
    try:
        value = parse_id(text).value
    except IdNumberError:
        return None
    return elders.filter(id_number_index=privacy.id_index(value)).first()


def _decimal(text: str, low: Decimal, high: Decimal) -> Decimal:
    value = Decimal(text)
    if not value.is_finite() or not low <= value <= high:
        raise InvalidOperation
    return value.quantize(Decimal("0.000001"))


def parse_device(raw: dict, *, scope, resolver: RegionResolver | None = None) -> DeviceInput:
    """``raw`` holds text under the keys of ``DeviceInput`` (``elder`` and ``region`` as typed)."""
    resolver = resolver or RegionResolver()
    errors: dict[str, list[ValidationError]] = {}

    def fail(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    def text(key: str) -> str:
        return str(raw.get(key) or "").strip()

    kind = KIND_BY_TEXT.get(text("kind"))
    if kind is None:
        fail("kind", "请选择设备类型：" + "、".join(DeviceKind.labels) + "。", "invalid_choice")
    serial = text("serial")
    if not serial:
        fail("serial", "请填写设备编号。", "required")
    elif not protocol.SERIAL_RE.match(serial):
        fail("serial", "设备编号应为 3–64 位字母、数字或 _ . : -，以字母或数字开头。", "serial_invalid")
    model = text("model")
    if len(model) > 64:
        fail("model", "型号最多 64 个字。", "max_length")
    elder = None
    if text("elder"):
        elder = find_elder(text("elder"), scope=scope)
        if elder is None:
            fail("elder", "在您的管辖范围内找不到该老年人（请填写档案编号或身份证号）。", "elder_not_found")
    region_code = ""
    if text("region"):
        region = resolver.resolve(text("region"))
        if region is None:
            fail("region", "找不到该区划，请填写代码或完整名称。", "region_not_found")
        elif scope is not None and not scope.contains(region.code):
            fail("region", "所选区划超出您的管辖范围。", "region_out_of_scope")
        else:
            region_code = region.code
    installed_on = None
    try:
        installed_on = parse_date(text("installed_on"))
    except ValueError:
        fail("installed_on", "安装日期格式应为 2026-01-31。", "invalid_date")
    interval = 300
    if text("heartbeat_interval_s"):
        try:
            interval = int(text("heartbeat_interval_s"))
            if not MIN_INTERVAL_S <= interval <= MAX_INTERVAL_S:
                raise ValueError
        except ValueError:
            fail(
                "heartbeat_interval_s",
                f"心跳间隔应为 {MIN_INTERVAL_S}–{MAX_INTERVAL_S} 秒的整数。",
                "invalid_interval",
            )
    fence: dict = {"geofence_latitude": None, "geofence_longitude": None, "geofence_radius_m": None}
    for key, low, high, label in (
        ("geofence_latitude", Decimal(-90), Decimal(90), "纬度应为 -90 到 90 之间的数"),
        ("geofence_longitude", Decimal(-180), Decimal(180), "经度应为 -180 到 180 之间的数"),
    ):
        if text(key):
            try:
                fence[key] = _decimal(text(key), low, high)
            except (InvalidOperation, ValueError):
                fail(key, label + "。", "invalid_number")
    if text("geofence_radius_m"):
        try:
            fence["geofence_radius_m"] = int(text("geofence_radius_m"))
            if not 20 <= fence["geofence_radius_m"] <= 50000:
                raise ValueError
        except ValueError:
            fail("geofence_radius_m", "围栏半径应为 20–50000 米的整数。", "invalid_number")
    present = [v is not None for v in fence.values()]
    if any(present) and not all(present) and "geofence_radius_m" not in errors:
        fail("geofence_radius_m", "电子围栏需同时填写中心纬度、经度和半径。", "geofence_incomplete")
    if errors:
        raise ValidationError(errors)
    return DeviceInput(
        kind=kind,
        serial=serial,
        model=model,
        elder=elder,
        region_code=region_code,
        installed_on=installed_on,
        heartbeat_interval_s=interval,
        **fence,
    )


def device_raw(device) -> dict:
    """A device as the form shows it (for editing)."""
    return {
        "kind": device.kind,
        "serial": device.serial,
        "model": device.model,
        "elder": str(device.elder_id or ""),
        "region": "" if device.elder_id else device.region_code,
        "installed_on": device.installed_on.isoformat() if device.installed_on else "",
        "heartbeat_interval_s": str(device.heartbeat_interval_s),
        "geofence_latitude": "" if device.geofence_latitude is None else str(device.geofence_latitude),
        "geofence_longitude": "" if device.geofence_longitude is None else str(device.geofence_longitude),
        "geofence_radius_m": "" if device.geofence_radius_m is None else str(device.geofence_radius_m),
    }
