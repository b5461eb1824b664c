"""The JSON API of work orders (服务工单): list, create, read, and one route per transition.

Mounted at the API root (``/api/v1/orders…``). What a token sees is the web console's rule
(``order_selectors.visible_q``): an officer its region, a provider's staff only its own orders, a
caregiver only the orders dispatched to itself.

Status codes: 403 ``forbidden`` for a missing capability; 404 ``not_found`` for an order outside
the caller's view; 422 for input the rules refuse and for a step the order's state does not allow
(``illegal_transition``, the message names the current state and the states the step needs).
Stable codes of the transitions: ``reason_required``, ``caregiver_other_provider``,
``certificate_expired``, ``certificate_missing``, ``certificate_level_low``, ``skill_missing``,
``caregiver_left``, ``caregiver_unknown``, ``check_in_future`` / ``check_in_stale`` (``at`` more than
10 minutes ahead / more than 24 hours old), ``time_without_offset``, ``invalid_coordinate``,
``check_out_before_check_in``, ``invalid_rating``, ``invalid_choice``, ``anomaly_not_pending``.
"""

from datetime import date, datetime, time
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from yanglao.accounts.roles import Cap
from yanglao.care import order_selectors as reads
from yanglao.care import orders as services
from yanglao.care.models import OrderSource, OrderState, Provider, ServiceProduct
from yanglao.care.order_errors import OrderErrorCode as E
from yanglao.core.api import ApiError, Page, PageParams, errors, paginate
from yanglao.elders import selectors as elder_selectors

router = Router(tags=["服务工单"])

# --- output -------------------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class ProductRef(Schema):
    id: int
    code: str
    name: str
    unit: str
    standard_minutes: int | None


class EventOut(Schema):
    at: datetime
    kind: str = Field(
        ...,
        description="created / accept / refuse / dispatch / check_in / check_out / review / cancel / fail / settled / anomaly_decided",
    )
    from_state: str
    to_state: str
    note: str
    actor: str | None
    data: dict

    @staticmethod
    def resolve_actor(obj):
        return obj.actor.display_name if obj.actor_id else None


class VisitOut(Schema):
    check_in_at: datetime | None
    check_in_lat: float | None
    check_in_lng: float | None
    check_in_accuracy_m: int | None
    distance_m: int | None = Field(..., description="签到位置距老人住址（米）；住址无坐标时为 null")
    check_out_at: datetime | None
    check_out_lat: float | None
    check_out_lng: float | None
    duration_minutes: int | None
    note: str
    photos: int

    @staticmethod
    def resolve_photos(obj):
        return obj.photos.count()


class OrderOut(Schema):
    id: int
    number: str
    state: str = Field(
        ...,
        description="requested / accepted / dispatched / checked_in / checked_out / reviewed / settled / cancelled / refused / failed",
    )
    state_label: str
    elder: Ref
    region_code: str
    product: ProductRef
    provider: Ref
    caregiver: Ref | None
    scheduled_date: date
    window_start: time | None
    window_end: time | None
    quantity: int
    source: str
    anomalies: list[str] = Field(..., description="far_check_in / short_visit / overlap / no_check_in")
    anomaly_decision: str = Field(
        ..., description="空：无异常；pending 待处理；pay 予以结算；no_pay 不予结算"
    )
    price_fen: int | None
    rating: int | None

    @staticmethod
    def resolve_state_label(obj):
        return obj.get_state_display()

    @staticmethod
    def resolve_elder(obj):
        return {"id": obj.elder_id, "name": obj.elder.name}

    @staticmethod
    def resolve_provider(obj):
        return {"id": obj.provider_id, "name": obj.provider.operator.name}

    @staticmethod
    def resolve_caregiver(obj):
        return {"id": obj.caregiver_id, "name": obj.caregiver.name} if obj.caregiver_id else None


class OrderDetailOut(OrderOut):
    request_note: str
    state_reason: str
    unit_price_fen: int | None
    government_fen: int
    subsidy_fen: int
    self_fen: int
    comment: str
    review_channel: str
    anomaly_reason: str
    created_at: datetime
    updated_at: datetime
    visit: VisitOut | None
    events: list[EventOut]

    @staticmethod
    def resolve_visit(obj):
        return reads.order_visit(order=obj)

    @staticmethod
    def resolve_events(obj):
        return list(reads.order_events(order=obj))


# --- input --------------------------------------------------------------------------------------------


