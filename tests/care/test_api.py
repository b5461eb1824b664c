from datetime import date, timedelta

import pytest

from tests.care.factories import add_certificate, make_caregiver, make_operator, make_provider, provider_user
from yanglao.care.models import Caregiver, CaregiverCertificate, Provider, ServicePrice, ServiceProduct


def get(client, headers, url, **params):
    return client.get(url, params, headers=headers)


def post(client, headers, url, body):
    return client.post(url, body, content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_catalogue_tree_with_prices_for_a_region(client, auth_headers, kailu_officer):
    bath = ServiceProduct.objects.get(code="01.03.01")
    ServicePrice.objects.create(product=bath, region_id="150523100000", region_prefix="150523100",
                                valid_from=date(2025, 1, 1), price_fen=7500)  # fmt: skip
    headers = auth_headers(kailu_officer)
    body = get(client, headers, "/api/v1/catalogue").json()
    assert body["region_code"] == "150523000000" and len(body["categories"]) == 8
    items = [i for c in body["categories"] for i in c["items"]]
    assert len(items) == 20 and items[2]["code"] == "01.03" and items[2]["key"] == "care.home"
    product = next(p for p in items[2]["products"] if p["code"] == "01.03.01")
    assert product["price_fen"] == 6000 and product["price_region_code"] == "150500000000"
    assert product["needs_certificate"] is True and product["unit"] == "visit"
    town = get(client, headers, "/api/v1/catalogue", region="150523100").json()
    product = next(
        p for c in town["categories"] for i in c["items"] for p in i["products"] if p["code"] == "01.03.01"
    )
    assert product["price_fen"] == 7500
    early = get(client, headers, "/api/v1/catalogue", region="150523100", on="2024-06-01").json()
    product = next(
        p for c in early["categories"] for i in c["items"] for p in i["products"] if p["code"] == "01.03.01"
    )
    assert product["price_fen"] is None
    foreign = get(client, headers, "/api/v1/catalogue", region="150502")
    assert foreign.status_code == 404 and foreign.json()["code"] == "not_found"
    assert get(client, headers, "/api/v1/catalogue", region="12345").json()["code"] == "validation_error"


@pytest.mark.django_db
def test_catalogue_needs_care_view(client, auth_headers, caregiver):
    response = get(client, auth_headers(caregiver), "/api/v1/catalogue")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


@pytest.mark.django_db
def test_provider_create_list_and_detail(client, auth_headers, kailu_officer, horqin_officer):
    operator = make_operator()
    headers = auth_headers(kailu_officer)
    body = {"operator_id": operator.pk, "county": "150523", "contract_number": "HT-9",
            "contract_start": "2025-01-01", "contract_end": "2027-12-31"}  # fmt: skip
    response = post(client, headers, "/api/v1/providers", body)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["county_code"] == "150523000000" and created["name"] == operator.name
    assert created["in_contract_today"] is (date.today() <= date(2027, 12, 31))
    again = post(client, headers, "/api/v1/providers", body | {"contract_number": "HT-10"})
    assert again.status_code == 422 and again.json()["code"] == "provider_exists"
    dates = post(
        client, headers, "/api/v1/providers", body | {"contract_end": "2024-01-01", "contract_number": "x"}
    )
    assert dates.json()["code"] == "contract_dates" and "contract_end" in dates.json()["fields"]
    foreign = post(
        client, auth_headers(horqin_officer), "/api/v1/providers", body | {"contract_number": "HT-11"}
    )
    assert foreign.status_code == 422 and foreign.json()["code"] == "region_out_of_scope"
    unknown = post(
        client, headers, "/api/v1/providers", body | {"operator_id": 999999, "contract_number": "y"}
    )
    assert unknown.json()["code"] == "operator_unknown"
    assert Provider.objects.count() == 1
    listing = get(client, headers, "/api/v1/providers").json()
    assert listing["total"] == 1 and listing["items"][0]["caregiver_count"] == 0
    assert get(client, headers, "/api/v1/providers", status="suspended").json()["total"] == 0
    detail = get(client, headers, f"/api/v1/providers/{created['id']}").json()
    assert detail["contract_number"] == "HT-9" and detail["coverage"] == []
    assert get(client, auth_headers(horqin_officer), f"/api/v1/providers/{created['id']}").status_code == 404


@pytest.mark.django_db
def test_provider_staff_cannot_register_providers(client, auth_headers):
    provider = make_provider()
    staff = provider_user(provider)
    body = {"operator_id": make_operator().pk, "county": "150523", "contract_number": "Z",
            "contract_start": "2025-01-01", "contract_end": "2027-12-31"}  # fmt: skip
    response = post(client, auth_headers(staff), "/api/v1/providers", body)
    assert response.status_code == 403 and Provider.objects.count() == 1


@pytest.mark.django_db
def test_caregiver_create_with_certificates_and_errors(client, auth_headers, kailu_officer):
    provider = make_provider()
    headers = auth_headers(kailu_officer)
    body = {"provider_id": provider.pk, "name": "周玉梅", "gender": "F", "phone": "13955556666",
            "home_region": "150523100001", "skills": ["01.03.01", "01.03.02"],
            "certificates": [{"level": 2, "number": "C-1", "issued_on": "2024-01-01", "expires_on": "2029-01-01"}]}  # fmt: skip
    response = post(client, headers, "/api/v1/caregivers", body)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["phone_masked"] == "139****6666" and "13955556666" not in str(created)
    assert created["skills"] == ["01.03.01", "01.03.02"] and created["certificate"] == "valid"
    assert created["certificates"][0]["level"] == 2
    bad = post(client, headers, "/api/v1/caregivers", body | {"phone": "12", "skills": ["99.99.99"]})
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"phone", "skills"}
    cert = post(client, headers, "/api/v1/caregivers", body | {"phone": "13955550000", "certificates": [
        {"number": "C-2", "issued_on": "2024-01-01"}]})  # fmt: skip
    assert (
        cert.json()["code"] == "certificate_level_required"
        and "certificates.0.level" in cert.json()["fields"]
    )
    taken = post(client, headers, "/api/v1/caregivers", body)
    assert taken.json()["code"] == "phone_taken"
    assert Caregiver.objects.count() == 1 and CaregiverCertificate.objects.count() == 1


