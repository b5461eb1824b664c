"""Reading the service network inside the reader's scope (its region; an operator's own facility)."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.facilities.checks import BY_CODE, with_check_terms
from yanglao.facilities.models import Consortium, Facility, FacilityEvent, FacilityStatus, Operator
from yanglao.regions.scope import Scope
from yanglao.regions.selectors import scope_narrowed

SORTS = {
    "region": ("region_id", "type", "name", "pk"),
    "name": ("name", "pk"),
    "-beds": ("-beds_total", "pk"),
    "-updated": ("-updated_at", "-pk"),
}


def _require(actor, capability=Cap.FACILITIES_VIEW) -> None:
    if not actor.can(capability):
        raise PermissionDenied("您没有查看养老服务设施的权限。")


def scoped(scope: Scope) -> QuerySet[Facility]:
    facilities = scope.apply(Facility.objects.all())
    if scope.facility_id:
        facilities = facilities.filter(pk=scope.facility_id)
    return facilities


@dataclass
class FacilityFilters:
    q: str = ""
    region: str = ""
    type: str = ""
    status: str = ""
    operating_mode: str = ""
    failing: str = ""
    sort: str = "region"


def facility_list(*, actor, filters: FacilityFilters, today: date | None = None) -> QuerySet[Facility]:
    _require(actor)
    today = today or timezone.localdate()
    scope = scope_narrowed(scope=actor.scope, code=filters.region)
    facilities = scoped(scope)
    if filters.q.strip():
        text = filters.q.strip()
        facilities = facilities.filter(
            Q(name__contains=text) | Q(address__contains=text) | Q(filing_number=text)
        )
    if filters.type:
        facilities = facilities.filter(type=filters.type)
    if filters.status:
        facilities = facilities.filter(status=filters.status)
    if filters.operating_mode:
        facilities = facilities.filter(operating_mode=filters.operating_mode)
    if filters.failing in BY_CODE:
        facilities = with_check_terms(facilities).filter(BY_CODE[filters.failing].failing(today))
    elif filters.failing == "any":
        condition = Q()
        for check in BY_CODE.values():
            condition |= check.failing(today)
        facilities = with_check_terms(facilities).filter(condition)
    return facilities.select_related("region__parent", "operator").order_by(
        *SORTS.get(filters.sort, SORTS["region"])
    )


def facility_get(*, actor, pk: int) -> Facility:
    _require(actor)
    facility = scoped(actor.scope).select_related("region__parent", "operator").filter(pk=pk).first()
    if facility is None:
        raise Http404("设施不存在")
    return facility


def facility_events(*, facility: Facility) -> QuerySet[FacilityEvent]:
    return FacilityEvent.objects.filter(facility=facility).select_related("actor").order_by("-at", "-pk")


def map_points(*, actor, filters: FacilityFilters) -> list[list]:
    """What the map draws: [id, lon, lat, type, status, name] per located facility, no model objects."""
    rows = (
        facility_list(actor=actor, filters=filters)
        .exclude(longitude__isnull=True)
        .order_by()
        .values_list("pk", "longitude", "latitude", "type", "status", "name")
    )
    return [[pk, float(lon), float(lat), type_, status, name] for pk, lon, lat, type_, status, name in rows]


def network_counts(*, scope: Scope) -> dict:
    """Facilities by type and status, and the bed totals, under a region."""
    facilities = scoped(scope)
    by_type_status = {}
    for row in facilities.values("type", "status").annotate(n=Count("pk")).order_by():
        by_type_status.setdefault(row["type"], {})[row["status"]] = row["n"]
    operating = facilities.filter(status=FacilityStatus.OPERATING)
    beds = operating.aggregate(total=Sum("beds_total"), nursing=Sum("beds_nursing"))
    return {
        "by_type_status": by_type_status,
        "beds_total": beds["total"] or 0,
        "beds_nursing": beds["nursing"] or 0,
    }


def operator_list(*, actor, q: str = "") -> QuerySet[Operator]:
    """Operators registered in the scope, or running a facility in it."""
    _require(actor)
    scope = actor.scope
    running = scoped(scope).exclude(operator__isnull=True).values("operator_id")
    operators = Operator.objects.filter(scope.q("region__code") | Q(pk__in=running))
    if scope.facility_id:
        operators = Operator.objects.filter(pk__in=running)
    if q.strip():
        operators = operators.filter(Q(name__contains=q.strip()) | Q(credit_code=q.strip().upper()))
    return operators.annotate(facility_count=Count("facilities")).order_by("name")


def operator_get(*, actor, pk: int) -> Operator:
    operator = operator_list(actor=actor).filter(pk=pk).first()
    if operator is None:
        raise Http404("运营主体不存在")
    return operator


def consortium_list(*, actor) -> QuerySet[Consortium]:
    _require(actor)
    return (
        actor.scope.apply(Consortium.objects.select_related("lead", "region"))
        .annotate(member_count=Count("members", filter=Q(members__left__isnull=True)))
        .order_by("region_id", "name")
    )


def consortium_get(*, actor, pk: int) -> Consortium:
    consortium = consortium_list(actor=actor).filter(pk=pk).first()
    if consortium is None:
        raise Http404("联合体不存在")
    return consortium
