"""The plan pages and the plans API: forms refuse bad input with a Chinese message per field (the API
with a stable code) and change nothing; lists page with a pinned number of queries; the export keeps
the attachment layout."""

import io
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tests.conftest import make_facility
from yanglao.planning import plans
from yanglao.planning.models import PlanImport, PlanItem, PlanProgress

FIXTURES = Path(__file__).parent / "fixtures"
BJ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _item(region="150523000000", name="开鲁镇白塔社区站", **kw):
    kw.setdefault("deadline", date(2021, 12, 31))
    return PlanItem.objects.create(region_id=region, kind="community_station", name=name, **kw)


def _body(response) -> str:
    return response.content.decode()


# --- import page ---------------------------------------------------------------------------------


def test_import_page_shows_the_row_report(client_for, city_officer):
    client = client_for(city_officer)
    assert client.get("/planning/plans/import/").status_code == 200
    upload = SimpleUploadedFile("附件1.xlsx", (FIXTURES / "plan_attachment1.xlsx").read_bytes())
    response = client.post("/planning/plans/import/", {"kind": "street_centre", "file": upload}, follow=True)
    body = _body(response)
    assert response.status_code == 200 and "导入报告" in body
    assert "旗后左科" in body and "科尔沁左翼后旗" in body  # the original beside what was read
    assert "2021年末" in body and "2021-12-31" in body
    assert "空行，已跳过" in body
    assert "13904751699" not in body  # phones masked on the report
    batch = PlanImport.objects.get()
    problems = _body(client.get(f"/planning/plans/imports/{batch.pk}/", {"show": "problems"}))
    assert "扎鲁特旗" in problems


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "street_centre"}, "file", "请选择要导入的 .xlsx 文件。"),
        ({"kind": "", "file": "x"}, "kind", "请选择附件类型。"),
        ({"kind": "street_centre", "file": "csv"}, "file", "请上传 .xlsx 文件"),
        (
            {"kind": "street_centre", "file": "x", "plan_year": "1999"},
            "plan_year",
            "计划年度应在 2000–2100 之间。",
        ),
        ({"kind": "street_centre", "file": "junk"}, "file", "不是有效的 Excel"),
        ({"kind": "community_station", "file": "x"}, "kind", "与所选附件类型不符"),
    ],
)
def test_import_form_errors(client_for, city_officer, data, field, message):
    data = dict(data)
    files = {"x": ("a1.xlsx", (FIXTURES / "plan_attachment1.xlsx").read_bytes()), "csv": ("a.csv", b"a,b\n"),
             "junk": ("a.xlsx", b"not a zip")}  # fmt: skip
    if "file" in data:
        name, content = files[data["file"]]
        data["file"] = SimpleUploadedFile(name, content)
    response = client_for(city_officer).post("/planning/plans/import/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert PlanImport.objects.count() == 0 and PlanItem.objects.count() == 0


# --- list, detail, edit --------------------------------------------------------------------------


def test_list_filters_and_query_count(client_for, kailu_officer, django_assert_num_queries):
    for n in range(30):
        _item(name=f"开鲁站{n:02d}", deadline=date(2021, 12, 31) if n % 2 else date(2099, 1, 1))
    client = client_for(kailu_officer)
    client.get("/planning/plans/")  # warm the session and caches
    for size in (20, 50):  # the same number of queries whatever the page size
        with django_assert_num_queries(12):  # 2 of them: the monthly-report reminder
            response = client.get("/planning/plans/", {"page_size": size})
        assert response.status_code == 200 and len(response.context["page"].object_list) == min(size, 30)
    body = _body(client.get("/planning/plans/", {"overdue": "on", "page_size": 50}))
    assert "开鲁站01" in body and "开鲁站02" not in body and "逾期" in body
    body = _body(client.get("/planning/plans/", {"q": "站29"}))
    assert "开鲁站29" in body and "开鲁站28" not in body
    assert "开鲁站00" in _body(client.get("/planning/plans/", {"status": "none"}))


def test_detail_shows_progress_history(client_for, kailu_officer):
    item = _item(deadline_text="2021年底", phone="0475-6218905", phone_text="6218905")
    plans.progress_report(actor=kailu_officer, item=item, month=date(2021, 6, 1), status="design", percent=10,
                          problems="土地手续", now=datetime(2021, 7, 12, tzinfo=BJ))  # fmt: skip
    body = _body(client_for(kailu_officer).get(f"/planning/plans/{item.pk}/"))
    assert "土地手续" in body and "逾期报送" in body and "原文：2021年底" in body and "原文：6218905" in body


def test_create_and_edit(client_for, kailu_officer):
    client = client_for(kailu_officer)
    assert client.get("/planning/plans/new/").status_code == 200
    response = client.post("/planning/plans/new/", {
        "region": "150523000000", "kind": "community_station", "name": "开鲁镇工农社区站",
        "deadline_text": "2026年6月", "phone": "6218905", "site_region_code": "150523100004", "budget_yuan": "1234.56",
        "area_m2": "360"})  # fmt: skip
    item = PlanItem.objects.get()
    assert response.status_code == 302
    assert (item.deadline, item.phone, item.budget_fen, item.site_region_id) == (
        date(2026, 6, 30), "0475-6218905", 123456, "150523100004")  # fmt: skip
    response = client.post(f"/planning/plans/{item.pk}/edit/", {
        "region": "150523000000", "kind": "community_station", "name": "开鲁镇工农社区养老服务站",
        "deadline_text": "2026-09-30"})  # fmt: skip
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.name == "开鲁镇工农社区养老服务站" and item.deadline == date(2026, 9, 30)
    assert item.events.filter(kind="updated").exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "请填写名称。"),
        ({"deadline_text": "尽快"}, "deadline_text", "无法识别的完成时限：尽快"),
        ({"deadline_text": ""}, "deadline_text", "请填写建设完成时限。"),
        ({"phone": "1524758995"}, "phone", "应为 11 位"),
        ({"region": "150523100000"}, "region", "请选择您管辖范围内的旗县。"),  # a township, not a county
        ({"region": ""}, "region", "请选择旗县（市、区）。"),
        ({"site_region_code": "150502001001"}, "site_region", "不在所选旗县内"),
        ({"site_region_code": "150523"}, "site_region_code", "请选择街道（乡镇）或社区（村）。"),
        ({"budget_yuan": "-1"}, "budget_yuan", "预算不能为负数。"),
        ({"latitude": "43.6"}, "longitude", "经度和纬度须同时填写。"),
        ({"longitude": "300", "latitude": "43"}, "longitude", "经度应在 -180 到 180 之间。"),
        ({"beds": "十"}, "beds", "床位数应为整数。"),
        ({"kind": "x"}, "kind", "请选择类型"),
    ],
)
def test_item_form_errors(client_for, city_officer, data, field, message):
    base = {
        "region": "150523000000",
        "kind": "community_station",
        "name": "某站",
        "deadline_text": "2026年底",
    }
    response = client_for(city_officer).post("/planning/plans/new/", {**base, **data})
    assert response.status_code == 200
    errors = response.context["form"].errors
    shown = " ".join(errors.get(field, [])) + " ".join(errors.get("__all__", []))
    assert message in shown, errors
    assert PlanItem.objects.count() == 0