@pytest.mark.django_db
def test_caregiver_list_filters_and_detail(client, auth_headers, kailu_officer, horqin_officer):
    provider = make_provider()
    today = date.today()
    a = make_caregiver(provider, name="甲", phone="13900001111")
    add_certificate(a, expires=today + timedelta(days=5))
    make_caregiver(provider, name="乙")
    headers = auth_headers(kailu_officer)
    body = get(client, headers, "/api/v1/caregivers").json()
    assert body["total"] == 2
    assert [
        c["name"] for c in get(client, headers, "/api/v1/caregivers", certificate="expiring").json()["items"]
    ] == ["甲"]
    assert [
        c["name"] for c in get(client, headers, "/api/v1/caregivers", q="13900001111").json()["items"]
    ] == ["甲"]
    detail = get(client, headers, f"/api/v1/caregivers/{a.pk}").json()
    assert (
        detail["certificate"] == "expiring" and detail["certificate_until"] == f"{today + timedelta(days=5)}"
    )
    assert get(client, auth_headers(horqin_officer), f"/api/v1/caregivers/{a.pk}").status_code == 404
    assert get(client, auth_headers(horqin_officer), "/api/v1/caregivers").json()["total"] == 0


@pytest.mark.django_db
def test_provider_staff_register_only_for_their_own(client, auth_headers):
    mine, other = make_provider(), make_provider()
    staff = provider_user(mine)
    body = {
        "provider_id": other.pk,
        "name": "越权",
        "gender": "F",
        "phone": "13955557777",
        "home_region": "150523100001",
    }
    response = post(client, auth_headers(staff), "/api/v1/caregivers", body)
    assert response.status_code == 422 and response.json()["code"] == "not_your_provider"
    response = post(client, auth_headers(staff), "/api/v1/caregivers", body | {"provider_id": mine.pk})
    assert response.status_code == 201
    assert list(Caregiver.objects.values_list("provider_id", flat=True)) == [mine.pk]
