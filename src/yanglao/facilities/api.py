from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond
from pydantic import field_validator

from yanglao.accounts.roles import Cap
from yanglao.core.api import Page, PageParams, errors, paginate
from yanglao.facilities import checks, selectors, services
from yanglao.facilities.forms import facility_raw
from yanglao.facilities.models import FacilityStatus, FacilityType, OperatingMode
from yanglao.facilities.validation import parse_facility
from yanglao.regions.resolver import RegionResolver

router = Router(tags=["养老服务设施"])
operators_router = Router(tags=["运营主体"])


class FacilityOut(Schema):
    id: int
    name: str
    type: str
    type_label: str
    region_code: str = Field(..., alias="region_id")
    region_name: str
    address: str
    longitude: Decimal | None
    latitude: Decimal | None
    floor_area: Decimal | None
    beds_total: int | None
    beds_nursing: int | None
    residents: int | None
    households_served: int | None
    residents_65_served: int | None
    meal_capacity: int | None
    has_medical: bool
    is_destitute_home: bool
    natural_village: bool
    operator_id: int | None
    operator_name: str | None
    operating_mode: str
    contract_start: date | None
    contract_end: date | None
    filing_number: str
    filing_date: date | None
    status: str
    status_date: date | None
    services: list[str]
    contact_name: str
    contact_phone: str
    opening_hours: str
    checks: str = Field(
        ..., description="达标情况：met 达标、not_met 有未达标项、unknown 信息不全、空 无适用检查"
    )
    updated_at: datetime

    @staticmethod
    def resolve_type_label(obj):
        return obj.get_type_display()

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.full_name

    @staticmethod
    def resolve_operator_name(obj):
        return obj.operator.name if obj.operator_id else None

    @staticmethod
    def resolve_checks(obj):
        return checks.summary(checks.evaluate(obj, timezone.localdate()))


class CheckOut(Schema):
    code: str
    title: str
    rule: str
    seed: str
    status: str
    detail: str


class FacilityFilterIn(Schema):
    q: str = Field("", max_length=60)
    region: str = Field("", pattern=r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$")
    type: FacilityType | None = None
    status: FacilityStatus | None = None
    operating_mode: OperatingMode | None = None
    failing: str = Field(
        "",
        pattern=r"^(any|county_centre_nursing_beds|street_centre_area|community_station_area|village_point_area|institution_medical|canteen_capacity|contract_valid)?$",
    )
    sort: str = Field("region", pattern=r"^(region|name|-beds|-updated)$")

    @field_validator("type", "status", "operating_mode", mode="before")
    @classmethod
    def _blank_is_all(cls, value):
        # The console's filter form sends "" for 全部; it means no filter, not a bad value.
        return value or None


class FacilityIn(Schema):
    name: str = Field(..., max_length=100)
    type: FacilityType
    region: str = Field(..., max_length=120, description="苏木乡镇(街道)或嘎查村(社区)的代码或完整名称")
    address: str = Field("", max_length=200)
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    floor_area: Decimal | None = Field(None, ge=0, le=1_000_000)
    beds_total: int | None = Field(None, ge=0, le=100_000)
    beds_nursing: int | None = Field(None, ge=0, le=100_000)
    residents: int | None = Field(None, ge=0, le=100_000)
    households_served: int | None = Field(None, ge=0, le=1_000_000)
    residents_65_served: int | None = Field(None, ge=0, le=1_000_000)
    meal_capacity: int | None = Field(None, ge=0, le=100_000)
    has_medical: bool = False
    is_destitute_home: bool = False
    natural_village: bool = False
    operator_code: str = Field("", max_length=18)
    operator_name: str = Field("", max_length=100)
    operating_mode: OperatingMode = OperatingMode.PUBLIC
    contract_start: date | None = None
    contract_end: date | None = None
    filing_number: str = Field("", max_length=50)
    filing_date: date | None = None
    status: FacilityStatus = FacilityStatus.OPERATING
    services: list[str] = Field(
        default_factory=list, max_length=20, description="服务目录代码，如 meal.dine_in"
    )
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=30)
    opening_hours: str = Field("", max_length=100)


class FacilityPatch(Schema):
    name: str | None = Field(None, max_length=100)
    address: str | None = Field(None, max_length=200)
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    floor_area: Decimal | None = Field(None, ge=0, le=1_000_000)
    beds_total: int | None = Field(None, ge=0, le=100_000)
    beds_nursing: int | None = Field(None, ge=0, le=100_000)
    residents: int | None = Field(None, ge=0, le=100_000)
    households_served: int | None = Field(None, ge=0, le=1_000_000)
    residents_65_served: int | None = Field(None, ge=0, le=1_000_000)
    meal_capacity: int | None = Field(None, ge=0, le=100_000)
    has_medical: bool | None = None
    is_destitute_home: bool | None = None
    operating_mode: OperatingMode | None = None
    contract_start: date | None = None
    contract_end: date | None = None
    filing_number: str | None = Field(None, max_length=50)
    filing_date: date | None = None
    services: list[str] | None = Field(None, max_length=20)
    contact_name: str | None = Field(None, max_length=50)
    contact_phone: str | None = Field(None, max_length=30)
    opening_hours: str | None = Field(None, max_length=100)


