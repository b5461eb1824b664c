"""Demo elders for the nine counties of 通辽市: plausible, reproducible, and realistically mixed.

Han and Mongolian names (Tongliao is about half Mongolian), ID numbers that carry the county and the
birth date, ages 60–96 with about 15% aged 80+, and category shares close to what counties report:
特困 2%, 低保 8%, 失能/半失能 10%, 独居/空巢 25%. A few deliberate near-duplicates (same person,
mistyped ID) give the duplicate review something to find.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from yanglao.core.idnumber import make as make_id
from yanglao.core.idnumber import parse as parse_id
from yanglao.elders import privacy
from yanglao.elders.models import (
    Category,
    CategoryMembership,
    DuplicateFlag,
    Elder,
    ElderContact,
    ElderEvent,
    LivingSituation,
    MaritalStatus,
)
from yanglao.elders.services import apply_input
from yanglao.elders.validation import CategoryInput, ContactInput, ElderInput
from yanglao.regions import geo
from yanglao.regions.models import Region

# Share of the city's older people by county (rough, from population sizes).
COUNTY_WEIGHTS = {
    "150502": 0.22, "150521": 0.16, "150522": 0.11, "150523": 0.11, "150524": 0.06,
    "150525": 0.13, "150526": 0.09, "150571": 0.04, "150581": 0.08,
}  # fmt: skip
MONGOLIAN_SHARE = {"150502": 0.35, "150521": 0.7, "150522": 0.65, "150523": 0.12, "150524": 0.55,
                   "150525": 0.4, "150526": 0.5, "150571": 0.2, "150581": 0.3}  # fmt: skip

HAN_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段钱汤尹易常武乔贺赖龚文"
HAN_MALE = [
    "建国",
    "国华",
    "志刚",
    "德福",
    "长林",
    "玉山",
    "文明",
    "树林",
    "金山",
    "振国",
    "宝林",
    "殿臣",
    "永祥",
    "凤山",
    "广才",
    "德胜",
    "庆和",
    "福山",
    "万良",
    "海",
    "军",
    "忠",
    "明",
    "贵",
    "春生",
    "连生",
    "桂林",
    "兴旺",
    "铁柱",
    "占山",
]
HAN_FEMALE = [
    "桂兰",
    "秀英",
    "淑珍",
    "玉兰",
    "凤英",
    "秀兰",
    "玉珍",
    "淑兰",
    "桂芝",
    "秀珍",
    "凤兰",
    "桂荣",
    "玉芝",
    "秀云",
    "淑芬",
    "桂珍",
    "玉霞",
    "凤琴",
    "素梅",
    "金凤",
    "翠花",
    "秀芳",
    "丽华",
    "桂香",
    "玉梅",
    "春兰",
    "淑琴",
    "淑华",
]
MONGOL_PREFIX = ["包", "白", "吴", "韩", "陈", "宝", "金", "鲍", "海", "梁", "", "", "", ""]
MONGOL_MALE = [
    "巴特尔",
    "乌力吉",
    "额尔敦",
    "宝音",
    "朝鲁",
    "那顺",
    "孟和",
    "阿拉坦",
    "特木尔",
    "巴雅尔",
    "敖其尔",
    "达来",
    "吉日嘎拉",
    "额尔德尼",
    "布和",
    "满都拉",
    "格日勒图",
    "苏和",
    "哈斯",
    "毕力格",
    "图门",
    "巴图",
]
MONGOL_FEMALE = [
    "其其格",
    "萨仁高娃",
    "乌云其木格",
    "斯琴高娃",
    "娜仁花",
    "托娅",
    "图雅",
    "萨日娜",
    "高娃",
    "塔娜",
    "乌兰",
    "格日乐",
    "琪琪格",
    "阿拉坦其其格",
    "萨仁",
    "苏布达",
    "斯琴",
    "其木格",
]
RELATIONS = ["儿子", "女儿", "儿媳", "女婿", "孙子", "侄子", "老伴", "外甥"]
STREETS = ["幸福街", "胜利路", "建国路", "和平街", "团结路", "民主街", "新华街", "红星路", "光明街", "兴安路"]


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _birth_date(rng: random.Random, today: date) -> date:
    # Ages 60–96, thinning with age: P(80+) ≈ 15%.
    while True:
        age = 60 + rng.expovariate(1 / 10.5)
        if age < 96.9:
            break
    born = today - timedelta(days=int(age * 365.25) + rng.randrange(0, 200))
    return max(min(born, date(1966, 12, 31)), date(1930, 1, 1))


def _name(rng: random.Random, gender: str, mongolian: bool) -> str:
    if mongolian:
        given = rng.choice(MONGOL_MALE if gender == "M" else MONGOL_FEMALE)
        return rng.choice(MONGOL_PREFIX) + given if len(given) < 4 else given
    return rng.choice(HAN_SURNAMES) + rng.choice(HAN_MALE if gender == "M" else HAN_FEMALE)


def _mobile(rng: random.Random) -> str:
    return (
        rng.choice(
            [
                "139",
                "138",
                "135",
                "137",
                "150",
                "151",
                "152",
                "158",
                "159",
                "182",
                "187",
                "133",
                "153",
                "180",
                "189",
            ]
        )
        + f"{rng.randrange(10**8):08d}"
    )


def _villages_by_county() -> dict[str, list[Region]]:
    villages: dict[str, list[Region]] = {code: [] for code in COUNTY_WEIGHTS}
    for village in Region.objects.filter(level="village", code__startswith="1505").order_by("code"):
        county = village.code[:6]
        if county in villages:
            villages[county].append(village)
    return villages


def _locations(seed: int) -> dict[str, tuple[float, float]]:
    """Village locations inside their county outline. A county without an outline (the development
    zone 150571) and a checkout without `make vendor` simply get no coordinates."""
    points: dict[str, tuple[float, float]] = {}
    for county in COUNTY_WEIGHTS:
        try:
            points.update(geo.demo_locations(county, seed))
        except geo.NoOutline:
            continue
        except geo.OutlineDataMissing:
            return {}
    return points


def build_inputs(*, count: int, seed: int, today: date) -> list[tuple[ElderInput, dict]]:
    rng = random.Random(seed)
    villages = _villages_by_county()
    used: set[str] = set()
    rows: list[tuple[ElderInput, dict]] = []
    for _ in range(count):
        county = _weighted(rng, COUNTY_WEIGHTS)
        village = rng.choice(villages[county])
        gender = "M" if rng.random() < 0.46 else "F"  # women outlive men
        mongolian = rng.random() < MONGOLIAN_SHARE[county]
        born = _birth_date(rng, today)
        while True:
            value = make_id(county, born, rng.randrange(1000), gender)
            if value not in used:
                used.add(value)
                break
        age = today.year - born.year
        roll = rng.random()
        living = (
            LivingSituation.ALONE
            if roll < 0.12
            else LivingSituation.EMPTY_NEST
            if roll < 0.25
            else LivingSituation.WITH_SPOUSE
            if roll < 0.6
            else LivingSituation.WITH_CHILDREN
            if roll < 0.95
            else LivingSituation.OTHER
        )
        marital = (
            MaritalStatus.WIDOWED
            if living == LivingSituation.ALONE or (age > 80 and rng.random() < 0.6)
            else MaritalStatus.MARRIED
        )
        categories = []
        roll = rng.random()
        if roll < 0.02:
            categories.append(CategoryInput(Category.DESTITUTE))
        elif roll < 0.10:
            categories.append(CategoryInput(Category.SUBSISTENCE))
        elif roll < 0.13:
            categories.append(CategoryInput(Category.NEAR_SUBSISTENCE))
        if rng.random() < 0.05:
            categories.append(CategoryInput(Category.DISABILITY, grade=rng.choice("1234")))
        if rng.random() < 0.02:
            categories.append(CategoryInput(Category.ENTITLED_CARE))
        if rng.random() < 0.01:
            categories.append(CategoryInput(Category.FAMILY_PLANNING))
        care_roll = rng.random() * (1.6 if age >= 80 else 0.8)
        care = (
            Category.DISABLED_CARE
            if care_roll < 0.04
            else Category.SEMI_DISABLED
            if care_roll < 0.10
            else None
        )
        contacts = []
        if rng.random() < 0.85:
            surname = _name(rng, "M", mongolian)[0]
            contacts.append(
                ContactInput(
                    "emergency",
                    surname + rng.choice(HAN_MALE + HAN_FEMALE),
                    rng.choice(RELATIONS),
                    _mobile(rng),
                )
            )
        if categories and categories[0].category == Category.DESTITUTE:
            contacts = [
                ContactInput(
                    "guardian", rng.choice(HAN_SURNAMES) + rng.choice(HAN_MALE), "村委会", _mobile(rng)
                )
            ]
        data = ElderInput(
            name=_name(rng, gender, mongolian),
            id_number=parse_id(value),
            gender=gender,
            birth_date=born,
            ethnicity="02"
            if mongolian
            else ("03" if rng.random() < 0.01 else "11" if rng.random() < 0.03 else "01"),
            phone=_mobile(rng) if rng.random() < 0.8 else "",
            phone_alt=f"0475-{rng.randrange(8000000, 8999999)}" if rng.random() < 0.1 else "",
            address=f"{village.name}{rng.choice(STREETS) if village.name.endswith('社区') else ''}{rng.randrange(1, 120)}号",
            region=village,
            hukou_region=village if rng.random() < 0.9 else None,
            longitude=None,
            latitude=None,
            living_situation=living,
            marital_status=marital,
            contacts=contacts,
            categories=categories,
        )
        extra = {
            "care": care,
            "since": today - timedelta(days=rng.randrange(30, 1500)),
            "jitter": (rng.uniform(-0.004, 0.004), rng.uniform(-0.003, 0.003)),
            "with_point": rng.random() < 0.6,
        }
        rows.append((data, extra))
    # Near-duplicates: the same person entered twice, the second time with a mistyped ID.
    for data, extra in rng.sample(rows, k=min(8, len(rows))):
        while True:
            value = make_id(data.id_number.region_code, data.birth_date, rng.randrange(1000), data.gender)
            if value not in used:
                used.add(value)
                break
        twin = ElderInput(**{**data.__dict__, "id_number": parse_id(value), "contacts": [], "categories": []})
        rows.append((twin, {**extra, "care": None, "with_point": False}))
    return rows


@transaction.atomic
def seed_elders(*, count: int, seed: int) -> int:
    """Create the demo elders unless Tongliao already has some (a second run changes nothing)."""
    if Elder.objects.filter(region__code__startswith="1505").exists():
        return 0
    today = timezone.localdate()
    rows = build_inputs(count=count, seed=seed, today=today)
    points = _locations(seed)
    elders = []
    for data, extra in rows:
        elder = Elder()
        apply_input(elder, data)
        point = points.get(data.region.code)
        if point and extra["with_point"]:
            elder.longitude = Decimal(str(round(point[0] + extra["jitter"][0], 6)))
            elder.latitude = Decimal(str(round(point[1] + extra["jitter"][1], 6)))
        elder.created_at = elder.updated_at = timezone.make_aware(datetime.combine(extra["since"], time(9)))
        elders.append(elder)
    Elder.objects.bulk_create(elders, batch_size=2000)
    contacts, memberships, events = [], [], []
    for elder, (data, extra) in zip(elders, rows, strict=True):
        since = extra["since"]
        for i, c in enumerate(data.contacts):
            sealed = privacy.seal_phone(c.phone)
            contacts.append(
                ElderContact(
                    elder=elder,
                    kind=c.kind,
                    name=c.name,
                    relation=c.relation,
                    position=i,
                    phone_enc=sealed.enc,
                    phone_index=sealed.index,
                    phone_masked=sealed.masked,
                )
            )
        for item in data.categories:
            memberships.append(
                CategoryMembership(
                    elder=elder,
                    category=item.category,
                    grade=item.grade,
                    valid_from=since,
                    source_document="演示数据",
                )
            )
        if data.living_situation in (LivingSituation.ALONE, LivingSituation.EMPTY_NEST):
            memberships.append(
                CategoryMembership(
                    elder=elder,
                    category=Category.ALONE_OR_EMPTY_NEST,
                    valid_from=since,
                    source_document="居住情况",
                )
            )
        if extra["care"]:
            memberships.append(
                CategoryMembership(
                    elder=elder,
                    category=extra["care"],
                    valid_from=since,
                    source_document="演示数据（能力评估前的登记）",
                )
            )
        events.append(
            ElderEvent(
                elder=elder,
                kind=ElderEvent.Kind.CREATED,
                summary=f"建档：{elder.name}",
                region_code=elder.region_id,
                at=elder.created_at,
                source="demo",
            )
        )
    ElderContact.objects.bulk_create(contacts, batch_size=2000)
    CategoryMembership.objects.bulk_create(memberships, batch_size=2000)
    ElderEvent.objects.bulk_create(events, batch_size=2000)
    _flag_demo_duplicates()
    return len(elders)


def _flag_demo_duplicates() -> None:
    groups = (
        Elder.objects.filter(region__code__startswith="1505")
        .values("name", "birth_date", "region_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    for group in groups:
        pks = sorted(
            Elder.objects.filter(
                name=group["name"], birth_date=group["birth_date"], region_id=group["region_id"]
            ).values_list("pk", flat=True)
        )
        for i, first in enumerate(pks):
            for second in pks[i + 1 :]:
                DuplicateFlag.objects.get_or_create(
                    elder_id=first,
                    other_id=second,
                    defaults={
                        "reason": "姓名、出生日期、居住地相同，身份证号不同",
                        "region_id": group["region_id"],
                    },
                )
