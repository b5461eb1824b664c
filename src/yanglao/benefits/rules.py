"""Evaluating entitlement rules against a person's facts on a day: pure, no database."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Facts:
    """What the rules look at, as of one day."""

    day: date
    age: int
    categories: frozenset[str]  # active that day, 高龄 included (from the birth date)
    level: int | None  # the latest approved capability level (0–4), None if never assessed
    region_code: str
    living_situation: str
    active: bool  # 在册


def applies(conditions: dict, facts: Facts) -> bool:
    if not facts.active:
        return False
    any_of = set(conditions.get("categories_any") or [])
    if any_of and not (any_of & facts.categories):
        return False
    all_of = set(conditions.get("categories_all") or [])
    if not all_of <= facts.categories:
        return False
    if conditions.get("min_age") is not None and facts.age < int(conditions["min_age"]):
        return False
    if conditions.get("max_age") is not None and facts.age > int(conditions["max_age"]):
        return False
    levels = conditions.get("levels")
    if levels and facts.level not in levels:
        return False
    living = conditions.get("living_situations")
    return not (living and facts.living_situation not in living)


def rule_in_force(rule, day: date, region_code: str) -> bool:
    return (
        rule.valid_from <= day
        and (rule.valid_to is None or rule.valid_to >= day)
        and region_code.startswith(rule.region.prefix)
    )
