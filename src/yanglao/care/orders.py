"""Work orders (服务工单): creation, every state transition, anomaly decisions, and the monthly plan.

The state machine is ``TRANSITIONS`` — data, one row per action: the states it leaves from, the
state it reaches, the capabilities that may perform it (any one of them), whether a reason is
required. Every transition

1. checks the actor: a capability of the row, and the order inside the actor's view
   (``order_selectors.can_see``: region scope; a provider only its own orders; a caregiver only
   orders dispatched to itself);
2. refuses a state the row does not leave from with ``illegal_transition`` (a Chinese message naming
   the current state, the action and the states it needs);
3. validates its input (nothing is written when anything is wrong);
4. moves the state with a conditional UPDATE (``filter(pk=…, state=expected).update(…)``): of two
   clicks on the same state exactly one wins, the other gets ``illegal_transition``;
5. appends a ``WorkOrderEvent`` (who, when, from, to, note, data) and an audit entry; service
   delivered (check-out) and failed also go on the elder's timeline through the elders service.

Who does what: a provider's staff accept, refuse, dispatch (to its own caregivers whom
``selectors.caregiver_can_do`` allows on the service date), record a failure, enter the review and
cancel before check-in; the caregiver checks in and out and records a failure; officers create,
cancel before check-in, enter reviews (return visits by phone) and decide anomalies; ``settle`` is
the settlement's (``care.settle``) and is not offered on any page.

Pricing is frozen at check-out from the price list valid on the service date
(``selectors.price_for``, the provider's contracted price first), so the order page shows what the
visit costs. The split stored then is provisional: government-purchased (政府购买服务) in full when
the order draws on an entitlement (plan orders) or is a home visit (居家照护, 喘息服务, 精神慰藉) for
an elder holding a home-service entitlement on the date, self-paid otherwise. The monthly
settlement (``settlement.py``) applies the daily allowance exactly and writes the final amounts.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.care import anomalies
from yanglao.care import order_selectors as reads
from yanglao.care.models import (
    AnomalyDecision,
    Caregiver,
    OrderSource,
    OrderState,
    Provider,
    ReviewChannel,
    ServiceProduct,
    Unit,
    Visit,
    VisitPhoto,
    WorkOrder,
    WorkOrderEvent,
)
from yanglao.care.order_errors import OrderErrorCode as E
from yanglao.core import audit
from yanglao.elders import services as elder_services
from yanglao.elders.models import Elder
from yanglao.elders.models import Status as ElderStatus
from yanglao.regions.codes import RegionCodeError, canonical
from yanglao.regions.models import Region
from yanglao.regions.scope import Scope

S = OrderState


@dataclass(frozen=True)
class Transition:
    action: str
    label: str  # the verb, in Chinese
    sources: tuple[str, ...]
    target: str
    capabilities: tuple[str, ...]  # any one suffices
    reason_required: bool = False
    on_timeline: bool = False  # also written to the elder's history


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("accept", "受理", (S.REQUESTED,), S.ACCEPTED, (Cap.CARE_DISPATCH,)),
        Transition("refuse", "拒单", (S.REQUESTED,), S.REFUSED, (Cap.CARE_DISPATCH,), reason_required=True),
        Transition("dispatch", "派单", (S.ACCEPTED, S.DISPATCHED), S.DISPATCHED, (Cap.CARE_DISPATCH,)),
        Transition("check_in", "签到", (S.DISPATCHED,), S.CHECKED_IN, (Cap.CARE_VISIT,)),
        Transition(
            "check_out",
            "签退",
            (S.DISPATCHED, S.CHECKED_IN),
            S.CHECKED_OUT,
            (Cap.CARE_VISIT,),
            on_timeline=True,
        ),
        Transition("review", "评价", (S.CHECKED_OUT,), S.REVIEWED, (Cap.CARE_EDIT, Cap.CARE_DISPATCH)),
        Transition("settle", "结算", (S.REVIEWED,), S.SETTLED, (Cap.CARE_SETTLE,)),
        Transition(
            "cancel",
            "取消",
            (S.REQUESTED, S.ACCEPTED, S.DISPATCHED),
            S.CANCELLED,
            (Cap.CARE_EDIT, Cap.CARE_DISPATCH),
            reason_required=True,
        ),
        Transition(
            "fail",
            "登记服务失败",
            (S.DISPATCHED, S.CHECKED_IN),
            S.FAILED,
            (Cap.CARE_VISIT, Cap.CARE_DISPATCH),
            reason_required=True,
            on_timeline=True,
        ),
    )
}
# The actions a page or the API offers (settle belongs to the monthly settlement).
USER_ACTIONS = ("accept", "refuse", "dispatch", "check_in", "check_out", "review", "cancel", "fail")
TERMINAL = {S.SETTLED, S.CANCELLED, S.REFUSED, S.FAILED}

NUMBER_PREFIX = "GD"
FUTURE_SLACK = timedelta(minutes=10)
STALE_AFTER = timedelta(hours=24)
MAX_DAYS_AHEAD = 366
MAX_QUANTITY = 24
MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
HOME_VISIT_ITEMS = frozenset({"01.03", "06.01", "08.01"})  # as settlement.HOME_SERVICE_ITEMS
DEFAULT_PLAN_PRODUCT = "01.03.06"  # 专业照护·居家照护·生活照料, per hour, 60 minutes


def state_label(state: str | None) -> str:
    return OrderState(state).label if state in OrderState.values else "未知"


def _error(field_name: str | None, message: str, code: str) -> ValidationError:
    error = ValidationError(message, code=code)
    return ValidationError({field_name: error}) if field_name else error


def illegal(order_number: str, current: str | None, transition: Transition) -> ValidationError:
    needed = "、".join(f"“{state_label(s)}”" for s in transition.sources)
    return ValidationError(
        f"工单 {order_number} 当前状态为“{state_label(current)}”，不能{transition.label}（须为{needed}）。",
        code=E.ILLEGAL_TRANSITION,
    )


def _authenticated(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _check_actor(actor, order: WorkOrder, transition: Transition) -> None:
    if actor is None:  # the system: commands and the settlement run
        return
    if not any(actor.can(c) for c in transition.capabilities):
        raise PermissionDenied(f"您没有{transition.label}工单的权限。")
    if not reads.can_see(actor, order):
        raise PermissionDenied("该工单不在您的管辖范围内。")


def may(actor, order: WorkOrder, action: str) -> bool:
    """Whether ``actor`` may perform ``action`` on ``order`` now (state, capability, scope)."""
    transition = TRANSITIONS[action]
    if order.state not in transition.sources:
        return False
    try:
        _check_actor(actor, order, transition)
    except PermissionDenied:
        return False
    return True


def actions_for(actor, order: WorkOrder) -> list[str]:
    """The actions the page shows buttons for."""
    return [a for a in USER_ACTIONS if may(actor, order, a)]


def _reason(reason: str, transition: Transition) -> str:
    text = (reason or "").strip()
    if transition.reason_required and not text:
        raise _error("reason", f"请填写{transition.label}的原因。", E.REASON_REQUIRED)
    return text[:200]


def _move(
    *,
    actor,
    order: WorkOrder,
    transition: Transition,
    updates: dict | None = None,
    note: str = "",
    data: dict | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """The conditional UPDATE, the event and the audit entry of one transition."""
    now = now or timezone.now()
    before = order.state
    updates = dict(updates or {})
    updates["updated_at"] = now
    if transition.target in TERMINAL:
        updates.setdefault("closed_at", now)
    moved = WorkOrder.objects.filter(pk=order.pk, state=before).update(state=transition.target, **updates)
    if not moved:
        current = WorkOrder.objects.filter(pk=order.pk).values_list("state", flat=True).first()
        raise illegal(order.number, current, transition)
    order.state = transition.target
    for name, value in updates.items():
        setattr(order, name, value)
    WorkOrderEvent.objects.create(
        order=order,
        at=now,
        actor=_authenticated(actor),
        kind=transition.action,
        from_state=before,
        to_state=transition.target,
        note=note[:300],
        data=data or {},
    )
    audit.record(
        actor=actor,
        username="system" if actor is None else "",
        action=audit.Action.UPDATE,
        obj=order,
        region_code=order.region_code,
        summary=f"工单 {order.number}{transition.label}：{state_label(before)} → {state_label(transition.target)}"
        + (f"（{note[:100]}）" if note else ""),
        changes={"state": [before, transition.target]},
    )
    return order


def _prepare(actor, order: WorkOrder, action: str) -> Transition:
    transition = TRANSITIONS[action]
    _check_actor(actor, order, transition)
    if order.state not in transition.sources:
        raise illegal(order.number, order.state, transition)
    return transition


# --- provider: accept, refuse, dispatch --------------------------------------------------------------


@transaction.atomic
def order_accept(*, actor, order: WorkOrder) -> WorkOrder:
    transition = _prepare(actor, order, "accept")
    return _move(actor=actor, order=order, transition=transition, updates={"accepted_at": timezone.now()})


@transaction.atomic
def order_refuse(*, actor, order: WorkOrder, reason: str) -> WorkOrder:
    transition = _prepare(actor, order, "refuse")
    text = _reason(reason, transition)
    return _move(actor=actor, order=order, transition=transition, updates={"state_reason": text}, note=text)


def _window(window_start: time | None, window_end: time | None) -> None:
    if (window_start is None) != (window_end is None):
        raise _error("window_end", "时间窗请同时填写开始和结束时间，或都不填。", E.WINDOW_INVALID)
    if window_start is not None and window_end <= window_start:
        raise _error("window_end", "时间窗的结束时间须晚于开始时间。", E.WINDOW_INVALID)


@transaction.atomic
def order_dispatch(
    *,
    actor,
    order: WorkOrder,
    caregiver: Caregiver,
    window_start: time | None = None,
    window_end: time | None = None,
) -> WorkOrder:
    """Assign (or re-assign) a caregiver of the order's provider whom ``caregiver_can_do`` allows on
    the service date; optionally set the time window."""
    from yanglao.care.selectors import caregiver_can_do

    transition = _prepare(actor, order, "dispatch")
    if caregiver is None:
        raise _error("caregiver", "请选择护理员。", "required")
    if caregiver.provider_id != order.provider_id:
        raise _error(
            "caregiver", f"{caregiver.name} 不属于本工单的服务商，不能派单。", E.CAREGIVER_OTHER_PROVIDER
        )
    verdict = caregiver_can_do(caregiver, order.product, on=order.scheduled_date)
    if not verdict:
        raise _error("caregiver", verdict.reason, verdict.code)
    updates: dict = {"caregiver": caregiver, "dispatched_at": timezone.now()}
    if window_start is not None or window_end is not None:
        _window(window_start, window_end)
        updates.update(window_start=window_start, window_end=window_end)
    data = {"caregiver": caregiver.pk, "caregiver_name": caregiver.name}
    if order.caregiver_id and order.caregiver_id != caregiver.pk:
        data["previous_caregiver"] = order.caregiver_id
    return _move(
        actor=actor,
        order=order,
        transition=transition,
        updates=updates,
        note=f"派给 {caregiver.name}",
        data=data,
    )


# --- the caregiver: check in, check out -------------------------------------------------------------


def check_time(
    at: datetime | None, *, now: datetime, field_name: str, future_code: str, stale_code: str, what: str
):
    """A reported time must be aware, at most 10 minutes ahead of ``now`` and at most 24 h old."""
    if at is None:
        return now
    if timezone.is_naive(at):
        raise _error(field_name, f"{what}时间须带时区（如 2026-12-01T09:00:00+08:00）。", E.TIME_NAIVE)
    if at > now + FUTURE_SLACK:
        raise _error(field_name, f"{what}时间不能晚于当前时间 10 分钟以上，请检查手机时间。", future_code)
    if at < now - STALE_AFTER:
        raise _error(field_name, f"{what}时间早于 24 小时前，不能补录，请联系服务商处理。", stale_code)
    return at


def _coordinate(value, *, low, high, field_name, label):
    from decimal import Decimal, InvalidOperation

    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _error(field_name, f"{label}应为数字。", E.INVALID_COORDINATE) from None
    if not number.is_finite() or not low <= number <= high:
        raise _error(field_name, f"{label}应在 {low} 到 {high} 之间。", E.INVALID_COORDINATE)
    return number.quantize(Decimal("0.000001"))


def _position(lat, lng, accuracy, *, required: bool) -> tuple:
    if required and (lat in (None, "") or lng in (None, "")):
        raise _error("lat", "没有取得定位，请允许浏览器使用位置信息后重试。", E.INVALID_COORDINATE)
    lat = _coordinate(lat, low=-90, high=90, field_name="lat", label="纬度")
    lng = _coordinate(lng, low=-180, high=180, field_name="lng", label="经度")
    if (lat is None) != (lng is None):
        raise _error("lng", "经度和纬度须同时提供。", E.INVALID_COORDINATE)
    if accuracy in (None, ""):
        accuracy = None
    else:
        try:
            accuracy = max(0, min(100_000, round(float(accuracy))))
        except (TypeError, ValueError):
            raise _error("accuracy", "定位精度应为数字（米）。", E.INVALID_COORDINATE) from None
    return lat, lng, accuracy


def _intervals(visits: list[Visit]) -> list[anomalies.Interval]:
    return [anomalies.Interval(v.order.number, v.check_in_at, v.check_out_at) for v in visits]


def _flag(order: WorkOrder, findings: anomalies.Findings, updates: dict) -> None:
    if findings:
        updates["anomalies"] = anomalies.merge(order.anomalies or [], findings.codes)
        if order.anomaly_decision in (AnomalyDecision.NONE, "", None):
            updates["anomaly_decision"] = AnomalyDecision.PENDING


@transaction.atomic
def order_check_in(
    *,
    actor,
    order: WorkOrder,
    lat,
    lng,
    at: datetime | None = None,
    accuracy=None,
    now: datetime | None = None,
) -> WorkOrder:
    """The caregiver arrives: position and time are recorded, the distance from the elder's home is
    kept on the visit, and the far-away / overlapping rules flag the order."""
    transition = _prepare(actor, order, "check_in")
    now = now or timezone.now()
    at = check_time(
        at, now=now, field_name="at", future_code=E.CHECK_IN_FUTURE, stale_code=E.CHECK_IN_STALE, what="签到"
    )
    lat, lng, accuracy = _position(lat, lng, accuracy, required=True)
    elder = order.elder
    distance = anomalies.distance_m(lat, lng, elder.latitude, elder.longitude)
    others = reads.visits_near(caregiver_id=order.caregiver_id, at=at, exclude_order=order.pk)
    findings = anomalies.at_check_in(distance=distance, at=at, other_visits=_intervals(others))
    updates: dict = {}
    _flag(order, findings, updates)
    data = {"distance_m": distance, "accuracy_m": accuracy, "anomalies": findings.codes, **findings.details}
    if distance is None:
        data["home_unknown"] = elder.latitude is None
    order = _move(actor=actor, order=order, transition=transition, updates=updates, data=data, now=now)
    order.visit = Visit.objects.create(
        order=order,
        caregiver_id=order.caregiver_id,
        check_in_at=at,
        check_in_lat=lat,
        check_in_lng=lng,
        check_in_accuracy_m=accuracy,
        distance_m=distance,
    )
    return order


def check_photo(upload) -> None:
    """A real JPEG/PNG/WebP of a sane size (the checks facility photos get)."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > MAX_PHOTO_BYTES:
        raise _error("photos", f"照片“{upload.name[-40:]}”超过 5 MB。", E.PHOTO_TOO_LARGE)
    try:
        with Image.open(upload) as image:
            image.verify()
            kind, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise _error("photos", "文件不是有效的图片（支持 JPEG、PNG、WebP）。", E.PHOTO_INVALID) from None
    if kind not in ("JPEG", "PNG", "WEBP"):
        raise _error("photos", "只支持 JPEG、PNG、WebP 格式的照片。", E.PHOTO_INVALID)
    if width * height > MAX_PHOTO_PIXELS:
        raise _error("photos", "照片像素过大（上限 4000 万像素）。", E.PHOTO_TOO_LARGE)
    upload.seek(0)


