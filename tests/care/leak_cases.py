"""Leak-matrix cases for the care domain's catalogue, providers, caregivers and coverage (used by
tests/test_leak_matrix.py).

``add_care(w)`` gives each county a provider with coverage, a contracted price, a caregiver with a
certificate, and a 个性服务 product of its own with a local price; 开鲁县's officer must find none
of 科尔沁区's — not in lists, searches, the catalogue, the coverage table or the API — must get 404
on their details, and must change nothing of theirs.
"""

from datetime import date

from tests.care.factories import add_certificate, item, make_caregiver, make_operator, make_provider
from yanglao.care import services
from yanglao.care.catalogue import install_catalogue
from yanglao.care.models import Caregiver, CaregiverCertificate, Provider, ProviderCoverage, ServicePrice
from yanglao.care.validation import PriceInput, parse_product
from yanglao.regions.models import Region


def add_care(w) -> None:
    install_catalogue()
    for side, county, actor, town in (
        ("my", "150523", w.kailu, "150523100"),
        ("their", "150502", w.horqin, "150502001"),
    ):
        label = "开鲁" if side == "my" else "科尔沁"
        provider = make_provider(county, operator=make_operator(county, name=f"{label}服务商"), actor=actor)
        services.coverage_set(
            actor=actor,
            provider=provider,
            items=[item("01.03")],
            regions=[Region.objects.get(code=town.ljust(12, "0"))],
        )
        county_region = Region.objects.get(code=county.ljust(12, "0"))
        product = services.product_create(
            actor=actor,
            data=parse_product(
                {"item": "08.01", "region": county, "name": f"{label}个性服务", "unit": "visit"},
                scope=actor.scope,
            ),
        )
        services.price_set(
            actor=actor,
            product=product,
            data=PriceInput(county_region, date(2025, 1, 1), None, 4321 if side == "their" else 1234),
        )
        caregiver = make_caregiver(
            provider,
            name=f"{label}护理员",
            home=f"{town}001",
            phone="1390000000" + ("1" if side == "my" else "2"),
        )
        certificate = add_certificate(caregiver, expires=date(2030, 1, 1))
        setattr(w, f"{side}_provider", provider)
        setattr(w, f"{side}_product", product)
        setattr(w, f"{side}_caregiver", caregiver)
        setattr(w, f"{side}_certificate", certificate)


def _their_state(w) -> tuple:
    p = Provider.objects.get(pk=w.their_provider.pk)
    c = Caregiver.objects.get(pk=w.their_caregiver.pk)
    return (p.contract_number, p.contract_end, p.status, p.updated_at,
            sorted(ProviderCoverage.objects.filter(provider=p).values_list("item__code", "region_prefix")),
            ServicePrice.objects.filter(provider=p).count(), c.name, c.status, c.updated_at,
            CaregiverCertificate.objects.filter(caregiver=c).count(), ServicePrice.objects.count())  # fmt: skip


