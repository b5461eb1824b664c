"""Who reads which plan items (a township officer: those sited in its township), and the plan year
(计划年度): set from the deadline, the import and the form, filtered on the list, the API and the export."""

import importlib
import io
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tests.conftest import KAILU_VILLAGE, make_user
from yanglao.planning import plans
from yanglao.planning.models import PlanItem, PlanProgress

FIXTURES = Path(__file__).parent / "fixtures"
OTHER_TOWN_VILLAGE = "150523101200"  # 大榆树镇榆树村, same county, another township
BJ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _item(name, site=None, region="150523000000", **kw):
    kw.setdefault("deadline", date(2021, 12, 31))
    kw.setdefault("plan_year", kw["deadline"].year if kw["deadline"] else 2021)
    return PlanItem.objects.create(
        region_id=region, kind="community_station", name=name, site_region_id=site, **kw
    )


@pytest.fixture
def three(db):
    """In 开鲁县: one item sited in 开鲁镇, one in 大榆树镇, one whose site is unknown."""
    return _item("开鲁镇站", KAILU_VILLAGE), _item("大榆树站", OTHER_TOWN_VILLAGE), _item("未定位站")


def _names(response) -> set[str]:
    return {i.name for i in response.context["page"].object_list}


def _sheet_names(content: bytes) -> set[str]:
    book = load_workbook(io.BytesIO(content))
    return {r[2] for sheet in book.worksheets for r in list(sheet.iter_rows(values_only=True))[2:]}


# --- a township officer reads the items sited in its township ------------------------------------


def test_township_officer_sees_the_items_in_its_township(client_for, township_officer, three):
    mine, other, unsited = three
    client = client_for(township_officer)
    assert _names(client.get("/planning/plans/")) == {"开鲁镇站"}
    assert client.get(f"/planning/plans/{mine.pk}/").status_code == 200
    assert client.get(f"/planning/plans/{other.pk}/").status_code == 404
    assert client.get(f"/planning/plans/{unsited.pk}/").status_code == 404
    assert _sheet_names(client.get("/planning/plans/export.xlsx").content) == {"开鲁镇站"}


def test_township_officer_api_lists_the_same(client, auth_headers, township_officer, three):
    body = client.get("/api/v1/plans", headers=auth_headers(township_officer)).json()
    assert [i["name"] for i in body["items"]] == ["开鲁镇站"] and body["total"] == 1


def test_township_officer_reads_but_does_not_file(client_for, township_officer, three):
    mine = three[0]
    client = client_for(township_officer)
    body = client.get(f"/planning/plans/{mine.pk}/").content.decode()
    assert "填报月度进度" not in body and "关联设施</a>" not in body and "修改</a>" not in body
    month = plans.reporting_month(datetime.now(BJ)).isoformat()
    response = client.post(f"/planning/plans/{mine.pk}/progress/", {"month": month, "status": "design",
                                                                    "percent": "10"})  # fmt: skip
    assert response.status_code == 403 and not PlanProgress.objects.exists()
    response = client.post(f"/planning/plans/{mine.pk}/edit/", {
        "region": "150523000000", "kind": "community_station", "name": "改名", "deadline_text": "2021年底"})  # fmt: skip
    assert response.status_code == 403 and PlanItem.objects.get(pk=mine.pk).name == "开鲁镇站"


def test_township_officer_sees_the_photos_of_its_items_only(
    client_for, kailu_officer, township_officer, three
):
    from tests.planning.leak_cases import _png

    mine, other, _ = three
    photos = []
    for item in (mine, other):
        progress = plans.progress_report(
            actor=kailu_officer, item=item, month=date(2022, 1, 1), status="design", percent=5,
            photos=[SimpleUploadedFile("a.png", _png(), content_type="image/png")], now=datetime(2022, 2, 3, tzinfo=BJ),
        )  # fmt: skip
        photos.append(progress.photos.get())
    client = client_for(township_officer)
    assert client.get(f"/planning/plans/photos/{photos[0].pk}/").status_code == 200
    assert client.get(f"/planning/plans/photos/{photos[1].pk}/").status_code == 404


def test_county_officer_filters_by_township(client_for, kailu_officer, three):
    client = client_for(kailu_officer)
    assert _names(client.get("/planning/plans/")) == {"开鲁镇站", "大榆树站", "未定位站"}
    assert _names(client.get("/planning/plans/", {"region": "150523100"})) == {"开鲁镇站"}


