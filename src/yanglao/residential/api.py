"""The JSON API of meals (/meals/...) and day care (/daycare/...). Money is integer fen.

Status codes as elsewhere: 403 without the capability (reads ``facilities.view``, writes
``facilities.edit``), 404 for a facility or elder outside the caller's scope, 422 with a stable
``code`` for input the rules refuse (``over_capacity``, ``no_menu``, ``menu_exists``,
``already_checked_in``, ``not_checked_in``, ``not_enrolled``, ``respite_overlap`` …).
"""

from datetime import date as Day
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from yanglao.accounts.roles import Cap
from yanglao.core.api import ApiError, Page, PageParams, errors, paginate
from yanglao.residential import selectors, services
from yanglao.residential.errors import ResidentialErrorCode as E
from yanglao.residential.models import Meal, MealKind

router = Router(tags=["助餐与日间照料"])


def _edit(actor) -> None:
    if not actor.can(Cap.FACILITIES_EDIT):
        raise PermissionDenied("您没有登记助餐和日间照料的权限。")


def _month(text: str | None) -> Day:
    if not text:
        return timezone.localdate().replace(day=1)
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ApiError(
            422, E.INVALID_MONTH, E.INVALID_MONTH.label, {"month": [E.INVALID_MONTH.label]}
        ) from None


# --- meals ---------------------------------------------------------------------------------------------


class CanteenOut(Schema):
    id: int
    name: str
    region_code: str
    meal_capacity: int | None = Field(..., description="日供餐能力（份）")
    residents_65_served: int | None
    required_capacity: int | None = Field(..., description="001 §5.1.3：⌈65岁以上服务人数 × 5%⌉")
    capacity_status: str = Field(..., description="ok 达标 / short 不达标 / unknown 数据不全")
    portions: int = Field(..., description="date 当日已订份数")


class DateQuery(Schema):
    date: Day | None = Field(None, description="日期，默认今天")


class CountsQuery(DateQuery):
    facility_id: int


@router.get("/meals/canteens", response={200: list[CanteenOut], **errors(403)})
def meals_canteens(request, query: Query[DateQuery]):
    """管辖范围内的助餐点，附供餐能力核查和当日已订份数。"""
    day = query.date or timezone.localdate()
    return [
        {
            "id": c.pk,
            "name": c.name,
            "region_code": c.region_id,
            "meal_capacity": c.meal_capacity,
            "residents_65_served": c.residents_65_served,
            "required_capacity": c.check.required,
            "capacity_status": c.check.status,
            "portions": c.portions,
        }
        for c in selectors.canteen_list(actor=request.auth, day=day)
    ]


class MenuIn(Schema):
    facility_id: int
    date: Day
    meal: Meal
    dishes: str = Field(..., min_length=1, max_length=300)
    price_fen: int = Field(..., ge=0, le=100_000, description="每份价格，整数分")
    delivery_fee_fen: int = Field(0, ge=0, le=100_000, description="送餐费，整数分/份")


class MenuOut(Schema):
    id: int
    facility_id: int
    date: Day
    meal: str
    dishes: str
    price_fen: int
    delivery_fee_fen: int


class DayFilter(Schema):
    facility_id: int | None = None
    date: Day | None = None


@router.get("/meals/menus", response={200: Page[MenuOut], **errors(403)})
def meals_menu_list(request, filters: Query[DayFilter], paging: Query[PageParams]):
    menus = selectors.menu_list(actor=request.auth, facility_id=filters.facility_id, on=filters.date)
    return paginate(menus, paging)


@router.post("/meals/menus", response={201: MenuOut, **errors(403, 404)})
def meals_menu_create(request, payload: MenuIn):
    """发布某日某餐的菜单（每个助餐点每餐一份）。"""
    _edit(request.auth)
    facility = selectors.canteen_get(actor=request.auth, pk=payload.facility_id)
    menu = services.menu_create(actor=request.auth, facility=facility, on=payload.date, meal=payload.meal,
                                dishes=payload.dishes, price_fen=payload.price_fen,
                                delivery_fee_fen=payload.delivery_fee_fen)  # fmt: skip
    return Respond(201, menu)


class OrderIn(Schema):
    facility_id: int
    elder_id: int
    date: Day
    meal: Meal
    kind: MealKind = MealKind.DINE_IN
    quantity: int = Field(1, ge=1, le=10)


class OrderOut(Schema):
    id: int
    facility_id: int
    elder_id: int
    elder_name: str = Field(..., alias="elder.name")
    date: Day
    meal: str
    kind: str
    quantity: int
    unit_price_fen: int
    amount_fen: int
    subsidy_fen: int = Field(..., description="助餐补贴（每月 100 元封顶，003）")
    self_fen: int = Field(..., description="自付")


@router.get("/meals/orders", response={200: Page[OrderOut], **errors(403)})
def meals_order_list(request, filters: Query[DayFilter], paging: Query[PageParams]):
    orders = selectors.order_list(actor=request.auth, facility_id=filters.facility_id, on=filters.date)
    return paginate(orders, paging)


@router.post("/meals/orders", response={201: OrderOut, **errors(403, 404)})
def meals_order_create(request, payload: OrderIn):
    """订餐：按当日菜单计价，助餐补贴在下单时抵扣（跨过每月上限的一单拆为补贴和自付）；超出
    当日供餐能力的拒绝（over_capacity）。"""
    _edit(request.auth)
    facility = selectors.canteen_get(actor=request.auth, pk=payload.facility_id)
    elder = selectors.elder_for_facility(actor=request.auth, facility=facility, pk=payload.elder_id)
    order = services.meal_order_create(actor=request.auth, facility=facility, elder=elder, on=payload.date,
                                       meal=payload.meal, kind=payload.kind, quantity=payload.quantity)  # fmt: skip
    return Respond(201, order)


