"""The desk's pages: the board (order, scope, what a card shows, a pinned query count), the panel and
its HTMX action forms (errors per field in Chinese, 422/409, nothing changed), the alarm page, the
list (filters, search, paging), the hotline page and the SLA page with its export."""

import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.alarms.desk_factories import (
    HORQIN_VILLAGE,
    city_desk,
    elder_with_contacts,
    horqin_desk,
    kailu_desk,
    make_alarm,
)
from tests.alarms.factories import make_device
from tests.conftest import KAILU_TOWN, KAILU_VILLAGE, make_elder, make_facility
from yanglao.alarms import desk
from yanglao.alarms.models import ActionKind, Alarm, AlarmAction, AlarmState
from yanglao.core.models import AuditEntry

HX = {"HX-Request": "true"}


def html(response) -> str:
    return response.content.decode()


def card_ids(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'id="alarm-card-(\d+)"', page)]


@pytest.fixture
def operator(db):
    return kailu_desk()


@pytest.fixture
def elder(db):
    return elder_with_contacts(address="开鲁镇幸福路 12 号", longitude="121.3200", latitude="43.6000")


# --- the board -----------------------------------------------------------------------------------


def test_board_orders_by_priority_then_age_and_leaves_resolved_out(client_for, operator, elder):
    check_on = make_alarm(elder, kind="check_on", cause="inactivity", ago_s=600)
    newer_sos = make_alarm(elder, ago_s=10)
    older_sos = make_alarm(elder, ago_s=100)
    urgent = make_alarm(elder, kind="urgent", cause="geofence", ago_s=900)
    done = make_alarm(elder, ago_s=50)
    desk.resolve(actor=operator, alarm=done, outcome="false_alarm")
    page = html(client_for(operator).get(reverse("alarms:desk")))
    assert card_ids(page) == [older_sos.pk, newer_sos.pk, urgent.pk, check_on.pk]
    assert 'data-stream-url="/alarms/desk/stream/"' in page


def test_a_card_shows_the_elder_with_masked_address(client_for, operator, elder):
    make_alarm(elder, ago_s=5)
    page = html(client_for(operator).get(reverse("alarms:desk")))
    card = page[page.index('id="alarm-card-') : page.index("</article>")]
    assert "王秀兰" in card and "独居" in card and "未评估" in card and "一键呼叫" in card
    assert "开鲁镇幸福路" not in page and "开********" in card  # the street address stays masked
    assert "13900000001" not in page


def test_a_county_desk_sees_its_county_and_the_city_desk_both(client_for, operator, elder):
    mine = make_alarm(elder)
    theirs = make_alarm(make_elder(HORQIN_VILLAGE, name="科尔沁老人"))
    assert card_ids(html(client_for(operator).get(reverse("alarms:desk")))) == [mine.pk]
    assert card_ids(html(client_for(horqin_desk()).get(reverse("alarms:desk")))) == [theirs.pk]
    assert sorted(card_ids(html(client_for(city_desk()).get(reverse("alarms:desk"))))) == sorted(
        [mine.pk, theirs.pk]
    )


def test_board_query_count_does_not_grow_with_cards(client_for, operator, elder, django_assert_num_queries):
    client = client_for(operator)
    make_alarm(elder)
    client.get(reverse("alarms:desk"))  # warm the session
    with django_assert_num_queries(7) as few:
        client.get(reverse("alarms:desk"))
    others = [make_elder(KAILU_VILLAGE, name=f"老人{i}", phone=f"1390000{i:04d}") for i in range(6)]
    for i, other in enumerate(others):
        make_alarm(other, ago_s=i, device=make_device(other)[0])
    with django_assert_num_queries(len(few.captured_queries)):
        page = html(client.get(reverse("alarms:desk")))
    assert len(card_ids(page)) == 7


def test_board_is_for_alarm_viewers(client_for, caregiver, kailu_officer, elder):
    assert client_for(caregiver).get(reverse("alarms:desk")).status_code == 403
    page = html(client_for(kailu_officer).get(reverse("alarms:desk")))  # officers watch, no buttons
    make_alarm(elder)
    page = html(client_for(kailu_officer).get(reverse("alarms:desk")))
    assert "alarm-ack" not in page and "alarm-card-" in page


def test_navigation_has_the_desk_entries(client_for, operator, kailu_officer):
    page = html(client_for(operator).get(reverse("alarms:desk")))
    for label in ("告警台", "告警记录", "来电登记", "服务水平"):
        assert f">{label}<" in page
    assert ">来电登记<" not in html(client_for(kailu_officer).get(reverse("alarms:desk")))


# --- the panel and its actions -------------------------------------------------------------------