def test_other_county_and_other_township_officers_see_nothing(client_for, horqin_officer, three):
    assert _names(client_for(horqin_officer).get("/planning/plans/")) == set()
    other_town = make_user("dayushu-t", "officer", "150523101")
    assert _names(client_for(other_town).get("/planning/plans/")) == {"大榆树站"}


def test_city_officer_sees_every_county(client_for, city_officer, three):
    horqin = _item("科尔沁站", region="150502000000")
    names = _names(client_for(city_officer).get("/planning/plans/"))
    assert names == {"开鲁镇站", "大榆树站", "未定位站", horqin.name}


def test_planned_items_count_in_a_township_officers_coverage(township_officer, three):
    from yanglao.planning import selectors

    PlanItem.objects.filter(name__in=["开鲁镇站", "大榆树站"]).update(latitude=43.6, longitude=121.3)
    sites = selectors.covering_sites(
        actor=township_officer, query=selectors.CoverageQuery(include_planned=True)
    )
    assert [r["name"] for r in sites.rows if r["kind"] == "plan"] == ["开鲁镇站"]


# --- plan year -----------------------------------------------------------------------------------


def test_migration_sets_the_plan_year_from_the_deadline(db):
    migration = importlib.import_module("yanglao.planning.migrations.0002_plan_year_and_siting_task")
    dated = _item("有时限", deadline=date(2022, 6, 30), plan_year=2030)
    undated = _item("无时限", deadline=None, plan_year=2030)
    PlanItem.objects.filter(pk=undated.pk).update(created_at=datetime(2023, 5, 1, tzinfo=BJ))
    migration.plan_year_from_deadline(apps, None)
    assert PlanItem.objects.get(pk=dated.pk).plan_year == 2022
    assert PlanItem.objects.get(pk=undated.pk).plan_year == 2023


def test_list_and_api_filter_by_plan_year(client, client_for, auth_headers, kailu_officer, db):
    _item("二一站", deadline=date(2021, 12, 31))
    _item("二二站", deadline=date(2023, 3, 31), plan_year=2022)  # the 2022 plan, due in 2023
    page = client_for(kailu_officer).get("/planning/plans/", {"year": "2022"})
    assert _names(page) == {"二二站"} and ">2022<" in page.content.decode()
    errors = client_for(kailu_officer).get("/planning/plans/", {"year": "1999"}).context["form"].errors
    assert "计划年度应在 2000–2100 之间。" in errors["year"]
    body = client.get("/api/v1/plans", {"year": 2021}, headers=auth_headers(kailu_officer)).json()
    assert [(i["name"], i["plan_year"]) for i in body["items"]] == [("二一站", 2021)]


def test_import_sets_the_plan_year(client_for, city_officer):
    content = (FIXTURES / "plan_attachment1.xlsx").read_bytes()
    client = client_for(city_officer)
    client.post(
        "/planning/plans/import/", {"kind": "street_centre", "file": SimpleUploadedFile("a.xlsx", content)}
    )
    assert set(PlanItem.objects.values_list("plan_year", flat=True)) == {2021}  # from the sheet's title
    client.post("/planning/plans/import/", {"kind": "street_centre", "plan_year": "2022",
                                            "file": SimpleUploadedFile("a.xlsx", content)})  # fmt: skip
    assert set(PlanItem.objects.values_list("plan_year", flat=True)) == {
        2022
    }  # re-imported into the 2022 plan


def test_import_without_a_year_in_the_title_takes_the_deadline_year(city_officer):
    book = load_workbook(FIXTURES / "plan_attachment1.xlsx")
    book.worksheets[0]["A1"] = "通辽市拟新建（街道层面）居家社区养老服务规划统计表"
    buffer = io.BytesIO()
    book.save(buffer)
    plans.plan_import(actor=city_officer, kind="street_centre", filename="a.xlsx", content=buffer.getvalue())
    item = PlanItem.objects.filter(deadline__isnull=False).first()
    assert item.plan_year == item.deadline.year


def test_form_plan_year_defaults_to_the_deadline_year(client_for, kailu_officer):
    client = client_for(kailu_officer)
    base = {"region": "150523000000", "kind": "community_station"}
    client.post("/planning/plans/new/", {**base, "name": "甲", "deadline_text": "2027-06-30"})
    client.post(
        "/planning/plans/new/", {**base, "name": "乙", "deadline_text": "年底前", "plan_year": "2026"}
    )
    assert PlanItem.objects.get(name="甲").plan_year == 2027
    second = PlanItem.objects.get(name="乙")
    assert (second.plan_year, second.deadline) == (2026, date(2026, 12, 31))


