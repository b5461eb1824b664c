"""Reading monthly statements inside the reader's scope.

Who sees which statement:
* officers and auditors: statements whose county lies in their scope (a township officer sees
  none — a statement covers the whole county);
* a provider's staff (``scope.operator_id``): their own operator's statements, in the counties
  their provider contracts are seen through (``selectors.provider_scoped``);
* everyone else (caregivers, desk): nothing (no ``Cap.CARE_VIEW``).
Lines, anomalies and exports are read through a statement fetched here.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse

from yanglao.accounts.roles import Cap
from yanglao.care.models import (
    AnomalyDecision,
    OrderState,
    Settlement,
    SettlementLine,
    WorkOrder,
)
from yanglao.care.selectors import provider_scoped
from yanglao.care.settlement import month_orders
from yanglao.regions.scope import Scope


def _require(actor) -> None:
    if actor is None or not actor.can(Cap.CARE_VIEW):
        raise PermissionDenied("您没有查看结算单的权限。")


def settlement_scoped(scope: Scope) -> QuerySet[Settlement]:
    if scope.is_empty:
        return Settlement.objects.none()
    if scope.operator_id:
        return Settlement.objects.filter(provider__in=provider_scoped(scope).values("pk"))
    return scope.apply(Settlement.objects.all(), "county__code")


@dataclass
class SettlementFilters:
    provider: int | None = None
    county: str = ""
    month: date | None = None
    state: str = ""


def settlement_list(*, actor, filters: SettlementFilters | None = None) -> QuerySet[Settlement]:
    _require(actor)
    filters = filters or SettlementFilters()
    statements = settlement_scoped(actor.scope)
    if filters.provider:
        statements = statements.filter(provider_id=filters.provider)
    if filters.county:
        statements = statements.filter(county__code__startswith=filters.county[:6])
    if filters.month:
        statements = statements.filter(month=filters.month.replace(day=1))
    if filters.state:
        statements = statements.filter(state=filters.state)
    return statements.select_related("provider__operator", "county", "confirmed_by").order_by(
        "-month", "county_id", "provider__operator__name", "pk"
    )


def settlement_get(*, actor, pk: int) -> Settlement:
    _require(actor)
    statement = (
        settlement_scoped(actor.scope)
        .select_related("provider__operator", "county", "created_by", "confirmed_by")
        .filter(pk=pk)
        .first()
    )
    if statement is None:
        raise Http404("结算单不存在")
    return statement


def settlement_lines(*, settlement: Settlement, paid: bool | None = None) -> QuerySet[SettlementLine]:
    """The lines of a statement fetched with ``settlement_get`` (in its reader's scope)."""
    lines = SettlementLine.objects.filter(settlement=settlement)
    if paid is True:
        lines = lines.exclude(anomaly_decision=AnomalyDecision.NO_PAY)
    elif paid is False:
        lines = lines.filter(anomaly_decision=AnomalyDecision.NO_PAY)
    return (
        lines.select_related("product", "order__elder")
        .only(
            "pk",
            "settlement_id",
            "service_date",
            "quantity",
            "unit_price_fen",
            "amount_fen",
            "government_fen",
            "subsidy_fen",
            "self_fen",
            "anomaly_decision",
            "product__name",
            "product__code",
            "product__unit",
            "order__number",
            "order__region_code",
            "order__anomalies",
            "order__anomaly_reason",
            "order__elder__name",
        )
        .order_by("service_date", "order_id")
    )


def pending_anomalies(*, settlement: Settlement) -> QuerySet[WorkOrder]:
    """Reviewed orders of the statement's month whose anomaly awaits a decision (they block confirmation)."""
    return (
        month_orders(settlement.provider, settlement.month)
        .filter(state=OrderState.REVIEWED, anomaly_decision=AnomalyDecision.PENDING)
        .select_related("elder", "product")
        .only(
            "pk",
            "number",
            "scheduled_date",
            "anomalies",
            "elder__name",
            "product__name",
            "region_code",
        )
        .order_by("scheduled_date", "pk")
    )


def left_out(*, settlement: Settlement) -> QuerySet[WorkOrder]:
    """Reviewed orders of the month, not pending, that are not in the statement: without a price,
    or reviewed after the draft was built (a rebuild takes them in)."""
    return (
        month_orders(settlement.provider, settlement.month)
        .filter(state=OrderState.REVIEWED)
        .exclude(anomaly_decision=AnomalyDecision.PENDING)
        .exclude(settlement_line__settlement=settlement)
        .select_related("elder", "product")
        .only("pk", "number", "scheduled_date", "anomalies", "elder__name", "product__name", "region_code")
        .order_by("scheduled_date", "pk")
    )


def month_states(*, settlement: Settlement) -> list[tuple[str, int]]:
    """How the provider's orders of the month stand, per state label (for "not yet reviewed")."""
    counts = dict(
        month_orders(settlement.provider, settlement.month)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return [(state.label, counts[state.value]) for state in OrderState if counts.get(state.value)]


def lines_by_product(*, settlement: Settlement) -> list[dict]:
    """Sums per product of the paid lines (for the statement's summary and the PDF)."""
    from django.db.models import Sum

    return list(
        SettlementLine.objects.filter(settlement=settlement)
        .exclude(anomaly_decision=AnomalyDecision.NO_PAY)
        .values(code=F("product__code"), name=F("product__name"))
        .annotate(
            count=Count("pk"),
            quantity=Sum("quantity"),
            amount=Sum("amount_fen"),
            government=Sum("government_fen"),
            subsidy=Sum("subsidy_fen"),
            self_paid=Sum("self_fen"),
        )
        .order_by("code")
    )


def order_url(pk: int) -> str | None:
    """The order's page, if the order pages are installed."""
    try:
        return reverse("care:order_detail", args=[pk])
    except NoReverseMatch:
        return None
