"""Building blocks of the residential tests: canteens, centres, entitled elders."""

from datetime import date

from tests.conftest import KAILU_TOWN, make_facility
from yanglao.benefits.models import EntitlementGrant, EntitlementRule


def make_canteen(region=KAILU_TOWN, *, name="开鲁镇老年食堂", capacity=50, served=1000, **raw):
    return make_facility(
        region, name=name, type="canteen", meal_capacity=capacity, residents_65_served=served, **raw
    )


def make_centre(region=KAILU_TOWN, *, name="开鲁镇养老服务中心", **raw):
    return make_facility(region, name=name, type="township_centre", **raw)


def grant_meal_subsidy(elder, *, valid_from=date(2020, 1, 1), valid_to=None):
    rule = EntitlementRule.objects.filter(benefit="meal_subsidy").order_by("-valid_from").first()
    assert rule.amount == 10000  # 003: 100 yuan a month
    return EntitlementGrant.objects.create(
        elder=elder, rule=rule, region_code=elder.region_id, valid_from=valid_from, valid_to=valid_to
    )
