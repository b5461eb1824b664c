"""One validation path for a facility's fields: the form, the API and the import all use it."""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from yanglao.core.creditcode import CreditCodeError, parse_credit_code
from yanglao.core.parsing import parse_date, parse_flag
from yanglao.core.phones import PhoneError, parse_phone
from yanglao.facilities import catalogue
from yanglao.facilities.models import FacilityStatus, FacilityType, OperatingMode
from yanglao.regions.models import Region
from yanglao.regions.resolver import RegionResolver
from yanglao.regions.scope import Scope

TYPE_CHOICES = tuple(FacilityType.choices)
MODE_CHOICES = tuple(OperatingMode.choices)
STATUS_CHOICES = tuple(FacilityStatus.choices)
TYPE_ALIASES = {"县级中心": "county_centre", "乡镇中心": "township_centre", "街道中心": "township_centre",
                "服务站": "station", "幸福院": "mutual_aid", "互助幸福院": "mutual_aid", "牧区养老公寓": "pastoral",
                "邻里互助点": "neighbour", "公办机构": "institution_public", "民办机构": "institution_private",
                "老年食堂": "canteen", "助餐点": "canteen", "敬老院": "institution_public", "福利院": "institution_public",
                "养老院": "institution_private", "护理院": "institution_private"}  # fmt: skip
SPLIT = re.compile(r"[、,，;；\s]+")


@dataclass
class FacilityInput:
    name: str
    type: str
    region: Region
    address: str = ""
    longitude: Decimal | None = None
    latitude: Decimal | None = None
    floor_area: Decimal | None = None
    beds_total: int | None = None
    beds_nursing: int | None = None
    residents: int | None = None
    households_served: int | None = None
    residents_65_served: int | None = None
    meal_capacity: int | None = None
    has_medical: bool = False
    is_destitute_home: bool = False
    natural_village: bool = False
    operator_code: str = ""
    operator_name: str = ""
    operating_mode: str = OperatingMode.PUBLIC
    contract_start: date | None = None
    contract_end: date | None = None
    filing_number: str = ""
    filing_date: date | None = None
    status: str = FacilityStatus.OPERATING
    services: list[str] = field(default_factory=list)
    contact_name: str = ""
    contact_phone: str = ""
    opening_hours: str = ""


def _add(errors, key, message, code):
    errors.setdefault(key, []).append(ValidationError(message, code=code))


def _choice(text, choices, label, key, errors, default, aliases=None):
    text = (text or "").strip()
    if not text:
        return default
    for code, name in choices:
        if text in (code, name):
            return code
    if aliases and text in aliases:
        return aliases[text]
    _add(errors, key, f"{label}“{text}”无效，应为：{'、'.join(n for _, n in choices)}。", "invalid_choice")
    return default


def _count(text, label, key, errors, *, maximum=100000):
    text = str(text or "").strip()
    if not text:
        return None
    try:
        value = int(Decimal(text))
    except (InvalidOperation, ValueError):
        _add(errors, key, f"{label}“{text}”不是整数。", "invalid")
        return None
    if value < 0 or value > maximum or Decimal(text) != value:
        _add(errors, key, f"{label}应为 0 到 {maximum} 之间的整数。", "out_of_range")
        return None
    return value


def _decimal(text, label, key, errors, *, low, high, places="0.1"):
    text = str(text or "").strip().removesuffix("平方米").removesuffix("m²").removesuffix("平").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        _add(errors, key, f"{label}“{text}”不是数字。", "invalid")
        return None
    if not (low <= value <= high):
        _add(errors, key, f"{label}应在 {low} 到 {high} 之间。", "out_of_range")
        return None
    return value.quantize(Decimal(places))


def _date(text, label, key, errors):
    try:
        return parse_date(str(text or ""))
    except ValueError:
        _add(errors, key, f"{label}“{text}”格式应为 2025-06-30。", "invalid_date")
        return None


def _flag(text, label, key, errors):
    flag = parse_flag(str(text or ""))
    if flag is None:
        _add(errors, key, f"{label}应填“是”或“否”。", "invalid_flag")
        return False
    return flag


def parse_services(value) -> tuple[list[str], list[str]]:
    items = value if isinstance(value, list | tuple) else [p for p in SPLIT.split(str(value or "")) if p]
    codes, unknown = [], []
    for item in items:
        code = item if item in catalogue.CODES else catalogue.BY_NAME.get(item)
        if code is None:
            unknown.append(str(item))
        elif code not in codes:
            codes.append(code)
    return codes, unknown


