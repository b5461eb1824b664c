from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.care.factories import add_certificate, make_caregiver, make_provider, provider_user
from tests.conftest import make_user
from yanglao.care import selectors, services
from yanglao.care.models import Caregiver, CaregiverCertificate, ServiceProduct
from yanglao.care.privacy import open_phone
from yanglao.care.validation import parse_caregiver, parse_certificate
from yanglao.core.models import AuditEntry


def product(code):
    return ServiceProduct.objects.get(code=code)


# --- the certificate rule ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_certificate_blocks_from_the_day_after_expiry():
    provider = make_provider()
    caregiver = make_caregiver(provider, skills=["01.03.01", "01.03.02"])
    expires = date(2026, 6, 30)
    add_certificate(caregiver, level=1, issued=date(2023, 7, 1), expires=expires)
    bath, cleaning = product("01.03.01"), product("01.03.02")
    assert bath.needs_certificate and not cleaning.needs_certificate
    caregiver = Caregiver.objects.prefetch_related("skills", "certificates").get(pk=caregiver.pk)
    assert selectors.caregiver_can_do(caregiver, bath, on=expires - timedelta(days=1))
    assert selectors.caregiver_can_do(caregiver, bath, on=expires)  # the expiry day still counts
    verdict = selectors.caregiver_can_do(caregiver, bath, on=expires + timedelta(days=1))
    assert not verdict and verdict.code == "certificate_expired" and "2026-06-30" in verdict.reason
    # products that need no certificate stay open
    assert selectors.caregiver_can_do(caregiver, cleaning, on=expires + timedelta(days=1))
    # before it was issued it does not count either
    assert selectors.caregiver_can_do(caregiver, bath, on=date(2023, 6, 30)).code == "certificate_expired"


@pytest.mark.django_db
def test_missing_certificate_skill_level_and_leaving():
    provider = make_provider()
    caregiver = make_caregiver(provider, skills=["01.03.01", "01.03.08"])
    on = date(2026, 1, 10)
    assert selectors.caregiver_can_do(caregiver, product("01.03.01"), on=on).code == "certificate_missing"
    assert selectors.caregiver_can_do(caregiver, product("01.03.04"), on=on).code == "skill_missing"
    add_certificate(caregiver, level=1, expires=date(2027, 1, 1))
    caregiver = Caregiver.objects.get(pk=caregiver.pk)
    assert selectors.caregiver_can_do(caregiver, product("01.03.01"), on=on)
    # 基础护理 needs 中级 or above
    verdict = selectors.caregiver_can_do(caregiver, product("01.03.08"), on=on)
    assert verdict.code == "certificate_level_low" and "中级" in verdict.reason
    add_certificate(caregiver, level=2, expires=None)  # no expiry
    caregiver = Caregiver.objects.get(pk=caregiver.pk)
    assert selectors.caregiver_can_do(caregiver, product("01.03.08"), on=date(2040, 1, 1))
    # a health certificate is not a 养老护理员 certificate
    other = make_caregiver(provider, skills=["01.03.01"])
    add_certificate(other, kind="health", level=None, expires=date(2030, 1, 1))
    assert selectors.caregiver_can_do(other, product("01.03.01"), on=on).code == "certificate_missing"
    Caregiver.objects.filter(pk=caregiver.pk).update(status="left", left_on=date(2026, 1, 1))
    caregiver = Caregiver.objects.get(pk=caregiver.pk)
    assert selectors.caregiver_can_do(caregiver, product("01.03.02"), on=on).code == "caregiver_left"


def test_certificate_input_errors(db):
    with pytest.raises(ValidationError) as info:
        parse_certificate(
            {
                "kind": "elder_care",
                "level": "",
                "number": "",
                "issued_on": "2025-05-01",
                "expires_on": "2025-04-01",
            }
        )
    errors = info.value.error_dict
    assert errors["level"][0].code == "certificate_level_required"
    assert errors["number"][0].message == "请填写证书编号。"
    assert errors["expires_on"][0].code == "certificate_dates"
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as info:
        parse_certificate({"kind": "x", "number": "1", "issued_on": f"{tomorrow:%Y-%m-%d}"})
    assert info.value.error_dict["kind"][0].message == "请选择证书类型。"
    assert info.value.error_dict["issued_on"][0].code == "future_date"


# --- caregivers: create, edit, search ----------------------------------------------------------------


@pytest.mark.django_db
def test_phone_and_id_are_sealed_and_never_audited_in_clear(kailu_officer):
    provider = make_provider()
    caregiver = make_caregiver(
        provider, actor=kailu_officer, phone="13912345678", id_number="150523199001011234"
    )
    caregiver.refresh_from_db()
    assert caregiver.phone_masked == "139****5678" and "13912345678" not in caregiver.phone_enc
    assert open_phone(caregiver.phone_enc) == "13912345678"
    assert caregiver.id_number_masked.startswith("150523") and "*" in caregiver.id_number_masked
    data = parse_caregiver(
        {"provider": str(provider.pk), "name": "李秀英", "gender": "F", "phone": "13987654321",
         "home_region": "150523100001", "skills": []},
        scope=None, editing=True,
    )  # fmt: skip
    services.caregiver_update(actor=kailu_officer, caregiver=caregiver, data=data)
    caregiver.refresh_from_db()
    assert caregiver.phone_masked == "139****4321" and caregiver.id_number_masked  # ID kept
    text = str(list(AuditEntry.objects.values_list("summary", "changes")))
    for secret in ("13912345678", "13987654321", "150523199001011234"):
        assert secret not in text


