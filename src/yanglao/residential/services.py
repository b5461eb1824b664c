"""Writes of meals and day care: keyword-only functions, each in one transaction.

Who may write: ``Cap.FACILITIES_EDIT`` (officers of the facility's region, the facility's own
operator). The facility and the elder must be inside the actor's scope (``selectors``).

Capacity (001 §5.1.3): a canteen's registered daily meal capacity is a hard limit — an order that
would take the day's portions (all meals together) past it is refused (``over_capacity``); a canteen
without a registered capacity is not limited (its page says so).

Meal subsidy (003: 100 yuan a month for the entitled): applied when the order is taken. The
allowance is the largest ``meal_subsidy`` grant valid on the meal's date; what the elder's orders
of that month (at any canteen) already took is taken off; the order takes what is left, up to its
amount, and the rest is self-paid — the order that crosses the cap is split.
"""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.elders import services as elder_services
from yanglao.elders.models import Elder
from yanglao.facilities.models import Facility, FacilityStatus
from yanglao.residential import selectors
from yanglao.residential.errors import ResidentialErrorCode as E
from yanglao.residential.models import (
    Attendance,
    Enrolment,
    Meal,
    MealKind,
    MealOrder,
    Menu,
    ResidentialEvent,
    RespiteStay,
)

RESPITE_MAX_DAYS = 30


def fail(field: str, code: E, message: str | None = None) -> ValidationError:
    return ValidationError({field: ValidationError(message or code.label, code=code.value)})


def _writer(actor) -> None:
    if actor is not None and not actor.can(Cap.FACILITIES_EDIT):
        raise PermissionDenied("您没有登记助餐和日间照料的权限。")


def _lock_facility(*, actor, facility: Facility, daycare: bool) -> Facility:
    _writer(actor)
    if actor is not None and not selectors.facilities_scoped(actor.scope).filter(pk=facility.pk).exists():
        raise PermissionDenied("该设施不在您的管辖范围内。")
    locked = Facility.objects.select_for_update().get(pk=facility.pk)
    kind_q = selectors.daycare_q() if daycare else selectors.canteen_q()
    if not Facility.objects.filter(kind_q, pk=locked.pk).exists():
        raise fail("facility", E.NOT_DAYCARE if daycare else E.NOT_CANTEEN)
    if locked.status != FacilityStatus.OPERATING:
        raise fail("facility", E.FACILITY_NOT_OPERATING)
    return locked


def _check_elder(*, actor, facility: Facility, elder: Elder) -> Elder:
    if actor is not None:
        scope = selectors.elder_scope(actor=actor, facility=facility)
        if not scope.contains(elder.region_id):
            raise PermissionDenied("该老年人不在您的管辖范围内。")
    locked = Elder.objects.select_for_update().get(pk=elder.pk)
    if locked.status != "active":
        raise fail("elder", E.ELDER_NOT_ACTIVE)
    return locked


