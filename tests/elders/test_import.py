import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from tests.conftest import HORQIN_TOWN, KAILU_VILLAGE, make_elder
from yanglao.core import crypto
from yanglao.core.idnumber import make
from yanglao.core.models import Task
from yanglao.core.tasks import run_pending
from yanglao.core.uploads import CONTEXT as FILE_CONTEXT
from yanglao.elders.imports import COLUMNS, template_bytes
from yanglao.elders.models import Category, DuplicateFlag, Elder, ElderEvent

HEADERS = [c.header + ("*" if c.required else "") for c in COLUMNS]
KEY_OF = {c.header: c.key for c in COLUMNS}


def person(i, **extra):
    row = {
        "name": f"导入{i}号",
        "id_number": make("150523", date(1941, 2, 3), 700 + 2 * i, "F"),
        "region": KAILU_VILLAGE,
        "phone": f"1380000{i:04d}",
        "living_situation": "独居" if i % 2 else "与子女同住",
        "cat_subsistence": "是" if i == 1 else "否",
    }
    row.update(extra)
    return row


def xlsx(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(KEY_OF.get(h.rstrip("*"), ""), "") for h in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name="elders.xlsx", mode="all_or_nothing"):
    response = client.post("/elders/import/", {"file": SimpleUploadedFile(name, content), "mode": mode})
    assert response.status_code == 302, response.content.decode()[:2000]
    run_pending()
    return Task.objects.order_by("-pk").first()


def problems(task):
    return [(p["row"], p["column"], p["message"]) for p in task.result["problems"]]


@pytest.fixture
def client(client_for, kailu_officer):
    return client_for(kailu_officer)


@pytest.mark.django_db
def test_a_clean_file_creates_everyone_with_history_and_categories(client):
    task = upload(client, xlsx([person(i) for i in range(1, 6)]))
    assert task.status == "done", task.error
    assert (task.result["created"], task.result["updated"], task.result["failed_rows"]) == (5, 0, 0)
    one = Elder.objects.get(name="导入1号")
    assert one.phone_masked == "138****0001"
    assert one.categories.filter(category=Category.SUBSISTENCE).exists()
    assert one.categories.filter(category=Category.ALONE_OR_EMPTY_NEST).exists()
    assert ElderEvent.objects.filter(elder=one, kind="imported").exists()
    assert not task.input_file  # the sealed upload is removed once imported


@pytest.mark.django_db
def test_reimporting_the_same_file_updates_and_never_duplicates(client):
    content = xlsx([person(i) for i in range(1, 4)])
    upload(client, content)
    again = upload(client, content)
    assert (again.result["created"], again.result["updated"], again.result["unchanged"]) == (0, 0, 3)
    changed = upload(
        client, xlsx([person(1, phone="13900009999", cat_subsistence="否"), person(2), person(3)])
    )
    assert (changed.result["created"], changed.result["updated"], changed.result["unchanged"]) == (0, 1, 2)
    assert Elder.objects.count() == 3
    one = Elder.objects.get(name="导入1号")
    assert one.phone_masked == "139****9999"
    assert one.categories.get(category=Category.SUBSISTENCE).valid_to is not None


@pytest.mark.django_db
def test_every_row_error_is_reported_and_nothing_is_written_by_default(client, horqin_officer):
    make_elder(
        HORQIN_TOWN + "001", id_number=make("150523", date(1941, 2, 3), 752, "F"), actor=horqin_officer
    )
    rows = [
        person(1),
        person(2, id_number="150523194102037001"),  # bad check digit
        person(3, birth_date="1941-13-01"),  # bad date
        person(4, region="999999999999"),  # unknown region
        person(5, region=HORQIN_TOWN + "001"),  # outside 开鲁县
        person(6, id_number=person(1)["id_number"]),  # duplicate within the file
        person(7, id_number=make("150523", date(1941, 2, 3), 752, "F")),  # registered in 科尔沁区
    ]
    task = upload(client, xlsx(rows))
    found = problems(task)
    assert [(r, c) for r, c, _ in found] == [
        (3, "身份证号"),
        (4, "出生日期"),
        (5, "居住地区划"),
        (6, "居住地区划"),
        (7, "身份证号"),
        (8, "身份证号"),
    ]
    messages = " ".join(m for _, _, m in found)
    for fragment in ("校验位", "出生日期格式", "不存在", "超出您的管辖范围", "与第 2 行重复", "其他地区登记"):
        assert fragment in messages
    assert task.result["created"] == 0 and task.result["failed_rows"] == 6
    assert not Elder.objects.filter(name__startswith="导入").exists()


@pytest.mark.django_db
def test_valid_rows_only_mode_imports_the_good_rows(client):
    task = upload(client, xlsx([person(1), person(2, id_number="123"), person(3)]), mode="valid_only")
    assert (task.result["created"], task.result["failed_rows"]) == (2, 1)
    assert sorted(Elder.objects.values_list("name", flat=True)) == ["导入1号", "导入3号"]