def test_the_panel_shows_contacts_map_nearby_history_and_device(client_for, operator, elder):
    station = make_facility(KAILU_TOWN, name="幸福路养老服务站", longitude="121.3300", latitude="43.6050")
    make_facility(KAILU_TOWN, name="远处的站", longitude="121.9000", latitude="43.9000")
    device, _ = make_device(elder)
    earlier = make_alarm(elder, ago_s=86400, summary="上次呼叫")
    desk.resolve(actor=operator, alarm=earlier, outcome="phone")
    alarm = make_alarm(elder, device=device, ago_s=15)
    page = html(client_for(operator).get(reverse("alarms:alarm_panel", args=[alarm.pk])))
    assert 'id="alarm-panel"' in page and f'data-id="{alarm.pk}"' in page
    assert "王强" in page and "137****0002" in page and "13700000002" not in page  # masked, with 查看
    assert 'hx-post="/elders/' in page
    assert 'class="alarm-map"' in page and 'data-lat="43.600000"' in page and "老人住址" in page
    names = re.findall(r'facilities/\d+/">([^<]+)<', page)
    assert names[0] == station.name and "约 " in page
    assert f'/alarms/{earlier.pk}/"' in page and "电话处置" in page
    assert device.serial in page
    assert "受理（认领此告警）" in page and "结案" in page


def test_ack_through_htmx_returns_the_panel(client_for, operator, elder):
    alarm = make_alarm(elder)
    response = client_for(operator).post(reverse("alarms:alarm_ack", args=[alarm.pk]), headers=HX)
    assert response.status_code == 200
    page = html(response)
    assert "已受理" in page and "处理中" in page and "受理（认领此告警）" not in page
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.ACKNOWLEDGED


def test_ack_conflict_is_409_with_who_has_it(client_for, operator, elder):
    from tests.conftest import make_user

    colleague = make_user("zx-kl-2", "desk", "150523")
    alarm = make_alarm(elder)
    desk.acknowledge(actor=colleague, alarm=alarm)
    response = client_for(operator).post(reverse("alarms:alarm_ack", args=[alarm.pk]), headers=HX)
    assert response.status_code == 409
    assert "已由 zx-kl-2 姓名" in html(response) and 'role="alert"' in html(response)
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == colleague


@pytest.mark.parametrize(
    ("route", "data", "field", "message"),
    [
        ("alarms:alarm_resolve", {"outcome": ""}, "outcome", "请选择处置结果。"),
        ("alarms:alarm_resolve", {"outcome": "death"}, "note", "处置结果为“死亡”时请写明情况"),
        ("alarms:alarm_resolve", {"outcome": "technical"}, "outcome", "请选择处置结果。"),
        ("alarms:alarm_note", {"note": ""}, "note", "请填写记录内容。"),
        ("alarms:alarm_note", {"note": "x" * 501}, "note", "不能超过 500 字。"),
        ("alarms:alarm_dispatch", {"target": "family", "who": ""}, "who", "请填写派遣了谁"),
        ("alarms:alarm_dispatch", {"target": "", "who": "x"}, "target", "请选择派遣对象。"),
        (
            "alarms:alarm_dispatch",
            {"target": "family", "who": "儿子", "phone": "abc"},
            "phone",
            "含有无效字符",
        ),
        ("alarms:alarm_call_elder", {"line": "phone"}, "result", "请选择通话结果。"),
        (
            "alarms:alarm_call_elder",
            {"line": "phone_alt", "result": "busy"},
            "line",
            "该老年人没有登记这个电话。",
        ),
        (
            "alarms:alarm_call_contact",
            {"contact": "999999", "result": "busy"},
            "contact",
            "请选择该老年人的联系人。",
        ),
    ],
)
def test_bad_action_input_gets_a_chinese_message_per_field_and_changes_nothing(
    client_for, operator, elder, route, data, field, message
):
    alarm = make_alarm(elder)
    response = client_for(operator).post(reverse(route, args=[alarm.pk]), data, headers=HX)
    assert response.status_code == 422
    page = html(response)
    assert message in page
    flagged = page.split('<div class="field has-error">')
    assert len(flagged) == 2, "exactly one field is marked"
    assert f'name="{field}"' in flagged[1].split('<div class="field')[0]
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.OPEN
    assert list(AlarmAction.objects.filter(alarm=alarm).values_list("kind", flat=True)) == [
        ActionKind.CREATED
    ]


