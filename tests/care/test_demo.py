import pytest
from django.utils import timezone

from yanglao.accounts.models import User
from yanglao.care import selectors
from yanglao.care.models import Caregiver, Provider, ProviderCoverage
from yanglao.demo.care import seed_care
from yanglao.demo.services import demo_login_table


@pytest.mark.django_db
def test_seed_care_makes_providers_caregivers_and_logins_once(kailu_officer):
    made = seed_care(seed=2026, password="Demo-pass-2026")
    assert made == 48 + 42
    assert Provider.objects.filter(county_id="150523000000").exists()
    assert Provider.objects.filter(county_id="150502000000").exists()
    assert ProviderCoverage.objects.filter(provider__county_id="150523000000").exists()
    today = timezone.localdate()
    standing = [
        selectors.certificate_standing(c, today)[0] for c in selectors.caregiver_list(actor=kailu_officer)
    ]
    assert standing.count("expired") == 2 and 1 <= standing.count("expiring") <= 8 and "none" in standing
    staff = User.objects.get(username="fws-150523")
    assert staff.role == "provider" and staff.operator_id and staff.scope.operator_id == staff.operator_id
    own = selectors.caregiver_list(actor=staff)
    assert own.exists() and not own.exclude(provider__operator_id=staff.operator_id).exists()
    for username in ("hl-150523-1", "hl-150523-2"):
        user = User.objects.get(username=username)
        assert (
            user.role == "caregiver"
            and Caregiver.objects.get(user=user).provider.operator_id == staff.operator_id
        )
    assert seed_care(seed=2026, password="Demo-pass-2026") == 0
    assert Caregiver.objects.count() == made
    table = demo_login_table()
    assert "fws-150523" in table and "hl-150523-1" in table
