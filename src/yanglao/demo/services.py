"""Demo data for trying yanglao out: the Tongliao (通辽市) logins and, as domains land, their rows.

The demo seeder sits at the top of the dependency arrow, beside reports and portal: it writes into
every domain through that domain's services. Everything it makes is reproducible from ``--seed``
and made once: a second run finds it and changes nothing.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from yanglao.accounts.models import User
from yanglao.accounts.roles import Role
from yanglao.accounts.services import user_create
from yanglao.demo.alarms import alarm_login_rows, seed_alarms
from yanglao.demo.assessments import seed_assessments
from yanglao.demo.care import care_login_rows, seed_care
from yanglao.demo.care_orders import seed_orders
from yanglao.demo.elders import seed_elders
from yanglao.demo.facilities import seed_facilities
from yanglao.demo.passwords import demo_password_hash
from yanglao.demo.residential import seed_residential
from yanglao.facilities.models import Facility, FacilityType

DEMO_PASSWORD = "yanglao-demo-2026"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: str
    region: str
    note: str


DEMO_LOGINS = [
    DemoLogin("admin", "系统管理员", Role.ADMIN, "150000", "系统管理员，全区"),
    DemoLogin("tongliao", "通辽市民政局", Role.OFFICER, "150500", "盟市民政干部，通辽市"),
    DemoLogin("horqin", "科尔沁区民政局", Role.OFFICER, "150502", "旗县民政干部，科尔沁区"),
    DemoLogin("kailu", "开鲁县民政局", Role.OFFICER, "150523", "旗县民政干部，开鲁县"),
    DemoLogin("kailu-zhen", "开鲁镇民政办", Role.OFFICER, "150523100", "苏木乡镇民政干部，开鲁县开鲁镇"),
    DemoLogin("auditor", "审计员", Role.AUDITOR, "150500", "审计员（只读，查看审计日志），通辽市"),
    DemoLogin(
        "kailu-yuan", "开鲁县养老服务中心", Role.OPERATOR, "150523", "机构运营人员，开鲁县养老服务中心"
    ),
]


class DemoRefused(Exception):
    pass


@dataclass
class SeedResult:
    created: list[str]
    existing: list[str]
    elders: int = 0
    facilities: int = 0
    assessments: int = 0
    caregivers: int = 0


@transaction.atomic
def seed_demo(*, seed: int, elders: int = 20000) -> SeedResult:
    if settings.PRODUCTION:
        raise DemoRefused("生产环境不能生成演示数据。")
    created, existing = [], []
    for login in DEMO_LOGINS:
        if User.objects.filter(username__iexact=login.username).exists():
            existing.append(login.username)
    facilities = seed_facilities(seed=seed)
    for login in DEMO_LOGINS:
        if login.username in existing:
            continue
        facility = None
        if login.role == Role.OPERATOR:
            facility = Facility.objects.filter(
                type=FacilityType.COUNTY_CENTRE, region__code__startswith=login.region
            ).first()
        user_create(
            actor=None,
            username=login.username,
            display_name=login.display_name,
            role=login.role,
            region_code=login.region,
            password_hash=demo_password_hash(DEMO_PASSWORD),
            is_demo=True,
            facility_id=facility.pk if facility else None,
        )
        created.append(login.username)
    made = seed_elders(count=elders, seed=seed) if elders else 0
    assessed = seed_assessments(seed=seed, password=DEMO_PASSWORD) if elders else 0
    caregivers = seed_care(seed=seed, password=DEMO_PASSWORD)
    seed_orders(seed=seed)  # three months of 开鲁县 work orders (demo/care_orders.py)
    seed_alarms(seed=seed, password=DEMO_PASSWORD)
    if elders:
        seed_residential(seed=seed)  # a week of 开鲁县 meals and day care (demo/residential.py)
    return SeedResult(
        created=created,
        existing=existing,
        elders=made,
        facilities=facilities,
        assessments=assessed,
        caregivers=caregivers,
    )


def demo_login_table() -> str:
    present = set(User.objects.filter(is_demo=True).values_list("username", flat=True))
    rows = [f"  {d.username:<12} {d.note}" for d in DEMO_LOGINS if d.username in present]
    rows += care_login_rows(present)
    rows += alarm_login_rows(present)
    if not rows:
        return ""
    return f"演示账号（密码均为 {DEMO_PASSWORD}）：\n" + "\n".join(rows)
