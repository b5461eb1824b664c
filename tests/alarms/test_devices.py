"""The device registry: pages, forms (a Chinese message per field), import, API, the elder panel."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from tests.alarms.factories import make_device
from tests.conftest import KAILU_VILLAGE, make_elder
from yanglao.alarms.imports import COLUMNS
from yanglao.alarms.ingest import Incoming, ingest_events
from yanglao.alarms.models import AlarmRuleOverride, Device, IngestError
from yanglao.alarms.protocol import ParsedEvent
from yanglao.alarms.services import device_secret
from yanglao.core.models import AuditEntry, Task
from yanglao.core.tasks import run_pending
from yanglao.elders.models import ElderEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def elder(db):
    return make_elder(name="王秀英")


def form(**data):
    return {
        "kind": "sos_button",
        "serial": "KL-SOS-1001",
        "model": "YJT-2",
        "heartbeat_interval_s": "300",
        **data,
    }


# --- register, shown once -------------------------------------------------------------------------


def test_register_shows_the_secret_once_and_stores_it_encrypted(client_for, kailu_officer, elder):
    client = client_for(kailu_officer)
    response = client.post("/alarms/devices/new/", form(elder=str(elder.pk), installed_on="2026-03-01"))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    device = Device.objects.get(serial="KL-SOS-1001")
    secret = device_secret(device=device)
    page = response.content.decode()
    assert secret in page and "只显示这一次" in page
    assert secret not in device.secret_enc
    assert (device.elder_id, device.region_code, device.created_by_id) == (
        elder.pk,
        elder.region_id,
        kailu_officer.pk,
    )
    assert secret not in client.get(f"/alarms/devices/{device.pk}/").content.decode()
    assert ElderEvent.objects.filter(elder=elder, kind="device_assigned", source="alarms").exists()
    assert AuditEntry.objects.filter(object_type="alarms.device", action="create").exists()
    assert secret not in str(list(AuditEntry.objects.values_list("summary", "changes")))


def test_a_device_in_stock_belongs_to_the_chosen_region(client_for, kailu_officer):
    response = client_for(kailu_officer).post("/alarms/devices/new/", form(region="150523100"))
    assert response.status_code == 200
    assert Device.objects.get().region_code == "150523100000" and Device.objects.get().elder_id is None


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"kind": ""}, "kind", "请选择设备类型"),
        ({"serial": ""}, "serial", "请填写设备编号"),
        ({"serial": "中文编号"}, "serial", "设备编号应为 3–64 位"),
        ({"elder": "999999"}, "elder", "找不到该老年人"),
        ({"heartbeat_interval_s": "5"}, "heartbeat_interval_s", "心跳间隔应为 10–86400 秒"),
        ({"heartbeat_interval_s": "五分钟"}, "heartbeat_interval_s", "心跳间隔应为"),
        ({"installed_on": "去年"}, "installed_on", "安装日期格式"),
        ({"geofence_latitude": "43.6"}, "geofence_radius_m", "同时填写"),
        (
            {"geofence_latitude": "95", "geofence_longitude": "121", "geofence_radius_m": "300"},
            "geofence_latitude",
            "纬度",
        ),
        (
            {"geofence_latitude": "43", "geofence_longitude": "121", "geofence_radius_m": "5"},
            "geofence_radius_m",
            "20–50000",
        ),
        ({"region": "150502001"}, "region", "超出您的管辖范围"),
    ],
)
def test_bad_input_gets_a_message_on_its_field_and_changes_nothing(
    client_for, kailu_officer, data, field, message
):
    response = client_for(kailu_officer).post("/alarms/devices/new/", form(**data))
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert not Device.objects.exists()


def test_every_problem_is_reported_at_once(client_for, kailu_officer):
    data = {"kind": "", "serial": "中文", "heartbeat_interval_s": "5", "geofence_latitude": "43.6"}
    response = client_for(kailu_officer).post("/alarms/devices/new/", data)
    assert set(response.context["form"].errors) == {
        "kind",
        "serial",
        "heartbeat_interval_s",
        "geofence_radius_m",
    }
    assert response.content.decode().count('class="error"') == 4


def test_a_serial_registered_anywhere_is_refused(client_for, kailu_officer):
    make_device(serial="KL-SOS-1001")
    response = client_for(kailu_officer).post("/alarms/devices/new/", form())
    assert "该设备编号已登记" in " ".join(response.context["form"].errors["serial"])
    assert Device.objects.count() == 1


def test_a_caregiver_may_not_register(client_for, caregiver):
    assert client_for(caregiver).get("/alarms/devices/new/").status_code == 403


# --- list, detail, edit, retire, secret -----------------------------------------------------------


def test_list_search_and_filters(client_for, kailu_officer, elder):
    make_device(elder, serial="KL-SOS-2001")
    make_device(kind="door_sensor", serial="KL-DOOR-2002")
    client = client_for(kailu_officer)
    body = client.get("/alarms/devices/").content.decode()
    assert "KL-SOS-2001" in body and "KL-DOOR-2002" in body and "王秀英" in body
    assert "KL-DOOR-2002" not in client.get("/alarms/devices/", {"q": "KL-SOS"}).content.decode()
    assert "KL-SOS-2001" in client.get("/alarms/devices/", {"q": "王秀"}).content.decode()
    assert "KL-SOS-2001" not in client.get("/alarms/devices/", {"kind": "door_sensor"}).content.decode()
    assert "KL-SOS-2001" not in client.get("/alarms/devices/", {"status": "retired"}).content.decode()


def test_the_list_runs_a_fixed_number_of_queries(client_for, kailu_officer, django_assert_max_num_queries):
    for i in range(25):
        make_device(make_elder(name=f"老人{i}"), serial=f"KL-Q-{i:03d}")
    client = client_for(kailu_officer)
    with django_assert_max_num_queries(12):
        response = client.get("/alarms/devices/", {"page_size": 20})
    assert response.content.decode().count("KL-Q-") == 20


def test_detail_shows_recent_events(client_for, kailu_officer, elder):
    device, _ = make_device(elder)
    ingest_events(
        [Incoming(device.pk, ParsedEvent("hb-1", "heartbeat", timezone.now(), {"battery": 66}))],
        channel="mqtt",
    )
    body = client_for(kailu_officer).get(f"/alarms/devices/{device.pk}/").content.decode()
    assert "hb-1" in body and "电量 66%" in body and "待处理" in body


def test_edit_moves_the_device_to_another_elder(client_for, kailu_officer, elder):
    device, _ = make_device(elder)
    other = make_elder(name="李淑珍")
    response = client_for(kailu_officer).post(
        f"/alarms/devices/{device.pk}/edit/", form(serial=device.serial, elder=str(other.pk), model="新型号")
    )
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.elder_id == other.pk and device.model == "新型号"
    assert ElderEvent.objects.filter(elder=elder, kind="device_returned").exists()
    assert ElderEvent.objects.filter(elder=other, kind="device_assigned").exists()


def test_retire_needs_a_reason_and_then_refuses_changes(client_for, kailu_officer, elder):
    device, _ = make_device(elder)
    client = client_for(kailu_officer)
    response = client.post(f"/alarms/devices/{device.pk}/retire/", {"reason": ""})
    assert response.status_code == 422 and "请填写停用原因" in response.content.decode()
    device.refresh_from_db()
    assert device.status == "active"
    assert (
        client.post(f"/alarms/devices/{device.pk}/retire/", {"reason": "老人入住养老机构"}).status_code == 302
    )
    device.refresh_from_db()
    assert device.status == "retired" and device.retired_at is not None
    assert client.get(f"/alarms/devices/{device.pk}/edit/").status_code == 302
    assert ElderEvent.objects.filter(elder=elder, kind="device_retired").exists()


def test_reset_secret_shows_a_new_one_once(client_for, kailu_officer, elder):
    device, old = make_device(elder)
    response = client_for(kailu_officer).post(f"/alarms/devices/{device.pk}/secret/")
    new = device_secret(device=Device.objects.get(pk=device.pk))
    assert new != old and new in response.content.decode()


# --- errors page ----------------------------------------------------------------------------------


def test_device_errors_page_counts_by_code(client_for, kailu_officer, elder):
    device, _ = make_device(elder)
    for code in ("bad_signature", "bad_signature", "stale_timestamp"):
        IngestError.objects.create(code=code, serial=device.serial, device=device, region_code=device.region_code,
                                   channel="http", detail="测试")  # fmt: skip
    client = client_for(kailu_officer)
    response = client.get("/alarms/device-errors/")
    body = response.content.decode()
    assert {c: n for c, _, n in response.context["counts"]} == {
        "bad_signature": 2,
        "stale_timestamp": 1,
    }
    assert "签名不正确" in body and response.context["total"] == 3
    filtered = client.get("/alarms/device-errors/", {"code": "stale_timestamp"})
    assert filtered.context["page"].paginator.count == 1


def test_platform_users_see_errors_of_unknown_devices(client_for, admin_user):
    IngestError.objects.create(code="unknown_device", serial="GHOST-01", channel="mqtt")
    assert "GHOST-01" in client_for(admin_user).get("/alarms/device-errors/").content.decode()


# --- import ---------------------------------------------------------------------------------------


def device_xlsx(rows) -> bytes:
    book = Workbook()
    headers = [c.header + ("*" if c.required else "") for c in COLUMNS]
    book.active.append(headers)
    key_of = {c.header: c.key for c in COLUMNS}
    for row in rows:
        book.active.append([row.get(key_of[h.rstrip("*")], "") for h in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_creates_reports_row_errors_and_updates_on_reimport(client_for, kailu_officer, elder):
    client = client_for(kailu_officer)
    rows = [
        {"serial": "IMP-0001", "kind": "一键通", "elder": str(elder.pk), "secret": "factory-secret-0001"},
        {"serial": "IMP-0002", "kind": "门磁", "region": KAILU_VILLAGE, "heartbeat_interval_s": "600"},
        {"serial": "IMP-0003", "kind": "对讲机", "secret": "short"},
        {"serial": "IMP-0001", "kind": "烟感"},
        {"serial": "IMP-0004", "kind": "燃气", "elder": "150502194501011234"},
    ]
    client.post(
        "/alarms/devices/import/",
        {"file": SimpleUploadedFile("d.xlsx", device_xlsx(rows)), "mode": "valid_only"},
    )
    run_pending()
    task = Task.objects.get()
    assert (task.result["created"], task.result["failed_rows"]) == (2, 3), task.result
    messages = " ".join(p["message"] for p in task.result["problems"])
    assert "请选择设备类型" in messages and "密钥应为 16–128" in messages and "与第 2 行" in messages
    assert "找不到该老年人" in messages
    assert device_secret(device=Device.objects.get(serial="IMP-0001")) == "factory-secret-0001"
    assert Device.objects.get(serial="IMP-0002").heartbeat_interval_s == 600
    page = client.get(f"/alarms/devices/import/{task.pk}/").content.decode()
    assert "IMP-0003" in page and "short" not in page
    report = load_workbook(
        io.BytesIO(b"".join(client.get(f"/alarms/devices/import/{task.pk}/errors.xlsx").streaming_content))
    )
    cells = [c for row in report.active.iter_rows(values_only=True) for c in row]
    assert "short" not in cells and len(list(report.active.iter_rows())) == 4
    again = [{"serial": "IMP-0002", "kind": "门磁", "region": KAILU_VILLAGE, "model": "MC-9"}]
    client.post(
        "/alarms/devices/import/",
        {"file": SimpleUploadedFile("d.xlsx", device_xlsx(again)), "mode": "all_or_nothing"},
    )
    run_pending()
    assert Task.objects.order_by("-pk").first().result["updated"] == 1
    assert Device.objects.get(serial="IMP-0002").model == "MC-9" and Device.objects.count() == 2


def test_import_template_downloads(client_for, kailu_officer):
    response = client_for(kailu_officer).get("/alarms/devices/import/template.xlsx")
    headers = next(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert headers[0] == "设备编号*" and "密钥" in headers


# --- API ------------------------------------------------------------------------------------------


def test_api_register_list_detail_retire(client, kailu_officer, auth_headers, elder):
    headers = auth_headers(kailu_officer)
    created = client.post("/api/v1/devices", {"kind": "一键通", "serial": "API-0001", "elder": str(elder.pk)},
                          content_type="application/json", headers=headers)  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    device = Device.objects.get(serial="API-0001")
    assert body["secret"] == device_secret(device=device) and body["kind"] == "sos_button"
    listed = client.get("/api/v1/devices", {"q": "API-"}, headers=headers).json()
    assert listed["total"] == 1 and "secret" not in listed["items"][0]
    detail = client.get(f"/api/v1/devices/{device.pk}", headers=headers).json()
    assert detail["elder_name"] == "王秀英" and detail["events"] == [] and "secret" not in detail
    retired = client.post(f"/api/v1/devices/{device.pk}/retire", {"reason": "损坏"}, content_type="application/json",
                          headers=headers)  # fmt: skip
    assert retired.json()["status"] == "retired"


@pytest.mark.parametrize(
    "payload, field, code",
    [
        ({"kind": "radio", "serial": "API-0002"}, "kind", "invalid_choice"),
        ({"kind": "sos_button", "serial": "x"}, "serial", "serial_invalid"),
        ({"kind": "sos_button", "serial": "API-0003", "elder": "000"}, "elder", "elder_not_found"),
        (
            {"kind": "sos_button", "serial": "API-0004", "geofence_radius_m": "100"},
            "geofence_radius_m",
            "geofence_incomplete",
        ),
        (
            {"kind": "sos_button", "serial": "API-0005", "heartbeat_interval_s": 1},
            "heartbeat_interval_s",
            "validation_error",
        ),
    ],
)
def test_api_bad_input_is_a_422_with_a_stable_code(client, kailu_officer, auth_headers, payload, field, code):
    response = client.post(
        "/api/v1/devices", payload, content_type="application/json", headers=auth_headers(kailu_officer)
    )
    assert response.status_code == 422
    body = response.json()
    assert field in body["fields"] and body["code"] == code, body
    assert not Device.objects.exists()


def test_api_duplicate_serial(client, kailu_officer, auth_headers):
    make_device(serial="API-DUP-1")
    response = client.post("/api/v1/devices", {"kind": "sos_button", "serial": "API-DUP-1"}, content_type="application/json",
                           headers=auth_headers(kailu_officer))  # fmt: skip
    assert response.status_code == 422 and response.json()["code"] == "serial_exists"


def test_api_register_needs_the_capability(client, caregiver, auth_headers):
    response = client.post("/api/v1/devices", {"kind": "sos_button", "serial": "API-0009"}, content_type="application/json",
                           headers=auth_headers(caregiver))  # fmt: skip
    assert response.status_code == 403


# --- the elder page -------------------------------------------------------------------------------


def test_the_elder_page_lists_devices_and_sets_personal_rules(client_for, kailu_officer, elder):
    make_device(elder, serial="PANEL-0001")
    client = client_for(kailu_officer)
    body = client.get(f"/elders/{elder.pk}/").content.decode()
    assert "告警设备" in body and "PANEL-0001" in body and "告警设置" in body
    response = client.post(f"/alarms/elder/{elder.pk}/rules/", {"geofence": "on", "inactivity_hours": "8"})
    assert response.status_code == 302
    overrides = {o.cause: o for o in AlarmRuleOverride.objects.filter(elder=elder)}
    assert overrides["geofence"].enabled is True and overrides["inactivity"].params == {"hours": 8}
    refused = client.post(
        f"/alarms/elder/{elder.pk}/rules/", {"geofence": "", "inactivity_hours": "0"}, follow=True
    )
    assert "请填写 1–72 的整数" in refused.content.decode()
    assert AlarmRuleOverride.objects.get(elder=elder, cause="inactivity").params == {"hours": 8}  # unchanged
    client.post(f"/alarms/elder/{elder.pk}/rules/", {"geofence": "", "inactivity_hours": ""})
    assert not AlarmRuleOverride.objects.filter(elder=elder).exists()


def test_navigation_has_the_call_centre_section(client_for, kailu_officer):
    body = client_for(kailu_officer).get("/alarms/devices/").content.decode()
    assert "呼叫中心" in body and "设备错误" in body