def test_each_action_through_the_forms(client_for, operator, elder):
    alarm = make_alarm(elder)
    client = client_for(operator)
    son = elder.contacts.get(relation="儿子")
    steps = [
        ("alarms:alarm_call_elder", {"line": "phone", "result": "no_answer"}, "已记录呼叫老人。"),
        (
            "alarms:alarm_call_contact",
            {"contact": son.pk, "result": "connected", "note": "儿子马上到"},
            "已记录呼叫联系人。",
        ),
        ("alarms:alarm_dispatch", {"target": "ambulance_120"}, "已记录派遣。"),
        ("alarms:alarm_note", {"note": "120 已出车"}, "已记录。"),
        ("alarms:alarm_resolve", {"outcome": "ambulance", "note": "送医"}, "已结案。"),
    ]
    for route, data, flash in steps:
        response = client.post(reverse(route, args=[alarm.pk]), data, headers=HX)
        assert response.status_code == 200, (route, html(response))
        assert flash in html(response)
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.RESOLVED and alarm.outcome == "ambulance"
    assert list(AlarmAction.objects.filter(alarm=alarm).order_by("at", "pk").values_list("kind", flat=True)) == [
        "created", "ack", "call_elder", "call_contact", "dispatch", "note", "resolve"]  # fmt: skip
    page = html(client.get(reverse("alarms:alarm_detail", args=[alarm.pk])))
    assert (
        "王强（儿子） 137****0002 · 已接通" in page
        and "120 急救：120 急救中心" in page
        and "呼叫急救" in page
    )
    assert "结案</summary>" not in page  # no more handling, only the follow-up note
    assert "补充记录" in page


def test_a_plain_post_redirects_to_the_alarm_page_with_the_message(client_for, operator, elder):
    alarm = make_alarm(elder)
    client = client_for(operator)
    response = client.post(reverse("alarms:alarm_resolve", args=[alarm.pk]), {"outcome": ""})
    assert response.status_code == 302 and response["Location"] == reverse(
        "alarms:alarm_detail", args=[alarm.pk]
    )
    assert "请选择处置结果。" in html(client.get(response["Location"]))
    response = client.post(reverse("alarms:alarm_ack", args=[alarm.pk]))
    assert "已受理。" in html(client.get(response["Location"]))


def test_the_hotline_callers_number_is_revealed_only_with_an_audit(client_for, operator):
    alarm = desk.hotline_register(actor=operator, caller_phone="13512345678", kind="urgent", summary="x")
    client = client_for(operator)
    page = html(client.get(reverse("alarms:alarm_detail", args=[alarm.pk])))
    assert "135****5678" in page and "13512345678" not in page
    response = client.post(reverse("alarms:alarm_caller", args=[alarm.pk]), headers=HX)
    assert "13512345678" in html(response) and response["Cache-Control"] == "no-store"
    assert AuditEntry.objects.filter(action="reveal", object_id=str(alarm.pk)).count() == 1


# --- the list ------------------------------------------------------------------------------------


def test_the_list_filters_searches_and_pages(client_for, operator, elder):
    other = make_elder(KAILU_VILLAGE, name="李桂芝")
    sos = make_alarm(elder, ago_s=30)
    fall = make_alarm(other, cause="fall", ago_s=60)
    old = make_alarm(
        other, kind="check_on", cause="inactivity", opened_at=timezone.now() - timedelta(days=40)
    )
    desk.resolve(actor=operator, alarm=sos, outcome="phone")
    client = client_for(operator)

    def ids(**params):
        return [
            int(x)
            for x in re.findall(
                r'href="/alarms/(\d+)/">#', html(client.get(reverse("alarms:alarm_list"), params))
            )
        ]

    assert ids() == [sos.pk, fall.pk, old.pk]
    assert ids(cause="fall") == [fall.pk]
    assert ids(kind="check_on") == [old.pk]
    assert ids(state="resolved") == [sos.pk]
    assert ids(state="unresolved") == [fall.pk, old.pk]
    assert ids(q="李桂芝") == [fall.pk, old.pk]
    assert ids(q="lgz") == [fall.pk, old.pk]
    assert ids(date_from=(timezone.localdate() - timedelta(days=1)).isoformat()) == [sos.pk, fall.pk]
    assert ids(date_to=(timezone.localdate() - timedelta(days=30)).isoformat()) == [old.pk]
    bad = html(client.get(reverse("alarms:alarm_list"), {"date_from": "2026-13-40", "date_to": "x"}))
    assert "请填写有效日期" in bad
    inverted = html(
        client.get(reverse("alarms:alarm_list"), {"date_from": "2026-03-05", "date_to": "2026-03-01"})
    )
    assert "截止日期不能早于起始日期。" in inverted
    for i in range(21):
        make_alarm(other, ago_s=1000 + i)
    first = html(client.get(reverse("alarms:alarm_list")))
    assert "共 24 条，第 1 / 2 页" in first


def test_the_list_query_count_is_pinned(
    client_for, operator, elder, django_assert_num_queries, django_assert_max_num_queries
):
    client = client_for(operator)
    make_alarm(elder)
    client.get(reverse("alarms:alarm_list"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("alarms:alarm_list"))
    for i in range(10):
        make_alarm(make_elder(KAILU_VILLAGE, name=f"列表老人{i}"), ago_s=i)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("alarms:alarm_list"))


