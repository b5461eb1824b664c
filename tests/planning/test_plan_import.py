"""Importing the construction plans of seed 002 (附件1/附件2) as printed: every row accounted for."""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook

from tests.conftest import make_user
from yanglao.planning import plans
from yanglao.planning.models import PlanImport, PlanItem, PlanItemEvent, PlanKind

FIXTURES = Path(__file__).parent / "fixtures"
A1 = (FIXTURES / "plan_attachment1.xlsx").read_bytes()
A2 = (FIXTURES / "plan_attachment2.xlsx").read_bytes()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def run(actor, content, kind, name="附件1.xlsx"):
    return plans.plan_import(actor=actor, kind=kind, filename=name, content=content)


def by_row(batch: PlanImport) -> dict[int, dict]:
    return {r["row"]: r for r in batch.report}


def test_attachment1_every_row_accounted_for(city_officer):
    batch = run(city_officer, A1, PlanKind.STREET_CENTRE)
    report = by_row(batch)
    # 26 data rows + the blank row at the page break, every spreadsheet row from 3 to 29.
    assert sorted(report) == list(range(3, 30))
    assert batch.rows_total == 27
    assert batch.rows_created == 26 and batch.rows_failed == 0 and batch.rows_updated == 0
    assert report[18]["status"] == "skipped" and "空行" in report[18]["messages"][0]
    assert PlanItem.objects.filter(kind=PlanKind.STREET_CENTRE).count() == 26
    by_name = {i.name: i for i in PlanItem.objects.select_related("region", "site_region")}
    first = by_name["明仁街道居家社区养老服务中心"]  # the wrapped name joined
    assert (first.region.name, first.site_region.name, first.deadline) == (
        "科尔沁区",
        "明仁街道",
        date(2021, 12, 31),
    )
    assert (first.deadline_text, first.phone, first.phone_text) == ("2021年末", "0475-2739175", "2739175")
    assert first.area_m2 == Decimal("600") and first.remarks == "600平"
    assert first.source_row["备注"] == "600平"
    assert by_name["建国街道居家社区养老服务中心"].site_region.name == "建国街道"  # written as 建国
    assert "补充区号" in " ".join(report[3]["messages"])
    # Rows 12–15 sit under the merged 科尔沁区 cell but are the development zone's streets.
    zone = by_name["通辽经济技术开发区河西街道居家社区养老服务中"]
    assert zone.region.name == "通辽经济技术开发区" and zone.site_region.name == "河西街道"
    assert "请核对" in report[14]["messages"][0]
    assert "合并单元格" in report[4]["messages"][0]
    # Scrambled county cells, abbreviations, year-less deadlines.
    assert by_name["铁东社区居家社区养老服务务中心"].region.name == "科尔沁左翼后旗"
    assert "字序颠倒" in report[23]["messages"][0]
    assert by_name["膳德坊居家社区养老服务中心"].region.name == "开鲁县"
    assert by_name["膳德坊居家社区养老服务中心"].site_region is None
    assert "未在区划中找到" in " ".join(report[24]["messages"])
    assert by_name["保康街道达尔罕社区居家社区养老服务"].region.name == "科尔沁左翼中旗"
    assert by_name["养畜牧居家社区养老服务中心"].deadline == date(2022, 6, 30)
    assert by_name["保康街道振兴社区居家社区养老服务"].deadline == date(2021, 12, 31)  # 年底, plan year 2021
    # The row with no responsible person or phone is imported and says so.
    last = by_name["鲁北镇玉龙社区居家社区养老服务"]
    assert last.responsible_person == "" and last.phone == ""
    assert "未填写责任人" in report[29]["messages"]
    # The original is shown beside the normalised value; phones masked on the report.
    fields = {f["label"]: f for f in report[3]["fields"]}
    assert fields["完成时限"] == {"label": "完成时限", "original": "2021年末", "value": "2021-12-31"}
    assert "2739175" not in str(batch.report)
    assert PlanItemEvent.objects.filter(kind="imported").count() == 26


def test_attachment2_every_row_accounted_for(city_officer):
    batch = run(city_officer, A2, PlanKind.COMMUNITY_STATION, "附件2.xlsx")
    report = by_row(batch)
    assert sorted(report) == list(range(3, 23))  # 19 rows and the repeated header
    assert batch.rows_created == 19 and batch.rows_failed == 0
    assert report[15]["status"] == "skipped" and "重复的表头" in report[15]["messages"][0]
    items = {i.name: i for i in PlanItem.objects.select_related("region", "site_region")}
    assert len(items) == 19
    # The phone with 10 digits is kept as written, reported, and left empty as a number.
    bad = items["东风村居家社区养老服务站"]
    assert bad.phone == "" and bad.phone_text == "1524758995"
    assert any("11 位" in m for m in report[9]["messages"])
    assert "1524758995" not in str(batch.report)  # quoted masked in the message too
    assert bad.region.name == "通辽经济技术开发区" and bad.site_region.name == "东风村委会"
    # Rows carried under 科尔沁区 whose community lies in exactly one other county move there.
    assert items["大青沟社区居家社区养老服务站"].region.name == "科尔沁左翼后旗"
    assert items["科左中旗科尔沁社区居家社区养老服务站"].region.name == "科尔沁左翼中旗"
    assert items["小街基镇居家社区养老服务站"].region.name == "开鲁县"
    assert items["永清街道学苑社区居家养老服务站"].site_region.code == "150502003008"
    # A county in the name cell (row 17), a name in the county cell (18, 19).
    assert items["山水人家居家社区养老服务站"].region.name == "库伦旗"
    assert items["山水人家居家社区养老服务站"].deadline == date(2021, 6, 30)
    assert items["富民社区居家社区养老服务站"].region.name == "奈曼旗"
    assert items["兴发社区居家社区养老服务站"].region.name == "霍林郭勒市"
    assert "已拆分" in report[21]["messages"][0]
    assert items["永清街道学苑社区居家养老服务站"].area_m2 == Decimal("300")


