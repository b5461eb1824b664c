"""Reading the elder registry, always inside the reader's region scope."""

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.core.idnumber import IdNumberError
from yanglao.core.idnumber import parse as parse_id
from yanglao.core.phones import PhoneError, parse_phone
from yanglao.elders import privacy
from yanglao.elders.models import (
    ADVANCED_AGE_YEARS,
    Category,
    CategoryMembership,
    DuplicateFlag,
    Elder,
    ElderContact,
    ElderEvent,
    Status,
)
from yanglao.regions.selectors import scope_narrowed

AGE_BANDS = {
    "60-69": (60, 69),
    "70-79": (70, 79),
    "80-89": (80, 89),
    "90-99": (90, 99),
    "100+": (100, 200),
    "under60": (0, 59),
}
SORTS = {
    "name": ("name_pinyin", "pk"),
    "-name": ("-name_pinyin", "-pk"),
    "age": ("-birth_date", "pk"),
    "-age": ("birth_date", "pk"),
    "region": ("region_id", "name_pinyin", "pk"),
    "-created": ("-created_at", "-pk"),
}


def _require(actor, capability: str) -> None:
    if not actor.can(capability):
        raise PermissionDenied("您没有查看老年人档案的权限。")


def years_ago(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def active_category_q(category: str, day: date) -> Q:
    """Members of ``category`` on ``day``; 高龄 is the birth date, not a membership."""
    if category == Category.ADVANCED_AGE:
        return Q(birth_date__lte=years_ago(day, ADVANCED_AGE_YEARS))
    members = CategoryMembership.objects.filter(category=category, valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )
    return Q(pk__in=members.values("elder_id"))


@dataclass
class ElderFilters:
    q: str = ""
    region: str = ""
    age_band: str = ""
    gender: str = ""
    category: str = ""
    living_situation: str = ""
    status: str = Status.ACTIVE
    sort: str = "region"


def elders_in_scope(*, actor) -> QuerySet[Elder]:
    _require(actor, Cap.ELDERS_VIEW)
    return actor.scope.apply(Elder.objects.all())


def elder_list(*, actor, filters: ElderFilters, today: date | None = None) -> QuerySet[Elder]:
    """The filtered list, ready for paging: a constant number of queries whatever the page size."""
    _require(actor, Cap.ELDERS_VIEW)
    today = today or timezone.localdate()
    scope = scope_narrowed(scope=actor.scope, code=filters.region)
    elders = scope.apply(Elder.objects.all())
    if filters.status == "all":
        elders = elders.exclude(status=Status.MERGED)
    elif filters.status:
        elders = elders.filter(status=filters.status)
    text = filters.q.strip()
    if text:
        elders = elders.filter(search_q(text))
    if filters.age_band in AGE_BANDS:
        low, high = AGE_BANDS[filters.age_band]
        elders = elders.filter(
            birth_date__lte=years_ago(today, low), birth_date__gt=years_ago(today, high + 1)
        )
    if filters.gender:
        elders = elders.filter(gender=filters.gender)
    if filters.living_situation:
        elders = elders.filter(living_situation=filters.living_situation)
    if filters.category in Category.values:
        elders = elders.filter(active_category_q(filters.category, today))
    order = SORTS.get(filters.sort, SORTS["region"])
    today_memberships = CategoryMembership.objects.filter(valid_from__lte=today).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today)
    )
    # The villages come in a second query rather than a join: with a text search the planner
    # misjudges how many rows match and a join plan can turn a 150 ms scan into seconds.
    return (
        elders.prefetch_related("region")
        .prefetch_related(Prefetch("categories", queryset=today_memberships, to_attr="current_categories"))
        .order_by(*order)
    )