def parse_facility(raw: dict, *, resolver: RegionResolver, scope: Scope | None) -> FacilityInput:
    errors: dict[str, list[ValidationError]] = {}
    name = str(raw.get("name") or "").strip()
    if not name:
        _add(errors, "name", "请填写名称。", "required")
    elif len(name) > 100:
        _add(errors, "name", "名称过长（最多 100 字）。", "too_long")
    type_ = _choice(raw.get("type"), TYPE_CHOICES, "类型", "type", errors, "", TYPE_ALIASES)
    if not type_ and "type" not in errors:
        _add(errors, "type", "请选择设施类型。", "required")

    region = None
    region_text = str(raw.get("region") or "").strip()
    if not region_text:
        _add(errors, "region", "请选择所在的苏木乡镇(街道)或嘎查村(社区)。", "required")
    else:
        region = resolver.resolve(region_text)
        if region is None:
            ambiguous = resolver.is_ambiguous(region_text)
            _add(
                errors,
                "region",
                f"所在区划“{region_text}”{'对应多个区划，请写完整路径' if ambiguous else '不存在'}。",
                "region_ambiguous" if ambiguous else "region_unknown",
            )
        elif region.level not in ("township", "village"):
            _add(
                errors,
                "region",
                f"所在区划应具体到苏木乡镇(街道)或嘎查村(社区)，“{region.name}”是{region.get_level_display()}。",
                "region_level",
            )
            region = None
        elif scope is not None and not scope.contains(region.code):
            _add(errors, "region", f"所在区划“{region.name}”超出您的管辖范围。", "region_out_of_scope")
            region = None

    longitude = _decimal(
        raw.get("longitude"), "经度", "longitude", errors, low=73, high=136, places="0.000001"
    )
    latitude = _decimal(raw.get("latitude"), "纬度", "latitude", errors, low=3, high=54, places="0.000001")
    if (longitude is None) != (latitude is None) and "longitude" not in errors and "latitude" not in errors:
        _add(errors, "longitude", "经度和纬度应同时填写。", "coordinates_pair")
    floor_area = _decimal(raw.get("floor_area"), "建筑面积", "floor_area", errors, low=0, high=1_000_000)
    beds_total = _count(raw.get("beds_total"), "床位数", "beds_total", errors)
    beds_nursing = _count(raw.get("beds_nursing"), "护理型床位数", "beds_nursing", errors)
    if beds_total is not None and beds_nursing is not None and beds_nursing > beds_total:
        _add(
            errors,
            "beds_nursing",
            f"护理型床位数（{beds_nursing}）不能多于床位数（{beds_total}）。",
            "nursing_exceeds_total",
        )
    residents = _count(raw.get("residents"), "在住人数", "residents", errors)
    households = _count(
        raw.get("households_served"), "服务户数", "households_served", errors, maximum=1_000_000
    )
    served_65 = _count(
        raw.get("residents_65_served"), "65岁以上人数", "residents_65_served", errors, maximum=1_000_000
    )
    meals = _count(raw.get("meal_capacity"), "日供餐能力", "meal_capacity", errors)

    operator_code = ""
    code_text = str(raw.get("operator_code") or "").strip()
    if code_text:
        try:
            operator_code = parse_credit_code(code_text)
        except CreditCodeError as exc:
            _add(errors, "operator_code", exc.message, exc.code)
    operator_name = str(raw.get("operator_name") or "").strip()[:100]
    mode = _choice(
        raw.get("operating_mode"), MODE_CHOICES, "运营方式", "operating_mode", errors, OperatingMode.PUBLIC
    )
    contract_start = _date(raw.get("contract_start"), "合同起始日期", "contract_start", errors)
    contract_end = _date(raw.get("contract_end"), "合同截止日期", "contract_end", errors)
    if contract_start and contract_end and contract_end < contract_start:
        _add(errors, "contract_end", "合同截止日期不能早于起始日期。", "dates_order")
    if mode in (OperatingMode.PUBLIC_PRIVATE, OperatingMode.PURCHASED, OperatingMode.PRIVATE) and not (
        operator_code or operator_name
    ):
        _add(
            errors,
            "operator_name",
            f"“{OperatingMode(mode).label}”的设施请填写运营主体。",
            "operator_required",
        )
    filing_date = _date(raw.get("filing_date"), "备案日期", "filing_date", errors)
    status = _choice(raw.get("status"), STATUS_CHOICES, "状态", "status", errors, FacilityStatus.OPERATING)
    services, unknown = parse_services(raw.get("services"))
    if unknown:
        _add(
            errors,
            "services",
            f"服务项目“{'、'.join(unknown)}”不在 8 类 20 项服务目录中。",
            "unknown_service",
        )
    phone = ""
    phone_text = str(raw.get("contact_phone") or "").strip()
    if phone_text:
        try:
            phone = parse_phone(phone_text)
        except PhoneError as exc:
            _add(errors, "contact_phone", exc.message, exc.code)
    flags = {key: _flag(raw.get(key), label, key, errors) for key, label in
             (("has_medical", "内设医疗机构或护理站"), ("is_destitute_home", "特困人员供养服务机构"), ("natural_village", "设在自然村"))}  # fmt: skip

    if errors:
        raise ValidationError(errors)
    return FacilityInput(
        name=name, type=type_, region=region, address=str(raw.get("address") or "").strip()[:200],
        longitude=longitude, latitude=latitude, floor_area=floor_area, beds_total=beds_total, beds_nursing=beds_nursing,
        residents=residents, households_served=households, residents_65_served=served_65, meal_capacity=meals,
        operator_code=operator_code, operator_name=operator_name, operating_mode=mode, contract_start=contract_start,
        contract_end=contract_end, filing_number=str(raw.get("filing_number") or "").strip()[:50], filing_date=filing_date,
        status=status, services=services, contact_name=str(raw.get("contact_name") or "").strip()[:50],
        contact_phone=phone, opening_hours=str(raw.get("opening_hours") or "").strip()[:100], **flags,
    )  # fmt: skip