def test_id_number_is_checked(db):
    with pytest.raises(ValidationError) as info:
        parse_caregiver({"provider": "1", "name": "x", "gender": "F", "phone": "13900000000",
                         "home_region": "150523100001", "id_number": "150523199001011235"}, scope=None)  # fmt: skip
    assert info.value.error_dict["id_number"][0].code == "id_checksum"


@pytest.mark.django_db
def test_form_errors_are_chinese_and_per_field(client_for, kailu_officer):
    make_provider()
    response = client_for(kailu_officer).post(
        "/care/caregivers/new/",
        {"provider": "", "name": "", "gender": "", "phone": "12345", "home_region": "150523100",
         "longitude": "200", "joined_on": "2025-02-01", "left_on": "2025-01-01"},
    )  # fmt: skip
    html = response.content.decode()
    for message in ("请选择所属服务商。", "请填写姓名。", "请选择性别。", "手机号 12345", "应为嘎查村",
                    "经度应在", "离职日期不能早于入职日期。"):  # fmt: skip
        assert message in html, message
    assert not Caregiver.objects.exists()


@pytest.mark.django_db
def test_create_through_the_console_then_add_a_certificate(client_for, kailu_officer):
    provider = make_provider()
    client = client_for(kailu_officer)
    response = client.post(
        "/care/caregivers/new/",
        {"provider": str(provider.pk), "name": "王桂兰", "gender": "F", "phone": "139 1111 2222",
         "home_region": "150523100001", "skills": ["01.03.01", "01.03.02"], "status": "active"},
    )  # fmt: skip
    caregiver = Caregiver.objects.get()
    assert response["Location"] == f"/care/caregivers/{caregiver.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "王桂兰" in html and "139****2222" in html and "不能派发“助浴”" in html
    url = f"/care/caregivers/{caregiver.pk}/certificates/"
    bad = client.post(url, {"kind": "elder_care", "level": "", "number": "", "issued_on": "x"})
    html = bad.content.decode()
    assert "养老护理员证书请选择等级" in html and "请填写证书编号。" in html and "发证日期格式不对" in html
    good = client.post(url, {"kind": "elder_care", "level": "2", "number": "Z-1", "issued_on": "2024-01-01",
                             "expires_on": "2030-01-01"})  # fmt: skip
    assert good.status_code == 302
    html = client.get(f"/care/caregivers/{caregiver.pk}/").content.decode()
    assert "有效至 2030-01-01" in html and "不能派发" not in html
    cert = CaregiverCertificate.objects.get()
    assert client.post(f"/care/caregivers/{caregiver.pk}/certificates/{cert.pk}/delete/").status_code == 302
    assert not CaregiverCertificate.objects.exists()


@pytest.mark.django_db
def test_edit_keeps_the_phone_when_left_blank(client_for, kailu_officer):
    provider = make_provider()
    caregiver = make_caregiver(provider, phone="13912345678")
    client = client_for(kailu_officer)
    response = client.post(
        f"/care/caregivers/{caregiver.pk}/edit/",
        {"provider": str(provider.pk), "name": "李秀英改", "gender": "F", "phone": "", "home_region": "150523100001",
         "status": "left", "left_on": ""},
    )  # fmt: skip
    assert "离职的护理员请填写离职日期。" in response.content.decode()
    response = client.post(
        f"/care/caregivers/{caregiver.pk}/edit/",
        {"provider": str(provider.pk), "name": "李秀英改", "gender": "F", "phone": "", "home_region": "150523100001",
         "status": "active"},
    )  # fmt: skip
    assert response.status_code == 302
    caregiver.refresh_from_db()
    assert caregiver.name == "李秀英改" and open_phone(caregiver.phone_enc) == "13912345678"


@pytest.mark.django_db
def test_duplicate_phone_and_id_are_refused(kailu_officer):
    provider = make_provider()
    make_caregiver(provider, phone="13912345678", id_number="150523199001011234")
    with pytest.raises(ValidationError) as info:
        make_caregiver(provider, phone="13912345678")
    assert info.value.error_dict["phone"][0].code == "phone_taken"
    with pytest.raises(ValidationError) as info:
        make_caregiver(provider, id_number="150523199001011234")
    assert info.value.error_dict["id_number"][0].code == "id_taken"


