"""The demo service network of 通辽市: a county centre in each county, centres in most townships
and streets, stations in many communities and villages, mutual-aid homes, pastoral apartments,
neighbour points, about 30 institutions and the canteens — with some records that fail a policy
check on purpose, so the badges and filters have something to show. Reproducible from the seed."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from yanglao.core.creditcode import ALPHABET, make_credit_code
from yanglao.facilities.catalogue import CODES
from yanglao.facilities.models import (
    Consortium,
    ConsortiumMember,
    Facility,
    FacilityEvent,
    FacilityStatus,
    FacilityType,
    OperatingMode,
    Operator,
    OperatorKind,
)
from yanglao.regions import geo
from yanglao.regions.models import Region

COUNTIES = ["150502", "150521", "150522", "150523", "150524", "150525", "150526", "150571", "150581"]
PASTORAL_COUNTIES = {"150521", "150522", "150525", "150526"}
OPERATOR_NAMES = ["康宁养老服务有限公司", "颐和养老服务中心", "福寿居家养老服务有限公司", "安康社区服务中心", "夕阳红养老院",
                  "仁爱养老护理有限公司", "金色年华养老服务有限公司", "孝亲居家养老服务社", "乐龄健康管理有限公司", "草原情养老服务中心"]  # fmt: skip
SERVICES_BY_TYPE = {
    FacilityType.COUNTY_CENTRE: ["care.institutional", "care.short_stay", "care.home", "meal.dine_in", "medical.contract",
                                 "smart.emergency", "advice.basic", "advice.extended", "family.respite"],
    FacilityType.TOWNSHIP_CENTRE: ["care.short_stay", "care.home", "meal.dine_in", "meal.delivery", "health.management",
                                   "culture.comfort", "advice.basic"],
    FacilityType.STATION: ["care.home", "meal.dine_in", "culture.comfort", "culture.education", "health.management"],
    FacilityType.MUTUAL_AID: ["meal.dine_in", "culture.comfort", "family.time_bank"],
    FacilityType.PASTORAL: ["care.institutional", "meal.dine_in", "culture.comfort"],
    FacilityType.NEIGHBOUR: ["culture.comfort", "family.time_bank"],
    FacilityType.INSTITUTION_PUBLIC: ["care.institutional", "care.short_stay", "medical.contract"],
    FacilityType.INSTITUTION_PRIVATE: ["care.institutional", "care.short_stay", "health.wellness"],
    FacilityType.CANTEEN: ["meal.dine_in", "meal.delivery"],
}  # fmt: skip
assert all(code in CODES for codes in SERVICES_BY_TYPE.values() for code in codes)


def _is_community(region: Region) -> bool:
    return "社区" in region.name or "居委会" in region.name or region.name.endswith("生活区")


class _Builder:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.seed = seed
        self.today = timezone.localdate()
        self.facilities: list[Facility] = []
        self.points: dict[str, tuple[float, float]] = {}

    def point(self, region: Region) -> tuple[Decimal | None, Decimal | None]:
        base = self.points.get(region.code)
        if base is None:
            return None, None
        lon = base[0] + self.rng.uniform(-0.003, 0.003)
        lat = base[1] + self.rng.uniform(-0.002, 0.002)
        return Decimal(f"{lon:.6f}"), Decimal(f"{lat:.6f}")

    def add(self, region: Region, type_: str, name: str, **values) -> Facility:
        lon, lat = self.point(region)
        facility = Facility(region_id=region.code, type=type_, name=name, longitude=lon, latitude=lat,
                            status=values.pop("status", FacilityStatus.OPERATING),
                            services=self.rng.sample(SERVICES_BY_TYPE[type_], k=min(len(SERVICES_BY_TYPE[type_]), self.rng.randint(2, 5))),
                            opening_hours=self.rng.choice(["08:00-17:30", "07:30-18:00", "全天", "09:00-16:00"]),
                            contact_name=self.rng.choice("王李张刘陈杨赵黄") + self.rng.choice(["主任", "站长", "院长"]),
                            contact_phone=f"0475-{self.rng.randrange(2000000, 8999999)}",
                            filing_number=f"通民养备{self.rng.randrange(2019, 2026)}{self.rng.randrange(1, 999):03d}" if type_ in
                            (FacilityType.INSTITUTION_PUBLIC, FacilityType.INSTITUTION_PRIVATE, FacilityType.COUNTY_CENTRE) else "",
                            status_date=self.today - timedelta(days=self.rng.randrange(60, 1500)), **values)  # fmt: skip
        self.facilities.append(facility)
        return facility

    def contract(self, operator: Operator) -> dict:
        start = self.today - timedelta(days=self.rng.randrange(200, 1500))
        # about one contract in eight has run out (the check fails on purpose)
        end = (
            self.today - timedelta(days=self.rng.randrange(10, 200))
            if self.rng.random() < 0.12
            else start + timedelta(days=365 * 3)
        )
        return {
            "operator": operator,
            "operating_mode": OperatingMode.PUBLIC_PRIVATE,
            "contract_start": start,
            "contract_end": max(end, start),
        }


def _operators(rng: random.Random) -> dict[str, list[Operator]]:
    by_county: dict[str, list[Operator]] = {}
    for county in COUNTIES:
        region = Region.objects.get(code=county.ljust(12, "0"))
        made = []
        for i in range(3):
            body = "91" + county + "MA" + "".join(rng.choice(ALPHABET) for _ in range(7))
            made.append(Operator(name=f"{region.name}{OPERATOR_NAMES[(int(county) + i) % len(OPERATOR_NAMES)]}",
                                 credit_code=make_credit_code(body), kind=rng.choice([OperatorKind.ENTERPRISE, OperatorKind.SOCIAL]),
                                 region=region, contact_name=rng.choice("王李张刘") + "经理",
                                 contact_phone=f"139{rng.randrange(10**8):08d}"))  # fmt: skip
        by_county[county] = made
    Operator.objects.bulk_create([o for ops in by_county.values() for o in ops])
    return by_county


@transaction.atomic
def seed_facilities(*, seed: int) -> int:
    if Facility.objects.filter(region__code__startswith="1505").exists():
        return 0
    b = _Builder(seed)
    rng = b.rng
    for county in COUNTIES:
        try:
            b.points.update(geo.demo_locations(county, seed))
        except (geo.NoOutline, geo.OutlineDataMissing):
            continue
    operators = _operators(rng)
    regions = list(
        Region.objects.filter(code__startswith="1505", level__in=["township", "village"]).select_related(
            "parent"
        )
    )
    townships = [r for r in regions if r.level == "township"]
    villages = [r for r in regions if r.level == "village"]
    centres: dict[str, Facility] = {}
    for county in COUNTIES:
        county_region = Region.objects.get(code=county.ljust(12, "0"))
        seat = next(
            (t for t in townships if t.code.startswith(county) and ("镇" in t.name or "街道" in t.name)), None
        )
        seat = seat or next(t for t in townships if t.code.startswith(county))
        beds = rng.randrange(120, 320)
        nursing_share = rng.choice([0.85, 0.9, 0.82, 0.7])  # one in four below the 80% line
        centres[county] = b.add(seat, FacilityType.COUNTY_CENTRE, f"{county_region.name}养老服务中心",
                                floor_area=Decimal(rng.randrange(4000, 12000)), beds_total=beds, beds_nursing=int(beds * nursing_share),
                                residents=int(beds * rng.uniform(0.5, 0.85)), has_medical=rng.random() < 0.9, is_destitute_home=True,
                                operating_mode=OperatingMode.PUBLIC)  # fmt: skip
    township_centres = []
    for township in townships:
        county = township.code[:6]
        if rng.random() > 0.85:
            continue
        street = township.name.endswith("街道")
        status = rng.choices(
            [FacilityStatus.OPERATING, FacilityStatus.CONSTRUCTION, FacilityStatus.PLANNED],
            [0.85, 0.08, 0.07],
        )[0]
        area = rng.randrange(850, 1800) if street else rng.randrange(300, 1000)
        extra = (
            b.contract(rng.choice(operators[county]))
            if rng.random() < 0.35
            else {"operating_mode": OperatingMode.PUBLIC}
        )
        kind = "综合养老服务中心" if street else "区域养老服务中心"  # 街道 is already in the street's name
        township_centres.append(
            b.add(
                township,
                FacilityType.TOWNSHIP_CENTRE,
                f"{township.name}{kind}",
                floor_area=Decimal(area),
                beds_total=rng.randrange(10, 60),
                beds_nursing=rng.randrange(4, 10),
                status=status,
                **extra,
            )
        )
    for village in villages:
        county = village.code[:6]
        roll = rng.random()
        if _is_community(village):
            if roll < 0.7:
                households = rng.randrange(600, 3200)
                area = rng.choice(
                    [rng.randrange(360, 700), rng.randrange(250, 350)]
                    if rng.random() < 0.2
                    else [rng.randrange(360, 800)]
                )
                extra = (
                    b.contract(rng.choice(operators[county]))
                    if rng.random() < 0.4
                    else {"operating_mode": OperatingMode.PUBLIC}
                )
                b.add(
                    village,
                    FacilityType.STATION,
                    f"{village.name.removesuffix('居委会')}养老服务站",
                    floor_area=Decimal(area),
                    households_served=households,
                    **extra,
                )
            if roll > 0.93:
                residents_65 = rng.randrange(400, 2500)
                b.add(village, FacilityType.CANTEEN, f"{village.name.removesuffix('居委会')}老年食堂", residents_65_served=residents_65,
                      meal_capacity=int(residents_65 * rng.choice([0.06, 0.08, 0.04])), operating_mode=OperatingMode.PURCHASED,
                      operator=rng.choice(operators[county]))  # fmt: skip
        else:
            if roll < 0.28:
                b.add(
                    village,
                    FacilityType.STATION,
                    f"{village.name.removesuffix('村委会')}养老服务站",
                    floor_area=Decimal(rng.choice([rng.randrange(200, 400)] * 5 + [rng.randrange(120, 200)])),
                )
            elif roll < 0.52:
                natural = rng.random() < 0.2
                b.add(
                    village,
                    FacilityType.MUTUAL_AID,
                    f"{village.name.removesuffix('村委会')}互助幸福院",
                    floor_area=Decimal(rng.randrange(140 if natural else 180, 420)),
                    natural_village=natural,
                    beds_total=rng.randrange(0, 12) or None,
                    operating_mode=OperatingMode.PUBLIC,
                )
            elif roll < 0.56 and county in PASTORAL_COUNTIES and "嘎查" in village.name:
                b.add(
                    village,
                    FacilityType.PASTORAL,
                    f"{village.name.removesuffix('委员会')}牧区养老公寓",
                    floor_area=Decimal(rng.randrange(300, 900)),
                    beds_total=rng.randrange(12, 40),
                    beds_nursing=rng.randrange(0, 6),
                )
            elif roll < 0.6:
                b.add(village, FacilityType.NEIGHBOUR, f"{village.name.removesuffix('村委会')}邻里互助点")
    institution_sites = rng.sample(townships, k=30)
    for i, township in enumerate(institution_sites):
        county = township.code[:6]
        public = i % 3 == 0
        beds = rng.choice([rng.randrange(30, 99), rng.randrange(100, 260)])
        destitute = public and rng.random() < 0.7
        residents = int(beds * rng.uniform(0.4, 0.9))
        b.add(township, FacilityType.INSTITUTION_PUBLIC if public else FacilityType.INSTITUTION_PRIVATE,
              f"{township.name}{'敬老院' if public else rng.choice(['颐养院', '养老院', '护理院', '老年公寓'])}",
              floor_area=Decimal(rng.randrange(1200, 9000)), beds_total=beds, beds_nursing=int(beds * rng.uniform(0.3, 0.85)),
              residents=residents, is_destitute_home=destitute, has_medical=rng.random() < (0.75 if beds >= 100 else 0.3),
              **({"operating_mode": OperatingMode.PUBLIC} if public else {"operating_mode": OperatingMode.PRIVATE,
                                                                          "operator": rng.choice(operators[county])}))  # fmt: skip
    for township in townships:
        if township.name.endswith("街道") and rng.random() < 0.8:
            residents_65 = rng.randrange(1500, 6000)
            b.add(
                township,
                FacilityType.CANTEEN,
                f"{township.name}长者食堂",
                residents_65_served=residents_65,
                meal_capacity=int(residents_65 * rng.choice([0.05, 0.07, 0.03])),
                operating_mode=OperatingMode.PURCHASED,
                operator=rng.choice(operators[township.code[:6]]),
            )
    Facility.objects.bulk_create(b.facilities, batch_size=1000)
    FacilityEvent.objects.bulk_create(
        [
            FacilityEvent(
                facility=f, kind="created", summary=f"建档：{f.name}（演示数据）", at=timezone.now()
            )
            for f in b.facilities
        ],
        batch_size=2000,
    )
    for county, centre in centres.items():
        established = date(2024, rng.randrange(1, 13), 1)
        consortium = Consortium.objects.create(
            name=f"{centre.name.removesuffix('养老服务中心')}养老服务联合体",
            lead=centre,
            region_id=county.ljust(12, "0"),
            established=established,
        )
        members = [
            centre,
            *[
                t
                for t in township_centres
                if t.region_id.startswith(county) and t.status == FacilityStatus.OPERATING
            ],
        ]
        ConsortiumMember.objects.bulk_create(
            [ConsortiumMember(consortium=consortium, facility=f, joined=established) for f in members]
        )
    return len(b.facilities)