class StatusIn(Schema):
    status: FacilityStatus
    reason: str = Field(..., min_length=1, max_length=200)
    on: date | None = None


class MapOut(Schema):
    count: int
    # A row per point, not an object: 20,000 points stay small. (Typed as a list, not a tuple: the
    # tuple's OpenAPI 3.1 ``prefixItems`` is read as a 3.0 ``items`` array by schema checkers.)
    points: list[list[int | float | str]] = Field(..., description="每行 [id, 经度, 纬度, 类型, 状态, 名称]")


def _filters(data: FacilityFilterIn) -> selectors.FacilityFilters:
    values = data.dict()
    for key in ("type", "status", "operating_mode"):
        values[key] = values[key].value if values[key] is not None else ""
    return selectors.FacilityFilters(**values)


def _raw(payload) -> dict:
    raw = {}
    for key, value in payload.dict().items():
        if value is None:
            raw[key] = ""
        elif isinstance(value, bool):
            raw[key] = "是" if value else "否"
        elif isinstance(value, list):
            raw[key] = value
        else:
            raw[key] = str(value.value if hasattr(value, "value") else value)
    return raw


def _require_edit(actor):
    if not actor.can(Cap.FACILITIES_EDIT):
        raise PermissionDenied("您没有修改设施的权限。")


@router.get("", response={200: Page[FacilityOut], **errors(403)})
def facility_list(request, filters: Query[FacilityFilterIn], paging: Query[PageParams]):
    """设施列表：按区划、类型、状态、运营方式、未达标的检查项筛选。"""
    return paginate(selectors.facility_list(actor=request.auth, filters=_filters(filters)), paging)


@router.post("", response={201: FacilityOut, **errors(403)})
def facility_create(request, payload: FacilityIn):
    _require_edit(request.auth)
    data = parse_facility(_raw(payload), resolver=RegionResolver(), scope=request.auth.scope)
    facility = services.facility_create(actor=request.auth, data=data)
    return Respond(201, selectors.facility_get(actor=request.auth, pk=facility.pk))


@router.get("/map", response={200: MapOut, **errors(403)})
def facility_map(request, filters: Query[FacilityFilterIn]):
    """地图数据：有坐标的设施，按列表的条件筛选。"""
    points = selectors.map_points(actor=request.auth, filters=_filters(filters))
    return {"count": len(points), "points": points}


@router.get("/{facility_id}", response={200: FacilityOut, **errors(403, 404)})
def facility_detail(request, facility_id: int):
    return selectors.facility_get(actor=request.auth, pk=facility_id)


@router.patch("/{facility_id}", response={200: FacilityOut, **errors(403, 404)})
def facility_update(request, facility_id: int, payload: FacilityPatch):
    """修改设施：只需提交要改的字段。状态变更用 /status。"""
    _require_edit(request.auth)
    facility = selectors.facility_get(actor=request.auth, pk=facility_id)
    raw = facility_raw(facility)
    raw.update({k: v for k, v in _raw(payload).items() if k in payload.dict(exclude_unset=True)})
    data = parse_facility(raw, resolver=RegionResolver(), scope=request.auth.scope)
    services.facility_update(actor=request.auth, facility=facility, data=data)
    return selectors.facility_get(actor=request.auth, pk=facility_id)


@router.post("/{facility_id}/status", response={200: FacilityOut, **errors(403, 404)})
def facility_status(request, facility_id: int, payload: StatusIn):
    """变更状态（开工、运营、暂停、关闭），须填写原因。"""
    _require_edit(request.auth)
    facility = selectors.facility_get(actor=request.auth, pk=facility_id)
    services.facility_set_status(
        actor=request.auth, facility=facility, status=payload.status, reason=payload.reason, on=payload.on
    )
    return selectors.facility_get(actor=request.auth, pk=facility_id)


@router.get("/{facility_id}/checks", response={200: list[CheckOut], **errors(403, 404)})
def facility_checks(request, facility_id: int):
    """适用于该设施的政策检查及结果（含文件依据）。"""
    facility = selectors.facility_get(actor=request.auth, pk=facility_id)
    return [
        {"code": r.check.code, "title": r.check.title, "rule": r.check.rule, "seed": r.check.seed,
         "status": r.outcome.status, "detail": r.outcome.detail}
        for r in checks.evaluate(facility, timezone.localdate())
    ]  # fmt: skip


class OperatorOut(Schema):
    id: int
    name: str
    credit_code: str
    kind: str
    contact_name: str
    contact_phone: str
    address: str
    region_code: str = Field(..., alias="region_id")
    facility_count: int


@operators_router.get("", response={200: Page[OperatorOut], **errors(403)})
def operator_list(request, paging: Query[PageParams], q: str = Query("", max_length=60)):
    return paginate(selectors.operator_list(actor=request.auth, q=q), paging)


@operators_router.get("/{operator_id}", response={200: OperatorOut, **errors(403, 404)})
def operator_detail(request, operator_id: int):
    return selectors.operator_get(actor=request.auth, pk=operator_id)