def cases(assert_list, api) -> dict:
    def catalogue(w, login, client):
        assert_list(login(w.kailu).get("/care/catalogue/"), "开鲁个性服务", "科尔沁个性服务")
        response = login(w.kailu).get("/care/catalogue/", {"region": "150502"})
        assert response.status_code == 404
        # adding a product for their county is refused beside the field, nothing is made
        before = _their_state(w)
        response = login(w.kailu).post(
            "/care/catalogue/", {"item": "01.03", "region": "150502", "name": "越界服务", "unit": "visit"}
        )
        assert response.status_code == 200 and "超出您的管辖范围" in response.content.decode()
        assert _their_state(w) == before

    def catalogue_product(w, login, client):
        assert login(w.kailu).get(f"/care/catalogue/products/{w.my_product.pk}/").status_code == 200
        assert login(w.kailu).get(f"/care/catalogue/products/{w.their_product.pk}/").status_code == 404
        assert (
            login(w.kailu).post(f"/care/catalogue/products/{w.their_product.pk}/", {"price": "1"}).status_code
            == 404
        )
        # a national product's page lists no price of theirs
        national = w.my_provider.prices.model.objects.filter(
            provider__isnull=True, product__code="01.03.01"
        ).first()
        body = login(w.kailu).get(f"/care/catalogue/products/{national.product_id}/").content.decode()
        assert "科尔沁" not in body

    def providers(w, login, client):
        assert_list(login(w.kailu).get("/care/providers/"), "开鲁服务商", "科尔沁服务商")
        for params in ({"county": "150502000000"}, {"q": "科尔沁"}, {"q": w.their_provider.contract_number}):
            body = login(w.kailu).get("/care/providers/", params).content.decode()
            assert "科尔沁服务商" not in body.split("<tbody>")[1], params

    def provider_create(w, login, client):
        before = _their_state(w)
        response = login(w.kailu).post(
            "/care/providers/new/",
            {"operator": str(w.their_provider.operator_id), "county": "150502000000", "contract_number": "越界",
             "contract_start": "2025-01-01", "contract_end": "2027-01-01"},
        )  # fmt: skip
        assert response.status_code == 200 and not Provider.objects.filter(contract_number="越界").exists()
        page = login(w.kailu).get("/care/providers/new/").content.decode()
        assert "科尔沁区" not in page and "科尔沁服务商" not in page
        assert _their_state(w) == before

    def provider_detail(w, login, client):
        body = login(w.kailu).get(f"/care/providers/{w.my_provider.pk}/").content.decode()
        assert "开鲁护理员" in body and "科尔沁" not in body
        assert login(w.kailu).get(f"/care/providers/{w.their_provider.pk}/").status_code == 404

    def provider_edit(w, login, client):
        before = _their_state(w)
        assert login(w.kailu).get(f"/care/providers/{w.their_provider.pk}/edit/").status_code == 404
        response = login(w.kailu).post(
            f"/care/providers/{w.their_provider.pk}/edit/",
            {"county": "150502000000", "contract_number": "改", "contract_start": "2025-01-01",
             "contract_end": "2030-01-01", "status": "ended"},
        )  # fmt: skip
        assert response.status_code == 404 and _their_state(w) == before

    def provider_coverage(w, login, client):
        before = _their_state(w)
        response = login(w.kailu).post(
            f"/care/providers/{w.their_provider.pk}/coverage/",
            {"items": ["02.01"], "regions": ["150502000000"]},
        )
        assert response.status_code == 404 and _their_state(w) == before

    def provider_price(w, login, client):
        before = _their_state(w)
        assert login(w.kailu).get(f"/care/providers/{w.their_provider.pk}/prices/").status_code == 404
        response = login(w.kailu).post(
            f"/care/providers/{w.their_provider.pk}/prices/",
            {
                "product": str(w.their_product.pk),
                "region": "150502",
                "price": "1",
                "valid_from": "2025-02-01",
            },
        )
        assert response.status_code == 404 and _their_state(w) == before

    def caregivers(w, login, client):
        assert_list(login(w.kailu).get("/care/caregivers/"), "开鲁护理员", "科尔沁护理员")
        for params in ({"q": "科尔沁护理员"}, {"q": "13900000002"}, {"provider": str(w.their_provider.pk)}):
            body = login(w.kailu).get("/care/caregivers/", params).content.decode()
            assert "科尔沁护理员" not in body.split("<tbody>")[1], params

    def caregiver_create(w, login, client):
        before = _their_state(w)
        response = login(w.kailu).post(
            "/care/caregivers/new/",
            {"provider": str(w.their_provider.pk), "name": "越界护理员", "gender": "F", "phone": "13900000009",
             "home_region": "150502001001"},
        )  # fmt: skip
        assert response.status_code == 200 and not Caregiver.objects.filter(name="越界护理员").exists()
        assert "科尔沁服务商" not in login(w.kailu).get("/care/caregivers/new/").content.decode()
        assert _their_state(w) == before

    def caregiver_detail(w, login, client):
        assert login(w.kailu).get(f"/care/caregivers/{w.my_caregiver.pk}/").status_code == 200
        assert login(w.kailu).get(f"/care/caregivers/{w.their_caregiver.pk}/").status_code == 404

    def caregiver_edit(w, login, client):
        before = _their_state(w)
        assert login(w.kailu).get(f"/care/caregivers/{w.their_caregiver.pk}/edit/").status_code == 404
        response = login(w.kailu).post(
            f"/care/caregivers/{w.their_caregiver.pk}/edit/",
            {"provider": str(w.their_provider.pk), "name": "改名", "gender": "F", "home_region": "150502001001",
             "status": "left", "left_on": "2025-01-01"},
        )  # fmt: skip
        assert response.status_code == 404 and _their_state(w) == before

    def caregiver_certificate_add(w, login, client):
        before = _their_state(w)
        response = login(w.kailu).post(
            f"/care/caregivers/{w.their_caregiver.pk}/certificates/",
            {"kind": "elder_care", "level": "1", "number": "越界", "issued_on": "2024-01-01"},
        )
        assert response.status_code == 404 and _their_state(w) == before

    def caregiver_certificate_remove(w, login, client):
        before = _their_state(w)
        response = login(w.kailu).post(
            f"/care/caregivers/{w.their_caregiver.pk}/certificates/{w.their_certificate.pk}/delete/"
        )
        assert response.status_code == 404
        # their certificate under my caregiver's address is not found either
        response = login(w.kailu).post(
            f"/care/caregivers/{w.my_caregiver.pk}/certificates/{w.their_certificate.pk}/delete/"
        )
        assert response.status_code == 404 and _their_state(w) == before

    def coverage(w, login, client):
        assert_list(login(w.kailu).get("/care/coverage/"), "开鲁镇", "科尔沁")
        body = login(w.kailu).get("/care/coverage/", {"region": "150502"}).content.decode()
        assert "共 0 条" in body and "科尔沁" not in body.split("<tbody>")[1]

    def api_catalogue(w, login, client):
        body = api(w.kailu, client, "get", "/api/v1/catalogue").content.decode()
        assert "开鲁个性服务" in body and "科尔沁" not in body and "43.21" not in body
        assert api(w.kailu, client, "get", "/api/v1/catalogue", region="150502").status_code == 404

    def api_provider_list(w, login, client):
        body = api(w.kailu, client, "get", "/api/v1/providers").json()
        assert [p["name"] for p in body["items"]] == ["开鲁服务商"] and body["total"] == 1
        for params in ({"county": "150502"}, {"q": "科尔沁"}):
            assert api(w.kailu, client, "get", "/api/v1/providers", **params).json()["total"] == 0

    def api_provider_create(w, login, client):
        before = _their_state(w)
        response = api(
            w.kailu, client, "post", "/api/v1/providers", operator_id=w.their_provider.operator_id, county="150502",
            contract_number="越界", contract_start="2025-01-01", contract_end="2027-01-01",
        )  # fmt: skip
        assert response.status_code == 422 and response.json()["code"] == "region_out_of_scope"
        assert _their_state(w) == before

    def api_provider_detail(w, login, client):
        assert api(w.kailu, client, "get", f"/api/v1/providers/{w.my_provider.pk}").status_code == 200
        assert api(w.kailu, client, "get", f"/api/v1/providers/{w.their_provider.pk}").status_code == 404

    def api_caregiver_list(w, login, client):
        body = api(w.kailu, client, "get", "/api/v1/caregivers").json()
        assert [c["name"] for c in body["items"]] == ["开鲁护理员"] and body["total"] == 1
        for params in ({"q": "13900000002"}, {"q": "科尔沁护理员"}, {"provider": w.their_provider.pk}):
            assert api(w.kailu, client, "get", "/api/v1/caregivers", **params).json()["total"] == 0

    def api_caregiver_create(w, login, client):
        before = _their_state(w)
        response = api(
            w.kailu, client, "post", "/api/v1/caregivers", provider_id=w.their_provider.pk, name="越界护理员",
            gender="F", phone="13900000019", home_region="150502001001",
        )  # fmt: skip
        assert response.status_code == 422 and response.json()["code"] == "not_your_provider"
        assert _their_state(w) == before

    def api_caregiver_detail(w, login, client):
        assert api(w.kailu, client, "get", f"/api/v1/caregivers/{w.my_caregiver.pk}").status_code == 200
        assert api(w.kailu, client, "get", f"/api/v1/caregivers/{w.their_caregiver.pk}").status_code == 404

    return {
        "care:catalogue": catalogue, "care:catalogue_product": catalogue_product, "care:providers": providers,
        "care:provider_create": provider_create, "care:provider_detail": provider_detail,
        "care:provider_edit": provider_edit, "care:provider_coverage": provider_coverage,
        "care:provider_price": provider_price, "care:caregivers": caregivers, "care:caregiver_create": caregiver_create,
        "care:caregiver_detail": caregiver_detail, "care:caregiver_edit": caregiver_edit,
        "care:caregiver_certificate_add": caregiver_certificate_add,
        "care:caregiver_certificate_remove": caregiver_certificate_remove, "care:coverage": coverage,
        "api:catalogue_tree": api_catalogue, "api:provider_list": api_provider_list,
        "api:provider_create": api_provider_create, "api:provider_detail": api_provider_detail,
        "api:caregiver_list": api_caregiver_list, "api:caregiver_create": api_caregiver_create,
        "api:caregiver_detail": api_caregiver_detail,
    }  # fmt: skip