class OrderFilterIn(Schema):
    q: str = Field("", max_length=40, description="工单编号或老年人姓名")
    region: str = Field("", pattern=r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$")
    state: OrderState | None = None
    category: str = Field("", pattern=r"^(\d{2})?$", description="服务类别编码 01–08")
    provider: int | None = None
    caregiver: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    anomaly: Literal["", "pending", "any", "pay", "no_pay"] = ""
    source: OrderSource | None = None


class OrderIn(Schema):
    elder_id: int
    product_id: int
    provider_id: int
    scheduled_date: date = Field(..., description="服务日期，不早于今天")
    window_start: time | None = None
    window_end: time | None = None
    quantity: int = Field(1, description="数量 1–24（按小时计价为小时数）")
    source: Literal["officer", "request"] = Field(
        "officer", description="officer 民政干部下单；request 老年人/家属申请（须填 request_note）"
    )
    request_note: str = Field("", max_length=300)


class ReasonIn(Schema):
    reason: str = Field("", max_length=200, description="原因（必填）")


class DispatchIn(Schema):
    caregiver_id: int
    window_start: time | None = None
    window_end: time | None = None


class CheckInIn(Schema):
    lat: float = Field(..., description="纬度（WGS-84）")
    lng: float = Field(..., description="经度（WGS-84）")
    at: datetime = Field(
        ...,
        description="签到时间，ISO-8601 带时区，如 2026-12-01T09:02:00+08:00；不得晚于当前 10 分钟或早于 24 小时",
    )
    accuracy: float | None = Field(None, description="定位精度（米）")


class CheckOutIn(Schema):
    at: datetime | None = Field(None, description="签退时间，ISO-8601 带时区；缺省为当前时间")
    lat: float | None = None
    lng: float | None = None
    accuracy: float | None = None
    note: str = Field("", max_length=500, description="服务记录")


class ReviewIn(Schema):
    rating: int = Field(..., description="评分 1–5")
    channel: Literal["elder", "family", "phone"] = Field(
        ..., description="elder 本人；family 家属；phone 电话回访"
    )
    comment: str = Field("", max_length=300)


class AnomalyIn(Schema):
    decision: Literal["pay", "no_pay"]
    reason: str = Field("", max_length=200)


# --- helpers ------------------------------------------------------------------------------------------

RENAMES = {
    "elder": "elder_id",
    "product": "product_id",
    "provider": "provider_id",
    "caregiver": "caregiver_id",
}


def _renamed(exc: ValidationError) -> ValidationError:
    """The services name fields as the console does (``caregiver``); the client sent ``caregiver_id``."""
    if hasattr(exc, "error_dict"):
        for old, new in RENAMES.items():
            if old in exc.error_dict:
                exc.error_dict[new] = exc.error_dict.pop(old)
    return exc


def _detail(request, pk: int):
    return reads.order_get(actor=request.auth, pk=pk)


def _act(request, pk: int, action: str, **params):
    order = _detail(request, pk)
    try:
        services.transition(actor=request.auth, order=order, action=action, **params)
    except ValidationError as exc:
        raise _renamed(exc) from None
    return _detail(request, pk)


# --- routes -------------------------------------------------------------------------------------------


@router.get("/orders", response={200: Page[OrderOut], **errors(403)})
def order_list(request, filters: Query[OrderFilterIn], paging: Query[PageParams]):
    """服务工单列表（您能看到的：民政干部按管辖区划，服务商人员仅本服务商，护理员仅派给本人的）。
    按编号或老年人姓名、区划、状态、服务类别、服务商、护理员、服务日期、异常、来源筛选。"""
    values = reads.OrderFilters(
        q=filters.q,
        region=filters.region,
        state=filters.state.value if filters.state else "",
        category=filters.category,
        provider=filters.provider,
        caregiver=filters.caregiver,
        date_from=filters.date_from,
        date_to=filters.date_to,
        anomaly=filters.anomaly,
        source=filters.source.value if filters.source else "",
    )
    return paginate(reads.order_list(actor=request.auth, filters=values), paging)


@router.post("/orders", response={201: OrderDetailOut, **errors(403, 404)})
def order_create(request, payload: OrderIn):
    """新建服务工单（民政干部下单，或登记老年人/家属的申请）。需 care.edit。

    服务商须覆盖老年人所在区域的该服务项目并在服务日期处于合同期：否则 422
    `provider_not_covering` / `provider_not_in_contract` / `provider_unknown`；服务产品不适用于该区划
    `product_not_offered`；日期早于今天 `date_past`；时间窗无效 `window_invalid`；申请未填说明
    `request_note_required`；老年人不在册 `elder_not_active`。"""
    if not request.auth.can(Cap.CARE_EDIT):
        raise PermissionDenied("您没有新建服务工单的权限。")
    elder = elder_selectors.elder_get(actor=request.auth, pk=payload.elder_id)
    product = ServiceProduct.objects.select_related("item").filter(pk=payload.product_id).first()
    provider = Provider.objects.select_related("operator").filter(pk=payload.provider_id).first()
    if provider is None:
        message = "服务商不存在或不在您的管辖范围内。"
        raise ApiError(422, E.PROVIDER_UNKNOWN, message, {"provider_id": [message]})
    try:
        order = services.order_create(
            actor=request.auth,
            elder=elder,
            product=product,
            provider=provider,
            scheduled_date=payload.scheduled_date,
            window_start=payload.window_start,
            window_end=payload.window_end,
            quantity=payload.quantity,
            source=payload.source,
            request_note=payload.request_note,
        )
    except ValidationError as exc:
        raise _renamed(exc) from None
    return Respond(201, _detail(request, order.pk))


@router.get("/orders/{order_id}", response={200: OrderDetailOut, **errors(403, 404)})
def order_detail(request, order_id: int):
    """一张工单：状态、上门记录（签到位置、距老人住址的距离、时长）、异常和全部事件。"""
    return _detail(request, order_id)


@router.post("/orders/{order_id}/accept", response={200: OrderDetailOut, **errors(403, 404)})
def order_accept(request, order_id: int):
    """服务商受理（待受理 → 已受理）。需 care.dispatch。"""
    return _act(request, order_id, "accept")


@router.post("/orders/{order_id}/refuse", response={200: OrderDetailOut, **errors(403, 404)})
def order_refuse(request, order_id: int, payload: ReasonIn):
    """服务商拒单（待受理 → 已拒单），须填原因。需 care.dispatch。"""
    return _act(request, order_id, "refuse", reason=payload.reason)


@router.post("/orders/{order_id}/dispatch", response={200: OrderDetailOut, **errors(403, 404)})
def order_dispatch(request, order_id: int, payload: DispatchIn):
    """派单或改派给本服务商的护理员（已受理/已派单 → 已派单）。需 care.dispatch。

    护理员须具备该服务技能；需持证的服务，证书在服务日期须有效（到期当天仍有效）：
    `certificate_expired` / `certificate_missing` / `certificate_level_low` / `skill_missing` /
    `caregiver_left`；其他服务商的护理员 `caregiver_other_provider`。"""
    order = _detail(request, order_id)
    caregiver = reads.caregiver_for_dispatch(actor=request.auth, pk=payload.caregiver_id)
    if caregiver is None:
        message = "护理员不存在或不在您的管辖范围内。"
        raise ApiError(422, E.CAREGIVER_UNKNOWN, message, {"caregiver_id": [message]})
    return _act(
        request,
        order.pk,
        "dispatch",
        caregiver=caregiver,
        window_start=payload.window_start,
        window_end=payload.window_end,
    )


@router.post("/orders/{order_id}/check-in", response={200: OrderDetailOut, **errors(403, 404)})
def order_check_in(request, order_id: int, payload: CheckInIn):
    """护理员签到（已派单 → 服务中），`{lat, lng, at}`。需 care.visit，仅限派给本人的工单。

    `at` 晚于当前 10 分钟以上 `check_in_future`，早于 24 小时 `check_in_stale`，不带时区
    `time_without_offset`。距老人住址超过 300 米、与本人其他服务时间重叠的签到会被标记异常待核查。"""
    return _act(
        request,
        order_id,
        "check_in",
        lat=payload.lat,
        lng=payload.lng,
        at=payload.at,
        accuracy=payload.accuracy,
    )


@router.post("/orders/{order_id}/check-out", response={200: OrderDetailOut, **errors(403, 404)})
def order_check_out(request, order_id: int, payload: CheckOutIn):
    """护理员签退（服务中 → 已完成；未签到直接签退也接受，标记 `no_check_in`）。需 care.visit。

    服务时长不足标准时长的 50% 标记 `short_visit`。价格按服务日期的价目冻结。"""
    return _act(
        request,
        order_id,
        "check_out",
        at=payload.at,
        lat=payload.lat,
        lng=payload.lng,
        accuracy=payload.accuracy,
        note=payload.note,
    )


@router.post("/orders/{order_id}/review", response={200: OrderDetailOut, **errors(403, 404)})
def order_review(request, order_id: int, payload: ReviewIn):
    """登记评价（已完成 → 已评价）：评分 1–5（`invalid_rating`）、评价方式、内容。需 care.edit 或 care.dispatch。"""
    return _act(
        request, order_id, "review", rating=payload.rating, channel=payload.channel, comment=payload.comment
    )


@router.post("/orders/{order_id}/cancel", response={200: OrderDetailOut, **errors(403, 404)})
def order_cancel(request, order_id: int, payload: ReasonIn):
    """取消工单（签到前），须填原因。需 care.edit 或 care.dispatch。"""
    return _act(request, order_id, "cancel", reason=payload.reason)


@router.post("/orders/{order_id}/fail", response={200: OrderDetailOut, **errors(403, 404)})
def order_fail(request, order_id: int, payload: ReasonIn):
    """登记服务失败（已派单/服务中 → 服务失败），如老人不在家，须填原因。需 care.visit 或 care.dispatch。"""
    return _act(request, order_id, "fail", reason=payload.reason)


@router.post("/orders/{order_id}/anomaly", response={200: OrderDetailOut, **errors(403, 404)})
def order_anomaly_decide(request, order_id: int, payload: AnomalyIn):
    """处理异常工单：予以结算（pay）或不予结算（no_pay），须填理由。需 care.edit。
    没有待处理的异常 `anomaly_not_pending`。"""
    order = _detail(request, order_id)
    services.order_anomaly_decide(
        actor=request.auth, order=order, decision=payload.decision, reason=payload.reason
    )
    return _detail(request, order_id)
