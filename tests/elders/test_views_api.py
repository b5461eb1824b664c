import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.conftest import HORQIN_TOWN, KAILU_VILLAGE, make_elder
from yanglao.core.idnumber import make
from yanglao.core.models import AuditEntry
from yanglao.elders.models import Elder

NEW_ID = make("150523", date(1948, 8, 8), 402, "F")


def form_data(**extra):
    data = {
        "name": "赵淑珍",
        "id_number": NEW_ID,
        "region": KAILU_VILLAGE,
        "living_situation": "spouse",
        "marital_status": "married",
        "ethnicity": "01",
        "phone": "13811112222",
    }
    data.update(extra)
    return data


@pytest.mark.django_db
def test_create_form_shows_errors_beside_fields_and_keeps_input(client_for, kailu_officer):
    response = client_for(kailu_officer).post(
        "/elders/new/", form_data(id_number="150523194808084021", phone="12345", gender="M")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert ("校验位不正确" in html and "不是有效的手机或固定电话号码" in html) or "应为 11 位" in html
    assert 'value="赵淑珍"' in html
    assert not Elder.objects.exists()


@pytest.mark.django_db
def test_create_then_duplicate_id_links_to_the_existing_record(client_for, kailu_officer):
    client = client_for(kailu_officer)
    response = client.post("/elders/new/", form_data())
    elder = Elder.objects.get()
    assert response["Location"] == f"/elders/{elder.pk}/"
    again = client.post("/elders/new/", form_data(name="赵淑珍二")).content.decode()
    assert f"档案 {elder.pk}" in again and "已登记" in again


@pytest.mark.django_db
def test_edit_keeps_personal_fields_left_blank(client_for, kailu_officer):
    elder = make_elder(
        phone="13811112222", contact_name="李明", contact_relation="儿子", contact_phone="13999990000"
    )
    client = client_for(kailu_officer)
    page = client.get(f"/elders/{elder.pk}/edit/").content.decode()
    assert "13811112222" not in page and "138****2222" in page
    response = client.post(
        f"/elders/{elder.pk}/edit/",
        {
            "name": "张桂兰",
            "address": "新家 8 号",
            "living_situation": "alone",
            "marital_status": "widowed",
            "ethnicity": "01",
            "contact_name": "李明",
            "contact_relation": "儿子",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    elder.refresh_from_db()
    assert elder.address == "新家 8 号" and elder.phone_masked == "138****2222"
    assert elder.contacts.get().phone_masked == "139****0000"


@pytest.mark.django_db
def test_detail_reveal_is_htmx_and_audited(client_for, kailu_officer, auditor):
    elder = make_elder(phone="13811112222")
    client = client_for(kailu_officer)
    detail = client.get(f"/elders/{elder.pk}/").content.decode()
    assert "13811112222" not in detail and "查看" in detail
    revealed = client.post(f"/elders/{elder.pk}/reveal/", {"field": "phone"})
    assert "13811112222" in revealed.content.decode() and revealed["Cache-Control"] == "no-store"
    assert AuditEntry.objects.filter(action="reveal", object_id=str(elder.pk)).count() == 1
    assert client_for(auditor).post(f"/elders/{elder.pk}/reveal/", {"field": "phone"}).status_code == 403


@pytest.mark.django_db
def test_the_timeline_names_the_domain_that_wrote_each_line(client_for, kailu_officer):
    from yanglao.elders.models import ElderEvent

    elder = make_elder()
    for source, summary in (("alarms", "告警结案：误报"), ("care", "上门服务完成"), ("newapp", "其他")):
        ElderEvent.objects.create(
            elder=elder, kind="x", summary=summary, region_code=elder.region_id, source=source
        )
    page = client_for(kailu_officer).get(f"/elders/{elder.pk}/").content.decode()
    assert " · 呼叫中心" in page and " · 居家社区服务" in page and " · newapp" in page


@pytest.mark.django_db
def test_move_view_to_another_county(client_for, kailu_officer):
    elder = make_elder()
    response = client_for(kailu_officer).post(
        f"/elders/{elder.pk}/move/", {"region_text": HORQIN_TOWN + "001", "reason": "随子女"}
    )
    assert response.status_code == 302 and response["Location"] == "/elders/moves/"
    elder.refresh_from_db()
    assert elder.region_id == HORQIN_TOWN + "001"
    log = client_for(kailu_officer).get("/elders/moves/").content.decode()
    assert "迁出至" in log


@pytest.mark.django_db
def test_export_is_masked_for_the_auditor_full_for_the_officer_and_audited(
    client_for, kailu_officer, auditor
):
    elder = make_elder(phone="13811112222")
    make_elder(HORQIN_TOWN + "001", name="科尔沁人")
    full = load_workbook(
        io.BytesIO(b"".join(client_for(kailu_officer).get("/elders/export.xlsx").streaming_content))
    )
    rows = list(full.active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "张桂兰" and rows[1][7] == "13811112222"
    masked = load_workbook(
        io.BytesIO(b"".join(client_for(auditor).get("/elders/export.xlsx").streaming_content))
    )
    auditor_rows = list(masked.active.iter_rows(values_only=True))
    assert {r[1] for r in auditor_rows[1:]} == {"张桂兰", "科尔沁人"}  # the auditor's scope is the city
    assert all("*" in (r[5] or "") for r in auditor_rows[1:])
    assert AuditEntry.objects.filter(action="export").count() == 2
    assert elder.pk in [r[0] for r in rows[1:]]


@pytest.mark.django_db
def test_status_and_category_forms(client_for, kailu_officer):
    elder = make_elder()
    client = client_for(kailu_officer)
    client.post(f"/elders/{elder.pk}/categories/", {"category": "subsistence", "valid_from": "2025-01-01"})
    bad = client.post(
        f"/elders/{elder.pk}/categories/", {"category": "disability", "valid_from": "2025-01-01"}, follow=True
    )
    assert "残疾等级" in bad.content.decode()
    client.post(f"/elders/{elder.pk}/status/", {"status": "deceased", "status_date": "2026-01-05"})
    elder.refresh_from_db()
    assert elder.status == "deceased" and elder.categories.get(category="subsistence").valid_to == date(
        2026, 1, 5
    )


@pytest.mark.django_db
def test_api_list_create_patch_reveal_events(client, kailu_officer, auth_headers):
    headers = auth_headers(kailu_officer)
    created = client.post(
        "/api/v1/elders",
        {
            "name": "赵淑珍",
            "id_number": NEW_ID,
            "region": KAILU_VILLAGE,
            "phone": "13811112222",
            "categories": ["destitute"],
            "contacts": [{"name": "李明", "phone": "13999990000"}],
        },
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["id_number_masked"].endswith(NEW_ID[-4:]) and "destitute" in body["categories"]
    pk = body["id"]
    listing = client.get("/api/v1/elders", {"q": "zsz"}, headers=headers).json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == pk
    patched = client.patch(
        f"/api/v1/elders/{pk}", {"address": "新地址"}, content_type="application/json", headers=headers
    ).json()
    assert (
        patched["address"] == "新地址"
        and patched["phone_masked"] == "138****2222"
        and len(patched["contacts"]) == 1
    )
    revealed = client.post(
        f"/api/v1/elders/{pk}/reveal",
        {"field": "id_number"},
        content_type="application/json",
        headers=headers,
    )
    assert revealed.json() == {"field": "id_number", "value": NEW_ID}
    events = client.get(f"/api/v1/elders/{pk}/events", headers=headers).json()
    assert events["total"] >= 2 and events["items"][0]["kind"] == "updated"


@pytest.mark.django_db
def test_api_conflict_and_field_errors(client, kailu_officer, horqin_officer, auth_headers):
    headers = auth_headers(kailu_officer)
    payload = {"name": "赵淑珍", "id_number": NEW_ID, "region": KAILU_VILLAGE}
    client.post("/api/v1/elders", payload, content_type="application/json", headers=headers)
    again = client.post("/api/v1/elders", payload, content_type="application/json", headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "id_exists"
    elsewhere = client.post(
        "/api/v1/elders",
        {**payload, "region": HORQIN_TOWN + "001"},
        content_type="application/json",
        headers=auth_headers(horqin_officer),
    )
    assert elsewhere.status_code == 409 and elsewhere.json()["code"] == "id_exists_elsewhere"
    assert "赵淑珍" not in elsewhere.json()["message"]
    bad = client.post(
        "/api/v1/elders",
        {**payload, "id_number": "1", "phone": "x", "region": "150502"},
        content_type="application/json",
        headers=headers,
    )
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"id_number", "phone", "region"}
    derived = client.post(
        "/api/v1/elders",
        {**payload, "categories": ["advanced_age"]},
        content_type="application/json",
        headers=headers,
    )
    assert derived.status_code == 422 and derived.json()["code"] == "category_derived"


@pytest.mark.django_db
def test_api_reveal_forbidden_for_auditor(client, auditor, auth_headers):
    elder = make_elder()
    response = client.post(
        f"/api/v1/elders/{elder.pk}/reveal",
        {"field": "id_number"},
        content_type="application/json",
        headers=auth_headers(auditor),
    )
    assert response.status_code == 403
