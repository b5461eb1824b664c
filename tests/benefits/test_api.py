"""GET /api/v1/elders/{id}/entitlements: what a person is entitled to today, why, and the grants."""

from datetime import date

import pytest
from django.utils import timezone

from tests.conftest import KAILU_VILLAGE, make_elder, make_user
from yanglao.benefits.models import EntitlementGrant
from yanglao.benefits.services import entitlements_refresh
from yanglao.elders.services import capability_record, category_add, elder_move
from yanglao.regions.models import Region

pytestmark = pytest.mark.django_db


def get(client, headers, elder):
    return client.get(f"/api/v1/elders/{elder.pk}/entitlements", headers=headers)


def test_a_destitute_elder_of_great_age(client, auth_headers, kailu_officer):
    elder = make_elder(KAILU_VILLAGE, name="赵老汉", born=date(1938, 2, 1), gender="M")
    category_add(actor=kailu_officer, elder=elder, category="destitute", valid_from=date(2024, 1, 1))
    entitlements_refresh(elder=elder)
    response = get(client, auth_headers(kailu_officer), elder)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["elder_id"] == elder.pk and body["on"] == timezone.localdate().isoformat()
    by_code = {e["code"]: e for e in body["entitlements"]}
    assert set(by_code) == {"home-service-1h", "meal-subsidy"}
    home = by_code["home-service-1h"]
    assert (home["benefit"], home["amount"], home["unit"], home["amount_text"]) == (
        "home_service",
        60,
        "minutes_per_day",
        "每天 1 小时",
    )
    assert home["seed"].startswith("003") and "特困" in home["reason"] and "80" in home["reason"]
    meal = by_code["meal-subsidy"]
    assert (meal["amount"], meal["unit"], meal["amount_text"]) == (10000, "fen_per_month", "每月 100 元")
    assert {g["rule_code"] for g in body["grants"]} == {"home-service-1h", "meal-subsidy"}
    assert all(g["valid_to"] is None and g["region_code"] == KAILU_VILLAGE for g in body["grants"])


def test_a_level_makes_the_family_care_bed_due(client, auth_headers, kailu_officer):
    elder = make_elder(KAILU_VILLAGE, born=date(1940, 1, 1))
    assert "family-care-bed" not in {
        e["code"] for e in get(client, auth_headers(kailu_officer), elder).json()["entitlements"]
    }
    capability_record(elder=elder, level=3, on=date(2025, 6, 1), reference="PG-test")
    body = get(client, auth_headers(kailu_officer), elder).json()
    bed = next(e for e in body["entitlements"] if e["code"] == "family-care-bed")
    assert bed["unit"] == "flag" and bed["amount_text"] == "具备资格" and "能力重度受损" in bed["reason"]


def test_a_young_elder_has_none(client, auth_headers, kailu_officer):
    elder = make_elder(KAILU_VILLAGE, born=date(1962, 5, 5))
    body = get(client, auth_headers(kailu_officer), elder).json()
    assert body["entitlements"] == [] and body["grants"] == []


def test_scope_and_capability(client, auth_headers, kailu_officer, horqin_officer, caregiver):
    elder = make_elder(KAILU_VILLAGE, born=date(1938, 2, 1))
    entitlements_refresh(elder=elder)
    assert get(client, auth_headers(horqin_officer), elder).status_code == 404
    assert get(client, auth_headers(caregiver), elder).status_code == 403
    assert get(client, auth_headers(make_user("kl-desk", "desk", "150523")), elder).status_code == 200
    # an auditor reads the registry and assessments: allowed; an operator reads neither
    assert get(client, auth_headers(make_user("kl-op", "operator", "150523")), elder).status_code == 403
    assert (
        client.get("/api/v1/elders/999999/entitlements", headers=auth_headers(kailu_officer)).status_code
        == 404
    )


def test_after_a_move_each_county_sees_its_own_grants(
    client, auth_headers, kailu_officer, horqin_officer, city_officer
):
    elder = make_elder("150502001001", born=date(1938, 2, 1), actor=horqin_officer)
    entitlements_refresh(elder=elder)
    before = set(EntitlementGrant.objects.filter(elder=elder).values_list("pk", flat=True))
    assert before
    elder_move(
        actor=city_officer, elder=elder, region=Region.objects.get(code=KAILU_VILLAGE), reason="投靠子女"
    )
    entitlements_refresh(elder=elder)  # what the move's change signal runs once it commits
    body = get(client, auth_headers(kailu_officer), elder).json()
    assert {e["code"] for e in body["entitlements"]} == {"meal-subsidy"}
    assert [g["region_code"] for g in body["grants"]] == [KAILU_VILLAGE]
    assert not before & {g["id"] for g in body["grants"]}
    # the old county no longer holds an open grant for the person (nor sees them at all)
    assert not EntitlementGrant.objects.filter(
        elder=elder, region_code__startswith="150502", valid_to__isnull=True
    ).exists()
    assert get(client, auth_headers(horqin_officer), elder).status_code == 404
    city = get(client, auth_headers(city_officer), elder).json()
    assert {g["region_code"][:6] for g in city["grants"]} == {"150502", "150523"}
