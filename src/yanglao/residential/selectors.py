"""Reads of meals and day care, always inside the reader's scope: its region, and for a facility
operator its own facility only."""

import calendar
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from yanglao.accounts.roles import Cap
from yanglao.benefits.models import EntitlementGrant
from yanglao.elders.models import Elder
from yanglao.facilities.models import Facility, FacilityType
from yanglao.regions.scope import Scope
from yanglao.residential.models import Attendance, Enrolment, Meal, MealKind, MealOrder, Menu, RespiteStay

DAYCARE_TYPES = (FacilityType.COUNTY_CENTRE, FacilityType.TOWNSHIP_CENTRE, FacilityType.STATION)
MEAL_SUBSIDY_BENEFIT = "meal_subsidy"
# 001 §5.1.3: a canteen's daily meal capacity is at least 5% of the residents aged 65+ it serves.
CAPACITY_PERCENT = 5


def _require(actor) -> None:
    if not actor.can(Cap.FACILITIES_VIEW):
        raise PermissionDenied("您没有查看助餐和日间照料的权限。")


def canteen_q() -> Q:
    """A canteen is a 老年食堂/助餐点, or any facility with a registered daily meal capacity."""
    return Q(type=FacilityType.CANTEEN) | Q(meal_capacity__gt=0)


def daycare_q() -> Q:
    return Q(type__in=DAYCARE_TYPES)


def facilities_scoped(scope: Scope) -> QuerySet[Facility]:
    facilities = scope.apply(Facility.objects.all(), "region__code")
    if scope.facility_id:
        facilities = facilities.filter(pk=scope.facility_id)
    return facilities


def rows_scoped(scope: Scope, queryset: QuerySet) -> QuerySet:
    """Rows of this app (each carries its facility's ``region_code``) inside the scope."""
    rows = scope.apply(queryset, "region_code")
    if scope.facility_id:
        rows = rows.filter(facility_id=scope.facility_id)
    return rows


def elder_scope(*, actor, facility: Facility) -> Scope:
    """Whose meals and days an actor may record at a facility: an officer its region's elders; an
    operator the elders of the facility's township (its scope is the facility itself)."""
    if actor.scope.facility_id:
        return (
            Scope(prefix=facility.region_id[:9])
            if actor.scope.facility_id == facility.pk
            else Scope.nothing()
        )
    return actor.scope


def find_elder(*, actor, facility: Facility, text: str) -> list[Elder]:
    """Elders matching ``text`` (name, pinyin, ID number or phone) whom the actor may serve here; at most 2."""
    from yanglao.elders.selectors import search_q

    text = (text or "").strip()
    if not text:
        return []
    scope = elder_scope(actor=actor, facility=facility)
    return list(scope.apply(Elder.objects.filter(search_q(text)), "region__code").order_by("pk")[:2])


def elder_for_facility(*, actor, facility: Facility, pk: int) -> Elder:
    elder = (
        elder_scope(actor=actor, facility=facility).apply(Elder.objects.filter(pk=pk), "region__code").first()
    )
    if elder is None:
        raise Http404("老年人档案不存在")
    return elder


# --- canteens -------------------------------------------------------------------------------------


@dataclass
class CapacityCheck:
    capacity: int | None  # meals a day
    residents_65: int | None
    required: int | None  # ⌈5% × residents 65+⌉

    @property
    def status(self) -> str:
        if self.capacity is None or self.required is None:
            return "unknown"
        return "ok" if self.capacity >= self.required else "short"

    @property
    def label(self) -> str:
        return {"ok": "达标", "short": "不达标", "unknown": "数据不全"}[self.status]


def capacity_check(facility: Facility) -> CapacityCheck:
    residents = facility.residents_65_served
    required = None if residents is None else (residents * CAPACITY_PERCENT + 99) // 100
    return CapacityCheck(capacity=facility.meal_capacity, residents_65=residents, required=required)


def canteen_list(*, actor, q: str = "", day: date) -> list[Facility]:
    """The canteens in scope, each with ``check`` (001 §5.1.3) and ``portions`` ordered for ``day``."""
    _require(actor)
    canteens = facilities_scoped(actor.scope).filter(canteen_q())
    if q:
        canteens = canteens.filter(name__contains=q.strip())
    canteens = list(canteens.select_related("region").order_by("region_id", "name")[:500])
    portions = dict(
        MealOrder.objects.filter(facility__in=[c.pk for c in canteens], date=day)
        .values("facility_id")
        .annotate(n=Sum("quantity"))
        .values_list("facility_id", "n")
    )
    for canteen in canteens:
        canteen.check = capacity_check(canteen)
        canteen.portions = portions.get(canteen.pk, 0)
    return canteens


def canteen_get(*, actor, pk: int) -> Facility:
    _require(actor)
    facility = facilities_scoped(actor.scope).filter(canteen_q(), pk=pk).select_related("region").first()
    if facility is None:
        raise Http404("助餐点不存在")
    return facility


