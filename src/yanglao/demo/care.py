"""Demo providers and caregivers for 开鲁县 (150523) and 科尔沁区 (150502): four providers each
(the county's demo operators under contract, plus one new home-care company), coverage of their
townships, about 45 caregivers per county with 养老护理员 certificates (a few expiring within 30
days, two expired), login accounts for two 开鲁 caregivers (hl-150523-1/2) and a provider staff
login (fws-150523). Providers go through the care services; caregivers and certificates are
bulk-created (sealed like any other). Reproducible from the seed; a second run changes nothing."""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from yanglao.accounts.models import User
from yanglao.accounts.roles import Role
from yanglao.accounts.services import user_create
from yanglao.care import privacy, services
from yanglao.care.catalogue import install_catalogue
from yanglao.care.models import (
    Caregiver,
    CaregiverCertificate,
    CertificateKind,
    CertificateLevel,
    Provider,
    ServiceItem,
    ServiceProduct,
)
from yanglao.care.validation import PriceInput, ProviderInput
from yanglao.core.creditcode import ALPHABET, make_credit_code
from yanglao.core.idnumber import make as make_id
from yanglao.demo.passwords import demo_password_hash
from yanglao.facilities.models import Operator, OperatorKind
from yanglao.regions import geo
from yanglao.regions.models import Region

