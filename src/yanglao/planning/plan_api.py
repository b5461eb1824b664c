"""The JSON API of the construction plans (附件1/附件2), their monthly progress, and the policy targets.

Mounted at the API root: ``/plans``, ``/plans/{id}``, ``/plans/{id}/progress``, ``/targets``. Every
read goes through the reader's region scope (404 outside it); errors carry a stable ``code``:
``plan_deadline`` (a deadline that cannot be read), ``plan_phone``, ``plan_county``/``plan_out_of_scope``
(the county), ``progress_month_not_open`` (a month that has not ended), ``progress_status_percent``,
``progress_facility_required`` (in operation without a facility), ``plan_facility``.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from yanglao.accounts.roles import Cap
from yanglao.core.api import ApiError, Page, PageParams, errors, paginate
from yanglao.facilities import selectors as facility_selectors
from yanglao.planning import normalize, plans, targets
from yanglao.planning.models import PlanKind, ProgressStatus
from yanglao.regions.codes import RegionCodeError, canonical
from yanglao.regions.models import Region

router = Router(tags=["建设计划与政策目标"])

KindIn = Literal[tuple(PlanKind.values)]  # type: ignore[valid-type]
StatusIn = Literal[tuple(ProgressStatus.values)]  # type: ignore[valid-type]


class ProgressOut(Schema):
    month: date
    status: str
    status_label: str
    percent: int
    problems: str
    reported_at: datetime
    late: bool = Field(..., description="是否在次月 10 日 23:59（北京时间）之后报送")
    photos: int


class PlanOut(Schema):
    id: int
    county_code: str
    county: str
    kind: str
    plan_year: int = Field(..., description="计划年度（所属的年度建设计划）")
    name: str
    site_region_code: str | None
    site_region_text: str
    communities_covered: str
    deadline: date | None
    deadline_text: str
    beds: int | None
    main_services: str
    responsible_person: str
    area_m2: Decimal | None
    longitude: Decimal | None
    latitude: Decimal | None
    budget_fen: int | None
    facility_id: int | None
    status: str | None = Field(None, description="最近一次月度报送的进展状态；null 未报送")
    percent: int | None
    reported_month: date | None
    overdue: bool = Field(..., description="已过完成时限且未竣工、未运营")


class PlanDetailOut(PlanOut):
    phone: str
    phone_text: str
    remarks: str
    progress: list[ProgressOut]


class PlanFilterIn(Schema):
    q: str = Field("", max_length=40, description="名称、所在地、责任人、服务内容")
    region: str = Field("", max_length=12, description="区划代码，限定在您的管辖范围内")
    kind: KindIn | None = None
    status: Literal[(*ProgressStatus.values, "none", "unreported")] | None = Field(  # type: ignore[valid-type]
        None, description="最近进展状态；none 为从未报送；unreported 为上月（正在收集的月份）尚未报送"
    )
    overdue: bool = Field(False, description="只看逾期项目")
    year: int | None = Field(None, ge=2000, le=2100, description="计划年度")


class PlanIn(Schema):
    county_code: str = Field(..., description="旗县（市、区）的区划代码（6 位或 12 位）")
    kind: KindIn
    plan_year: int | None = Field(None, ge=2000, le=2100, description="计划年度；不填取完成时限的年份")
    name: str = Field(..., min_length=1, max_length=200)
    site_region_code: str | None = Field(None, description="所在街道或社区的区划代码，可不填")
    site_region_text: str = Field("", max_length=200)
    communities_covered: str = Field("", max_length=200)
    deadline: str = Field(..., description="建设完成时限：2021-12-31、2021年底、2021年6月……", max_length=100)
    beds: int | None = Field(None, ge=0, le=100000)
    main_services: str = Field("", max_length=2000)
    responsible_person: str = Field("", max_length=100)
    phone: str = Field("", max_length=100, description="手机或带区号的固定电话；7–8 位本地号码补区号 0475")
    remarks: str = Field("", max_length=2000)
    area_m2: Decimal | None = Field(None, ge=0, le=1000000)
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    budget_fen: int | None = Field(None, ge=0, description="预算（分）")


class ProgressIn(Schema):
    month: date = Field(..., description="报送的月份（任一日期，取其所在月）；须是已结束的月份")
    status: StatusIn
    percent: int = Field(..., ge=0, le=100)
    problems: str = Field("", max_length=2000)
    facility_id: int | None = Field(None, description="对应的设施（已运营时必填，若项目尚未关联）")


class TargetOut(Schema):
    key: str
    title: str
    seed: str
    target: str
    value: float | None
    value_text: str
    status: str = Field(..., description="met 达标 / missed 未达标 / nodata 暂无数据")
    note: str
    planned: str
    missing_total: int
    missing: list[dict]


class TargetsOut(Schema):
    region_code: str
    region: str
    year: int
    elders: int
    beds: int
    targets: list[TargetOut]


def _out(item, today: date) -> dict:
    return {
        "id": item.pk, "county_code": item.region_id, "county": item.region.name, "kind": item.kind,
        "plan_year": item.plan_year,
        "name": item.name, "site_region_code": item.site_region_id, "site_region_text": item.site_region_text,
        "communities_covered": item.communities_covered, "deadline": item.deadline,
        "deadline_text": item.deadline_text, "beds": item.beds, "main_services": item.main_services,
        "responsible_person": item.responsible_person, "area_m2": item.area_m2, "longitude": item.longitude,
        "latitude": item.latitude, "budget_fen": item.budget_fen, "facility_id": item.facility_id,
        "status": item.latest_status, "percent": item.latest_percent, "reported_month": item.latest_month,
        "overdue": plans.is_overdue(item.deadline, item.latest_status, today),
    }  # fmt: skip


def _detail(request, plan_id: int) -> dict:
    item = plans.plan_item_get(actor=request.auth, pk=plan_id)
    today = date.today()
    progress = [
        {"month": p.month, "status": p.status, "status_label": p.get_status_display(), "percent": p.percent,
         "problems": p.problems, "reported_at": p.reported_at, "late": plans.is_late(p.month, p.reported_at),
         "photos": len(p.photos.all())}
        for p in plans.item_history(item=item)
    ]  # fmt: skip
    return {**_out(item, today), "phone": item.phone, "phone_text": item.phone_text, "remarks": item.remarks,
            "progress": progress}  # fmt: skip


def _region(code: str | None, field: str) -> Region | None:
    if not code:
        return None
    try:
        region = Region.objects.filter(code=canonical(code)).first()
    except RegionCodeError:
        region = None
    if region is None:
        raise ApiError(422, plans.PlanError.COUNTY, "区划代码不存在。", {field: ["区划代码不存在。"]})
    return region


@router.get("/plans", response={200: Page[PlanOut], **errors(403)})
def plan_list(request, filters: Query[PlanFilterIn], paging: Query[PageParams]):
    """建设计划项目（附件1 街道综合养老服务中心、附件2 社区养老服务站），您管辖范围内。需 planning.view。"""
    values = plans.PlanFilters(
        q=filters.q, region=filters.region, kind=filters.kind or "", status=filters.status or "",
        overdue="1" if filters.overdue else "", year=str(filters.year or ""),
    )  # fmt: skip
    page = paginate(plans.plan_items(actor=request.auth, filters=values), paging)
    today = date.today()
    page["items"] = [_out(i, today) for i in page["items"]]
    return page


@router.post("/plans", response={201: PlanDetailOut, **errors(403, 404)})
def plan_create(request, payload: PlanIn):
    """新建建设计划项目。需 planning.edit。完成时限按导入的规则识别（无法识别 422 `plan_deadline`），
    电话按手机或带区号的固定电话识别（`plan_phone`），旗县须在您的管辖范围内（`plan_out_of_scope`）。"""
    plans._require(request.auth, Cap.PLANNING_EDIT)
    county = _region(payload.county_code, "county_code")
    site = _region(payload.site_region_code, "site_region_code")
    deadline, note = normalize.parse_deadline(
        payload.deadline, plan_year=payload.plan_year or date.today().year
    )
    problems = {}
    if deadline is None:
        problems["deadline"] = [note]
    phone = normalize.parse_plan_phone(payload.phone) if payload.phone.strip() else None
    if phone is not None and not phone.ok:
        problems["phone"] = [phone.note]
    if problems:
        code = plans.PlanError.DEADLINE if "deadline" in problems else plans.PlanError.PHONE
        raise ApiError(422, code, next(iter(problems.values()))[0], problems)
    data = payload.dict(exclude={"county_code", "site_region_code", "deadline", "phone"})
    item = plans.plan_item_create(
        actor=request.auth, region=county, site_region=site, deadline=deadline, deadline_text=payload.deadline,
        phone=phone.value if phone else "", phone_text=payload.phone, **data,
    )  # fmt: skip
    return Respond(201, _detail(request, item.pk))


@router.get("/plans/{plan_id}", response={200: PlanDetailOut, **errors(403, 404)})
def plan_detail(request, plan_id: int):
    """一个建设计划项目及其逐月进度。需 planning.view。"""
    return _detail(request, plan_id)


@router.post("/plans/{plan_id}/progress", response={201: PlanDetailOut, **errors(403, 404)})
def plan_progress(request, plan_id: int, payload: ProgressIn):
    """报送（或更正）某月进度。需 planning.report。月份须已结束（次月 1 日起可报，
    否则 422 `progress_month_not_open`）；次月 10 日 23:59（北京时间）后报送记为逾期。
    进展状态与完成比例须相符（`progress_status_percent`）；已运营须关联设施（`progress_facility_required`）。"""
    plans._require(request.auth, Cap.PLANNING_REPORT)
    item = plans.plan_item_get(actor=request.auth, pk=plan_id)
    facility = None
    if payload.facility_id is not None:
        facility = facility_selectors.scoped(request.auth.scope).filter(pk=payload.facility_id).first()
        if facility is None:
            raise ApiError(422, plans.PlanError.FACILITY, "设施不存在或不在您的管辖范围内。",
                           {"facility_id": ["设施不存在或不在您的管辖范围内。"]})  # fmt: skip
    plans.progress_report(
        actor=request.auth, item=item, month=payload.month, status=payload.status, percent=payload.percent,
        problems=payload.problems, facility=facility,
    )  # fmt: skip
    return Respond(201, _detail(request, plan_id))


@router.get("/targets", response={200: TargetsOut, **errors(403)})
def targets_get(
    request,
    region: str = Query("", max_length=12, description="区划代码；默认您的管辖区划"),
    year: int | None = Query(None, ge=2000, le=2100, description="年度；默认今年"),
):
    """政策目标：城镇社区 / 乡镇 / 农村社区设施覆盖率（003：100% / 100% / 60%）、每千名老年人床位（50 张）、
    每个街道一个综合中心（001 §5.1.2）、护理型床位占比（004：55%）、“9073”（001 §8.1.1）；
    每项含依据、现值、目标、状态和未达标的下级区划。需 planning.view。"""
    board = targets.targets_for(actor=request.auth, region=region, year=year)
    return {
        "region_code": board.region.code, "region": board.region.name, "year": board.year,
        "elders": board.elders, "beds": board.beds,
        "targets": [
            {"key": t.key, "title": t.title, "seed": t.seed, "target": t.target_text, "value": t.value,
             "value_text": t.value_text, "status": t.status, "note": t.note, "planned": t.planned_text,
             "missing_total": t.missing_total, "missing": t.missing}
            for t in board.targets
        ],
    }  # fmt: skip
