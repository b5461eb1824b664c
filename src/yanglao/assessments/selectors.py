"""Reading assessments, the due list and level histories, inside the reader's scope."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.assessments.models import Assessment, ReassessmentTrigger, Status
from yanglao.elders.models import Elder
from yanglao.elders.models import Status as ElderStatus
from yanglao.regions.selectors import scope_narrowed

DUE_SOON_DAYS = 30


def _require(actor) -> None:
    if not actor.can(Cap.ASSESSMENTS_VIEW):
        raise PermissionDenied("您没有查看能力评估的权限。")


@dataclass
class AssessmentFilters:
    q: str = ""
    region: str = ""
    status: str = ""
    level: str = ""


def assessment_list(*, actor, filters: AssessmentFilters) -> QuerySet[Assessment]:
    _require(actor)
    scope = scope_narrowed(scope=actor.scope, code=filters.region)
    assessments = scope.apply(Assessment.objects.all())
    if filters.status in Status.values:
        assessments = assessments.filter(status=filters.status)
    if filters.level.isdigit():
        assessments = assessments.filter(final_level=int(filters.level))
    text = filters.q.strip()
    if text:
        assessments = assessments.filter(Q(number=text.upper()) | Q(elder__name__contains=text))
    return assessments.select_related("elder", "region").order_by("-reference_date", "-pk")


def assessment_get(*, actor, pk: int) -> Assessment:
    _require(actor)
    assessment = (
        actor.scope.apply(
            Assessment.objects.select_related(
                "elder__region", "region", "assessor_1", "assessor_2", "approved_by"
            )
        )
        .filter(pk=pk)
        .first()
    )
    if assessment is None:
        raise Http404("评估不存在")
    return assessment


def elder_assessments(*, actor, elder: Elder) -> QuerySet[Assessment]:
    """An elder's assessments the reader may see (the elder must be one it may see)."""
    _require(actor)
    return (
        actor.scope.apply(Assessment.objects.filter(elder=elder))
        .select_related("assessor_1")
        .order_by("-reference_date", "-pk")
    )


def reassess_interval() -> int:
    return getattr(settings, "YANGLAO_REASSESS_MONTHS", 12)


def _months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (later if negative), or that month's last day if it is shorter."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _due_cutoff(day: date, months: int) -> date:
    """The latest date last assessed whose re-assessment falls due on or before ``day``: on a month's
    last day, everyone assessed up to the end of the month ``months`` back (31 August → 28 February)."""
    earlier = _months_before(day, months)
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        return earlier.replace(day=calendar.monthrange(earlier.year, earlier.month)[1])
    return earlier


@dataclass
class DueRow:
    elder: Elder
    last_date: date | None
    due_date: date | None
    kind: str  # "overdue", "soon", "immediate"
    triggers: list[ReassessmentTrigger]


DUE_LIST_LIMIT = 5000


class DueList(list):
    """The due rows; ``truncated`` when more routine re-assessments fall due than the list holds
    (the earliest due are kept; the page says so and asks to narrow the region)."""

    truncated = False


def due_list(*, actor, region: str = "", today: date | None = None) -> DueList:
    """Who needs assessing: routine re-assessment due within 30 days or overdue (12 months after the
    last approved one, a setting), and everyone with an unresolved trigger (即时评估)."""
    _require(actor)
    today = today or timezone.localdate()
    scope = scope_narrowed(scope=actor.scope, code=region)
    months = reassess_interval()
    cutoff = _due_cutoff(today + timedelta(days=DUE_SOON_DAYS), months)
    last = (
        Assessment.objects.filter(elder=OuterRef("pk"), status=Status.APPROVED)
        .order_by()
        .values("elder")
        .annotate(last=Max("reference_date"))
        .values("last")
    )
    elders = (
        scope.apply(Elder.objects.filter(status=ElderStatus.ACTIVE))
        .annotate(last_assessed=Subquery(last))
        .filter(last_assessed__lte=cutoff)
        .select_related("region")
        .order_by("last_assessed", "pk")
    )
    triggers: dict[int, list[ReassessmentTrigger]] = {}
    for trigger in scope.apply(ReassessmentTrigger.objects.filter(resolved_by__isnull=True)).select_related(
        "elder__region"
    ):
        triggers.setdefault(trigger.elder_id, []).append(trigger)
    rows, seen = [], set()
    for elder_id, open_triggers in triggers.items():
        elder = open_triggers[0].elder
        if elder.status == ElderStatus.ACTIVE:
            rows.append(
                DueRow(elder, None, min(t.occurred_on for t in open_triggers), "immediate", open_triggers)
            )
            seen.add(elder_id)
    fetched = list(elders[: DUE_LIST_LIMIT + 1])
    truncated = len(fetched) > DUE_LIST_LIMIT
    for elder in fetched[:DUE_LIST_LIMIT]:
        if elder.pk in seen:
            continue
        due = _months_before(elder.last_assessed, -months)
        rows.append(DueRow(elder, elder.last_assessed, due, "overdue" if due < today else "soon", []))
    order = {"immediate": 0, "overdue": 1, "soon": 2}
    result = DueList(sorted(rows, key=lambda r: (order[r.kind], r.due_date or today)))
    result.truncated = truncated
    return result


def next_routine_due(elder: Elder):
    """When the elder's routine re-assessment falls due (None if never assessed)."""
    if elder.capability_assessed_on is None:
        return None
    return _months_before(elder.capability_assessed_on, -reassess_interval())


def open_triggers(*, actor, elder: Elder) -> QuerySet[ReassessmentTrigger]:
    _require(actor)
    return actor.scope.apply(
        ReassessmentTrigger.objects.filter(elder=elder, resolved_by__isnull=True)
    ).order_by("occurred_on")