def _price(order: WorkOrder) -> dict:
    """The frozen price and its split (see the module note); {} when the product is unpriced."""
    from yanglao.care.selectors import price_for

    row = price_for(
        product=order.product, region_code=order.region_code, on=order.scheduled_date, provider=order.provider
    )
    if row is None:
        return {}
    total = row.price_fen * order.quantity
    government = order.grant_id is not None or (
        order.product.item.code in HOME_VISIT_ITEMS
        and _holds_home_service(order.elder_id, order.scheduled_date)
    )
    return {
        "unit_price_fen": row.price_fen,
        "price_fen": total,
        "government_fen": total if government else 0,
        "subsidy_fen": 0,
        "self_fen": 0 if government else total,
        "priced_at": timezone.now(),
    }


def _holds_home_service(elder_id: int, on: date) -> bool:
    from yanglao.benefits.models import Benefit, EntitlementGrant

    return (
        EntitlementGrant.objects.filter(
            elder_id=elder_id, rule__benefit=Benefit.HOME_SERVICE, valid_from__lte=on
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .exists()
    )


@transaction.atomic
def order_check_out(
    *,
    actor,
    order: WorkOrder,
    at: datetime | None = None,
    lat=None,
    lng=None,
    accuracy=None,
    note: str = "",
    photos=(),
    now: datetime | None = None,
) -> WorkOrder:
    """The caregiver leaves: the visit's end, duration and note (and optional photos) are recorded,
    the price is frozen, and the short-visit / overlap / no-check-in rules flag the order. A check-out
    without a check-in is accepted (the caregiver forgot) and flagged ``no_check_in``."""
    transition = _prepare(actor, order, "check_out")
    now = now or timezone.now()
    at = check_time(
        at,
        now=now,
        field_name="at",
        future_code=E.CHECK_OUT_FUTURE,
        stale_code=E.CHECK_OUT_STALE,
        what="签退",
    )
    lat, lng, accuracy = _position(lat, lng, accuracy, required=False)
    visit = Visit.objects.filter(order=order).first()
    check_in_at = visit.check_in_at if visit else None
    if check_in_at is not None and at < check_in_at:
        raise _error("at", "签退时间不能早于签到时间。", E.CHECK_OUT_BEFORE_CHECK_IN)
    photos = list(photos or [])
    existing = visit.photos.count() if visit else 0
    if existing + len(photos) > MAX_PHOTOS:
        raise _error("photos", f"每次服务最多上传 {MAX_PHOTOS} 张照片。", E.TOO_MANY_PHOTOS)
    for upload in photos:
        check_photo(upload)
    others = reads.visits_near(caregiver_id=order.caregiver_id, at=check_in_at or at, exclude_order=order.pk)
    findings = anomalies.at_check_out(
        check_in_at=check_in_at,
        check_out_at=at,
        standard_minutes=order.product.standard_minutes,
        quantity=order.quantity,
        other_visits=_intervals(others),
    )
    duration = anomalies.minutes_between(check_in_at, at) if check_in_at else None
    updates = _price(order)
    _flag(order, findings, updates)
    data = {"duration_minutes": duration, "anomalies": findings.codes, **findings.details}
    if "price_fen" in updates:
        data["price_fen"] = updates["price_fen"]
    else:
        data["unpriced"] = True
    order = _move(actor=actor, order=order, transition=transition, updates=updates, data=data, now=now)
    if visit is None:
        visit = Visit(order=order, caregiver_id=order.caregiver_id)
    visit.check_out_at = at
    visit.check_out_lat, visit.check_out_lng, visit.check_out_accuracy_m = lat, lng, accuracy
    visit.duration_minutes = duration
    visit.note = (note or "").strip()[:500]
    visit.save()
    for upload in photos:
        photo = VisitPhoto(visit=visit, uploaded_by=_authenticated(actor))
        photo.image.save(upload.name[-60:], upload, save=False)
        photo.save()
    order.visit = visit
    product = order.product.name
    summary = f"上门服务已完成：{product}" + (f"，{duration} 分钟" if duration is not None else "（未签到）")
    if findings:
        summary += "，待核查：" + "、".join(anomaly_label(c) for c in findings.codes)
    _timeline(actor, order, "care_service_done", summary)
    return order


def anomaly_label(code: str) -> str:
    from yanglao.care.models import Anomaly

    return Anomaly(code).label if code in Anomaly.values else code


def _timeline(actor, order: WorkOrder, kind: str, summary: str) -> None:
    elder_services.elder_event_record(
        elder=order.elder,
        kind=kind,
        summary=f"{summary}（工单 {order.number}）",
        actor=actor,
        data={"order": order.number, "order_id": order.pk, "state": order.state},
        source="care",
        region_code=order.region_code,
    )


# --- review, cancel, fail, settle --------------------------------------------------------------------


@transaction.atomic
def order_review(*, actor, order: WorkOrder, rating, channel: str, comment: str = "") -> WorkOrder:
    """The elder's or family's rating 1–5 and comment, or a return visit by phone, entered by the
    provider's staff or an officer."""
    transition = _prepare(actor, order, "review")
    errors = {}
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = None
    if value is None or not 1 <= value <= 5:
        errors["rating"] = ValidationError("评分须为 1–5 的整数。", code=E.INVALID_RATING)
    if channel not in ReviewChannel.values:
        errors["channel"] = ValidationError("请选择评价方式（本人、家属或电话回访）。", code=E.INVALID_CHOICE)
    if errors:
        raise ValidationError(errors)
    text = (comment or "").strip()[:300]
    now = timezone.now()
    return _move(
        actor=actor,
        order=order,
        transition=transition,
        updates={
            "rating": value,
            "comment": text,
            "review_channel": channel,
            "reviewed_at": now,
            "reviewed_by": _authenticated(actor),
        },
        note=f"{value} 分（{ReviewChannel(channel).label}）" + (f"：{text}" if text else ""),
        data={"rating": value, "channel": channel},
        now=now,
    )


@transaction.atomic
def order_cancel(*, actor, order: WorkOrder, reason: str) -> WorkOrder:
    transition = _prepare(actor, order, "cancel")
    text = _reason(reason, transition)
    return _move(actor=actor, order=order, transition=transition, updates={"state_reason": text}, note=text)


@transaction.atomic
def order_fail(*, actor, order: WorkOrder, reason: str) -> WorkOrder:
    """The service could not be delivered (nobody home, refused at the door…), with the reason."""
    transition = _prepare(actor, order, "fail")
    text = _reason(reason, transition)
    order = _move(actor=actor, order=order, transition=transition, updates={"state_reason": text}, note=text)
    _timeline(actor, order, "care_service_failed", f"上门服务未完成：{order.product.name}，{text}")
    return order


@transaction.atomic
def order_settle(*, actor, order: WorkOrder, settlement=None) -> WorkOrder:
    """For the monthly settlement: a reviewed order whose line is in a confirmed statement."""
    transition = _prepare(actor, order, "settle")
    updates = {"settlement": settlement} if settlement is not None else {}
    return _move(actor=actor, order=order, transition=transition, updates=updates)


def transition(*, actor, order: WorkOrder, action: str, **params) -> WorkOrder:
    """Perform ``action`` by name (the console's and the API's one entry)."""
    functions = {
        "accept": order_accept,
        "refuse": order_refuse,
        "dispatch": order_dispatch,
        "check_in": order_check_in,
        "check_out": order_check_out,
        "review": order_review,
        "cancel": order_cancel,
        "fail": order_fail,
        "settle": order_settle,
    }
    if action not in functions:
        raise ValidationError(f"没有“{action}”这个操作。", code=E.INVALID_CHOICE)
    return functions[action](actor=actor, order=order, **params)


# --- anomalies -----------------------------------------------------------------------------------------


@transaction.atomic
def order_anomaly_decide(*, actor, order: WorkOrder, decision: str, reason: str) -> WorkOrder:
    """An officer decides whether a flagged order is paid (``pay``) or not (``no_pay``), with a reason."""
    if actor is not None:
        if not actor.can(Cap.CARE_EDIT):
            raise PermissionDenied("您没有处理异常工单的权限。")
        if not reads.can_see(actor, order):
            raise PermissionDenied("该工单不在您的管辖范围内。")
    errors = {}
    if decision not in (AnomalyDecision.PAY, AnomalyDecision.NO_PAY):
        errors["decision"] = ValidationError("请选择“予以结算”或“不予结算”。", code=E.INVALID_CHOICE)
    text = (reason or "").strip()[:200]
    if not text:
        errors["reason"] = ValidationError("请填写处理理由。", code=E.REASON_REQUIRED)
    if order.anomaly_decision != AnomalyDecision.PENDING:
        raise ValidationError(f"工单 {order.number} 没有待处理的异常。", code=E.ANOMALY_NOT_PENDING)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    updated = WorkOrder.objects.filter(pk=order.pk, anomaly_decision=AnomalyDecision.PENDING).update(
        anomaly_decision=decision,
        anomaly_reason=text,
        anomaly_decided_by=_authenticated(actor),
        anomaly_decided_at=now,
        updated_at=now,
    )
    if not updated:
        raise ValidationError(f"工单 {order.number} 的异常已由他人处理。", code=E.ANOMALY_NOT_PENDING)
    order.anomaly_decision, order.anomaly_reason, order.anomaly_decided_at = decision, text, now
    order.anomaly_decided_by = _authenticated(actor)
    label = AnomalyDecision(decision).label
    WorkOrderEvent.objects.create(
        order=order,
        at=now,
        actor=_authenticated(actor),
        kind="anomaly_decided",
        from_state=order.state,
        to_state=order.state,
        note=f"{label}：{text}",
        data={"decision": decision, "anomalies": list(order.anomalies or [])},
    )
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=order,
        region_code=order.region_code,
        summary=f"工单 {order.number} 异常处理：{label}（{text[:100]}）",
        changes={"anomaly_decision": [AnomalyDecision.PENDING, decision]},
    )
    return order


