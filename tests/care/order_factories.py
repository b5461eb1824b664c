"""Building work orders for tests through the real services: a provider covering 开鲁镇 for 居家照护,
its staff login, a certified caregiver with its own login, an elder with home coordinates."""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from tests.care.factories import add_certificate, item, make_caregiver, make_provider, provider_user
from tests.conftest import KAILU_TOWN, KAILU_VILLAGE, make_elder, make_user
from yanglao.care import orders
from yanglao.care import services as care_services
from yanglao.care.models import ServiceProduct, WorkOrder
from yanglao.regions.models import Region

HOME_LAT = Decimal("43.601000")
HOME_LNG = Decimal("121.315000")
BATH = "01.03.01"  # 助浴: per visit, 60 minutes, certificate required
CARE = "01.03.06"  # 生活照料: per hour, 60 minutes, certificate required
CLEAN = "01.03.02"  # 助洁: per hour, 60 minutes, no certificate
NURSING = "01.03.08"  # 基础护理: certificate level 2 or above


def product(code: str) -> ServiceProduct:
    return ServiceProduct.objects.select_related("item").get(code=code)


def north_of(lat: Decimal, metres: float) -> Decimal:
    """The latitude ``metres`` due north of ``lat`` (on the haversine sphere the rule uses)."""
    from yanglao.care.anomalies import EARTH_RADIUS_M

    return (lat + Decimal(str(math.degrees(metres / EARTH_RADIUS_M)))).quantize(Decimal("0.0000001"))


@dataclass
class World:
    provider: object
    staff: object  # the provider's login
    caregiver: object
    caregiver_user: object
    elder: object
    today: date


_n = iter(range(1, 10_000))


def build(
    county="150523",
    town=KAILU_TOWN,
    village=KAILU_VILLAGE,
    *,
    elder_name="王秀兰",
    skills=(BATH, CARE, CLEAN, NURSING),
    certificate_level=2,
    certificate_expires=None,
) -> World:
    n = next(_n)
    provider = make_provider(county)
    care_services.coverage_set(
        actor=None,
        provider=provider,
        items=[item("01.03"), item("06.01"), item("08.01")],
        regions=[Region.objects.get(code=town.ljust(12, "0"))],
    )
    staff = provider_user(provider, username=f"fws-{county}-{n}")
    caregiver = make_caregiver(provider, name=f"护理员{n}", home=village, skills=list(skills))
    if certificate_level is not None:
        add_certificate(caregiver, level=certificate_level, expires=certificate_expires)
    caregiver_user = make_user(f"hl-{county}-{n}", "caregiver", village)
    care_services.caregiver_link_user(actor=None, caregiver=caregiver, user=caregiver_user)
    elder = make_elder(
        village,
        name=elder_name,
        phone=f"1380000{n:04d}",
        address="开鲁镇民主社区 3 号楼",
        longitude=str(HOME_LNG),
        latitude=str(HOME_LAT),
    )
    return World(provider, staff, caregiver, caregiver_user, elder, timezone.localdate())


def officer_order(w: World, officer, *, code=CARE, day=None, quantity=1, **extra) -> WorkOrder:
    return orders.order_create(
        actor=officer,
        elder=w.elder,
        product=product(code),
        provider=w.provider,
        scheduled_date=day or w.today,
        quantity=quantity,
        **extra,
    )


def order_in(w: World, officer, state: str, *, code=CARE, at=None) -> WorkOrder:
    """An order brought to ``state`` through the real transitions."""
    order = officer_order(w, officer, code=code)
    at = at or timezone.now() - timedelta(hours=2)
    path = {
        "requested": [],
        "accepted": ["accept"],
        "refused": ["refuse"],
        "dispatched": ["accept", "dispatch"],
        "cancelled": ["cancel"],
        "checked_in": ["accept", "dispatch", "check_in"],
        "failed": ["accept", "dispatch", "fail"],
        "checked_out": ["accept", "dispatch", "check_in", "check_out"],
        "reviewed": ["accept", "dispatch", "check_in", "check_out", "review"],
        "settled": ["accept", "dispatch", "check_in", "check_out", "review", "settle"],
    }[state]
    for action in path:
        order = step(w, order, action, officer=officer, at=at)
    return order


def step(w: World, order, action: str, *, officer, at=None):
    at = at or timezone.now() - timedelta(hours=2)
    params = {
        "accept": (w.staff, {}),
        "refuse": (w.staff, {"reason": "人手不足"}),
        "dispatch": (w.staff, {"caregiver": w.caregiver}),
        "check_in": (w.caregiver_user, {"lat": HOME_LAT, "lng": HOME_LNG, "at": at}),
        "check_out": (w.caregiver_user, {"at": at + timedelta(minutes=65)}),
        "review": (officer, {"rating": 5, "channel": "phone", "comment": "满意"}),
        "cancel": (officer, {"reason": "老人住院"}),
        "fail": (w.caregiver_user, {"reason": "老人不在家"}),
        "settle": (None, {}),
    }[action]
    actor, kwargs = params
    fresh = WorkOrder.objects.select_related("elder", "provider", "product__item", "caregiver").get(
        pk=order.pk
    )
    return orders.transition(actor=actor, order=fresh, action=action, **kwargs)


def fresh(order) -> WorkOrder:
    return WorkOrder.objects.select_related("elder", "provider", "product__item", "caregiver").get(
        pk=order.pk
    )