def search_q(text: str) -> Q:
    """Exact ID number, exact phone (own or a contact's), pinyin initials or full pinyin, or a name fragment."""
    compact = re.sub(r"[\s\-]", "", text)
    if re.fullmatch(r"\d{17}[\dXx]|\d{15}", compact):
        try:
            return Q(id_number_index=privacy.id_index(parse_id(compact).value))
        except IdNumberError:
            return Q(pk__in=[])
    if re.fullmatch(r"[\d+()（）\-\s]{7,20}", text):
        try:
            index = privacy.phone_index(parse_phone(text))
        except PhoneError:
            return Q(pk__in=[])
        contacts = ElderContact.objects.filter(phone_index=index).values("elder_id")
        return Q(phone_index=index) | Q(phone_alt_index=index) | Q(pk__in=contacts)
    if re.fullmatch(r"[A-Za-z]+", text):
        # "starts with" written as a range ('zgl' <= x < 'zgl{'; '{' follows 'z'): an index range
        # under any collation, where LIKE 'zgl%' needs the C collation or a pattern index.
        lowered = text.lower()
        return Q(name_initials__gte=lowered, name_initials__lt=lowered + "{") | Q(
            name_pinyin__gte=lowered, name_pinyin__lt=lowered + "{"
        )
    if connection.vendor == "postgresql":
        # The grams index finds the candidates; LIKE keeps only true substrings.
        return Q(name_grams__grams=text, name__contains=text)
    return Q(name__contains=text)


def elder_get(*, actor, pk: int) -> Elder:
    _require(actor, Cap.ELDERS_VIEW)
    elder = (
        actor.scope.apply(Elder.objects.select_related("region", "hukou_region", "merged_into", "created_by"))
        .filter(pk=pk)
        .first()
    )
    if elder is None:
        raise Http404("老年人档案不存在")
    return elder


def elder_timeline(*, elder: Elder) -> QuerySet[ElderEvent]:
    """The history of this record and of every record merged into it."""
    merged = Elder.objects.filter(merged_into=elder).values_list("pk", flat=True)
    return (
        ElderEvent.objects.filter(Q(elder=elder) | Q(elder__in=list(merged)))
        .select_related("actor")
        .order_by("-at", "-pk")
    )


def elder_categories(*, elder: Elder) -> QuerySet[CategoryMembership]:
    return elder.categories.order_by("category", "-valid_from")


def current_categories(*, elder: Elder, day: date | None = None) -> list[str]:
    """Category labels in force on ``day``, 高龄 included."""
    day = day or timezone.localdate()
    labels = [m.get_category_display() for m in elder.categories.all() if m.active_on(day)]
    if elder.age_on(day) >= ADVANCED_AGE_YEARS:
        labels.append(Category.ADVANCED_AGE.label)
    return sorted(set(labels))


def duplicate_list(*, actor, state: str = DuplicateFlag.State.OPEN) -> QuerySet[DuplicateFlag]:
    _require(actor, Cap.ELDERS_VIEW)
    flags = actor.scope.apply(DuplicateFlag.objects.select_related("elder__region", "other__region"))
    # Both records must be visible: a pair across a county line is the city's to resolve.
    flags = flags.filter(actor.scope.q("elder__region__code") & actor.scope.q("other__region__code"))
    return flags.filter(state=state).order_by("-created_at") if state else flags.order_by("-created_at")


def duplicate_get(*, actor, pk: int) -> DuplicateFlag:
    flag = duplicate_list(actor=actor, state="").filter(pk=pk).first()
    if flag is None:
        raise Http404("记录不存在")
    return flag


def move_log(*, actor) -> QuerySet[ElderEvent]:
    """Moves into and out of the actor's region: the old region keeps seeing who left, and where to."""
    _require(actor, Cap.ELDERS_VIEW)
    return (
        actor.scope.apply(ElderEvent.objects.filter(kind__in=["moved_in", "moved_out"]), "region_code")
        .select_related("actor")
        .order_by("-at")
    )


def registry_counts(*, actor, today: date | None = None, region_code: str = "") -> dict[str, int]:
    today = today or timezone.localdate()
    _require(actor, Cap.ELDERS_VIEW)
    scope = scope_narrowed(scope=actor.scope, code=region_code)
    active = scope.apply(Elder.objects.all()).filter(status=Status.ACTIVE)
    totals = active.aggregate(
        total=Count("pk"),
        advanced=Count("pk", filter=Q(birth_date__lte=years_ago(today, ADVANCED_AGE_YEARS))),
    )
    by_category = dict(
        CategoryMembership.objects.filter(elder__in=active.values("pk"), valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .values_list("category")
        .annotate(n=Count("elder_id", distinct=True))
    )
    return {"total": totals["total"], Category.ADVANCED_AGE: totals["advanced"], **by_category}
