"""Monthly progress: the reporting window (the 10th at 23:59 Beijing time), the service's rules, overdue items and who has not reported."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.conftest import make_facility, make_user
from yanglao.planning import plans
from yanglao.planning.models import PlanItem, PlanItemEvent, PlanProgress

BJ = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# --- the window (pure) ---------------------------------------------------------------------------


def test_report_for_a_month_opens_on_the_next_months_first_beijing_time():
    assert plans.report_opens_at(date(2021, 6, 1)) == datetime(2021, 7, 1, tzinfo=BJ)
    assert plans.report_opens_at(date(2021, 12, 15)) == datetime(2022, 1, 1, tzinfo=BJ)
    # 2021-06-30 16:00 UTC is already 1 July in Beijing.
    assert plans.reporting_month(datetime(2021, 6, 30, 16, 0, tzinfo=UTC)) == date(2021, 6, 1)
    assert plans.reporting_month(datetime(2021, 6, 30, 15, 59, tzinfo=UTC)) == date(2021, 5, 1)
    assert plans.reporting_month(datetime(2022, 1, 5, tzinfo=BJ)) == date(2021, 12, 1)


def test_due_by_the_10th_at_2359_beijing_time():
    due = plans.report_due_at(date(2021, 6, 1))
    assert due.astimezone(BJ).replace(microsecond=0) == datetime(2021, 7, 10, 23, 59, 59, tzinfo=BJ)
    assert not plans.is_late(date(2021, 6, 1), datetime(2021, 7, 10, 23, 59, tzinfo=BJ))
    assert not plans.is_late(date(2021, 6, 1), datetime(2021, 7, 10, 15, 59, 59, tzinfo=UTC))
    assert plans.is_late(date(2021, 6, 1), datetime(2021, 7, 11, 0, 0, tzinfo=BJ))
    assert plans.is_late(
        date(2021, 6, 1), datetime(2021, 7, 10, 16, 0, tzinfo=UTC)
    )  # 00:00 on the 11th in Beijing
    assert plans.report_due_at(date(2021, 12, 1)).date() == date(2022, 1, 10)


def test_month_arithmetic():
    assert plans.add_months(date(2021, 12, 1), 1) == date(2022, 1, 1)
    assert plans.add_months(date(2021, 1, 1), -1) == date(2020, 12, 1)
    assert plans.month_choices(datetime(2021, 3, 2, tzinfo=BJ), 3) == [
        date(2021, 2, 1),
        date(2021, 1, 1),
        date(2020, 12, 1),
    ]


def test_overdue_means_deadline_passed_and_not_done():
    today = date(2022, 1, 1)
    assert plans.is_overdue(date(2021, 12, 31), None, today)
    assert plans.is_overdue(date(2021, 12, 31), "construction", today)
    assert not plans.is_overdue(date(2021, 12, 31), "completed", today)
    assert not plans.is_overdue(date(2021, 12, 31), "operating", today)
    assert not plans.is_overdue(date(2022, 1, 1), None, today)  # the deadline day still counts
    assert not plans.is_overdue(None, None, today)


# --- the service ---------------------------------------------------------------------------------


def _item(region="150523000000", name="开鲁镇新城社区站", deadline=date(2021, 12, 31), **kw):
    return PlanItem.objects.create(
        region_id=region, kind="community_station", name=name, deadline=deadline, **kw
    )


def test_report_for_the_previous_month(kailu_officer):
    item = _item()
    now = datetime(2021, 7, 5, 10, tzinfo=BJ)
    progress = plans.progress_report(actor=kailu_officer, item=item, month=date(2021, 6, 1), status="design",
                                     percent=10, problems=" 选址待定 ", now=now)  # fmt: skip
    assert (progress.month, progress.status, progress.percent, progress.problems) == (
        date(2021, 6, 1),
        "design",
        10,
        "选址待定",
    )
    event = PlanItemEvent.objects.get(item=item, kind="progress")
    assert "报送2021年6月进度" in event.summary and "逾期" not in event.summary
    # A second report for the same month corrects it; still one row.
    plans.progress_report(actor=kailu_officer, item=item, month=date(2021, 6, 15), status="construction", percent=30,
                          now=datetime(2021, 7, 12, tzinfo=BJ))  # fmt: skip
    assert PlanProgress.objects.get(item=item).percent == 30
    assert "更正" in PlanItemEvent.objects.filter(item=item, kind="progress").first().summary
    assert "逾期报送" in PlanItemEvent.objects.filter(item=item, kind="progress").first().summary


def test_the_current_month_cannot_be_reported_yet(kailu_officer):
    item = _item()
    with pytest.raises(ValidationError) as exc:
        plans.progress_report(actor=kailu_officer, item=item, month=date(2021, 7, 1), status="design", percent=0,
                              now=datetime(2021, 7, 31, 23, 0, tzinfo=BJ))  # fmt: skip
    assert exc.value.error_dict["month"][0].code == plans.PlanError.MONTH_NOT_OPEN
    assert not PlanProgress.objects.exists()
    # At 00:00 on 1 August (Beijing) it opens.
    plans.progress_report(actor=kailu_officer, item=item, month=date(2021, 7, 1), status="design", percent=0,
                          now=datetime(2021, 7, 31, 16, 0, tzinfo=UTC))  # fmt: skip


@pytest.mark.parametrize(
    ("status", "percent"),
    [("not_started", 5), ("completed", 90), ("construction", 0), ("design", 100), ("x", 1), ("design", 101)],
)
def test_status_and_percent_must_agree(kailu_officer, status, percent):
    item = _item()
    with pytest.raises(ValidationError) as exc:
        plans.progress_report(actor=kailu_officer, item=item, month=date(2021, 6, 1), status=status, percent=percent,
                              now=datetime(2021, 7, 5, tzinfo=BJ))  # fmt: skip
    assert set(exc.value.error_dict) <= {"percent", "status"}
    assert not PlanProgress.objects.exists()


def test_in_operation_needs_a_facility_and_links_it(kailu_officer):
    item = _item()
    now = datetime(2021, 7, 5, tzinfo=BJ)
    with pytest.raises(ValidationError) as exc:
        plans.progress_report(
            actor=kailu_officer, item=item, month=date(2021, 6, 1), status="operating", percent=100, now=now
        )
    assert exc.value.error_dict["facility"][0].code == plans.PlanError.FACILITY_REQUIRED
    facility = make_facility("150523100", name="开鲁镇新城站", actor=kailu_officer)
    plans.progress_report(actor=kailu_officer, item=item, month=date(2021, 6, 1), status="operating", percent=100,
                          facility=facility, now=now)  # fmt: skip
    item.refresh_from_db()
    assert item.facility_id == facility.pk
    assert PlanItemEvent.objects.filter(item=item, kind="facility").exists()


def test_facility_of_another_county_is_refused(kailu_officer, city_officer):
    item = _item()
    other = make_facility("150502001", name="科尔沁站", actor=city_officer)
    with pytest.raises(ValidationError) as exc:
        plans.plan_item_link_facility(actor=city_officer, item=item, facility=other)
    assert exc.value.error_dict["facility"][0].code == plans.PlanError.FACILITY
    assert PlanItem.objects.get(pk=item.pk).facility_id is None


def test_photos_are_capped(kailu_officer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.planning.leak_cases import _png

    item = _item()
    photos = [SimpleUploadedFile(f"{n}.png", _png(), content_type="image/png") for n in range(7)]
    with pytest.raises(ValidationError) as exc:
        plans.progress_report(actor=kailu_officer, item=item, month=date(2021, 6, 1), status="design", percent=5,
                              photos=photos, now=datetime(2021, 7, 5, tzinfo=BJ))  # fmt: skip
    assert exc.value.error_dict["photos"][0].code == plans.PlanError.PHOTO
    progress = plans.progress_report(actor=kailu_officer, item=item, month=date(2021, 6, 1), status="design",
                                     percent=5, photos=photos[:2], now=datetime(2021, 7, 5, tzinfo=BJ))  # fmt: skip
    assert progress.photos.count() == 2


def test_reporting_needs_the_capability_and_the_scope(horqin_officer, auditor):
    item = _item()
    now = datetime(2021, 7, 5, tzinfo=BJ)
    with pytest.raises(PermissionDenied):
        plans.progress_report(
            actor=horqin_officer, item=item, month=date(2021, 6, 1), status="design", percent=0, now=now
        )
    with pytest.raises(PermissionDenied):
        plans.progress_report(
            actor=auditor, item=item, month=date(2021, 6, 1), status="design", percent=0, now=now
        )


def test_who_has_not_reported_and_what_is_overdue(city_officer, kailu_officer, horqin_officer):
    kailu_done = _item(name="开鲁已报")
    _item(name="开鲁未报")
    horqin = _item(region="150502000000", name="科尔沁未报", deadline=date(2022, 6, 30))
    operating_before = _item(region="150502000000", name="科尔沁早已运营")
    facility = make_facility("150502001", name="科尔沁早已运营站", actor=city_officer)
    plans.progress_report(actor=horqin_officer, item=operating_before, month=date(2021, 5, 1), status="operating",
                          percent=100, facility=facility, now=datetime(2021, 6, 5, tzinfo=BJ))  # fmt: skip
    plans.progress_report(actor=kailu_officer, item=kailu_done, month=date(2021, 6, 1), status="completed",
                          percent=100, now=datetime(2021, 7, 11, 9, tzinfo=BJ))  # fmt: skip
    rows = {r.region.name: r for r in plans.report_status(actor=city_officer, month=date(2021, 6, 1))}
    assert (rows["开鲁县"].items, rows["开鲁县"].reported, rows["开鲁县"].missing, rows["开鲁县"].late) == (
        2,
        1,
        1,
        1,
    )
    # An item in operation before the month no longer has to report.
    assert (rows["科尔沁区"].items, rows["科尔沁区"].missing) == (1, 1)
    # A county officer sees its own county only.
    assert [r.region.name for r in plans.report_status(actor=kailu_officer, month=date(2021, 6, 1))] == [
        "开鲁县"
    ]
    overdue = {i.name for i in plans.overdue_items(actor=city_officer, today=date(2022, 1, 1))}
    assert overdue == {"开鲁未报"}  # 开鲁已报 completed; 科尔沁未报 due mid-2022; the operating one done
    assert horqin.name not in overdue


def test_item_edit_keeps_history_and_refuses_other_counties(kailu_officer, horqin_officer):
    from yanglao.regions.models import Region

    item = _item()
    plans.plan_item_update(actor=kailu_officer, item=item, name="新名称", beds=20)
    event = PlanItemEvent.objects.get(item=item, kind="updated")
    assert "名称" in event.summary and event.changes
    with pytest.raises(ValidationError) as exc:
        plans.plan_item_update(actor=kailu_officer, item=item, region=Region.objects.get(code="150502000000"))
    assert exc.value.error_dict["region"][0].code == plans.PlanError.OUT_OF_SCOPE
    with pytest.raises(PermissionDenied):
        plans.plan_item_update(actor=horqin_officer, item=item, name="抢")
    assert PlanItem.objects.get(pk=item.pk).name == "新名称"


def test_a_township_officer_sees_only_its_county_items_through_scope(db):
    user = make_user("kl-town", "officer", "150523100")
    _item(name="县里的项目")  # region is the county: above a township officer's scope
    assert plans.plan_items(actor=user, filters=plans.PlanFilters()).count() == 0