# --- the hotline page ----------------------------------------------------------------------------


def test_hotline_lookup_and_registration(client_for, operator, elder):
    client = client_for(operator)
    assert client.get(reverse("alarms:hotline")).status_code == 200
    found = html(client.post(reverse("alarms:hotline_lookup"), {"caller_phone": "136 0000 0003"}, headers=HX))
    assert "王秀兰" in found and "联系人 王芳（女儿）" in found and f'value="{elder.pk}" checked' in found
    nothing = html(client.post(reverse("alarms:hotline_lookup"), {"caller_phone": "13800001111"}, headers=HX))
    assert "未找到使用该号码的老年人或联系人。" in nothing
    response = client.post(
        reverse("alarms:hotline"),
        {
            "caller_phone": "13600000003",
            "elder": elder.pk,
            "kind": "emergency",
            "summary": "女儿来电：母亲胸痛",
        },
    )
    alarm = Alarm.objects.get(cause="hotline")
    assert response.status_code == 302 and response["Location"] == reverse(
        "alarms:alarm_detail", args=[alarm.pk]
    )
    assert alarm.elder == elder and alarm.state == AlarmState.ACKNOWLEDGED
    assert AlarmAction.objects.get(alarm=alarm, kind="created").data["matched_as"] == "联系人 王芳（女儿）"


def test_hotline_form_errors_per_field(client_for, operator):
    foreign = make_elder(HORQIN_VILLAGE, name="科尔沁老人")
    client = client_for(operator)
    response = client.post(
        reverse("alarms:hotline"), {"caller_phone": "123", "kind": "technical", "summary": ""}
    )
    page = html(response)
    assert response.status_code == 422
    assert "手机号 123 应为 11 位、以 13–19 开头。" in page
    assert "请选择告警类别（紧急、加急或关怀探访）。" in page and "请简要记录来电内容。" in page
    response = client.post(
        reverse("alarms:hotline"),
        {"caller_phone": "13512345678", "kind": "urgent", "summary": "越界", "elder": foreign.pk},
    )
    assert response.status_code == 422 and "老年人不存在或不在您的管辖范围内。" in html(response)
    assert "科尔沁老人" not in html(response)
    assert not Alarm.objects.exists()


def test_hotline_is_for_the_desk(client_for, kailu_officer):
    assert client_for(kailu_officer).get(reverse("alarms:hotline")).status_code == 403


# --- the SLA page --------------------------------------------------------------------------------


def test_sla_page_and_export(client_for, operator, elder):
    quick = make_alarm(elder, ago_s=300)
    desk.acknowledge(actor=operator, alarm=quick, at=quick.opened_at + timedelta(seconds=30))
    slow = make_alarm(elder, ago_s=600)
    desk.acknowledge(actor=operator, alarm=slow, at=slow.opened_at + timedelta(seconds=120))
    client = client_for(operator)
    page = html(client.get(reverse("alarms:sla")))
    assert "60 秒内受理率" in page and "50.0%" in page and "未达标" in page and "100.0%" in page
    assert "目标 97.5%" in page and "按类别" in page
    response = client.get(reverse("alarms:sla_export"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert list(book["总体"].iter_rows(values_only=True))[3][1:3] == (2, 1)
    assert AuditEntry.objects.filter(action="export", object_type="alarms.sla").exists()


def test_sla_page_refuses_a_bad_period_in_chinese(client_for, operator):
    response = client_for(operator).get(
        reverse("alarms:sla"), {"date_from": "2026-03-05", "date_to": "2026-03-01"}
    )
    assert response.status_code == 422 and "截止日期不能早于起始日期。" in html(response)
    response = client_for(operator).get(
        reverse("alarms:sla_export"), {"date_from": "2024-01-01", "date_to": "2026-03-01"}
    )
    assert response.status_code == 422 and "统计期间不能超过 366 天。" in html(response)


def test_without_coordinates_the_map_falls_back_to_the_nearest_located_region(client_for, operator):
    from yanglao.alarms.desk_selectors import alarm_location

    alarm = make_alarm(make_elder(KAILU_VILLAGE, name="无坐标老人"))
    location = alarm_location(alarm)
    assert location is not None and location.source == "开鲁县（大致位置）"
    page = html(client_for(operator).get(reverse("alarms:alarm_panel", args=[alarm.pk])))
    assert 'class="alarm-map"' in page and "开鲁县（大致位置）" in page
    located = make_alarm(alarm.elder, latitude="43.5", longitude="121.2")
    assert alarm_location(located).source == "设备定位"