def _event(*, facility, kind, summary, actor, elder=None) -> None:
    ResidentialEvent.objects.create(
        facility=facility,
        region_code=facility.region_id,
        elder=elder,
        kind=kind,
        summary=summary[:300],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _who(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --- meals ------------------------------------------------------------------------------------------


@transaction.atomic
def menu_create(
    *, actor, facility: Facility, on: date, meal: str, dishes: str, price_fen: int, delivery_fee_fen: int = 0
) -> Menu:
    facility = _lock_facility(actor=actor, facility=facility, daycare=False)
    if meal not in Meal.values:
        raise fail("meal", E.INVALID_MEAL)
    if Menu.objects.filter(facility=facility, date=on, meal=meal).exists():
        raise fail("meal", E.MENU_EXISTS)
    menu = Menu(
        facility=facility,
        region_code=facility.region_id,
        date=on,
        meal=meal,
        dishes=(dishes or "").strip(),
        price_fen=price_fen,
        delivery_fee_fen=delivery_fee_fen or 0,
        created_by=_who(actor),
    )
    menu.full_clean(exclude=["created_by"])
    menu.save()
    _event(facility=facility, kind=ResidentialEvent.Kind.MENU, actor=actor,
           summary=f"{on} {menu.get_meal_display()}：{menu.dishes}")  # fmt: skip
    return menu


def split_subsidy(*, amount_fen: int, allowance_fen: int, used_fen: int) -> tuple[int, int]:
    """(subsidy, self) of an order: the subsidy left this month, at most the amount."""
    subsidy = max(0, min(amount_fen, allowance_fen - used_fen))
    return subsidy, amount_fen - subsidy


@transaction.atomic
def meal_order_create(
    *,
    actor,
    facility: Facility,
    elder: Elder,
    on: date,
    meal: str,
    kind: str = MealKind.DINE_IN,
    quantity: int = 1,
) -> MealOrder:
    facility = _lock_facility(actor=actor, facility=facility, daycare=False)
    elder = _check_elder(actor=actor, facility=facility, elder=elder)
    if kind not in MealKind.values:
        raise fail("kind", E.INVALID_KIND)
    if not isinstance(quantity, int) or not 1 <= quantity <= 10:
        raise fail("quantity", E.INVALID_QUANTITY)
    if meal not in Meal.values:
        raise fail("meal", E.INVALID_MEAL)
    menu = Menu.objects.filter(facility=facility, date=on, meal=meal).first()
    if menu is None:
        raise fail("meal", E.NO_MENU)
    if facility.meal_capacity is not None:
        taken = selectors.portions_on(facility=facility, day=on)
        if taken + quantity > facility.meal_capacity:
            raise fail(
                "quantity",
                E.OVER_CAPACITY,
                f"超出食堂当日供餐能力：日供餐 {facility.meal_capacity} 份，已订 {taken} 份。",
            )
    unit = menu.price_fen + (menu.delivery_fee_fen if kind == MealKind.DELIVERY else 0)
    amount = unit * quantity
    subsidy, self_paid = split_subsidy(
        amount_fen=amount,
        allowance_fen=selectors.meal_allowance_fen(elder=elder, on=on),
        used_fen=selectors.meal_subsidy_used_fen(elder=elder, on=on),
    )
    order = MealOrder(
        facility=facility,
        region_code=facility.region_id,
        menu=menu,
        elder=elder,
        date=on,
        meal=meal,
        kind=kind,
        quantity=quantity,
        unit_price_fen=unit,
        amount_fen=amount,
        subsidy_fen=subsidy,
        self_fen=self_paid,
        created_by=_who(actor),
    )
    order.full_clean(exclude=["created_by"])
    order.save()
    _event(facility=facility, kind=ResidentialEvent.Kind.ORDER, actor=actor, elder=elder,
           summary=f"{on} {order.get_meal_display()}{order.get_kind_display()} {quantity} 份")  # fmt: skip
    return order


# --- day care ----------------------------------------------------------------------------------------


@transaction.atomic
def enrol(*, actor, facility: Facility, elder: Elder, start_date: date, note: str = "") -> Enrolment:
    facility = _lock_facility(actor=actor, facility=facility, daycare=True)
    elder = _check_elder(actor=actor, facility=facility, elder=elder)
    if Enrolment.objects.filter(facility=facility, elder=elder, end_date__isnull=True).exists():
        raise fail("elder", E.ALREADY_ENROLLED)
    enrolment = Enrolment(
        facility=facility,
        region_code=facility.region_id,
        elder=elder,
        start_date=start_date,
        note=(note or "").strip(),
        created_by=_who(actor),
    )
    enrolment.full_clean(exclude=["created_by"])
    enrolment.save()
    _event(facility=facility, kind=ResidentialEvent.Kind.ENROLLED, actor=actor, elder=elder,
           summary=f"自 {start_date} 起参加日间照料")  # fmt: skip
    elder_services.elder_event_record(elder=elder, kind="daycare_enrolled", source="residential", actor=actor,
                                      summary=f"在{facility.name}登记日间照料（自 {start_date} 起）")  # fmt: skip
    return enrolment


def _open_enrolment(*, facility, elder, day) -> Enrolment:
    enrolment = Enrolment.objects.filter(selectors.open_on_q(day), facility=facility, elder=elder).first()
    if enrolment is None:
        raise fail("elder", E.NOT_ENROLLED)
    return enrolment


@transaction.atomic
def check_in(*, actor, facility: Facility, elder: Elder, at: datetime | None = None) -> Attendance:
    """Today's arrival at the centre; a second check-in the same day is refused."""
    facility = _lock_facility(actor=actor, facility=facility, daycare=True)
    elder = _check_elder(actor=actor, facility=facility, elder=elder)
    at = at or timezone.now()
    day = timezone.localdate(at)
    enrolment = _open_enrolment(facility=facility, elder=elder, day=day)
    if Attendance.objects.filter(enrolment=enrolment, date=day).exists():
        raise fail("elder", E.ALREADY_CHECKED_IN)
    row = Attendance(enrolment=enrolment, facility=facility, region_code=facility.region_id, elder=elder,
                     date=day, check_in_at=at, checked_in_by=_who(actor))  # fmt: skip
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise fail("elder", E.ALREADY_CHECKED_IN) from None
    _event(facility=facility, kind=ResidentialEvent.Kind.CHECK_IN, actor=actor, elder=elder,
           summary=f"{day} 签到 {timezone.localtime(at):%H:%M}")  # fmt: skip
    return row


@transaction.atomic
def check_out(*, actor, facility: Facility, elder: Elder, at: datetime | None = None) -> Attendance:
    facility = _lock_facility(actor=actor, facility=facility, daycare=True)
    elder = _check_elder(actor=actor, facility=facility, elder=elder)
    at = at or timezone.now()
    day = timezone.localdate(at)
    row = Attendance.objects.select_for_update().filter(facility=facility, elder=elder, date=day).first()
    if row is None:
        raise fail("elder", E.NOT_CHECKED_IN)
    if row.check_out_at is not None:
        raise fail("elder", E.ALREADY_CHECKED_OUT)
    if at < row.check_in_at:
        raise fail("elder", E.NOT_CHECKED_IN, "签退时间不能早于签到时间。")
    row.check_out_at = at
    row.checked_out_by = _who(actor)
    row.save(update_fields=["check_out_at", "checked_out_by"])
    _event(facility=facility, kind=ResidentialEvent.Kind.CHECK_OUT, actor=actor, elder=elder,
           summary=f"{day} 签退 {timezone.localtime(at):%H:%M}")  # fmt: skip
    return row


@transaction.atomic
def respite_create(
    *, actor, facility: Facility, elder: Elder, start_date: date, end_date: date, note: str = ""
) -> RespiteStay:
    """喘息服务: a short stay; one elder's stays never overlap (at any centre)."""
    facility = _lock_facility(actor=actor, facility=facility, daycare=True)
    elder = _check_elder(
        actor=actor, facility=facility, elder=elder
    )  # the elder row lock serialises overlaps
    if end_date < start_date:
        raise fail("end_date", E.RESPITE_DATES)
    if (end_date - start_date).days + 1 > RESPITE_MAX_DAYS:
        raise fail("end_date", E.RESPITE_TOO_LONG)
    clash = (
        RespiteStay.objects.filter(elder=elder, start_date__lte=end_date, end_date__gte=start_date)
        .select_related("facility")
        .first()
    )
    if clash is not None:
        raise fail(
            "start_date",
            E.RESPITE_OVERLAP,
            f"与该老年人已有的喘息服务（{clash.start_date} 至 {clash.end_date}）时间重叠。",
        )
    stay = RespiteStay(facility=facility, region_code=facility.region_id, elder=elder, start_date=start_date,
                       end_date=end_date, note=(note or "").strip(), created_by=_who(actor))  # fmt: skip
    stay.full_clean(exclude=["created_by"])
    stay.save()
    _event(facility=facility, kind=ResidentialEvent.Kind.RESPITE, actor=actor, elder=elder,
           summary=f"喘息服务 {start_date} 至 {end_date}")  # fmt: skip
    elder_services.elder_event_record(elder=elder, kind="respite", source="residential", actor=actor,
                                      summary=f"在{facility.name}接受喘息服务（{start_date} 至 {end_date}）")  # fmt: skip
    return stay
