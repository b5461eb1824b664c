import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from tests.conftest import HORQIN_TOWN, KAILU_TOWN, make_elder, make_facility
from yanglao.core.creditcode import make_credit_code
from yanglao.core.models import Task
from yanglao.core.tasks import run_pending
from yanglao.facilities.imports import COLUMNS
from yanglao.facilities.models import Facility

KEY_OF = {c.header: c.key for c in COLUMNS}


@pytest.mark.django_db
def test_create_form_reports_errors_beside_fields(client_for, kailu_officer):
    response = client_for(kailu_officer).post(
        "/facilities/new/",
        {
            "name": "",
            "type": "station",
            "region": "150523",
            "beds_total": "5",
            "beds_nursing": "9",
            "operating_mode": "public",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "请填写名称" in html and "应具体到苏木乡镇" in html and "不能多于床位数" in html
    assert not Facility.objects.exists()


@pytest.mark.django_db
def test_create_and_detail_show_checks(client_for, kailu_officer):
    client = client_for(kailu_officer)
    response = client.post(
        "/facilities/new/",
        {
            "name": "开鲁县养老服务中心",
            "type": "county_centre",
            "region": KAILU_TOWN,
            "beds_total": "100",
            "beds_nursing": "70",
            "operating_mode": "public",
            "status": "operating",
        },
    )
    facility = Facility.objects.get()
    assert response["Location"] == f"/facilities/{facility.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "县级中心护理型床位" in html and "未达标" in html and "70/100" in html


@pytest.mark.django_db
def test_list_filters_by_failing_check_and_keeps_query_count(client_for, kailu_officer):
    make_facility(name="合格站", floor_area="400", region=KAILU_TOWN)
    make_facility(
        name="过期站",
        operating_mode="公建民营",
        operator_name="康宁",
        operator_code=make_credit_code("91150523MA0Q3AB02"),
        contract_end=str(timezone.localdate() - timedelta(days=1)),
    )
    client = client_for(kailu_officer)
    failing = client.get("/facilities/", {"failing": "contract_valid"}).content.decode()
    assert "过期站" in failing and "合格站" not in failing
    client.get("/facilities/")
    with CaptureQueriesContext(connection) as few:
        client.get("/facilities/")
    for i in range(25):
        make_facility(name=f"站{i}", region=KAILU_TOWN)
    with CaptureQueriesContext(connection) as many:
        client.get("/facilities/", {"page_size": 50})
    assert len(many) == len(few)


@pytest.mark.django_db
def test_status_change_from_the_detail_page(client_for, kailu_officer):
    facility = make_facility()
    client = client_for(kailu_officer)
    client.post(f"/facilities/{facility.pk}/status/", {"status": "suspended", "reason": "消防整改"})
    facility.refresh_from_db()
    assert facility.status == "suspended"
    bad = client.post(f"/facilities/{facility.pk}/status/", {"status": "planned", "reason": "x"}, follow=True)
    assert "不能改为" in bad.content.decode()


@pytest.mark.django_db
def test_export_carries_the_check_outcomes(client_for, kailu_officer):
    make_facility(
        name="小站",
        floor_area="100",
        region=Facility._meta.get_field("region")
        .related_model.objects.filter(code__startswith="150523", level="village", name__endswith="村委会")
        .first()
        .code,
    )
    book = load_workbook(
        io.BytesIO(b"".join(client_for(kailu_officer).get("/facilities/export.xlsx").streaming_content))
    )
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][-2:] == ("达标情况", "未达标项") and rows[1][1] == "小站" and rows[1][-2] == "未达标"


def facility_xlsx(rows):
    book = Workbook()
    headers = [c.header + ("*" if c.required else "") for c in COLUMNS]
    book.active.append(headers)
    for row in rows:
        book.active.append([row.get(KEY_OF[h.rstrip("*")], "") for h in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
def test_import_reports_row_errors_and_updates_on_reimport(client_for, kailu_officer):
    client = client_for(kailu_officer)
    rows = [
        {"name": "甲站", "type": "嘎查村(社区)养老服务站", "region": KAILU_TOWN, "floor_area": "380平"},
        {"name": "乙站", "type": "未知类型", "region": KAILU_TOWN},
        {"name": "丙站", "type": "老年食堂/助餐点", "region": HORQIN_TOWN},
    ]
    client.post(
        "/facilities/import/",
        {"file": SimpleUploadedFile("f.xlsx", facility_xlsx(rows)), "mode": "valid_only"},
    )
    run_pending()
    task = Task.objects.get()
    assert (task.result["created"], task.result["failed_rows"]) == (1, 2)
    messages = " ".join(p["message"] for p in task.result["problems"])
    assert "类型“未知类型”无效" in messages and "超出您的管辖范围" in messages
    page = client.get(f"/facilities/import/{task.pk}/").content.decode()
    assert "乙站" in page and "丙站" in page  # the failed rows are listed by name
    report = load_workbook(
        io.BytesIO(b"".join(client.get(f"/facilities/import/{task.pk}/errors.xlsx").streaming_content))
    )
    assert len(list(report.active.iter_rows(values_only=True))) == 3
    changed = [dict(rows[0], floor_area="500")]
    client.post(
        "/facilities/import/",
        {"file": SimpleUploadedFile("f.xlsx", facility_xlsx(changed)), "mode": "all_or_nothing"},
    )
    run_pending()
    again = Task.objects.order_by("-pk").first()
    assert (again.result["created"], again.result["updated"]) == (0, 1)
    assert Facility.objects.get(name="甲站").floor_area == 500


@pytest.mark.django_db
def test_api_list_create_patch_checks_map(client, kailu_officer, auth_headers):
    headers = auth_headers(kailu_officer)
    created = client.post(
        "/api/v1/facilities",
        {
            "name": "API 站",
            "type": "station",
            "region": KAILU_TOWN,
            "floor_area": "120",
            "longitude": "121.3",
            "latitude": "43.6",
            "services": ["meal.dine_in"],
        },
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["type_label"] == "嘎查村(社区)养老服务站"
    patched = client.patch(
        f"/api/v1/facilities/{pk}", {"floor_area": "360"}, content_type="application/json", headers=headers
    ).json()
    assert patched["floor_area"] == "360.0" and patched["services"] == ["meal.dine_in"]
    checks = client.get(f"/api/v1/facilities/{pk}/checks", headers=headers).json()
    assert isinstance(checks, list)
    points = client.get("/api/v1/facilities/map", headers=headers).json()
    assert points["count"] == 1 and points["points"][0][0] == pk
    listing = client.get("/api/v1/facilities", {"type": "station"}, headers=headers).json()
    assert listing["total"] == 1
    bad = client.post(
        "/api/v1/facilities",
        {"name": "x", "type": "station", "region": "150523"},
        content_type="application/json",
        headers=headers,
    )
    assert bad.status_code == 422 and "region" in bad.json()["fields"]
    status = client.post(
        f"/api/v1/facilities/{pk}/status",
        {"status": "closed", "reason": "撤并"},
        content_type="application/json",
        headers=headers,
    )
    assert status.json()["status"] == "closed"


@pytest.mark.django_db
def test_region_network_counts_checks_and_beds_per_1000(client, client_for, kailu_officer, auth_headers):
    make_facility(name="开鲁县养老服务中心", type="county_centre", beds_total="200", beds_nursing="180")
    for i in range(3):
        make_elder(name=f"老人{i}")
    body = client.get("/api/v1/regions/150523/network", headers=auth_headers(kailu_officer)).json()
    centre = next(r for r in body["facilities"] if r["type"] == "county_centre")
    assert centre["total"] == 1 and centre["by_status"]["operating"] == 1
    assert body["beds_total"] == 200 and body["elders"] == 3
    assert body["beds_per_1000"] == pytest.approx(66666.7)
    codes = {c["code"]: c["status"] for c in body["checks"]}
    assert codes["beds_per_1000"] == "met" and codes["nursing_bed_share"] == "met"
    html = client_for(kailu_officer).get("/network/150523/").content.decode()
    assert "每千名老年人养老床位" in html and "县级养老服务中心" in html
