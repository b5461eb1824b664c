"""Entitlements computed from a person's record, and their history kept as grants."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from yanglao.benefits.models import EntitlementGrant, EntitlementRule
from yanglao.benefits.rules import Facts, applies, rule_in_force
from yanglao.elders import services as elder_services
from yanglao.elders.models import ADVANCED_AGE_YEARS, Category, Elder, Status


def facts_for(elder: Elder, day: date) -> Facts:
    categories = {m.category for m in elder.categories.all() if m.active_on(day)}
    age = elder.age_on(day)
    if age >= ADVANCED_AGE_YEARS:
        categories.add(Category.ADVANCED_AGE.value)
    level = (
        elder.capability_level
        if elder.capability_assessed_on is None or elder.capability_assessed_on <= day
        else None
    )
    return Facts(
        day=day,
        age=age,
        categories=frozenset(categories),
        level=level,
        region_code=elder.region_id,
        living_situation=elder.living_situation,
        active=elder.status == Status.ACTIVE,
    )


@dataclass(frozen=True)
class Entitlement:
    rule: EntitlementRule
    reason: str  # why this rule grants it, in words


def explain(rule: EntitlementRule, facts: Facts) -> str:
    c = rule.conditions
    parts = []
    if c.get("categories_any"):
        held = [Category(x).label for x in c["categories_any"] if x in facts.categories]
        parts.append("、".join(held))
    if c.get("categories_all"):
        parts.append("、".join(Category(x).label for x in c["categories_all"]))
    if c.get("min_age") is not None:
        parts.append(f"年满 {c['min_age']} 周岁（{facts.age} 岁）")
    if c.get("levels"):
        parts.append(f"能力等级 {elder_services.CAPABILITY_LEVEL_NAMES[facts.level]}")
    if c.get("living_situations"):
        parts.append("居住情况符合")
    return "；".join(p for p in parts if p) or "符合条件"


def rules_in_force(region_code: str, day: date) -> list[EntitlementRule]:
    return [
        r
        for r in EntitlementRule.objects.select_related("region").order_by("benefit", "code")
        if rule_in_force(r, day, region_code)
    ]


def entitlements_for(
    elder: Elder, day: date | None = None, rules: list[EntitlementRule] | None = None
) -> list[Entitlement]:
    """What the person is entitled to on ``day``, each with the rule that grants it and why."""
    day = day or timezone.localdate()
    facts = facts_for(elder, day)
    rules = rules if rules is not None else rules_in_force(elder.region_id, day)
    return [
        Entitlement(rule, explain(rule, facts))
        for rule in rules
        if rule_in_force(rule, day, elder.region_id) and applies(rule.conditions, facts)
    ]


@transaction.atomic
def entitlements_refresh(*, elder: Elder, on: date | None = None, actor=None) -> tuple[list, list]:
    """Bring the recorded grants in line with what the record says today: open new ones from ``on``,
    end lapsed ones the day before ``on``; each change is a line in the person's history."""
    today = timezone.localdate()
    on = min(on or today, today)
    elder = Elder.objects.prefetch_related("categories").get(pk=elder.pk)
    current = {e.rule.pk: e for e in entitlements_for(elder, today)}
    open_grants, elsewhere = {}, []
    for grant in EntitlementGrant.objects.filter(elder=elder, valid_to__isnull=True).select_related("rule"):
        # A grant belongs to the region the person lived in (its scope): after a move it ends there
        # and, if still due, a new one opens in the new region.
        if grant.region_code == elder.region_id:
            open_grants[grant.rule_id] = grant
        else:
            elsewhere.append(grant)
    opened, closed = [], []
    for grant in elsewhere:
        grant.valid_to = max(on - timedelta(days=1), grant.valid_from)
        grant.save(update_fields=["valid_to"])
        closed.append(grant)
    for rule_id, entitlement in current.items():
        if rule_id not in open_grants:
            opened.append(
                EntitlementGrant.objects.create(
                    elder=elder, rule=entitlement.rule, region_code=elder.region_id, valid_from=on
                )
            )
    for rule_id, grant in open_grants.items():
        if rule_id not in current:
            grant.valid_to = max(on - timedelta(days=1), grant.valid_from)
            grant.save(update_fields=["valid_to"])
            closed.append(grant)
    if opened or closed:
        words = [f"+{g.rule.name}（{g.rule.amount_text}）" for g in opened] + [
            f"-{g.rule.name}" for g in closed
        ]
        elder_services.elder_event_record(
            elder=elder,
            kind="entitlements",
            source="benefits",
            actor=actor,
            summary=f"享受待遇变化（自 {on}）：{'；'.join(words)}",
            data={"opened": [g.rule.code for g in opened], "closed": [g.rule.code for g in closed]},
        )
    return opened, closed