def test_api_create_takes_the_plan_year(client, auth_headers, kailu_officer):
    response = client.post("/api/v1/plans", {"county_code": "150523", "kind": "community_station", "name": "丙",
                                             "deadline": "年底前", "plan_year": 2025},
                           content_type="application/json", headers=auth_headers(kailu_officer))  # fmt: skip
    assert response.status_code == 201
    assert (response.json()["plan_year"], response.json()["deadline"]) == (2025, "2025-12-31")


# --- the export opens in Excel as the list shows it ---------------------------------------------


def test_export_follows_the_list_filters_and_titles_the_year(client_for, kailu_officer, db):
    _item("二一站")
    _item("二二站", deadline=date(2022, 12, 31), plan_year=2022)
    content = client_for(kailu_officer).get("/planning/plans/export.xlsx", {"year": "2022"}).content
    book = load_workbook(io.BytesIO(content))
    assert book.worksheets[1]["A1"].value.startswith("2022年通辽市")
    assert _sheet_names(content) == {"二二站"}


def test_export_keeps_formula_like_and_control_text_as_text(client_for, kailu_officer, auditor, db):
    _item("站", remarks="=HYPERLINK(\"http://x\")\x07", main_services="+助餐", responsible_person="@张",
          phone="13904751699")  # fmt: skip
    content = client_for(kailu_officer).get("/planning/plans/export.xlsx").content
    row = load_workbook(io.BytesIO(content)).worksheets[1][3]
    cells = {c.column_letter: c for c in row}
    assert cells["K"].value == '=HYPERLINK("http://x")' and cells["K"].data_type == "s"
    assert cells["H"].data_type == "s" and cells["I"].value == "@张" and cells["J"].value == "13904751699"
    # A reader who neither edits nor reports gets the phone masked, as on the detail page.
    masked = load_workbook(io.BytesIO(client_for(make_user("kl-aud", "auditor", "150523")).get(
        "/planning/plans/export.xlsx").content)).worksheets[1][3]  # fmt: skip
    assert masked[9].value != "13904751699" and "*" in masked[9].value


# --- the monthly report reminder (due by the 10th) ----------------------------------------------


def _reported(item, user, month):
    plans.progress_report(actor=user, item=item, month=month, status="design", percent=5,
                          now=datetime.combine(plans.add_months(month, 1), datetime.min.time(), tzinfo=BJ))  # fmt: skip


def test_county_officer_is_reminded_of_unreported_items(client_for, kailu_officer, three):
    mine = three[0]
    month = plans.reporting_month(datetime.now(BJ))
    _reported(mine, kailu_officer, month)
    page = client_for(kailu_officer).get("/planning/plans/")
    body = page.content.decode()
    assert 'id="report-reminder"' in body and "开鲁县还有 2 个项目未报送" in body
    assert f"{month.year}年{month.month}月的月度进度应于" in body
    unreported = client_for(kailu_officer).get("/planning/plans/", {"status": "unreported"})
    assert _names(unreported) == {"大榆树站", "未定位站"}


def test_reminder_is_overdue_after_the_10th_and_gone_when_all_are_in(kailu_officer, three):
    now = datetime(2022, 2, 11, 9, tzinfo=BJ)
    reminder = plans.report_reminder(actor=kailu_officer, now=now)
    assert (reminder.month, reminder.missing, reminder.past_due, reminder.counties) == (
        date(2022, 1, 1), 3, True, ["开鲁县"])  # fmt: skip
    assert not plans.report_reminder(actor=kailu_officer, now=datetime(2022, 2, 10, 23, tzinfo=BJ)).past_due
    for item in three:
        _reported(item, kailu_officer, date(2022, 1, 1))
    assert plans.report_reminder(actor=kailu_officer, now=now) is None


def test_city_officer_is_reminded_of_counties_and_townships_are_not(
    client_for, city_officer, township_officer, three
):
    _item("科尔沁站", region="150502000000")
    reminder = plans.report_reminder(actor=city_officer)
    assert reminder.counties == ["科尔沁区", "开鲁县"] and reminder.missing == 4
    body = client_for(township_officer).get("/planning/plans/").content.decode()
    assert 'id="report-reminder"' not in body and "新建项目" not in body and "导入计划表" not in body