@pytest.mark.django_db
def test_search_by_name_or_exact_phone_and_filters(client_for, kailu_officer):
    provider = make_provider()
    other = make_provider()
    today = timezone.localdate()
    a = make_caregiver(provider, name="张秀英", phone="13911110001", skills=["01.03.01"])
    b = make_caregiver(provider, name="王海燕", phone="13911110002")
    c = make_caregiver(other, name="刘丽华", phone="13911110003")
    d = make_caregiver(other, name="赵春梅", phone="13911110004")
    add_certificate(a, expires=today + timedelta(days=10))  # expiring
    add_certificate(b, expires=today - timedelta(days=1))  # expired yesterday
    add_certificate(c, expires=today + timedelta(days=200))  # valid
    add_certificate(c, expires=today - timedelta(days=400))  # an old one besides

    def names(**f):
        filters = selectors.CaregiverFilters(**f)
        return [x.name for x in selectors.caregiver_list(actor=kailu_officer, filters=filters)]

    assert names(q="秀英") == ["张秀英"]
    assert names(q="139 1111 0002") == ["王海燕"]
    assert names(q="1391111") == []  # phones match exactly, never by part
    assert names(certificate="expiring") == ["张秀英"]
    assert names(certificate="expired") == ["王海燕"]
    assert names(certificate="none") == ["赵春梅"]
    assert sorted(names(certificate="valid")) == ["刘丽华", "张秀英"]
    assert names(provider=other.pk) == ["刘丽华", "赵春梅"]
    assert names(skill="01.03.01") == ["张秀英"]
    Caregiver.objects.filter(pk=d.pk).update(status="left")
    assert "赵春梅" not in names() and names(status="left") == ["赵春梅"]
    html = client_for(kailu_officer).get("/care/caregivers/", {"certificate": "expiring"}).content.decode()
    assert "张秀英" in html and "王海燕" not in html and "到期" in html


@pytest.mark.django_db
def test_list_query_count_is_flat(client_for, kailu_officer, django_assert_max_num_queries):
    provider = make_provider()
    for n in range(25):
        caregiver = make_caregiver(provider, name=f"护理员{n:02d}", skills=["01.03.01"])
        add_certificate(caregiver, expires=date(2030, 1, 1))
    client = client_for(kailu_officer)
    client.get("/care/caregivers/")
    with django_assert_max_num_queries(14):
        response = client.get("/care/caregivers/", {"page_size": "20"})
    assert response.content.decode().count("有效至 2030-01-01") == 20


@pytest.mark.django_db
def test_provider_staff_keep_their_own_caregivers_only(client_for, kailu_officer):
    mine, other = make_provider(), make_provider()
    staff = provider_user(mine)
    theirs = make_caregiver(other, name="别家护理员")
    own = make_caregiver(mine, name="本家护理员", actor=staff)
    assert [c.name for c in selectors.caregiver_list(actor=staff)] == ["本家护理员"]
    client = client_for(staff)
    assert client.get(f"/care/caregivers/{theirs.pk}/").status_code == 404
    assert client.get(f"/care/caregivers/{own.pk}/edit/").status_code == 200
    with pytest.raises(PermissionDenied):
        services.caregiver_update(
            actor=staff,
            caregiver=theirs,
            data=parse_caregiver(
                {
                    "provider": str(other.pk),
                    "name": "x",
                    "gender": "F",
                    "phone": "13900000099",
                    "home_region": "150523100001",
                },
                scope=None,
            ),
        )
    # the provider choice holds only its own provider; another's id is refused beside the field
    response = client.post(
        "/care/caregivers/new/",
        {
            "provider": str(other.pk),
            "name": "越权",
            "gender": "F",
            "phone": "13900000098",
            "home_region": "150523100001",
        },
    )
    assert response.status_code == 200 and "越权" not in [c.name for c in Caregiver.objects.all()]


@pytest.mark.django_db
def test_horqin_officer_sees_and_changes_nothing_of_kailu(client_for, horqin_officer):
    provider = make_provider("150523")
    caregiver = make_caregiver(provider)
    assert not selectors.caregiver_list(actor=horqin_officer).exists()
    client = client_for(horqin_officer)
    assert client.get(f"/care/caregivers/{caregiver.pk}/").status_code == 404
    assert (
        client.post(f"/care/caregivers/{caregiver.pk}/certificates/", {"kind": "elder_care"}).status_code
        == 404
    )
    with pytest.raises(PermissionDenied):
        add_certificate(caregiver, actor=horqin_officer)


@pytest.mark.django_db
def test_link_a_login(kailu_officer):
    provider = make_provider()
    caregiver = make_caregiver(provider)
    officer = make_user("not-a-caregiver", "officer", "150523")
    with pytest.raises(ValidationError) as info:
        services.caregiver_link_user(actor=kailu_officer, caregiver=caregiver, user=officer)
    assert info.value.error_dict["user"][0].code == "user_not_caregiver"
    login = make_user("hl-t", "caregiver", "150523100001")
    services.caregiver_link_user(actor=kailu_officer, caregiver=caregiver, user=login)
    assert Caregiver.objects.get(user=login) == caregiver
    with pytest.raises(ValidationError):
        services.caregiver_link_user(actor=kailu_officer, caregiver=make_caregiver(provider), user=login)
