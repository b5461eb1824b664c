"""The entitlement rules the seeds set, for the whole region (内蒙古自治区), in force from 2021-01-01.
Installed by ``yanglao install_default_rules`` (``make setup`` runs it after loading the regions);
regions add their own rules, or later versions, as data."""

from datetime import date

from django.db import transaction

from yanglao.benefits.models import EntitlementRule
from yanglao.regions.models import Region

IN_FORCE_FROM = date(2021, 1, 1)

RULES = [
    {"code": "home-service-1h", "name": "特困、低保高龄老年人居家上门服务", "benefit": "home_service", "amount": 60,
     "unit": "minutes_per_day", "conditions": {"categories_any": ["destitute", "subsistence"], "min_age": 80},
     "seed": "003：分散居住“三无”老人、低保高龄等特殊经济困难老年人，政府购买服务每人每天不少于1小时",
     "note": "集中供养的特困人员由机构照护，不重复享受"},
    {"code": "meal-subsidy", "name": "助餐补贴", "benefit": "meal_subsidy", "amount": 10000, "unit": "fen_per_month",
     "conditions": {"categories_any": ["destitute", "subsistence", "near_subsistence", "advanced_age"]},
     "seed": "003：符合条件的老年人助餐补贴每人每月100元"},
    {"code": "institution-priority", "name": "失能特困人员优先入住养老机构", "benefit": "institution_priority", "amount": 0,
     "unit": "flag", "conditions": {"categories_all": ["destitute"], "levels": [3, 4]},
     "seed": "000 第二十六条；004：生活不能自理特困人员集中供养率 ≥ 60%，有意愿的 100%"},
    {"code": "family-care-bed", "name": "家庭养老床位", "benefit": "family_care_bed", "amount": 0, "unit": "flag",
     "conditions": {"categories_any": ["destitute", "subsistence", "near_subsistence", "advanced_age", "alone_empty_nest"],
                    "levels": [2, 3, 4]},
     "seed": "001 §8.1.4：有条件的地区可发展家庭照护床位"},
]  # fmt: skip


@transaction.atomic
def install_default_rules() -> int:
    """Add the default rules that are missing (idempotent); returns how many were added."""
    province = Region.objects.filter(level="province").order_by("code").first()
    if province is None:
        raise RuntimeError("先运行 yanglao load_regions 载入行政区划")
    added = 0
    for rule in RULES:
        _, created = EntitlementRule.objects.get_or_create(
            code=rule["code"], region=province, valid_from=IN_FORCE_FROM, defaults=rule
        )
        added += created
    return added