# --- progress form -------------------------------------------------------------------------------


def test_progress_form(client_for, kailu_officer):
    from tests.planning.leak_cases import _png

    item = _item()
    client = client_for(kailu_officer)
    page = client.get(f"/planning/plans/{item.pk}/progress/")
    assert page.status_code == 200 and "10 日前" in _body(page)
    month = plans.reporting_month(datetime.now(BJ)).isoformat()
    response = client.post(f"/planning/plans/{item.pk}/progress/", {
        "month": month, "status": "construction", "percent": "45", "problems": "资金未到位",
        "photos": [SimpleUploadedFile("a.png", _png(), content_type="image/png")]})  # fmt: skip
    assert response.status_code == 302
    progress = PlanProgress.objects.get()
    assert (progress.status, progress.percent, progress.photos.count()) == ("construction", 45, 1)
    photo = progress.photos.get()
    assert client.get(f"/planning/plans/photos/{photo.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"percent": "120"}, "percent", "完成比例应为 0–100 的整数。"),
        ({"percent": ""}, "percent", "请填写完成比例。"),
        ({"status": "completed", "percent": "50"}, "percent", "“已竣工”的完成比例应在 100%–100% 之间。"),
        ({"status": "operating", "percent": "100"}, "facility", "已运营的项目须关联养老服务设施"),
        ({"status": ""}, "status", "请选择进展状态。"),
        ({"month": "2031-01-01"}, "month", "只能填报已结束的月份"),
        ({"photos": "text"}, "photos", "请上传图片文件"),
    ],
)
def test_progress_form_errors(client_for, kailu_officer, data, field, message):
    item = _item()
    month = plans.reporting_month(datetime.now(BJ)).isoformat()
    base = {"month": month, "status": "construction", "percent": "45"}
    payload = {**base, **data}
    if payload.get("photos") == "text":
        payload["photos"] = [SimpleUploadedFile("a.png", b"not an image", content_type="image/png")]
    response = client_for(kailu_officer).post(f"/planning/plans/{item.pk}/progress/", payload)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors.get(field, [])), errors
    assert PlanProgress.objects.count() == 0