@pytest.mark.django_db
def test_error_file_holds_the_failed_rows_and_reimports_once_fixed(client):
    task = upload(client, xlsx([person(1), person(2, id_number="150523194102037001")]))
    response = client.get(f"/elders/import/{task.pk}/errors.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][-2:] == ("原行号", "错误说明") and len(rows) == 2 and rows[1][-2] == 3
    assert rows[1][1] == "150523194102037001" and "校验位" in rows[1][-1]
    # The stored report is sealed: no clear ID on disk.
    assert b"150523194102037001" not in task.output_file.open("rb").read()
    # Fix the row in the report itself and import the report as it is (its extra columns are ignored).
    book.active.cell(row=2, column=2, value=person(2)["id_number"])
    buffer = io.BytesIO()
    book.save(buffer)
    second = upload(client, buffer.getvalue())
    assert (second.result["created"], second.result["failed_rows"]) == (1, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content, name, fragment",
    [
        (b"", "empty.xlsx", "文件是空的"),
        (b"this is not a spreadsheet at all \x00\x01", "fake.xlsx", "不是"),
        (b"PK\x03\x04broken zip", "broken.xlsx", "不是有效的 Excel"),
        (b"\xd0\xcf\x11\xe0old", "old.xlsx", ".xls"),
    ],
)
def test_unreadable_files_fail_with_a_clear_message(client, content, name, fragment):
    if not content:
        response = client.post("/elders/import/", {"file": SimpleUploadedFile(name, content)})
        assert fragment in response.content.decode()
        return
    task = upload(client, content, name=name)
    assert task.status == "failed" and fragment in task.error


@pytest.mark.django_db
def test_wrong_header_is_explained(client):
    task = upload(client, xlsx([person(1)], headers=["姓名*", "证件号码", "居住地区划*"]))
    assert task.status == "failed"
    assert "缺少必填列：身份证号" in task.error and "无法识别的列：证件号码" in task.error


@pytest.mark.django_db
def test_a_file_with_only_a_header_has_no_rows(client):
    task = upload(client, xlsx([]))
    assert task.status == "failed" and "没有数据行" in task.error


@pytest.mark.django_db
def test_a_50_megabyte_file_is_refused_before_upload_is_kept(client):
    big = SimpleUploadedFile("big.xlsx", b"PK\x03\x04" + b"0" * (50 * 1024 * 1024))
    response = client.post("/elders/import/", {"file": big})
    assert response.status_code == 200 and "超过 30 MB" in response.content.decode()
    assert not Task.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_in_utf8_or_gbk(client, encoding):
    lines = [",".join(["姓名", "身份证号", "居住地区划", "居住情况"])]
    lines.append(
        ",".join(["导入9号", person(9)["id_number"], "通辽市/开鲁县/开鲁镇/" + _village_name(), "空巢"])
    )
    task = upload(client, ("\n".join(lines) + "\n").encode(encoding), name="elders.csv")
    assert task.status == "done" and task.result["created"] == 1, task.result
    assert Elder.objects.get().living_situation == "empty_nest"


def _village_name():
    from yanglao.regions.models import Region

    return Region.objects.get(code=KAILU_VILLAGE).name


@pytest.mark.django_db
def test_near_duplicates_in_a_file_are_flagged(client):
    twin = person(1, id_number=make("150523", date(1941, 2, 3), 790, "F"))
    task = upload(client, xlsx([person(1), twin]))
    assert task.result["created"] == 2
    assert DuplicateFlag.objects.filter(state="open").count() == 1


@pytest.mark.django_db
def test_progress_and_result_pages(client, client_for, horqin_officer):
    response = client.post(
        "/elders/import/", {"file": SimpleUploadedFile("e.xlsx", xlsx([person(1)])), "mode": "all_or_nothing"}
    )
    task = Task.objects.get()
    queued = client.get(response["Location"]).content.decode()
    assert "排队等待处理" in queued and f"/core/tasks/{task.pk}/progress/" in queued
    run_pending()
    poll = client.get(f"/core/tasks/{task.pk}/progress/?refresh=1", headers={"HX-Request": "true"})
    assert poll["HX-Refresh"] == "true"
    assert 'id="created">1<' in client.get(response["Location"]).content.decode()
    # Someone else's import is not found.
    assert client_for(horqin_officer).get(response["Location"]).status_code == 404


@pytest.mark.django_db
def test_template_has_headers_instructions_and_dropdowns(client):
    response = client.get("/elders/import/template.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    data = book.worksheets[0]
    assert [c.value for c in data[1]] == HEADERS
    assert "填写说明" in book.sheetnames and book["选项"].sheet_state == "hidden"
    validated = {str(rule.sqref).split(":")[0][:-1] for rule in data.data_validations.dataValidation}
    assert {"C", "E", "K"} <= validated  # 性别, 民族, 居住情况
    assert response["Content-Disposition"].startswith("attachment")


@pytest.mark.django_db
def test_the_stored_upload_is_sealed(client):
    client.post(
        "/elders/import/", {"file": SimpleUploadedFile("e.xlsx", xlsx([person(1)])), "mode": "all_or_nothing"}
    )
    task = Task.objects.get()
    sealed = task.input_file.open("rb").read()
    assert crypto.decrypt_bytes(sealed, context=FILE_CONTEXT).startswith(b"PK")
    assert person(1)["id_number"].encode() not in sealed


@pytest.mark.django_db
def test_a_caregiver_cannot_import(client_for, caregiver):
    assert client_for(caregiver).get("/elders/import/").status_code == 403


def test_template_bytes_is_a_workbook():
    assert template_bytes()[:2] == b"PK"
