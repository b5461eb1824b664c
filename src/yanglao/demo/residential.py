"""Demo meals and day care for 开鲁县 (150523): a week of menus and meal orders at the two largest canteens (half the diners holding the
meal subsidy), and
day-care enrolments, attendance and respite stays at two centres (the county centre, which the demo
operator login runs, and a township centre).

Everything goes through the residential services (prices, the meal subsidy split, capacity, the
elder's history), so the rows are exactly what the console would write. Reproducible from the
seed; a second run changes nothing (a canteen that already has menus in the week is left alone).
"""

import random
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from yanglao.benefits.models import EntitlementGrant
from yanglao.elders.models import Elder
from yanglao.facilities.models import Facility, FacilityStatus, FacilityType
from yanglao.residential import services
from yanglao.residential.models import Enrolment, Menu

COUNTY = "150523"
DISHES = {
    "breakfast": ["小米粥、鸡蛋、馒头", "豆浆、油条、咸菜", "奶茶、炒米、奶豆腐", "玉米粥、包子"],
    "lunch": [
        "米饭、土豆炖牛肉、炒白菜",
        "手把肉、莜面、凉拌黄瓜",
        "饺子（猪肉白菜）、小菜",
        "米饭、红烧鱼、西红柿炒蛋",
        "荞面饸饹、炖排骨",
        "米饭、酸菜炖粉条、木耳炒肉",
    ],
    "dinner": ["面条、青菜", "小米饭、炖豆腐", "馄饨、花卷", "粥、葱油饼、拌菜"],
}
PRICES = {"breakfast": 500, "lunch": 1200, "dinner": 1000}  # fen; delivery adds 3 yuan


def _operating(queryset):
    return queryset.filter(region__code__startswith=COUNTY, status=FacilityStatus.OPERATING).order_by("pk")


def _elders(rng: random.Random, town: str, count: int) -> list[Elder]:
    """``count`` active elders of the township, half of them (where there are) holding the meal subsidy."""
    active = Elder.objects.filter(region__code__startswith=town, status="active")
    granted = set(
        EntitlementGrant.objects.filter(
            valid_to__isnull=True, rule__benefit="meal_subsidy", elder__in=active
        ).values_list("elder_id", flat=True)
    )
    others = [pk for pk in active.order_by("pk").values_list("pk", flat=True) if pk not in granted]
    chosen = rng.sample(sorted(granted), min(count // 2, len(granted)))
    chosen += rng.sample(others, min(count - len(chosen), len(others)))
    return list(Elder.objects.filter(pk__in=chosen).order_by("pk"))


def _canteens(rng: random.Random, days: list) -> int:
    orders = 0
    for canteen in _operating(Facility.objects.filter(type=FacilityType.CANTEEN)).order_by(
        "-meal_capacity", "pk"
    )[:2]:
        if Menu.objects.filter(facility=canteen, date__in=days).exists():
            continue
        elders = _elders(rng, canteen.region_id[:9], 25)
        for day in days:
            for meal in ("breakfast", "lunch", "dinner"):
                services.menu_create(actor=None, facility=canteen, on=day, meal=meal, dishes=rng.choice(DISHES[meal]),
                                     price_fen=PRICES[meal], delivery_fee_fen=300)  # fmt: skip
            for elder in elders:
                for meal, chance in (("lunch", 0.8), ("dinner", 0.35), ("breakfast", 0.15)):
                    if rng.random() >= chance:
                        continue
                    kind = "delivery" if elder.pk % 4 == 0 else "dine_in"
                    try:
                        services.meal_order_create(actor=None, facility=canteen, elder=elder, on=day, meal=meal,
                                                   kind=kind, quantity=1)  # fmt: skip
                        orders += 1
                    except ValidationError:  # over capacity: the canteen is full that day
                        break
    return orders


def _daycare(rng: random.Random, days: list) -> int:
    centres = [
        *_operating(Facility.objects.filter(type=FacilityType.COUNTY_CENTRE))[:1],
        *_operating(Facility.objects.filter(type=FacilityType.TOWNSHIP_CENTRE))[:1],
    ]
    enrolled = 0
    today = timezone.localdate()
    for centre in centres:
        if Enrolment.objects.filter(facility=centre).exists():
            continue
        elders = _elders(rng, centre.region_id[:9], 14)
        for elder in elders:
            services.enrol(actor=None, facility=centre, elder=elder, start_date=days[0] - timedelta(days=60))
            enrolled += 1
        for day in days:
            if day > today or day.weekday() >= 5:
                continue
            for elder in elders:
                if rng.random() < 0.2:
                    continue
                arrive = timezone.make_aware(datetime.combine(day, time(8, rng.randint(0, 45))))
                services.check_in(actor=None, facility=centre, elder=elder, at=arrive)
                if day < today:
                    leave = timezone.make_aware(datetime.combine(day, time(16, rng.randint(0, 59))))
                    services.check_out(actor=None, facility=centre, elder=elder, at=leave)
        for elder in elders[:3]:
            start = today - timedelta(days=rng.randint(3, 40))
            try:  # an elder enrolled at both centres may already have a stay then
                services.respite_create(actor=None, facility=centre, elder=elder, start_date=start,
                                        end_date=start + timedelta(days=rng.randint(2, 7)), note="家属外出")  # fmt: skip
            except ValidationError:
                continue
    return enrolled


@transaction.atomic
def seed_residential(*, seed: int) -> tuple[int, int]:
    """(meal orders, day-care enrolments) made; (0, 0) on a second run."""
    rng = random.Random(seed * 7 + 3)
    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in range(5, -2, -1)]  # five days back to tomorrow
    return _canteens(rng, days), _daycare(rng, days)