def portions_on(*, facility: Facility, day: date) -> int:
    return MealOrder.objects.filter(facility=facility, date=day).aggregate(n=Sum("quantity"))["n"] or 0


@dataclass
class CanteenDay:
    menus: dict  # meal → Menu
    orders: list
    counts: dict  # meal → {"dine_in": n, "delivery": n, "total": n}
    portions: int
    capacity: int | None

    @property
    def over(self) -> bool:
        return self.capacity is not None and self.portions > self.capacity

    @property
    def rows(self) -> list[tuple]:
        """(meal label, Menu or None, counts) per meal, breakfast to dinner."""
        return [(label, self.menus.get(code), self.counts[code]) for code, label in Meal.choices]

    @property
    def left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.portions)


def canteen_day(*, facility: Facility, day: date) -> CanteenDay:
    """One day at a canteen (``facility`` comes from ``canteen_get``): menus, orders, counts."""
    menus = {m.meal: m for m in Menu.objects.filter(facility=facility, date=day)}
    rank = {code: n for n, code in enumerate(Meal.values)}  # breakfast, lunch, dinner
    orders = sorted(
        MealOrder.objects.filter(facility=facility, date=day).select_related("elder").order_by("pk"),
        key=lambda o: (rank[o.meal], o.pk),
    )
    counts = {meal: {"dine_in": 0, "delivery": 0, "total": 0} for meal in Meal.values}
    for order in orders:
        counts[order.meal][order.kind] += order.quantity
        counts[order.meal]["total"] += order.quantity
    portions = sum(c["total"] for c in counts.values())
    return CanteenDay(menus, orders, counts, portions, facility.meal_capacity)


def menu_list(*, actor, facility_id: int | None = None, on: date | None = None) -> QuerySet[Menu]:
    _require(actor)
    menus = rows_scoped(actor.scope, Menu.objects.all())
    if facility_id:
        menus = menus.filter(facility_id=facility_id)
    if on:
        menus = menus.filter(date=on)
    return menus.select_related("facility").order_by("-date", "facility_id", "meal")


def order_list(*, actor, facility_id: int | None = None, on: date | None = None) -> QuerySet[MealOrder]:
    _require(actor)
    orders = rows_scoped(actor.scope, MealOrder.objects.all())
    if facility_id:
        orders = orders.filter(facility_id=facility_id)
    if on:
        orders = orders.filter(date=on)
    return orders.select_related("elder", "facility").order_by("-date", "facility_id", "meal", "pk")


# --- the meal subsidy ---------------------------------------------------------------------------


def month_bounds(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def meal_allowance_fen(*, elder: Elder, on: date) -> int:
    """The monthly meal subsidy of the elder's ``meal_subsidy`` grant valid on ``on`` (the largest
    if several; 0 without one). 003: 100 yuan a month."""
    amounts = EntitlementGrant.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on),
        elder=elder,
        rule__benefit=MEAL_SUBSIDY_BENEFIT,
        valid_from__lte=on,
    ).values_list("rule__amount", flat=True)
    return max(amounts, default=0)


def meal_subsidy_used_fen(*, elder: Elder, on: date) -> int:
    """What the elder's canteen orders of ``on``'s month already took of the meal subsidy (every canteen)."""
    first, last = month_bounds(on)
    used = MealOrder.objects.filter(elder=elder, date__range=(first, last)).aggregate(s=Sum("subsidy_fen"))
    return used["s"] or 0


# --- the monthly statement -------------------------------------------------------------------------


@dataclass
class Statement:
    facility: Facility
    first: date
    last: date
    elders: list  # dicts: elder_id, name, orders, portions, amount, subsidy, self
    days: list  # dicts: date, portions, dine_in, delivery, amount, subsidy, self
    totals: dict


def meal_statement(*, facility: Facility, month: date) -> Statement:
    """A canteen's month (``facility`` from ``canteen_get``): per elder and per day, with totals.
    Every figure is a sum of the order rows, so the totals reconcile exactly."""
    first, last = month_bounds(month)
    orders = MealOrder.objects.filter(facility=facility, date__range=(first, last))
    sums = {
        "orders": Count("pk"),
        "portions": Sum("quantity"),
        "amount": Sum("amount_fen"),
        "subsidy": Sum("subsidy_fen"),
        "self_paid": Sum("self_fen"),
    }
    elders = list(
        orders.values("elder_id", "elder__name").annotate(**sums).order_by("elder__name_pinyin", "elder_id")
    )
    days = list(
        orders.values("date")
        .annotate(
            **sums,
            dine_in=Sum("quantity", filter=Q(kind=MealKind.DINE_IN)),
            delivery=Sum("quantity", filter=Q(kind=MealKind.DELIVERY)),
        )
        .order_by("date")
    )
    totals = orders.aggregate(**sums)
    totals = {k: v or 0 for k, v in totals.items()}
    totals["elders"] = len(elders)
    return Statement(facility, first, last, elders, days, totals)


