from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.care.factories import item, make_caregiver, make_operator, make_provider, provider_user
from yanglao.care import selectors, services
from yanglao.care.models import Provider, ProviderCoverage, ProviderEvent
from yanglao.care.validation import parse_provider
from yanglao.core.models import AuditEntry
from yanglao.regions.models import Region


def region(code):
    return Region.objects.get(code=code.ljust(12, "0"))


@pytest.mark.django_db
def test_create_records_history_and_audit(kailu_officer):
    provider = make_provider("150523", actor=kailu_officer)
    assert provider.county_id == "150523000000" and provider.in_contract_on(date.today())
    assert ProviderEvent.objects.filter(provider=provider, kind="created").exists()
    entry = AuditEntry.objects.get(object_type="care.provider", action="create")
    assert entry.region_code == "150523000000" and "登记服务商" in entry.summary


@pytest.mark.django_db
def test_an_officer_registers_only_in_its_own_county(horqin_officer, township_officer):
    operator = make_operator("150523")
    raw = {"operator": str(operator.pk), "county": "150523", "contract_number": "X-1",
           "contract_start": "2025-01-01", "contract_end": "2027-12-31"}  # fmt: skip
    with pytest.raises(ValidationError) as info:
        parse_provider(raw, scope=horqin_officer.scope)
    assert info.value.error_dict["county"][0].code == "region_out_of_scope"
    with pytest.raises(PermissionDenied):
        services.provider_create(actor=horqin_officer, data=parse_provider(raw, scope=None))
    # a township officer is below the county: it cannot sign county contracts
    with pytest.raises(PermissionDenied):
        services.provider_create(actor=township_officer, data=parse_provider(raw, scope=None))
    assert not Provider.objects.exists()


@pytest.mark.django_db
def test_one_contract_per_operator_and_county(kailu_officer):
    provider = make_provider("150523")
    raw = {"operator": str(provider.operator_id), "county": "150523", "contract_number": "other",
           "contract_start": "2025-01-01", "contract_end": "2027-12-31"}  # fmt: skip
    with pytest.raises(ValidationError) as info:
        services.provider_create(actor=kailu_officer, data=parse_provider(raw, scope=None))
    assert info.value.error_dict["operator"][0].code == "provider_exists"
    raw.update(operator=str(make_operator().pk), contract_number=provider.contract_number)
    with pytest.raises(ValidationError) as info:
        services.provider_create(actor=kailu_officer, data=parse_provider(raw, scope=None))
    assert info.value.error_dict["contract_number"][0].code == "contract_number_taken"
    assert Provider.objects.count() == 1