class MealCountOut(Schema):
    meal: str
    dine_in: int
    delivery: int
    total: int


class DayCountsOut(Schema):
    facility_id: int
    date: Day
    meals: list[MealCountOut]
    portions: int
    capacity: int | None
    over_capacity: bool


@router.get("/meals/day-counts", response={200: DayCountsOut, **errors(403, 404)})
def meals_day_counts(request, query: Query[CountsQuery]):
    """一个助餐点一天的份数（按餐次、堂食/送餐）与日供餐能力。"""
    facility = selectors.canteen_get(actor=request.auth, pk=query.facility_id)
    day = query.date or timezone.localdate()
    data = selectors.canteen_day(facility=facility, day=day)
    return {"facility_id": facility.pk, "date": day, "portions": data.portions, "capacity": data.capacity,
            "over_capacity": data.over,
            "meals": [{"meal": m, **c} for m, c in data.counts.items()]}  # fmt: skip


# --- day care ----------------------------------------------------------------------------------------


class EnrolIn(Schema):
    facility_id: int
    elder_id: int
    start_date: Day
    note: str = Field("", max_length=200)


class EnrolmentOut(Schema):
    id: int
    facility_id: int
    elder_id: int
    elder_name: str = Field(..., alias="elder.name")
    start_date: Day
    end_date: Day | None


class FacilityFilter(Schema):
    facility_id: int | None = None


@router.get("/daycare/enrolments", response={200: Page[EnrolmentOut], **errors(403)})
def daycare_enrolment_list(request, filters: Query[FacilityFilter], paging: Query[PageParams]):
    """在托（未结束）的日间照料登记。"""
    return paginate(selectors.enrolment_list(actor=request.auth, facility_id=filters.facility_id), paging)


@router.post("/daycare/enrolments", response={201: EnrolmentOut, **errors(403, 404)})
def daycare_enrol(request, payload: EnrolIn):
    _edit(request.auth)
    facility = selectors.centre_get(actor=request.auth, pk=payload.facility_id)
    elder = selectors.elder_for_facility(actor=request.auth, facility=facility, pk=payload.elder_id)
    enrolment = services.enrol(actor=request.auth, facility=facility, elder=elder, start_date=payload.start_date,
                               note=payload.note)  # fmt: skip
    return Respond(201, enrolment)


class AttendanceIn(Schema):
    facility_id: int
    elder_id: int


class AttendanceOut(Schema):
    id: int
    facility_id: int
    elder_id: int
    elder_name: str = Field(..., alias="elder.name")
    date: Day
    check_in_at: datetime
    check_out_at: datetime | None


@router.get("/daycare/attendance", response={200: Page[AttendanceOut], **errors(403)})
def daycare_attendance_list(request, filters: Query[DayFilter], paging: Query[PageParams]):
    rows = selectors.attendance_list(actor=request.auth, facility_id=filters.facility_id, on=filters.date)
    return paginate(rows, paging)


def _attendance(request, payload: AttendanceIn, action):
    _edit(request.auth)
    facility = selectors.centre_get(actor=request.auth, pk=payload.facility_id)
    elder = selectors.elder_for_facility(actor=request.auth, facility=facility, pk=payload.elder_id)
    return action(actor=request.auth, facility=facility, elder=elder)


@router.post("/daycare/attendance/check-in", response={201: AttendanceOut, **errors(403, 404)})
def daycare_check_in(request, payload: AttendanceIn):
    """签到（现在）；同一天重复签到拒绝（already_checked_in）。"""
    return Respond(201, _attendance(request, payload, services.check_in))


@router.post("/daycare/attendance/check-out", response={200: AttendanceOut, **errors(403, 404)})
def daycare_check_out(request, payload: AttendanceIn):
    """签退（现在）；未签到的拒绝（not_checked_in）。"""
    return _attendance(request, payload, services.check_out)


class RespiteIn(Schema):
    facility_id: int
    elder_id: int
    start_date: Day
    end_date: Day
    note: str = Field("", max_length=200)


class RespiteOut(Schema):
    id: int
    facility_id: int
    elder_id: int
    start_date: Day
    end_date: Day


@router.post("/daycare/respite", response={201: RespiteOut, **errors(403, 404)})
def daycare_respite_create(request, payload: RespiteIn):
    """喘息服务（短期托养，最长 30 天）；与该老年人已有的喘息服务重叠的拒绝（respite_overlap）。"""
    _edit(request.auth)
    facility = selectors.centre_get(actor=request.auth, pk=payload.facility_id)
    elder = selectors.elder_for_facility(actor=request.auth, facility=facility, pk=payload.elder_id)
    stay = services.respite_create(actor=request.auth, facility=facility, elder=elder, start_date=payload.start_date,
                                   end_date=payload.end_date, note=payload.note)  # fmt: skip
    return Respond(201, stay)


class CentreCountOut(Schema):
    facility_id: int
    facility_name: str
    person_days: int = Field(..., description="到场人次")
    elders: int = Field(..., description="到场人数")


@router.get("/daycare/counts", response={200: list[CentreCountOut], **errors(403)})
def daycare_counts(request, month: str | None = None):
    """各日间照料中心某月（YYYY-MM）的到场人次和人数（供统计报表）。"""
    rows = selectors.daycare_counts(actor=request.auth, month=_month(month))
    return [{"facility_id": r["facility_id"], "facility_name": r["facility__name"], "person_days": r["person_days"],
             "elders": r["elders"]} for r in rows]  # fmt: skip
