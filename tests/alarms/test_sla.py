"""Service-level figures on constructed data, at the boundaries: exactly 60 s is within, 60.5 s is
not; unacknowledged alarms count against the share once the threshold has passed; hotline calls
have no acknowledgement time; median and nearest-rank p95; the period is by local date."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from tests.alarms.desk_factories import HORQIN_VILLAGE, city_desk, kailu_desk, make_alarm
from yanglao.alarms import sla
from yanglao.alarms.sla import Row, figures, median, percentile

NOW = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)
T0 = datetime(2026, 3, 2, 2, 0, 0, tzinfo=UTC)  # 10:00 in Shanghai on 2 March


def row(
    ack_s=None, resolve_s=None, *, kind="emergency", cause="sos", opened=T0, region="150523100001"
) -> Row:
    return Row(
        kind=kind,
        cause=cause,
        region_code=region,
        opened_at=opened,
        acknowledged_at=opened + timedelta(seconds=ack_s) if ack_s is not None else None,
        resolved_at=opened + timedelta(seconds=resolve_s) if resolve_s is not None else None,
    )


def test_exactly_60_and_180_seconds_count_as_within():
    f = figures([row(60), row(60.5), row(180), row(180.5)], now=NOW)
    assert (f.within_60, f.measured_60) == (1, 4)
    assert (f.within_180, f.measured_180) == (3, 4)
    assert f.share_60 == 0.25 and f.share_180 == 0.75


def test_targets_975_and_99_percent():
    forty = [row(10)] * 39
    assert figures([*forty, row(61)], now=NOW).share_60 == 0.975
    assert figures([*forty, row(61)], now=NOW).meets_60 is True  # 39/40 = 97.5% meets it
    assert figures([*forty[:38], row(61), row(61)], now=NOW).meets_60 is False  # 38/40 = 95%
    hundred = [row(100)] * 99
    assert figures([*hundred, row(181)], now=NOW).meets_180 is True  # 99/100
    assert figures([*hundred[:98], row(181), row(181)], now=NOW).meets_180 is False  # 98/100
    empty = figures([], now=NOW)
    assert empty.share_60 is None and empty.meets_60 is None and empty.ack_median_s is None


def test_unacknowledged_alarms_count_against_once_their_threshold_passed():
    fresh = row(opened=NOW - timedelta(seconds=30))
    exactly = row(opened=NOW - timedelta(seconds=60))
    late = row(opened=NOW - timedelta(seconds=90))
    very_late = row(opened=NOW - timedelta(seconds=200))
    f = figures([fresh, exactly, late, very_late], now=NOW)
    assert f.pending == 2  # 30 s and exactly 60 s: could still be answered in time
    assert (f.within_60, f.measured_60) == (0, 2)
    assert (f.within_180, f.measured_180) == (0, 1)
    assert f.ack_median_s is None  # nothing acknowledged, nothing timed


def test_hotline_calls_have_no_acknowledgement_time_but_count_in_resolution():
    f = figures([row(0, 600, cause="hotline"), row(30, 1200)], now=NOW)
    assert (f.within_60, f.measured_60) == (1, 1)
    assert f.ack_median_s == 30
    assert f.resolved == 2 and f.resolve_median_s == 900


def test_median_and_nearest_rank_p95():
    assert median([1, 2, 3]) == 2 and median([1, 2, 3, 10]) == 2.5 and median([]) is None
    values = list(range(1, 21))  # 1..20: rank ⌈0.95·20⌉ = 19
    assert percentile(values, 95) == 19
    assert percentile(list(range(1, 101)), 95) == 95
    assert percentile([7], 95) == 7 and percentile([], 95) is None
    f = figures([row(s, s * 10) for s in (5, 10, 20, 40, 400)], now=NOW)
    assert f.ack_median_s == 20 and f.ack_p95_s == 400  # ⌈0.95·5⌉ = 5th
    assert f.resolve_median_s == 200 and f.resolve_p95_s == 4000


def test_durations_and_percentages_as_shown():
    assert sla.duration(None) == "—" and sla.duration(45) == "45秒" and sla.duration(75) == "1分15秒"
    assert sla.duration(3 * 3600 + 120) == "3小时2分"
    assert sla.percent(0.975) == "97.5%" and sla.percent(None) == "—"


# --- the report over the database ----------------------------------------------------------------


@pytest.fixture
def alarms(db):
    """In 开鲁县: 3 emergencies (20 s, exactly 60 s, 100 s), an urgent one (200 s), a check-on one
    (never acknowledged, 2 h old) and a hotline call; in 科尔沁区 one emergency (10 s). Plus one the
    day after the period and one the day before it."""

    def make(ack_s, *, kind="emergency", cause="sos", region="150523100001", opened=T0, resolve_s=None):
        alarm = make_alarm(None, region_code=region, kind=kind, cause=cause, opened_at=opened)
        if ack_s is not None:
            alarm.acknowledged_at = opened + timedelta(seconds=ack_s)
            alarm.state = "acknowledged"
        if resolve_s is not None:
            alarm.resolved_at = opened + timedelta(seconds=resolve_s)
            alarm.state = "resolved"
        alarm.save()
        return alarm

    make(20, resolve_s=600)
    make(60, resolve_s=1800)
    make(100, region="150523101001")
    make(200, kind="urgent", cause="geofence")
    make(None, kind="check_on", cause="inactivity")
    make(0, cause="hotline", resolve_s=300)
    make(10, region=HORQIN_VILLAGE)
    # 2 March 00:30 and 3 March 23:59 in Shanghai are inside 2–3 March; 4 March 00:00:30 is not.
    make(5, opened=datetime(2026, 3, 1, 16, 30, tzinfo=UTC))
    make(5, opened=datetime(2026, 3, 3, 15, 59, tzinfo=UTC))
    make(5, opened=datetime(2026, 3, 3, 16, 0, 30, tzinfo=UTC))


def test_a_county_report_in_its_period(alarms):
    report = sla.report(actor=kailu_desk(), date_from=date(2026, 3, 2), date_to=date(2026, 3, 3), now=NOW)
    assert report.region_name.endswith("开鲁县")
    overall = report.overall  # emergency + urgent of 开鲁县: 20, 60, 100, 200, 0 (hotline), 5, 5
    assert overall.alarms == 7
    assert (overall.within_60, overall.measured_60) == (4, 6)
    assert (overall.within_180, overall.measured_180) == (5, 6)
    by_kind = {f.key: f for f in report.by_kind}
    assert by_kind["emergency"].alarms == 6 and by_kind["urgent"].alarms == 1
    assert by_kind["check_on"].measured_60 == 1 and by_kind["check_on"].within_60 == 0
    assert by_kind["check_on"].targeted is False and by_kind["emergency"].targeted is True
    # By township: 开鲁镇 (150523100) and the next one (150523101).
    assert [(f.key, f.alarms) for f in report.by_region] == [("150523100", 6), ("150523101", 1)]


def test_the_city_desk_sees_both_counties_by_county(alarms):
    city = city_desk()
    report = sla.report(actor=city, date_from=date(2026, 3, 2), date_to=date(2026, 3, 3), now=NOW)
    assert [(f.key, f.label, f.alarms) for f in report.by_region] == [
        ("150502", "科尔沁区", 1),
        ("150523", "开鲁县", 7),
    ]
    narrowed = sla.report(
        actor=city, date_from=date(2026, 3, 2), date_to=date(2026, 3, 3), region="150502", now=NOW
    )
    assert narrowed.overall.alarms == 1 and narrowed.region_name.endswith("科尔沁区")
    # A county desk asking for the neighbour gets nothing.
    assert sla.report(actor=kailu_desk(), date_from=date(2026, 3, 2), date_to=date(2026, 3, 3), region="150502",
                      now=NOW).overall.alarms == 0  # fmt: skip


def test_the_period_is_checked(db):
    actor = kailu_desk()
    with pytest.raises(ValidationError) as refused:
        sla.report(actor=actor, date_from=date(2026, 3, 5), date_to=date(2026, 3, 1))
    assert refused.value.error_dict["date_from"][0].code == "period_invalid"
    with pytest.raises(ValidationError):
        sla.report(actor=actor, date_from=date(2024, 1, 1), date_to=date(2026, 3, 1))


def test_the_export_holds_the_same_figures(alarms):
    report = sla.report(actor=kailu_desk(), date_from=date(2026, 3, 2), date_to=date(2026, 3, 3), now=NOW)
    book = load_workbook(io.BytesIO(sla.xlsx(report)))
    assert book.sheetnames == ["总体", "按类别", "按区划", "按区划和类别"]
    headline = list(book["总体"].iter_rows(values_only=True))[3]
    assert headline[:3] == ("呼叫类告警（紧急、加急）", 7, 4)
    assert headline[3] == pytest.approx(66.7, abs=0.05)
    assert headline[6] == "否"