def test_auditor_may_read_but_not_report(client_for, auditor, kailu_officer):
    item = _item(
        phone="0475-6218905", phone_text="6218905", source_row={"联系电话": "6218905"}, budget_fen=12345
    )
    client = client_for(auditor)
    assert client.get("/planning/plans/").status_code == 200
    body = _body(client.get(f"/planning/plans/{item.pk}/"))
    assert "6218905" not in body and "8905" in body  # masked for a reader
    body = _body(client_for(kailu_officer).get(f"/planning/plans/{item.pk}/"))
    assert "0475-6218905" in body and "123.45 元" in body  # in full for the county that reports
    assert client.get(f"/planning/plans/{item.pk}/progress/").status_code == 403
    assert client.get("/planning/plans/import/").status_code == 403


def test_link_facility_page(client_for, kailu_officer):
    item = _item()
    facility = make_facility("150523100", name="开鲁镇白塔站", actor=kailu_officer)
    client = client_for(kailu_officer)
    assert "开鲁镇白塔站" in _body(client.get(f"/planning/plans/{item.pk}/facility/"))
    assert client.post(f"/planning/plans/{item.pk}/facility/", {"facility": facility.pk}).status_code == 302
    assert PlanItem.objects.get(pk=item.pk).facility_id == facility.pk


# --- city view and export ------------------------------------------------------------------------


def test_reports_page_and_export_layout(client_for, city_officer, kailu_officer):
    _item(name="开鲁逾期站", responsible_person="边冬梅", phone="0475-6218905")
    _item(region="150502000000", name="科尔沁按期站", deadline=date(2099, 12, 31))
    client = client_for(city_officer)
    body = _body(client.get("/planning/plans/progress/"))
    assert "开鲁县" in body and "科尔沁区" in body and "开鲁逾期站" in body and "科尔沁按期站" not in body
    book = load_workbook(io.BytesIO(client.get("/planning/plans/export.xlsx").content))
    assert book.sheetnames == ["附件1", "附件2"]
    sheet = book["附件2"]
    assert "社区层面" in sheet["A1"].value
    header = [c.value for c in sheet[2]]
    assert header[:7] == ["序号", "旗县（市区）", "社区层面居家社区养老服务站名称", "所在社区", "拟服务覆盖几个社区",
                          "建设完成时限", "设置床位数量(张)"]  # fmt: skip
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert {r[2] for r in rows} == {"开鲁逾期站", "科尔沁按期站"}
    assert any(r[12] == "未报送" for r in rows)
    # The export can be imported again (same county, same name → update).
    buffer = io.BytesIO()
    only = load_workbook(io.BytesIO(client.get("/planning/plans/export.xlsx").content))
    del only["附件1"]
    only.save(buffer)
    batch = plans.plan_import(
        actor=city_officer, kind="community_station", filename="e.xlsx", content=buffer.getvalue()
    )
    assert batch.rows_updated == 2 and batch.rows_created == 0 and batch.rows_failed == 0


