"""Reading work orders, always inside the reader's scope.

Who sees which orders (``visible_q``, the one rule; ``can_see`` is the same rule for one loaded row):
* an officer, auditor or administrator: the orders whose ``region_code`` (the elder's village when
  the order was made) lies in its region scope;
* a provider's staff (``scope.operator_id``): in its region scope, and only its own operator's
  provider contracts' orders;
* a caregiver: only the orders dispatched to the caregiver record linked to its own login — not by
  region (the elders it visits live in other villages than its own).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from yanglao.accounts.roles import Cap, Role
from yanglao.care.models import (
    AnomalyDecision,
    Caregiver,
    CaregiverCertificate,
    CaregiverStatus,
    OrderState,
    Provider,
    ProviderCoverage,
    ProviderStatus,
    ServiceProduct,
    Visit,
    VisitPhoto,
    WorkOrder,
    WorkOrderEvent,
)
from yanglao.care.selectors import ancestor_prefixes, caregiver_can_do, caregiver_scoped, provider_scoped
from yanglao.regions.scope import Scope
from yanglao.regions.selectors import scope_narrowed


def _require(actor) -> None:
    if not (actor.can(Cap.CARE_VIEW) or actor.can(Cap.CARE_VISIT)):
        raise PermissionDenied("您没有查看服务工单的权限。")


def is_caregiver(actor) -> bool:
    return getattr(actor, "role", None) == Role.CAREGIVER


def visible_q(actor, *, scope: Scope | None = None) -> Q:
    """The orders ``actor`` may see (``scope``: the actor's scope, possibly narrowed to a region)."""
    if not getattr(actor, "is_active", False):
        return Q(pk__in=[])
    if is_caregiver(actor):
        return Q(caregiver__user_id=actor.pk)
    scope = scope or actor.scope
    condition = scope.q("region_code")
    operator_id = actor.scope.operator_id
    if operator_id:
        condition &= Q(provider__operator_id=operator_id)
    elif actor.role == Role.PROVIDER:  # a provider user without an operator sees nothing
        return Q(pk__in=[])
    return condition


def can_see(actor, order: WorkOrder) -> bool:
    """``visible_q`` for one loaded order (used by the services before a write)."""
    if actor is None:
        return True  # the system (commands, settlement runs)
    if not getattr(actor, "is_active", False):
        return False
    if is_caregiver(actor):
        return order.caregiver_id is not None and order.caregiver.user_id == actor.pk
    scope = actor.scope
    if not scope.contains(order.region_code):
        return False
    if scope.operator_id:
        return order.provider.operator_id == scope.operator_id
    return actor.role != Role.PROVIDER


def orders_visible(*, actor) -> QuerySet[WorkOrder]:
    _require(actor)
    return WorkOrder.objects.filter(visible_q(actor))


# --- the list ------------------------------------------------------------------------------------


@dataclass
class OrderFilters:
    q: str = ""
    region: str = ""
    state: str = ""
    category: str = ""  # a ServiceCategory code ("01")
    provider: int | None = None
    caregiver: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    anomaly: str = ""  # "pending", "pay", "no_pay", "any"
    source: str = ""


def order_list(*, actor, filters: OrderFilters | None = None) -> QuerySet[WorkOrder]:
    """The filtered list, ready for paging: one query for the page whatever its length."""
    _require(actor)
    filters = filters or OrderFilters()
    scope = scope_narrowed(scope=actor.scope, code=filters.region) if filters.region else None
    orders = WorkOrder.objects.filter(visible_q(actor, scope=scope))
    if filters.state in OrderState.values:
        orders = orders.filter(state=filters.state)
    if filters.category:
        orders = orders.filter(product__item__category__code=filters.category)
    if filters.provider:
        orders = orders.filter(provider_id=filters.provider)
    if filters.caregiver:
        orders = orders.filter(caregiver_id=filters.caregiver)
    if filters.date_from:
        orders = orders.filter(scheduled_date__gte=filters.date_from)
    if filters.date_to:
        orders = orders.filter(scheduled_date__lte=filters.date_to)
    if filters.anomaly == "any":
        orders = orders.exclude(anomaly_decision=AnomalyDecision.NONE)
    elif filters.anomaly in (AnomalyDecision.PENDING, AnomalyDecision.PAY, AnomalyDecision.NO_PAY):
        orders = orders.filter(anomaly_decision=filters.anomaly)
    if filters.source:
        orders = orders.filter(source=filters.source)
    text = filters.q.strip()
    if text:
        if text.upper().startswith("GD") and text[2:].isdigit():
            orders = orders.filter(number=text.upper())
        else:
            orders = orders.filter(elder__name__contains=text)
    return orders.select_related(
        "elder__region", "product__item__category", "provider__operator", "caregiver"
    ).order_by("-scheduled_date", "window_start", "-pk")


def order_get(*, actor, pk: int) -> WorkOrder:
    _require(actor)
    order = (
        WorkOrder.objects.filter(visible_q(actor))
        .select_related(
            "elder__region",
            "product__item__category",
            "provider__operator",
            "provider__county",
            "caregiver__user",
            "grant__rule",
            "requested_by",
            "reviewed_by",
            "anomaly_decided_by",
        )
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise Http404("工单不存在")
    return order


def order_events(*, order: WorkOrder) -> QuerySet[WorkOrderEvent]:
    return WorkOrderEvent.objects.filter(order=order).select_related("actor").order_by("at", "pk")


def order_visit(*, order: WorkOrder) -> Visit | None:
    return (
        Visit.objects.filter(order=order)
        .prefetch_related(Prefetch("photos", queryset=VisitPhoto.objects.order_by("uploaded_at", "pk")))
        .first()
    )


def visit_photo_get(*, actor, order_pk: int, photo_pk: int) -> VisitPhoto:
    order = order_get(actor=actor, pk=order_pk)
    photo = VisitPhoto.objects.filter(pk=photo_pk, visit__order=order).first()
    if photo is None:
        raise Http404("照片不存在")
    return photo


# --- the caregiver's day ---------------------------------------------------------------------------


def caregiver_of(actor) -> Caregiver | None:
    """The caregiver record linked to a caregiver login (None if not linked)."""
    if not is_caregiver(actor):
        return None
    return Caregiver.objects.select_related("provider__operator").filter(user_id=actor.pk).first()


def caregiver_day(*, actor, on: date | None = None) -> QuerySet[WorkOrder]:
    """The caregiver's orders for the day in time order, and any visit still open from an earlier day."""
    _require(actor)
    on = on or timezone.localdate()
    if not is_caregiver(actor):
        return WorkOrder.objects.none()
    return (
        WorkOrder.objects.filter(caregiver__user_id=actor.pk)
        .filter(Q(scheduled_date=on) | Q(state=OrderState.CHECKED_IN, scheduled_date__lt=on))
        .select_related("elder__region", "product", "visit")
        .order_by("scheduled_date", F("window_start").asc(nulls_last=True), "pk")
    )


# --- creating and dispatching ----------------------------------------------------------------------


def providers_covering(*, region_code: str, item_id: int, on: date) -> QuerySet[Provider]:
    """Active providers in contract on ``on`` that cover ``item_id`` where ``region_code`` lies
    (coverage of the village, its township or its county), most specific coverage first."""
    covering = ProviderCoverage.objects.filter(
        item_id=item_id, region_prefix__in=ancestor_prefixes(region_code)
    ).values("provider_id")
    return (
        Provider.objects.filter(
            pk__in=covering,
            status=ProviderStatus.ACTIVE,
            contract_start__lte=on,
            contract_end__gte=on,
        )
        .select_related("operator", "county")
        .order_by("operator__name", "pk")
    )


def provider_choices_for(*, actor, region_code: str, item_id: int, on: date) -> QuerySet[Provider]:
    """The providers an officer may pick for an order: covering the elder and visible to the actor."""
    return providers_covering(region_code=region_code, item_id=item_id, on=on).filter(
        pk__in=provider_scoped(actor.scope).values("pk")
    )


def products_for_orders() -> QuerySet[ServiceProduct]:
    """Products that are ordered for a visit (not meals or monthly services): the order form's list."""
    return (
        ServiceProduct.objects.filter(is_active=True, standard_minutes__isnull=False)
        .select_related("item__category")
        .order_by("item__code", "position", "code")
    )


def dispatchable_caregivers(*, actor, provider_ids, on: date) -> list[Caregiver]:
    """The active caregivers of the given providers (that the actor may see), with skills and
    certificates loaded for ``caregiver_can_do``."""
    return list(
        caregiver_scoped(actor.scope)
        .filter(provider_id__in=list(provider_ids), status=CaregiverStatus.ACTIVE)
        .prefetch_related(
            "skills",
            Prefetch("certificates", queryset=CaregiverCertificate.objects.order_by("pk")),
        )
        .order_by("name", "pk")
    )


@dataclass
class DispatchRow:
    order: WorkOrder
    allowed: list  # [(caregiver, verdict)] that may do it
    refused: list  # [(caregiver, verdict)] of the order's provider that may not


def dispatch_board(*, actor, on: date, township: str = "") -> list[DispatchRow]:
    """A provider's day: its orders for ``on`` (optionally in one township) with, for each, the
    caregivers of its provider allowed to do it (``caregiver_can_do``) and those refused, and why."""
    if not actor.can(Cap.CARE_DISPATCH):
        raise PermissionDenied("您没有派单的权限。")
    scope = scope_narrowed(scope=actor.scope, code=township) if township else None
    orders = list(
        WorkOrder.objects.filter(visible_q(actor, scope=scope), scheduled_date=on)
        .exclude(state__in=(OrderState.CANCELLED, OrderState.REFUSED))
        .select_related("elder__region", "product", "provider__operator", "caregiver")
        .order_by("window_start", "elder__region_id", "pk")
    )
    caregivers = dispatchable_caregivers(actor=actor, provider_ids={o.provider_id for o in orders}, on=on)
    rows = []
    for order in orders:
        allowed, refused = [], []
        for caregiver in caregivers:
            if caregiver.provider_id != order.provider_id:
                continue
            verdict = caregiver_can_do(caregiver, order.product, on=order.scheduled_date)
            if verdict:
                allowed.append((caregiver, verdict))
            elif verdict.code != "skill_missing":  # only those trained for it but blocked (certificate…)
                refused.append((caregiver, verdict))
        rows.append(DispatchRow(order, allowed, refused))
    return rows


def caregiver_for_dispatch(*, actor, pk: int) -> Caregiver | None:
    """A caregiver the actor may see, loaded for ``caregiver_can_do`` (None if not visible)."""
    return (
        caregiver_scoped(actor.scope)
        .select_related("provider")
        .prefetch_related("skills", "certificates")
        .filter(pk=pk)
        .first()
    )


def caregiver_choices(*, actor) -> QuerySet[Caregiver]:
    """For the list filter: the caregivers the actor may see."""
    if is_caregiver(actor):
        return Caregiver.objects.filter(user_id=actor.pk)
    return caregiver_scoped(actor.scope).select_related("provider__operator").order_by("name", "pk")


def visits_near(*, caregiver_id: int, at: datetime, exclude_order: int) -> list[Visit]:
    """The caregiver's other checked-in visits that began within a day of ``at`` (what the
    overlap rule compares a check-in or check-out with)."""
    return list(
        Visit.objects.filter(
            caregiver_id=caregiver_id,
            check_in_at__isnull=False,
            check_in_at__gte=at - timedelta(days=1),
            check_in_at__lte=at + timedelta(days=1),
        )
        .exclude(order_id=exclude_order)
        .select_related("order")
    )


def anomalies_pending_count(*, actor) -> int:
    _require(actor)
    return WorkOrder.objects.filter(visible_q(actor), anomaly_decision=AnomalyDecision.PENDING).count()
