"""Shared fixtures: the region table (loaded once per test database) and the test personas.

Personas, as in the demo: a city officer (通辽市), two county officers (科尔沁区, 开鲁县), a township
officer (开鲁镇), a caregiver (in 开鲁县), a system administrator and an auditor.
"""

import itertools

import pytest
from django.test import Client

PASSWORD = "Test-pass-2026"

CITY = "150500"
HORQIN = "150502"
KAILU = "150523"
KAILU_TOWN = "150523100"  # 开鲁镇
KAILU_VILLAGE = "150523100001"
HORQIN_TOWN = "150502001"  # 科尔沁街道


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from yanglao.benefits.defaults import install_default_rules
    from yanglao.regions.services import bundled_regions_path, bundled_seats_path, regions_load

    with django_db_blocker.unblock():
        regions_load(path=bundled_regions_path(), seats_path=bundled_seats_path())
        install_default_rules()


def make_user(username, role, region, *, must_change=False, is_demo=False, password=PASSWORD, facility=None):
    from yanglao.accounts.models import User
    from yanglao.regions.codes import canonical

    user = User(
        username=username,
        display_name=f"{username} 姓名",
        role=role,
        region_id=canonical(region),
        must_change_password=must_change,
        is_demo=is_demo,
        facility=facility,
    )
    user.set_password(password)
    user.save()
    return User.objects.select_related("region", "facility__region").get(pk=user.pk)


@pytest.fixture
def city_officer(db):
    return make_user("tongliao-t", "officer", CITY)


@pytest.fixture
def horqin_officer(db):
    return make_user("horqin-t", "officer", HORQIN)


@pytest.fixture
def kailu_officer(db):
    return make_user("kailu-t", "officer", KAILU)


@pytest.fixture
def township_officer(db):
    return make_user("kailuzhen-t", "officer", KAILU_TOWN)


@pytest.fixture
def caregiver(db):
    return make_user("caregiver-t", "caregiver", KAILU_VILLAGE)


@pytest.fixture
def admin_user(db):
    return make_user("admin-t", "admin", "150000")


@pytest.fixture
def auditor(db):
    return make_user("auditor-t", "auditor", CITY)


def login_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for():
    return login_client


def bearer(user) -> dict:
    from yanglao.accounts.services import token_create

    _, raw = token_create(user=user)
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def auth_headers():
    return bearer


_elder_seq = itertools.count(100, 2)  # steps of 2: the gender digit adjustment never lands on a used number


def make_elder(
    region=KAILU_VILLAGE, *, name="张桂兰", born=None, gender="F", actor=None, id_number=None, **raw
):
    """An elder created through the real validation and service path."""
    from datetime import date

    from yanglao.core.idnumber import make as make_id
    from yanglao.elders.services import elder_create
    from yanglao.elders.validation import parse_elder
    from yanglao.regions.resolver import RegionResolver

    born = born or date(1945, 3, 15)
    value = id_number or make_id(region[:6], born, next(_elder_seq), gender)
    data = parse_elder(
        {"name": name, "id_number": value, "region": region, **raw}, resolver=RegionResolver(), scope=None
    )
    return elder_create(actor=actor, data=data)


def make_facility(region=KAILU_TOWN, *, name="测试设施", type="station", actor=None, **raw):
    """A facility created through the real validation and service path."""
    from yanglao.facilities.services import facility_create
    from yanglao.facilities.validation import parse_facility
    from yanglao.regions.resolver import RegionResolver

    data = parse_facility(
        {"name": name, "type": type, "region": region, **raw}, resolver=RegionResolver(), scope=None
    )
    return facility_create(actor=actor, data=data)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded photos and task files go to a temporary folder, not the project's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