# --- day care ----------------------------------------------------------------------------------


def centre_list(*, actor, q: str = "", day: date) -> list[Facility]:
    """Day-care centres in scope with ``enrolled`` (open enrolments) and ``present`` (checked in on ``day``)."""
    _require(actor)
    centres = facilities_scoped(actor.scope).filter(daycare_q())
    if q:
        centres = centres.filter(name__contains=q.strip())
    centres = list(centres.select_related("region").order_by("region_id", "name")[:500])
    ids = [c.pk for c in centres]
    enrolled = dict(
        Enrolment.objects.filter(facility__in=ids, end_date__isnull=True)
        .values("facility_id")
        .annotate(n=Count("pk"))
        .values_list("facility_id", "n")
    )
    present = dict(
        Attendance.objects.filter(facility__in=ids, date=day)
        .values("facility_id")
        .annotate(n=Count("pk"))
        .values_list("facility_id", "n")
    )
    for centre in centres:
        centre.enrolled = enrolled.get(centre.pk, 0)
        centre.present = present.get(centre.pk, 0)
    return centres


def centre_get(*, actor, pk: int) -> Facility:
    _require(actor)
    facility = facilities_scoped(actor.scope).filter(daycare_q(), pk=pk).select_related("region").first()
    if facility is None:
        raise Http404("日间照料中心不存在")
    return facility


def open_on_q(day: date) -> Q:
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))


def enrolled_on(*, facility: Facility, day: date) -> list[Enrolment]:
    """The operator's list for a day: enrolments open on ``day``, each with ``today`` (its
    Attendance of that day or None). Two queries whatever the length."""
    enrolments = list(
        Enrolment.objects.filter(open_on_q(day), facility=facility)
        .select_related("elder")
        .prefetch_related(Prefetch("attendances", Attendance.objects.filter(date=day), to_attr="day_rows"))
        .order_by("elder__name_pinyin", "pk")
    )
    for enrolment in enrolments:
        enrolment.today = enrolment.day_rows[0] if enrolment.day_rows else None
    return enrolments


def respite_for(*, facility: Facility, limit: int = 50) -> list[RespiteStay]:
    return list(
        RespiteStay.objects.filter(facility=facility)
        .select_related("elder")
        .order_by("-start_date", "-pk")[:limit]
    )


def enrolment_list(*, actor, facility_id: int | None = None, open_only: bool = True) -> QuerySet[Enrolment]:
    _require(actor)
    enrolments = rows_scoped(actor.scope, Enrolment.objects.all())
    if facility_id:
        enrolments = enrolments.filter(facility_id=facility_id)
    if open_only:
        enrolments = enrolments.filter(end_date__isnull=True)
    return enrolments.select_related("elder", "facility").order_by("facility_id", "elder__name_pinyin", "pk")


def attendance_list(*, actor, facility_id: int | None = None, on: date | None = None) -> QuerySet[Attendance]:
    _require(actor)
    rows = rows_scoped(actor.scope, Attendance.objects.all())
    if facility_id:
        rows = rows.filter(facility_id=facility_id)
    if on:
        rows = rows.filter(date=on)
    return rows.select_related("elder", "facility").order_by("-date", "facility_id", "check_in_at", "pk")


def daycare_month(*, facility: Facility, month: date) -> dict:
    """A centre's month for the reports: attendance per day, person-days, distinct elders, respite
    stays that touch the month and their days inside it."""
    first, last = month_bounds(month)
    rows = Attendance.objects.filter(facility=facility, date__range=(first, last))
    per_day = dict(rows.values("date").annotate(n=Count("pk")).values_list("date", "n"))
    stays = list(RespiteStay.objects.filter(facility=facility, start_date__lte=last, end_date__gte=first))
    respite_days = sum((min(s.end_date, last) - max(s.start_date, first)).days + 1 for s in stays)
    return {
        "first": first,
        "last": last,
        "per_day": sorted(per_day.items()),
        "person_days": sum(per_day.values()),
        "elders": rows.values("elder_id").distinct().count(),
        "respite_stays": len(stays),
        "respite_days": respite_days,
    }


def daycare_counts(*, actor, month: date) -> list[dict]:
    """Per centre in scope, a month's attendance person-days and distinct elders (for reports)."""
    _require(actor)
    first, last = month_bounds(month)
    rows = rows_scoped(actor.scope, Attendance.objects.filter(date__range=(first, last)))
    return list(
        rows.values("facility_id", "facility__name")
        .annotate(person_days=Count("pk"), elders=Count("elder_id", distinct=True))
        .order_by("facility_id")
    )