def test_importing_again_updates_and_duplicates_nothing(city_officer):
    run(city_officer, A1, PlanKind.STREET_CENTRE)
    again = run(city_officer, A1, PlanKind.STREET_CENTRE)
    assert again.rows_created == 0 and again.rows_updated == 26
    assert PlanItem.objects.count() == 26


def test_county_officer_imports_only_own_county(horqin_officer):
    batch = run(horqin_officer, A1, PlanKind.STREET_CENTRE)
    report = by_row(batch)
    assert batch.rows_created == 11  # 科尔沁区's eleven streets
    assert batch.rows_failed == 15  # the zone's four and the other counties', each with the reason
    assert all(r["status"] in ("created", "error", "skipped") for r in batch.report)
    assert "不在您的管辖范围内" in report[19]["messages"][-1]
    assert set(PlanItem.objects.values_list("region_id", flat=True)) == {"150502000000"}


def test_wrong_attachment_and_bad_files_change_nothing(city_officer):
    with pytest.raises(ValidationError) as exc:
        run(city_officer, A1, PlanKind.COMMUNITY_STATION)
    assert exc.value.error_dict["kind"][0].code == plans.PlanError.WRONG_ATTACHMENT
    with pytest.raises(ValidationError) as exc:
        run(city_officer, b"not a spreadsheet", PlanKind.STREET_CENTRE)
    assert exc.value.error_dict["file"][0].code == plans.PlanError.BAD_FILE
    book = Workbook()
    book.active.append(["名称", "地址"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ValidationError) as exc:
        run(city_officer, buffer.getvalue(), PlanKind.STREET_CENTRE)
    assert exc.value.error_dict["file"][0].code == plans.PlanError.NO_HEADER
    assert PlanImport.objects.count() == 0 and PlanItem.objects.count() == 0


def test_rows_without_a_name_or_with_an_unknown_county_are_reported(city_officer):
    book = Workbook()
    sheet = book.active
    sheet.append(["2021年通辽市拟新建（街道层面）居家社区养老服务规划统计表"])
    sheet.append(
        [
            "序号",
            "旗县",
            "名称",
            "所在街道",
            "覆盖",
            "建设完成时限",
            "床位",
            "主要服务",
            "责任人",
            "联系电话",
            "备注",
        ]
    )
    sheet.append([1, "呼和浩特市", "某中心", "", 1, "尽快", None, "", "张三", "13904751699", ""])
    sheet.append([2, "开鲁县", None, "开鲁镇", 1, "2021年底", None, "", "张三", "13904751699", ""])
    sheet.append(
        [3, None, "开鲁镇中心", "开鲁镇", 1, "尽快", "三十", "", "张三", "电话待定", "一楼300平，二楼200平"]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    batch = run(city_officer, buffer.getvalue(), PlanKind.STREET_CENTRE)
    report = by_row(batch)
    assert report[3]["status"] == "error" and "无法识别的旗县" in report[3]["messages"][0]
    assert report[4]["status"] == "error" and "缺少名称" in report[4]["messages"][-1]
    assert report[5]["status"] == "created"
    text = " ".join(report[5]["messages"])
    assert (
        "无法识别的完成时限：尽快" in text and "床位数" in text and "无效字符" in text and "多个面积" in text
    )
    item = PlanItem.objects.get()
    assert (item.deadline, item.deadline_text, item.beds, item.area_m2) == (None, "尽快", None, None)
    assert item.site_region.name == "开鲁镇"


def test_import_needs_the_edit_capability(caregiver):
    with pytest.raises(PermissionDenied):
        run(caregiver, A1, PlanKind.STREET_CENTRE)


def test_a_county_user_may_import_with_make_user(db):
    user = make_user("kl-import", "officer", "150523")
    batch = run(user, A2, PlanKind.COMMUNITY_STATION)
    # 开鲁镇's four stations and 小街基镇's (明升村, moved from under the 科尔沁区 cell); 爱新镇's
    # "富通村镇" matches no village, so it stays under the carried 科尔沁区 and is refused here.
    assert batch.rows_created == 5
    assert PlanItem.objects.filter(name="爱新镇富通村镇居家社区养老服务站").count() == 0