@pytest.mark.django_db
def test_create_form_shows_chinese_errors_per_field(client_for, kailu_officer):
    client = client_for(kailu_officer)
    response = client.post(
        "/care/providers/new/",
        {"operator": "", "county": "", "contract_number": "", "contract_start": "2025-02-30",
         "contract_end": "", "contact_phone": "123"},
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200
    for message in ("请选择运营主体。", "请选择签约旗县。", "请填写合同编号。", "合同起始日期格式不对",
                    "请填写合同截止日期。", "应为 11 位"):  # fmt: skip
        assert message in html, message
    response = client.post(
        "/care/providers/new/",
        {"operator": str(make_operator().pk), "county": "150523000000", "contract_number": "HT-1",
         "contract_start": "2025-03-01", "contract_end": "2025-02-01", "status": "active"},
    )  # fmt: skip
    assert "合同截止日期不能早于起始日期。" in response.content.decode()
    assert not Provider.objects.exists()


@pytest.mark.django_db
def test_create_edit_and_detail_pages(client_for, kailu_officer):
    client = client_for(kailu_officer)
    operator = make_operator(name="开鲁县康宁居家养老服务有限公司")
    response = client.post(
        "/care/providers/new/",
        {"operator": str(operator.pk), "county": "150523000000", "contract_number": "HT-1",
         "contract_start": "2025-03-01", "contract_end": "2028-02-28", "status": "active",
         "contact_phone": "13912345678"},
    )  # fmt: skip
    provider = Provider.objects.get()
    assert response["Location"] == f"/care/providers/{provider.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "开鲁县康宁居家养老服务有限公司" in html and "HT-1" in html and "2028-02-28" in html
    response = client.post(
        f"/care/providers/{provider.pk}/edit/",
        {"county": "150523000000", "contract_number": "HT-1", "contract_start": "2025-03-01",
         "contract_end": "2029-02-28", "status": "suspended"},
    )  # fmt: skip
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.status == "suspended" and provider.contract_end == date(2029, 2, 28)
    event = ProviderEvent.objects.get(provider=provider, kind="updated")
    assert "合同截止" in event.summary and "状态" in event.summary


@pytest.mark.django_db
def test_list_search_and_filters(client_for, kailu_officer, city_officer):
    make_provider("150523", operator=make_operator(name="开鲁甲公司"))
    make_provider("150523", operator=make_operator(name="开鲁乙公司"), status="suspended")
    make_provider("150502", operator=make_operator("150502", name="科尔沁丙公司"))
    client = client_for(city_officer)
    html = client.get("/care/providers/").content.decode()
    assert "开鲁甲公司" in html and "科尔沁丙公司" in html
    html = client.get("/care/providers/", {"county": "150502000000"}).content.decode()
    assert "科尔沁丙公司" in html and "开鲁甲公司" not in html
    html = client.get("/care/providers/", {"status": "suspended"}).content.decode()
    assert "开鲁乙公司" in html and "开鲁甲公司" not in html
    html = client.get("/care/providers/", {"q": "甲"}).content.decode()
    assert "开鲁甲公司" in html and "开鲁乙公司" not in html


@pytest.mark.django_db
def test_list_query_count_is_flat(client_for, kailu_officer, django_assert_max_num_queries):
    for n in range(8):
        provider = make_provider("150523")
        make_caregiver(provider, name=f"护理员{n}")
    client = client_for(kailu_officer)
    client.get("/care/providers/")
    with django_assert_max_num_queries(12):
        response = client.get("/care/providers/")
    assert response.content.decode().count("/care/providers/") >= 8


@pytest.mark.django_db
def test_township_officer_sees_its_county_providers_read_only(client_for, township_officer):
    mine = make_provider("150523")
    theirs = make_provider("150502")
    assert list(selectors.provider_list(actor=township_officer)) == [mine]
    client = client_for(township_officer)
    assert client.get(f"/care/providers/{mine.pk}/").status_code == 200
    assert client.get(f"/care/providers/{theirs.pk}/").status_code == 404
    assert client.get(f"/care/providers/{mine.pk}/edit/").status_code == 403


@pytest.mark.django_db
def test_provider_staff_see_only_their_own(client_for):
    mine = make_provider("150523")
    other = make_provider("150523")
    staff = provider_user(mine)
    assert list(selectors.provider_list(actor=staff)) == [mine]
    client = client_for(staff)
    assert client.get(f"/care/providers/{other.pk}/").status_code == 404
    assert client.get("/care/providers/new/").status_code == 403
    assert client.get(f"/care/providers/{mine.pk}/edit/").status_code == 403


@pytest.mark.django_db
def test_coverage_set_replaces_and_stays_in_the_county(kailu_officer, client_for):
    provider = make_provider("150523")
    town = region("150523100")
    services.coverage_set(
        actor=kailu_officer, provider=provider, items=[item("01.03"), item("02.02")], regions=[town]
    )
    assert ProviderCoverage.objects.filter(provider=provider).count() == 2
    with pytest.raises(ValidationError) as info:
        services.coverage_set(
            actor=kailu_officer, provider=provider, items=[item("01.03")], regions=[region("150502001")]
        )
    assert info.value.error_dict["regions"][0].code == "coverage_outside_county"
    with pytest.raises(ValidationError) as info:
        services.coverage_set(actor=kailu_officer, provider=provider, items=[item("01.03")], regions=[])
    assert info.value.error_dict["regions"][0].code == "required"
    assert ProviderCoverage.objects.filter(provider=provider).count() == 2
    # the form: a region of another county is not even a choice
    client = client_for(kailu_officer)
    response = client.post(
        f"/care/providers/{provider.pk}/coverage/", {"items": ["01.03"], "regions": ["150502001000"]}
    )
    assert response.status_code == 302
    assert "覆盖范围未保存" in client.get(response["Location"]).content.decode()
    response = client.post(
        f"/care/providers/{provider.pk}/coverage/", {"items": ["01.03", "08.01"], "regions": ["150523000000"]}
    )
    assert set(ProviderCoverage.objects.values_list("item__code", "region_prefix")) == {
        ("01.03", "150523"),
        ("08.01", "150523"),
    }
    assert ProviderEvent.objects.filter(provider=provider, kind="coverage").count() == 2


@pytest.mark.django_db
def test_contract_price_page(client_for, kailu_officer):
    provider = make_provider("150523")
    client = client_for(kailu_officer)
    url = f"/care/providers/{provider.pk}/prices/"
    response = client.post(url, {"product": "", "region": "150502", "price": "x", "valid_from": ""})
    html = response.content.decode()
    assert "请选择服务产品。" in html and "超出您的管辖范围" in html and "单价应为" in html
    from yanglao.care.models import ServiceProduct

    bath = ServiceProduct.objects.get(code="01.03.01")
    start = date.today() - timedelta(days=10)
    response = client.post(
        url, {"product": str(bath.pk), "region": "150523", "price": "55", "valid_from": f"{start:%Y-%m-%d}"}
    )
    assert response.status_code == 302
    assert (
        selectors.price_for(
            product=bath, region_code="150523100001", on=date.today(), provider=provider
        ).price_fen
        == 5500
    )
    assert "55.00" in client.get(f"/care/providers/{provider.pk}/").content.decode()
