"""The desk's JSON API: the list with filters, one alarm with its actions, the actions with their
stable error codes (409 for a claim conflict, 422 for refused input and states), 403/404, the
hotline, the caller lookup and the service level."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.alarms.desk_factories import HORQIN_VILLAGE, city_desk, elder_with_contacts, kailu_desk, make_alarm
from tests.conftest import KAILU_VILLAGE, make_elder, make_user
from yanglao.alarms import desk
from yanglao.alarms.models import Alarm, AlarmAction, AlarmState


@pytest.fixture
def operator(db):
    return kailu_desk()


@pytest.fixture
def elder(db):
    return elder_with_contacts()


@pytest.fixture
def call(client, auth_headers):
    def run(user, method, url, body=None, **params):
        headers = auth_headers(user)
        if method == "get":
            return client.get(url, params, headers=headers)
        return client.post(url, body or {}, content_type="application/json", headers=headers)

    return run


def test_list_filters_and_scope(call, operator, elder):
    sos = make_alarm(elder, ago_s=30)
    fall = make_alarm(elder, cause="fall", ago_s=10)
    old = make_alarm(elder, kind="check_on", cause="inactivity", opened_at=timezone.now() - timedelta(days=3))
    make_alarm(make_elder(HORQIN_VILLAGE, name="科尔沁老人"))
    desk.resolve(actor=operator, alarm=sos, outcome="phone")

    def ids(**params):
        body = call(operator, "get", "/api/v1/alarms", **params).json()
        assert body["total"] == len(body["items"])
        return [a["id"] for a in body["items"]]

    assert ids() == [fall.pk, sos.pk, old.pk]
    assert ids(state="unresolved") == [fall.pk, old.pk]
    assert ids(kind="check_on") == [old.pk] and ids(cause="fall") == [fall.pk]
    assert ids(date_from=str(timezone.localdate() - timedelta(days=1))) == [fall.pk, sos.pk]
    assert ids(q="王秀兰") == [fall.pk, sos.pk, old.pk] and ids(region="150502") == []
    first = call(operator, "get", "/api/v1/alarms").json()["items"][0]
    assert first["elder"] == {"id": elder.pk, "name": "王秀兰"} and first["cause_label"] == "跌倒"
    assert first["state"] == "open" and first["priority"] == 1 and first["caller_phone_masked"] == ""
    bad = call(operator, "get", "/api/v1/alarms", kind="nope", state="later")
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
    assert set(bad.json()["fields"]) == {"kind", "state"}


def test_detail_has_the_actions_and_is_404_outside_scope(call, operator, elder):
    alarm = make_alarm(elder)
    desk.call_elder(actor=operator, alarm=alarm, result="connected")
    body = call(operator, "get", f"/api/v1/alarms/{alarm.pk}").json()
    assert [a["kind"] for a in body["actions"]] == ["created", "ack", "call_elder"]
    assert (
        body["actions"][2]["data"]["phone"] == "139****0001" and body["actions"][2]["actor"] == "zx-kl 姓名"
    )
    assert body["acknowledged_by"] == "zx-kl 姓名"
    foreign = make_alarm(make_elder(HORQIN_VILLAGE, name="科尔沁老人"))
    response = call(operator, "get", f"/api/v1/alarms/{foreign.pk}")
    assert response.status_code == 404 and "科尔沁" not in response.content.decode()


def test_ack_then_conflict_409(call, operator, elder):
    alarm = make_alarm(elder)
    colleague = make_user("zx-kl-2", "desk", "150523")
    response = call(colleague, "post", f"/api/v1/alarms/{alarm.pk}/ack")
    assert response.status_code == 200 and response.json()["state"] == "acknowledged"
    again = call(colleague, "post", f"/api/v1/alarms/{alarm.pk}/ack")
    assert again.status_code == 200  # one's own claim: nothing changes
    conflict = call(operator, "post", f"/api/v1/alarms/{alarm.pk}/ack")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "alarm_already_claimed" and "zx-kl-2 姓名" in conflict.json()["message"]
    assert AlarmAction.objects.filter(alarm=alarm, kind="ack").count() == 1


def test_note_dispatch_call_resolve(call, operator, elder):
    alarm = make_alarm(elder)
    url = f"/api/v1/alarms/{alarm.pk}"
    daughter = elder.contacts.get(relation="女儿")
    assert call(operator, "post", f"{url}/note", {"note": "正在联系"}).status_code == 200
    response = call(
        operator, "post", f"{url}/call", {"callee": "contact", "contact_id": daughter.pk, "result": "busy"}
    )
    assert response.status_code == 200 and response.json()["actions"][-1]["data"]["result"] == "busy"
    response = call(
        operator,
        "post",
        f"{url}/dispatch",
        {"target": "caregiver", "who": "护理员 张敏", "phone": "13511112222"},
    )
    assert response.json()["actions"][-1]["data"] == {"target": "caregiver", "target_label": "护理员", "who": "护理员 张敏",
                                                       "phone": "135****2222"}  # fmt: skip
    response = call(operator, "post", f"{url}/resolve", {"outcome": "visit", "note": "护理员上门，老人无碍"})
    body = response.json()
    assert response.status_code == 200 and body["state"] == "resolved" and body["outcome"] == "visit"
    assert [a["kind"] for a in body["actions"]] == [
        "created",
        "note",
        "ack",
        "call_contact",
        "dispatch",
        "resolve",
    ]


@pytest.mark.parametrize(
    ("path", "body", "code", "field"),
    [
        ("note", {"note": "  "}, "note_required", "note"),
        ("dispatch", {"target": "police", "who": "x"}, "dispatch_target_invalid", "target"),
        ("dispatch", {"target": "family"}, "dispatch_who_required", "who"),
        ("dispatch", {"target": "family", "who": "儿子", "phone": "12"}, "phone_invalid", "phone"),
        ("resolve", {"outcome": "gone"}, "outcome_invalid", "outcome"),
        ("resolve", {"outcome": "death"}, "outcome_note_required", "note"),
        ("call", {"result": "maybe"}, "call_result_invalid", "result"),
        ("call", {"callee": "contact", "contact_id": 999999, "result": "busy"}, "contact_invalid", "contact"),
    ],
)
def test_refusals_have_stable_codes_and_change_nothing(call, operator, elder, path, body, code, field):
    alarm = make_alarm(elder)
    response = call(operator, "post", f"/api/v1/alarms/{alarm.pk}/{path}", body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code and field in response.json()["fields"]
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.OPEN and AlarmAction.objects.filter(alarm=alarm).count() == 1


def test_a_resolved_alarm_refuses_handling_with_422(call, operator, elder):
    alarm = make_alarm(elder)
    desk.resolve(actor=operator, alarm=alarm, outcome="false_alarm")
    for path, body in (
        ("ack", {}),
        ("resolve", {"outcome": "phone"}),
        ("dispatch", {"target": "ambulance_120"}),
    ):
        response = call(operator, "post", f"/api/v1/alarms/{alarm.pk}/{path}", body)
        assert response.status_code == 422 and response.json()["code"] == "alarm_resolved", path
    assert (
        call(operator, "post", f"/api/v1/alarms/{alarm.pk}/note", {"note": "回访：老人安好"}).status_code
        == 200
    )


def test_officers_may_read_but_not_handle(call, kailu_officer, elder):
    alarm = make_alarm(elder)
    assert call(kailu_officer, "get", "/api/v1/alarms").json()["total"] == 1
    response = call(kailu_officer, "post", f"/api/v1/alarms/{alarm.pk}/ack")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    caregiver = make_user("cg", "caregiver", KAILU_VILLAGE)
    assert call(caregiver, "get", "/api/v1/alarms").status_code == 403


def test_hotline_and_callers(call, operator, elder):
    callers = call(operator, "get", "/api/v1/alarms/callers", phone="13700000002").json()
    assert callers == [{"elder": {"id": elder.pk, "name": "王秀兰"}, "region_name": elder.region.full_name,
                        "matched_as": "联系人 王强（儿子）"}]  # fmt: skip
    bad = call(operator, "get", "/api/v1/alarms/callers", phone="12")
    assert bad.status_code == 422 and bad.json()["code"] == "phone_invalid"
    response = call(operator, "post", "/api/v1/alarms/hotline",
                    {"caller_phone": "13700000002", "kind": "urgent", "summary": "儿子来电", "elder_id": elder.pk})  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert (
        body["cause"] == "hotline"
        and body["state"] == "acknowledged"
        and body["caller_phone_masked"] == "137****0002"
    )
    foreign = make_elder(HORQIN_VILLAGE, name="科尔沁老人")
    response = call(operator, "post", "/api/v1/alarms/hotline",
                    {"caller_phone": "13700000002", "summary": "x", "elder_id": foreign.pk})  # fmt: skip
    assert response.status_code == 422 and response.json()["code"] == "elder_not_found"
    response = call(
        operator, "post", "/api/v1/alarms/hotline", {"caller_phone": "1", "summary": "x", "kind": "check_on"}
    )
    assert response.status_code == 422 and response.json()["code"] == "phone_invalid"
    assert Alarm.objects.count() == 1


def test_sla(call, operator, elder):
    alarm = make_alarm(elder, ago_s=600)
    desk.acknowledge(actor=operator, alarm=alarm, at=alarm.opened_at + timedelta(seconds=45))
    make_alarm(make_elder(HORQIN_VILLAGE, name="科尔沁老人"), ago_s=900)  # never acknowledged
    mine = call(operator, "get", "/api/v1/alarms/sla").json()
    assert mine["target_60"] == 0.975 and mine["target_180"] == 0.99
    assert (
        mine["overall"]["alarms"] == 1
        and mine["overall"]["share_60"] == 1.0
        and mine["overall"]["meets_60"] is True
    )
    assert mine["overall"]["ack_median_s"] == 45.0
    city = call(city_desk(), "get", "/api/v1/alarms/sla").json()
    assert city["overall"]["alarms"] == 2 and city["overall"]["share_60"] == 0.5
    assert [r["label"] for r in city["by_region"]] == ["科尔沁区", "开鲁县"]
    bad = call(operator, "get", "/api/v1/alarms/sla", date_from="2026-03-05", date_to="2026-03-01")
    assert bad.status_code == 422 and bad.json()["code"] == "period_invalid"
