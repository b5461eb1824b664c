"""Rows for the settlement and dispatch tests: reviewed (or accepted) work orders written directly,
as the order services would have left them, entitlement grants and prices. Providers, caregivers
and certificates come from ``tests.care.factories`` (through care's services)."""

import itertools
from datetime import date, time

from yanglao.benefits.models import EntitlementGrant, EntitlementRule
from yanglao.care.models import (
    AnomalyDecision,
    OrderState,
    ServicePrice,
    ServiceProduct,
    WorkOrder,
)
from yanglao.regions.models import Region

MONTH = date(2026, 9, 1)  # a month that is over (the tests' "today" is later)
CLEAN = "01.03.02"  # 助洁 · hour · 3500 fen in 通辽 · no certificate
BATH = "01.03.01"  # 助浴 · visit · 60 min · 6000 fen · certificate
HAIRCUT = "01.03.04"  # 理发 · visit · 30 min · 2000 fen
LUNCH = "02.01.01"  # 午餐堂食 · meal · 1200 fen
DELIVERY = "02.02.01"  # 送餐上门 · meal · 1500 fen
CHECKUP = "04.01.01"  # 健康评估与体检 · visit · 5000 fen (not a home-care item)

_numbers = itertools.count(1)


def product(code: str) -> ServiceProduct:
    return ServiceProduct.objects.select_related("item").get(code=code)


def make_order(
    provider,
    elder,
    code: str = CLEAN,
    day: date = date(2026, 9, 10),
    *,
    state: str = OrderState.REVIEWED,
    quantity: int = 1,
    decision: str = AnomalyDecision.NONE,
    reason: str = "",
    anomalies=(),
    window: tuple[time, time] | None = None,
    caregiver=None,
    region_code: str | None = None,
) -> WorkOrder:
    return WorkOrder.objects.create(
        number=f"GD{next(_numbers):010d}",
        elder=elder,
        provider=provider,
        product=product(code),
        region_code=region_code or elder.region_id,
        scheduled_date=day,
        quantity=quantity,
        state=state,
        caregiver=caregiver,
        anomalies=list(anomalies) or (["far_check_in"] if decision else []),
        anomaly_decision=decision,
        anomaly_reason=reason,
        window_start=window[0] if window else None,
        window_end=window[1] if window else None,
    )


def grant(elder, benefit_code: str, valid_from: date = date(2026, 1, 1), valid_to: date | None = None):
    """A grant of the default rule ``home-service-1h`` (60 min/day) or ``meal-subsidy`` (10000 fen/month)."""
    rule = EntitlementRule.objects.get(code=benefit_code)
    return EntitlementGrant.objects.create(
        elder=elder, rule=rule, region_code=elder.region_id, valid_from=valid_from, valid_to=valid_to
    )


def price(code: str, prefix: str, fen: int, valid_from: date, valid_to: date | None = None, provider=None):
    region = Region.objects.get(code=prefix.ljust(12, "0"))
    return ServicePrice.objects.create(
        product=product(code),
        region=region,
        region_prefix=region.prefix,
        provider=provider,
        valid_from=valid_from,
        valid_to=valid_to,
        price_fen=fen,
    )