COUNTIES = ["150523", "150502"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐韩冯于董萧程曹袁邓许傅沈曾彭吕包白乌"
GIVEN_F = [
    "秀英",
    "桂兰",
    "玉梅",
    "淑珍",
    "丽华",
    "海燕",
    "春梅",
    "红梅",
    "晓燕",
    "萨仁",
    "其其格",
    "娜仁",
    "金花",
    "丽娟",
]
GIVEN_M = ["建国", "志强", "海军", "国庆", "宝力德", "巴特尔", "永刚", "立新", "德胜", "文斌", "长春", "军"]
HOME_CARE = ["01.03.01", "01.03.02", "01.03.03", "01.03.04", "01.03.05", "01.03.06", "01.03.07"]
SKILL_SETS = [
    HOME_CARE,
    ["01.03.02", "01.03.03", "01.03.05", "08.01.01"],
    ["01.03.01", "01.03.06", "01.03.08", "06.01.01", "04.02.01"],
    ["01.03.02", "01.03.04", "01.03.05", "02.02.01"],
    ["01.03.06", "01.03.07", "06.01.01", "08.01.01"],
]
COVERED_ITEMS = ["01.03", "02.02", "06.01", "08.01", "04.02", "07.02"]


@dataclass(frozen=True)
class CareLogin:
    username: str
    note: str


CARE_LOGINS = [
    CareLogin("fws-150523", "服务商人员，开鲁县的一家服务商（只见本服务商的护理员和工单）"),
    CareLogin("hl-150523-1", "护理员，开鲁县（手机签到签退本人工单）"),
    CareLogin("hl-150523-2", "护理员，开鲁县"),
]


def _person(rng: random.Random) -> tuple[str, str]:
    gender = "F" if rng.random() < 0.8 else "M"
    given = rng.choice(GIVEN_F if gender == "F" else GIVEN_M)
    return rng.choice(SURNAMES) + given, gender


def _operator(rng: random.Random, county: Region) -> Operator:
    """The county's new home-care company (its credit code valid, as the demo operators' are)."""
    body = "91" + county.prefix + "MA" + "".join(rng.choice(ALPHABET) for _ in range(7))
    operator, _ = Operator.objects.get_or_create(
        name=f"{county.name}安心居家养老服务有限公司",
        defaults={
            "credit_code": make_credit_code(body),
            "kind": OperatorKind.ENTERPRISE,
            "region": county,
            "contact_name": "孟经理",
            "contact_phone": f"139{rng.randrange(10**8):08d}",
        },
    )
    return operator


def _providers(rng: random.Random, county: Region, today: date) -> list[Provider]:
    operators = list(Operator.objects.filter(region__code__startswith=county.prefix).order_by("pk")[:3])
    operators.append(_operator(rng, county))
    townships = list(Region.objects.filter(parent=county, level=Region.Level.TOWNSHIP).order_by("code"))
    items = {i.code: i for i in ServiceItem.objects.filter(code__in=COVERED_ITEMS)}
    providers = []
    for n, operator in enumerate(operators, start=1):
        start = today - timedelta(days=rng.randrange(120, 700))
        provider = services.provider_create(
            actor=None,
            data=ProviderInput(
                operator_id=operator.pk,
                county=county,
                contract_number=f"购服〔{start.year}〕{county.prefix}-{n:03d}",
                contract_start=start,
                contract_end=start + timedelta(days=365 * 3),
                contact_name=operator.contact_name,
                contact_phone=operator.contact_phone,
                note="演示数据",
            ),
        )
        # Each covers home care and a few other items in a share of the county's townships; the
        # last one covers the whole county.
        regions = (
            [county] if n == len(operators) else rng.sample(townships, k=max(1, len(townships) * 2 // 5))
        )
        chosen = [items["01.03"], *rng.sample([items[c] for c in COVERED_ITEMS[1:]], k=2)]
        services.coverage_set(actor=None, provider=provider, items=chosen, regions=regions)
        providers.append(provider)
    # One provider has a contracted price for 助浴, below the county's.
    bath = ServiceProduct.objects.get(code="01.03.01")
    services.price_set(
        actor=None,
        product=bath,
        provider=providers[0],
        data=PriceInput(county, today.replace(month=1, day=1), None, 5500, "合同约定价"),
    )
    return providers


def _caregivers(
    rng: random.Random, county: Region, providers: list[Provider], count: int, seed: int
) -> list[Caregiver]:
    try:
        points = geo.demo_locations(county.prefix, seed)
    except (geo.NoOutline, geo.OutlineDataMissing):
        points = {}
    villages = list(
        Region.objects.filter(code__startswith=county.prefix, level=Region.Level.VILLAGE).order_by("code")
    )
    today = timezone.localdate()
    caregivers = []
    for n in range(count):
        name, gender = _person(rng)
        home = rng.choice(villages)
        lon_lat = points.get(home.code)
        phone = privacy.seal_phone(f"13{rng.randrange(5, 9)}{rng.randrange(10**8):08d}")
        born = date(rng.randrange(1965, 1995), rng.randrange(1, 13), rng.randrange(1, 28))
        ident = privacy.seal_id_number(make_id(county.prefix, born, 500 + n * 2, gender))
        caregivers.append(
            Caregiver(
                provider=providers[n % len(providers)],
                name=name,
                gender=gender,
                phone_enc=phone.enc,
                phone_index=phone.index,
                phone_masked=phone.masked,
                id_number_enc=ident.enc,
                id_number_index=ident.index,
                id_number_masked=ident.masked,
                home_region=home,
                longitude=Decimal(f"{lon_lat[0] + rng.uniform(-0.002, 0.002):.6f}") if lon_lat else None,
                latitude=Decimal(f"{lon_lat[1] + rng.uniform(-0.002, 0.002):.6f}") if lon_lat else None,
                joined_on=today - timedelta(days=rng.randrange(30, 1500)),
            )
        )
    return Caregiver.objects.bulk_create(caregivers)


def _skills_and_certificates(rng: random.Random, caregivers: list[Caregiver], today: date) -> None:
    products = {p.code: p for p in ServiceProduct.objects.filter(region__isnull=True)}
    through = Caregiver.skills.through
    links, certificates = [], []
    for n, caregiver in enumerate(caregivers):
        for code in rng.choice(SKILL_SETS):
            links.append(through(caregiver_id=caregiver.pk, serviceproduct_id=products[code].pk))
        if n % 12 == 11:
            continue  # a few without any certificate (they do only the uncertified services)
        issued = today - timedelta(days=rng.randrange(200, 1800))
        if n in (3, 17):  # two expired
            expires = today - timedelta(days=rng.randrange(5, 60))
        elif n % 9 == 5:  # a few expiring within 30 days
            expires = today + timedelta(days=rng.randrange(1, 29))
        else:
            expires = today + timedelta(days=rng.randrange(120, 1500))
        certificates.append(
            CaregiverCertificate(
                caregiver=caregiver,
                kind=CertificateKind.ELDER_CARE,
                level=rng.choices(
                    [CertificateLevel.JUNIOR, CertificateLevel.INTERMEDIATE, CertificateLevel.SENIOR],
                    [5, 4, 1],
                )[0],
                number=f"{caregiver.home_region_id[:6]}{issued:%Y}{rng.randrange(10**6):06d}",
                issued_on=issued,
                expires_on=max(expires, issued),
                issuer="内蒙古自治区职业技能鉴定指导中心",
            )
        )
        if rng.random() < 0.3:
            certificates.append(
                CaregiverCertificate(
                    caregiver=caregiver,
                    kind=CertificateKind.HEALTH,
                    number=f"JK{rng.randrange(10**8):08d}",
                    issued_on=today - timedelta(days=rng.randrange(10, 300)),
                    expires_on=today + timedelta(days=rng.randrange(30, 360)),
                )
            )
    through.objects.bulk_create(links)
    CaregiverCertificate.objects.bulk_create(certificates)


def _logins(county: Region, providers: list[Provider], caregivers: list[Caregiver], password: str) -> None:
    if not User.objects.filter(username="fws-150523").exists():
        user_create(
            actor=None,
            username="fws-150523",
            display_name=f"{providers[0].operator.name}调度员",
            role=Role.PROVIDER,
            region_code=county.prefix,
            password_hash=demo_password_hash(password),
            is_demo=True,
            operator_id=providers[0].operator_id,
        )
    # Two certified caregivers of that provider get their own phone logins.
    own = [c for c in caregivers if c.provider_id == providers[0].pk and c.certificates.exists()]
    for n, caregiver in enumerate(own[:2], start=1):
        username = f"hl-150523-{n}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user, _ = user_create(
                actor=None,
                username=username,
                display_name=caregiver.name,
                role=Role.CAREGIVER,
                region_code=caregiver.home_region_id,
                password_hash=demo_password_hash(password),
                is_demo=True,
            )
        services.caregiver_link_user(actor=None, caregiver=caregiver, user=user)


@transaction.atomic
def seed_care(*, seed: int, password: str) -> int:
    """Providers and caregivers for the two demo counties; returns how many caregivers were made."""
    install_catalogue()
    rng = random.Random(seed + 7)
    today = timezone.localdate()
    made = 0
    for county_code in COUNTIES:
        county = Region.objects.filter(code=county_code.ljust(12, "0")).first()
        if county is None or Provider.objects.filter(county=county).exists():
            continue
        providers = _providers(rng, county, today)
        caregivers = _caregivers(rng, county, providers, 48 if county_code == "150523" else 42, seed)
        _skills_and_certificates(rng, caregivers, today)
        if county_code == "150523":
            _logins(county, providers, caregivers, password)
        made += len(caregivers)
    return made


def care_login_rows(present: set[str]) -> list[str]:
    return [f"  {login.username:<12} {login.note}" for login in CARE_LOGINS if login.username in present]