# --- API -----------------------------------------------------------------------------------------


def test_api_create_list_detail_progress(client, kailu_officer, auth_headers):
    headers = auth_headers(kailu_officer)
    response = client.post("/api/v1/plans", {"county_code": "150523", "kind": "community_station",
                           "name": "开鲁镇城北社区站", "deadline": "2021年底", "phone": "6218905"},
                           content_type="application/json", headers=headers)  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["deadline"], body["deadline_text"], body["phone"]) == (
        "2021-12-31",
        "2021年底",
        "0475-6218905",
    )
    listing = client.get("/api/v1/plans", {"overdue": "true"}, headers=headers).json()
    assert listing["total"] == 1 and listing["items"][0]["overdue"] is True
    month = plans.reporting_month(datetime.now(BJ)).isoformat()
    response = client.post(f"/api/v1/plans/{body['id']}/progress", {"month": month, "status": "completed",
                           "percent": 100}, content_type="application/json", headers=headers)  # fmt: skip
    assert response.status_code == 201
    detail = client.get(f"/api/v1/plans/{body['id']}", headers=headers).json()
    assert detail["status"] == "completed" and detail["overdue"] is False and len(detail["progress"]) == 1


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"deadline": "尽快"}, 422, "plan_deadline"),
        ({"phone": "1524758995"}, 422, "plan_phone"),
        ({"county_code": "150502"}, 422, "plan_out_of_scope"),
        ({"county_code": "999999"}, 422, "plan_county"),
        ({"county_code": "150523100"}, 422, "plan_county"),
        ({"kind": "x"}, 422, "validation_error"),
        ({"name": ""}, 422, "validation_error"),
        ({"longitude": 500}, 422, "validation_error"),
    ],
)
def test_api_create_errors(client, kailu_officer, auth_headers, payload, status, code):
    base = {"county_code": "150523", "kind": "community_station", "name": "某站", "deadline": "2021年底"}
    response = client.post("/api/v1/plans", {**base, **payload}, content_type="application/json",
                           headers=auth_headers(kailu_officer))  # fmt: skip
    assert response.status_code == status and response.json()["code"] == code, response.json()
    assert PlanItem.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"month": "2099-01-01"}, "progress_month_not_open"),
        ({"status": "completed", "percent": 40}, "progress_status_percent"),
        ({"status": "operating", "percent": 100}, "progress_facility_required"),
        ({"facility_id": 999999}, "plan_facility"),
        ({"percent": 101}, "validation_error"),
    ],
)
def test_api_progress_errors(client, kailu_officer, auth_headers, payload, code):
    item = _item()
    base = {"month": "2021-06-01", "status": "construction", "percent": 40}
    response = client.post(f"/api/v1/plans/{item.pk}/progress", {**base, **payload},
                           content_type="application/json", headers=auth_headers(kailu_officer))  # fmt: skip
    assert response.status_code == 422 and response.json()["code"] == code, response.json()
    assert PlanProgress.objects.count() == 0


def test_api_needs_capabilities(client, auditor, caregiver, auth_headers):
    item = _item()
    assert client.get("/api/v1/plans", headers=auth_headers(caregiver)).status_code == 403
    response = client.post(f"/api/v1/plans/{item.pk}/progress", {"month": "2021-06-01", "status": "design",
                           "percent": 0}, content_type="application/json", headers=auth_headers(auditor))  # fmt: skip
    assert response.status_code == 403
