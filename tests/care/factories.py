"""Building care rows for tests through the real services."""

import itertools
from datetime import date, timedelta

from django.utils import timezone

from tests.conftest import make_user
from yanglao.care import services
from yanglao.care.catalogue import install_catalogue
from yanglao.care.models import ServiceItem
from yanglao.care.validation import (
    parse_caregiver,
    parse_certificate,
    parse_provider,
)
from yanglao.core.creditcode import make_credit_code
from yanglao.facilities.models import Operator, OperatorKind
from yanglao.regions.models import Region

_seq = itertools.count(1)


def make_operator(county="150523", *, name=None) -> Operator:
    n = next(_seq)
    return Operator.objects.create(
        name=name or f"测试服务公司{n}",
        credit_code=make_credit_code(f"91{county}MA{n:07d}"),
        kind=OperatorKind.ENTERPRISE,
        region=Region.objects.get(code=county.ljust(12, "0")),
    )


def make_provider(county="150523", *, operator=None, start=None, end=None, status="active", actor=None):
    install_catalogue()
    operator = operator or make_operator(county)
    start = start or timezone.localdate() - timedelta(days=100)
    end = end or start + timedelta(days=3 * 365)
    data = parse_provider(
        {
            "operator": str(operator.pk),
            "county": county,
            "contract_number": f"HT-{county}-{next(_seq):03d}",
            "contract_start": f"{start:%Y-%m-%d}",
            "contract_end": f"{end:%Y-%m-%d}",
            "status": status,
        },
        scope=None,
    )
    return services.provider_create(actor=actor, data=data)


_phones = itertools.count(13900000001)


def make_caregiver(provider, *, name="李秀英", home="150523100001", skills=(), actor=None, phone=None, **raw):
    data = parse_caregiver(
        {
            "provider": str(provider.pk),
            "name": name,
            "gender": "F",
            "phone": phone or str(next(_phones)),
            "home_region": home,
            "skills": list(skills),
            **raw,
        },
        scope=None,
    )
    return services.caregiver_create(actor=actor, data=data)


def add_certificate(caregiver, *, level=1, issued=None, expires=None, kind="elder_care", actor=None):
    issued = issued or date(2020, 1, 1)
    data = parse_certificate(
        {
            "kind": kind,
            "level": "" if level is None else str(level),
            "number": f"CERT{next(_seq):06d}",
            "issued_on": f"{issued:%Y-%m-%d}",
            "expires_on": f"{expires:%Y-%m-%d}" if expires else "",
        }
    )
    return services.certificate_add(actor=actor, caregiver=caregiver, data=data)


def provider_user(provider, username="fws-t"):
    from yanglao.accounts.models import User

    user = make_user(username, "provider", provider.county_id[:6])
    User.objects.filter(pk=user.pk).update(operator=provider.operator)
    return User.objects.select_related("region").get(pk=user.pk)


def item(code) -> ServiceItem:
    return ServiceItem.objects.get(code=code)
