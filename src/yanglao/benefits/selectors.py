"""Who is entitled to what in a region: the eligibility list."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.benefits.models import EntitlementGrant, EntitlementRule
from yanglao.regions.selectors import scope_narrowed


def _require(actor):
    if not actor.can(Cap.ASSESSMENTS_VIEW):
        raise PermissionDenied("您没有查看享受待遇的权限。")


@dataclass
class EligibilityFilters:
    region: str = ""
    rule: str = ""
    benefit: str = ""


def eligibility_list(*, actor, filters: EligibilityFilters) -> QuerySet[EntitlementGrant]:
    """Open grants in the scope: who holds which entitlement today (refreshed when records change
    and by the daily ``yanglao refresh_entitlements``)."""
    _require(actor)
    scope = scope_narrowed(scope=actor.scope, code=filters.region)
    grants = scope.apply(EntitlementGrant.objects.filter(valid_to__isnull=True), "region_code")
    grants = grants.filter(elder__status="active")
    if filters.rule:
        grants = grants.filter(rule__code=filters.rule)
    if filters.benefit:
        grants = grants.filter(rule__benefit=filters.benefit)
    return grants.select_related("elder__region", "rule").order_by(
        "rule__benefit", "elder__region_id", "elder__name_pinyin", "pk"
    )


def rules_visible(*, actor) -> QuerySet[EntitlementRule]:
    """The rules in force for the actor's region: those made above it (which apply to it) and
    those its own counties and townships made inside it."""
    _require(actor)
    prefixes = [actor.scope.prefix[:n] for n in (2, 4, 6, 9, 12) if n <= len(actor.scope.prefix)]
    today = timezone.localdate()
    return (
        EntitlementRule.objects.filter(Q(region__prefix__in=prefixes) | actor.scope.q("region__code"))
        .exclude(valid_to__lt=today)
        .select_related("region")
        .order_by("benefit", "code")
    )


def eligibility_counts(*, actor, filters: EligibilityFilters) -> list[dict]:
    """How many people hold each entitlement in the scope (the figures above the list)."""
    grants = eligibility_list(actor=actor, filters=EligibilityFilters(region=filters.region))
    return list(
        grants.order_by()
        .values("rule__code", "rule__name", "rule__benefit")
        .annotate(people=Count("elder_id", distinct=True))
        .order_by("rule__benefit", "rule__code")
    )


def elder_grants(*, actor, elder) -> QuerySet[EntitlementGrant]:
    """An elder's entitlement history (the elder must be one the reader may see), newest first; grants
    made while the person lived outside the reader's scope are not shown."""
    _require(actor)
    grants = actor.scope.apply(EntitlementGrant.objects.filter(elder=elder), "region_code")
    return grants.select_related("rule").order_by("-valid_from", "-pk")