# --- the elder's phone for the caregiver on its way ------------------------------------------------------


def elder_phone_for_visit(*, actor, order: WorkOrder) -> str:
    """The clear phone number of the order's elder, for the caregiver it is dispatched to while the
    visit is open (dispatched or checked in) or the provider's staff. Every reveal is audited."""
    from yanglao.elders.privacy import open_phone

    if actor is None or not reads.can_see(actor, order):
        raise PermissionDenied("该工单不在您的管辖范围内。")
    if not (actor.can(Cap.CARE_VISIT) or actor.can(Cap.CARE_DISPATCH)):
        raise PermissionDenied("您不能查看老年人的电话。")
    if order.state not in (S.ACCEPTED, S.DISPATCHED, S.CHECKED_IN):
        raise ValidationError("工单已结束，不能再查看老年人电话。", code=E.PHONE_NOT_AVAILABLE)
    value = open_phone(order.elder.phone_enc) if order.elder.phone_enc else ""
    if not value:
        raise ValidationError("该老年人档案未登记电话。", code=E.PHONE_NOT_AVAILABLE)
    audit.record(
        actor=actor,
        action=audit.Action.REVEAL,
        obj=order.elder,
        summary=f"上门服务查看老年人电话（工单 {order.number}）",
    )
    return value


