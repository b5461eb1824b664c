"""Reading the region tree as a user may see it.

A user sees its own subtree and, above it, only the path up to the province: a 开鲁县 officer
finds 通辽市 when it walks up, but not 科尔沁区 when it lists 通辽市's children.
"""

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404

from yanglao.regions.codes import RegionCodeError, canonical
from yanglao.regions.models import Region
from yanglao.regions.scope import Scope


def _ancestor_prefixes(prefix: str) -> list[str]:
    return [prefix[:n] for n in (2, 4, 6, 9, 12) if n <= len(prefix)]


def region_visible_q(scope: Scope) -> Q:
    if scope.is_empty:
        return Q(pk__in=[])
    return scope.q("code") | Q(prefix__in=_ancestor_prefixes(scope.prefix))


def region_list(*, scope: Scope) -> QuerySet[Region]:
    return Region.objects.filter(region_visible_q(scope))


def region_get(*, scope: Scope, code: str) -> Region:
    try:
        full = canonical(code)
    except RegionCodeError:
        raise Http404("区划不存在") from None
    region = region_list(scope=scope).filter(code=full).first()
    if region is None:
        raise Http404("区划不存在")
    return region


def region_children(*, scope: Scope, region: Region) -> QuerySet[Region]:
    return region_list(scope=scope).filter(parent=region).order_by("code")


def region_path(region: Region) -> list[Region]:
    """From the province down to ``region`` itself, in one query."""
    prefixes = _ancestor_prefixes(region.prefix)
    by_prefix = {r.prefix: r for r in Region.objects.filter(prefix__in=prefixes)}
    return [by_prefix[p] for p in prefixes if p in by_prefix]


def region_root(*, scope: Scope) -> Region | None:
    """The region the scope is anchored at (the top of what the user may pick)."""
    return Region.objects.filter(prefix=scope.prefix).first()


def region_counts_by_level(*, scope: Scope) -> dict[str, int]:
    rows = scope.apply(Region.objects.all(), "code").values("level").annotate(n=Count("code"))
    return {row["level"]: row["n"] for row in rows}


def scope_narrowed(*, scope: Scope, code: str | None) -> Scope:
    """The scope for a list filtered to region ``code``: that subtree if it lies inside ``scope``,
    ``scope`` itself if ``code`` is above it (or empty), nothing if it lies elsewhere."""
    if not code:
        return scope
    try:
        full = canonical(code)
    except RegionCodeError:
        return Scope.nothing()
    region = Region.objects.filter(code=full).only("prefix").first()
    if region is None:
        return Scope.nothing()
    if scope.covers(Scope(prefix=region.prefix)):
        return Scope(prefix=region.prefix, facility_id=scope.facility_id)
    if Scope(prefix=region.prefix).covers(scope):
        return scope
    return Scope.nothing()


def region_children_with_counts(*, scope: Scope, region: Region) -> list[dict]:
    """Each visible child with how many townships and villages lie under it (two queries in all)."""
    children = list(region_children(scope=scope, region=region))
    if not children:
        return []
    rows = (
        scope.apply(Region.objects.filter(prefix__startswith=region.prefix), "code")
        .annotate(head=Substr("prefix", 1, len(children[0].prefix)))
        .values("head", "level")
        .annotate(n=Count("code"))
    )
    counts = {(row["head"], row["level"]): row["n"] for row in rows}
    return [
        {
            "region": child,
            "townships": counts.get((child.prefix, "township"), 0),
            "villages": counts.get((child.prefix, "village"), 0),
        }
        for child in children
    ]


def visible_counties(*, scope: Scope, region: Region) -> QuerySet[Region]:
    """The counties at or under ``region`` that the user may see, each with its 盟市 loaded.

    Visibility is ``region_list``'s: a county inside the scope, or the one the scope lies in (a
    township officer sees its own county, as it does when it walks up the tree)."""
    within = Scope(prefix=region.prefix)
    return (
        within.apply(region_list(scope=scope), "code")
        .filter(level=Region.Level.COUNTY)
        .select_related("parent")
        .order_by("code")
    )