# --- creation -------------------------------------------------------------------------------------------


def _next_numbers(county: str, day: date, count: int) -> list[str]:
    prefix = f"{NUMBER_PREFIX}{county}{day:%Y%m%d}"
    last = (
        WorkOrder.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    start = int(last[len(prefix) :]) + 1 if last else 1
    return [f"{prefix}{n:05d}" for n in range(start, start + count)]


def _last_numbers(county: str, first: date, last: date) -> dict[str, int]:
    """The highest sequence number used on each day (by number prefix) of a county, in one query."""
    from django.db.models import Max
    from django.db.models.functions import Substr

    head = len(NUMBER_PREFIX) + len(county) + 8
    rows = (
        WorkOrder.objects.filter(
            number__gte=f"{NUMBER_PREFIX}{county}{first:%Y%m%d}",
            number__lt=f"{NUMBER_PREFIX}{county}{last + timedelta(days=1):%Y%m%d}",
        )
        .annotate(day=Substr("number", 1, head))
        .values("day")
        .annotate(highest=Max("number"))
        .values_list("day", "highest")
    )
    return {day: int(highest[head:]) for day, highest in rows}


def order_create(
    *,
    actor,
    elder: Elder,
    product: ServiceProduct,
    provider: Provider | None,
    scheduled_date: date,
    window_start: time | None = None,
    window_end: time | None = None,
    quantity: int = 1,
    source: str = OrderSource.OFFICER,
    request_note: str = "",
    today: date | None = None,
) -> WorkOrder:
    """An order placed by an officer, or on an elder's or family's request (``source=request`` with
    the caller's note). The provider must cover the elder's region for the product's item and be in
    contract on the date; the product must be offered where the elder lives."""
    from yanglao.care.selectors import products_offered_q, provider_scoped

    if actor is not None:
        if not actor.can(Cap.CARE_EDIT):
            raise PermissionDenied("您没有新建服务工单的权限。")
        if not actor.scope.contains(elder.region_id):
            raise PermissionDenied("该老年人不在您的管辖范围内。")
    today = today or timezone.localdate()
    errors: dict[str, ValidationError] = {}

    def add(name, message, code):
        errors.setdefault(name, ValidationError(message, code=code))

    if elder.status != ElderStatus.ACTIVE:
        add(
            "elder",
            f"{elder.name}的档案状态为“{elder.get_status_display()}”，不能派发服务。",
            E.ELDER_NOT_ACTIVE,
        )
    if (
        product is None
        or not product.is_active
        or not ServiceProduct.objects.filter(products_offered_q(elder.region_id), pk=product.pk).exists()
    ):
        add("product", "该服务产品不适用于老年人所在区划。", E.PRODUCT_NOT_OFFERED)
    if scheduled_date is None:
        add("scheduled_date", "请填写服务日期。", "required")
    elif scheduled_date < today:
        add("scheduled_date", "服务日期不能早于今天。", E.DATE_PAST)
    elif scheduled_date > today + timedelta(days=MAX_DAYS_AHEAD):
        add("scheduled_date", "服务日期不能晚于一年以后。", E.DATE_TOO_FAR)
    try:
        _window(window_start, window_end)
    except ValidationError as exc:
        for name, errs in exc.error_dict.items():
            add(name, errs[0].messages[0], errs[0].code)
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        add("quantity", f"数量应为 1–{MAX_QUANTITY} 的整数。", E.INVALID_QUANTITY)
    if source not in (OrderSource.OFFICER, OrderSource.REQUEST):
        add("source", "来源无效。", E.INVALID_CHOICE)
    note = (request_note or "").strip()[:300]
    if source == OrderSource.REQUEST and not note:
        add("request_note", "老年人或家属申请的工单请填写需求说明（来电人、需求）。", E.REQUEST_NOTE_REQUIRED)
    if provider is None:
        add("provider", "请选择服务商。", "required")
    elif "product" not in errors and scheduled_date and "scheduled_date" not in errors:
        if actor is not None and not provider_scoped(actor.scope).filter(pk=provider.pk).exists():
            add("provider", "服务商不存在或不在您的管辖范围内。", E.PROVIDER_UNKNOWN)
        elif not provider.in_contract_on(scheduled_date):
            add(
                "provider",
                f"{provider.name}在 {scheduled_date} 不在合同期内或已暂停合作。",
                E.PROVIDER_NOT_IN_CONTRACT,
            )
        elif (
            not reads.providers_covering(
                region_code=elder.region_id, item_id=product.item_id, on=scheduled_date
            )
            .filter(pk=provider.pk)
            .exists()
        ):
            add(
                "provider",
                f"{provider.name}不覆盖该老年人所在区域的“{product.item.name}”服务。",
                E.PROVIDER_NOT_COVERING,
            )
    if errors:
        raise ValidationError(errors)
    for _ in range(3):  # two officers numbering at the same moment: the unique number decides
        try:
            with transaction.atomic():
                order = WorkOrder.objects.create(
                    number=_next_numbers(elder.region_id[:6], scheduled_date, 1)[0],
                    elder=elder,
                    provider=provider,
                    product=product,
                    region_code=elder.region_id,
                    source=source,
                    requested_by=_authenticated(actor),
                    request_note=note,
                    scheduled_date=scheduled_date,
                    window_start=window_start,
                    window_end=window_end,
                    quantity=quantity,
                )
                WorkOrderEvent.objects.create(
                    order=order,
                    at=order.created_at,
                    actor=_authenticated(actor),
                    kind="created",
                    to_state=S.REQUESTED,
                    note=f"{OrderSource(source).label}" + (f"：{note}" if note else ""),
                    data={"source": source},
                )
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover
        raise ValidationError("工单编号冲突，请重试。", code="number_conflict")
    audit.record(
        actor=actor,
        action=audit.Action.CREATE,
        obj=order,
        region_code=order.region_code,
        summary=f"新建服务工单 {order.number}：{elder.name} {product.name} {scheduled_date}",
    )
    return order


# --- the monthly plan -----------------------------------------------------------------------------------


@dataclass
class GenerateResult:
    county: str
    month: date
    product: str = ""
    elders: int = 0
    created: int = 0
    existing: int = 0
    days: int = 0
    without_provider: list[str] = field(default_factory=list)  # elder ids with no covering provider

    @property
    def message(self) -> str:
        text = (
            f"{self.month:%Y 年 %m 月}：{self.elders} 名享受居家上门服务的老年人，"
            f"新生成工单 {self.created} 张，已存在 {self.existing} 张（未重复生成）。"
        )
        if self.without_provider:
            text += f"另有 {len(self.without_provider)} 名老年人所在区域没有签约服务商，未生成。"
        return text


def parse_month(value) -> date:
    if isinstance(value, date):
        return value.replace(day=1)
    try:
        year, month = str(value).strip().split("-")
        return date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise _error("month", "月份格式不对，应为 2026-12。", E.MONTH_INVALID) from None


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def plan_product(county: str) -> ServiceProduct | None:
    """The product a county's home-service entitlement is delivered as: setting
    ``YANGLAO_HOME_SERVICE_PRODUCTS`` ({county code: product code}), else 生活照料 (01.03.06, per hour)."""
    mapping = getattr(settings, "YANGLAO_HOME_SERVICE_PRODUCTS", {}) or {}
    code = mapping.get(county[:6], DEFAULT_PLAN_PRODUCT)
    return ServiceProduct.objects.select_related("item").filter(code=code, is_active=True).first()


def plan_key(elder_id: int, day: date) -> str:
    return f"plan:{elder_id}:{day:%Y%m%d}"


def _quantity(product: ServiceProduct, minutes: int) -> int:
    if product.unit == Unit.HOUR:
        return max(1, math.ceil(minutes / 60))
    if product.standard_minutes:
        return max(1, math.ceil(minutes / product.standard_minutes))
    return 1


def _provider_for(elder_code: str, day: date, coverage: list[tuple[str, Provider]]) -> Provider | None:
    """The provider covering the elder's village, township or county (most specific, then lowest id)."""
    best = None
    for prefix, provider in coverage:
        if elder_code.startswith(prefix) and provider.contract_start <= day <= provider.contract_end:
            rank = (len(prefix), -provider.pk)
            if best is None or rank > best[0]:
                best = (rank, provider)
    return best[1] if best else None


@transaction.atomic
def orders_generate_month(*, actor, county, month, today: date | None = None) -> GenerateResult:
    """Create a county's month of plan orders: for every active elder holding an open
    ``home_service`` entitlement (minutes per day), one order per day of the month from today on,
    for the county's home-service product (``plan_product``), with the provider covering the elder's
    village/township/county for that item. Idempotent: ``plan_key`` (elder, day) is unique, and keys
    that exist are skipped, so a second run creates nothing. Bulk writes; a month of a county is a
    few queries whatever the number of elders."""
    from yanglao.benefits.models import Benefit, EntitlementGrant
    from yanglao.care.models import ProviderCoverage, ProviderStatus

    try:
        code = canonical(str(getattr(county, "code", county) or ""))
    except RegionCodeError:
        code = ""
    region = Region.objects.filter(code=code).first() if code else None
    if region is None or region.level != Region.Level.COUNTY:
        raise _error("county", "请选择一个旗县（市、区）。", E.COUNTY_REQUIRED)
    county_code = region.code[:6]
    if actor is not None:
        if not actor.can(Cap.CARE_EDIT):
            raise PermissionDenied("您没有生成服务工单的权限。")
        if not actor.scope.covers(Scope(prefix=region.prefix)):
            raise PermissionDenied("该旗县不在您的管辖范围内，或须由旗县及以上民政干部生成。")
    first = parse_month(month)
    last = _month_end(first)
    today = today or timezone.localdate()
    if last < today:
        raise _error("month", f"{first:%Y 年 %m 月}已过去，不能再生成工单。", E.MONTH_PAST)
    start = max(first, today)
    result = GenerateResult(county=county_code, month=first)
    product = plan_product(county_code)
    if product is None:
        raise _error(
            "month", "没有找到居家上门服务对应的服务产品，请先安装服务目录。", E.PLAN_PRODUCT_MISSING
        )
    result.product = product.name
    county_scope = Scope(prefix=region.prefix)
    grants = list(
        EntitlementGrant.objects.filter(
            county_scope.q("elder__region_id"),
            rule__benefit=Benefit.HOME_SERVICE,
            elder__status=ElderStatus.ACTIVE,
            valid_from__lte=last,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
        .values_list("pk", "elder_id", "elder__region_id", "valid_from", "valid_to", "rule__amount")
    )
    coverage = [
        (c.region_prefix, c.provider)
        for c in ProviderCoverage.objects.filter(
            item_id=product.item_id,
            provider__status=ProviderStatus.ACTIVE,
            provider__county__code=region.code,
        ).select_related("provider")
    ]
    existing = set(
        WorkOrder.objects.filter(
            county_scope.q("region_code"),
            scheduled_date__gte=start,
            scheduled_date__lte=last,
        )
        .exclude(plan_key="")
        .order_by()
        .values_list("plan_key", flat=True)
    )
    # (elder, day) → (region, minutes, grant): the grant valid that day with the most minutes
    wanted: dict[tuple[int, date], tuple[str, int, int]] = {}
    elders: set[int] = set()
    for grant_id, elder_id, elder_region, valid_from, valid_to, minutes in grants:
        elders.add(elder_id)
        minutes = minutes or 60
        day = max(start, valid_from)
        end = min(last, valid_to or last)
        while day <= end:
            previous = wanted.get((elder_id, day))
            if previous is None or (minutes, grant_id) > (previous[1], previous[2]):
                wanted[(elder_id, day)] = (elder_region, minutes, grant_id)
            day += timedelta(days=1)
    result.elders = len(elders)
    result.days = (last - start).days + 1
    orders_by_day: dict[date, list[WorkOrder]] = {}
    missing_provider: set[int] = set()
    for (elder_id, day), (elder_region, minutes, grant_id) in sorted(
        wanted.items(), key=lambda kv: (kv[0][1], kv[0][0])
    ):
        key = plan_key(elder_id, day)
        if key in existing:
            result.existing += 1
            continue
        provider = _provider_for(elder_region, day, coverage)
        if provider is None:
            missing_provider.add(elder_id)
            continue
        orders_by_day.setdefault(day, []).append(
            WorkOrder(
                elder_id=elder_id,
                provider=provider,
                product=product,
                region_code=elder_region,
                source=OrderSource.PLAN,
                grant_id=grant_id,
                plan_key=key,
                requested_by=_authenticated(actor),
                request_note=f"服务计划：每天 {minutes} 分钟",
                scheduled_date=day,
                quantity=_quantity(product, minutes),
            )
        )
    now = timezone.now()
    made: list[WorkOrder] = []
    try:
        with transaction.atomic():
            last_numbers = _last_numbers(county_code, start, last)
            pending: list[WorkOrder] = []
            for day, orders in orders_by_day.items():
                prefix = f"{NUMBER_PREFIX}{county_code}{day:%Y%m%d}"
                after = last_numbers.get(prefix, 0)
                for seq, order in enumerate(orders, start=after + 1):
                    order.number = f"{prefix}{seq:05d}"
                    order.created_at = order.updated_at = now
                pending.extend(orders)
            made = WorkOrder.objects.bulk_create(pending, batch_size=2000)
            if made and made[0].pk is None:  # a backend that does not return keys
                ids = dict(
                    WorkOrder.objects.filter(plan_key__in=[o.plan_key for o in made]).values_list(
                        "plan_key", "pk"
                    )
                )
                for order in made:
                    order.pk = ids[order.plan_key]
            WorkOrderEvent.objects.bulk_create(
                [
                    WorkOrderEvent(
                        order_id=order.pk,
                        at=now,
                        actor=_authenticated(actor),
                        kind="created",
                        to_state=S.REQUESTED,
                        note=OrderSource.PLAN.label,
                        data={"source": OrderSource.PLAN, "plan_key": order.plan_key},
                    )
                    for order in made
                ],
                batch_size=1000,
            )
    except IntegrityError:
        raise ValidationError(
            "另一次生成正在进行或刚刚完成，请稍后刷新查看结果。", code=E.GENERATION_CONFLICT
        ) from None
    result.created = len(made)
    result.without_provider = sorted(str(e) for e in missing_provider)
    audit.record(
        actor=actor,
        username="system" if actor is None else "",
        action=audit.Action.CREATE,
        object_type="care.workorder",
        object_label=f"{region.name} {first:%Y-%m} 服务计划",
        region_code=region.code,
        summary=f"生成 {region.name} {first:%Y-%m} 服务计划工单：新建 {result.created} 张，已存在 {result.existing} 张",
        changes={"created": result.created, "existing": result.existing, "product": product.code},
    )
    return result
