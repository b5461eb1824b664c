"""Leak-matrix cases for the alarm desk (used by tests/test_leak_matrix.py): the board and its feed,
one alarm and every action on it, the list, the hotline, the service level — pages and API.

``add_desk(w)`` gives each county a desk operator, an open SOS alarm of its elder and (科尔沁区) a
hotline call; the 开鲁县 operator must find nothing of 科尔沁区's and change nothing of it.
"""

import io
import json

from openpyxl import load_workbook

from tests.alarms.desk_factories import make_alarm
from tests.conftest import make_user
from yanglao.alarms import desk
from yanglao.alarms.models import Alarm, AlarmAction
from yanglao.core.models import AuditEntry


def add_desk(w) -> None:
    w.kl_desk = make_user("zx-kl-leak", "desk", "150523")
    w.hq_desk = make_user("zx-hq-leak", "desk", "150502")
    w.my_alarm = make_alarm(w.my_elder, summary="开鲁告警", ago_s=30)
    w.their_alarm = make_alarm(w.their_elder, summary="科尔沁告警", ago_s=30)
    w.their_hotline = desk.hotline_register(
        actor=w.hq_desk, caller_phone="13800000002", kind="urgent", summary="科尔沁来电", elder=w.their_elder
    )


def _state(w) -> tuple:
    rows = Alarm.objects.filter(pk__in=[w.their_alarm.pk, w.their_hotline.pk]).order_by("pk")
    return (
        [(a.state, a.acknowledged_by_id, a.outcome, a.escalation_level, a.resolved_at) for a in rows],
        AlarmAction.objects.filter(alarm__in=rows).count(),
        Alarm.objects.count(),
    )


def _my_calls() -> int:
    """开鲁县's emergency and urgent alarms (the SLA's population), never the neighbour's."""
    return Alarm.objects.filter(region_code__startswith="150523", kind__in=("emergency", "urgent")).count()


def _sse_ids(body: bytes) -> list[int]:
    for block in body.decode().split("\n\n"):
        if block.startswith("event: snapshot"):
            return json.loads(block.split("data: ", 1)[1])["ids"]
    raise AssertionError("no snapshot in the feed")


def cases(assert_list, api) -> dict:
    return {**html_cases(assert_list), **api_cases(assert_list, api)}


def html_cases(assert_list) -> dict:
    def board(w, login, client):
        assert_list(login(w.kl_desk).get("/alarms/desk/"), "开鲁告警", "科尔沁")
        body = login(w.kl_desk).get("/alarms/desk/", {"alarm": w.their_alarm.pk}).content.decode()
        assert "科尔沁" not in body and f'data-id="{w.their_alarm.pk}"' not in body

    def feed(w, login, client):
        response = login(w.kl_desk).get("/alarms/desk/stream/")
        body = b"".join(response.streaming_content)
        ids = _sse_ids(body)
        assert w.my_alarm.pk in ids and not set(ids) & {w.their_alarm.pk, w.their_hotline.pk}
        assert "科尔沁" not in body.decode()

    def alarm_list(w, login, client):
        assert_list(login(w.kl_desk).get("/alarms/list/"), "开鲁老人", "科尔沁老人")
        for params in ({"region": "150502"}, {"q": "科尔沁老人"}, {"q": "13800000002"}, {"cause": "hotline"}):
            body = login(w.kl_desk).get("/alarms/list/", params).content.decode()
            assert "共 0 条" in body and "科尔沁老人</td>" not in body, params

    def detail(path):
        def case(w, login, client):
            assert login(w.kl_desk).get(path.format(pk=w.my_alarm.pk)).status_code == 200
            for pk in (w.their_alarm.pk, w.their_hotline.pk):
                response = login(w.kl_desk).get(path.format(pk=pk))
                assert response.status_code == 404 and "科尔沁" not in response.content.decode()

        return case

    def action(path, data):
        def case(w, login, client):
            before = _state(w)
            for pk in (w.their_alarm.pk, w.their_hotline.pk):
                response = login(w.kl_desk).post(
                    f"/alarms/{pk}/{path}/", data, headers={"HX-Request": "true"}
                )
                assert response.status_code == 404, (path, response.status_code)
            assert _state(w) == before

        return case

    def caller(w, login, client):
        before = AuditEntry.objects.filter(action="reveal").count()
        response = login(w.kl_desk).post(f"/alarms/{w.their_hotline.pk}/caller/")
        assert response.status_code == 404 and "13800000002" not in response.content.decode()
        assert AuditEntry.objects.filter(action="reveal").count() == before

    def hotline(w, login, client):
        before = _state(w)
        response = login(w.kl_desk).post(
            "/alarms/hotline/",
            {"caller_phone": "13800000002", "kind": "urgent", "summary": "越界", "elder": w.their_elder.pk},
        )
        assert response.status_code == 422 and "科尔沁老人" not in response.content.decode()
        response = login(w.kl_desk).post(
            "/alarms/hotline/",
            {"caller_phone": "13800000002", "kind": "urgent", "summary": "越界", "region": "150502001001"},
        )
        assert response.status_code == 422
        assert _state(w) == before
        assert "科尔沁" not in login(w.kl_desk).get("/alarms/hotline/").content.decode()

    def hotline_lookup(w, login, client):
        body = (
            login(w.kl_desk).post("/alarms/hotline/lookup/", {"caller_phone": "13800000002"}).content.decode()
        )
        assert "科尔沁老人" not in body and "未找到" in body
        assert (
            "开鲁老人"
            in login(w.kl_desk)
            .post("/alarms/hotline/lookup/", {"caller_phone": "13800000001"})
            .content.decode()
        )

    def sla_page(w, login, client):
        body = login(w.kl_desk).get("/alarms/sla/").content.decode()
        assert "开鲁县" in body and "科尔沁" not in body
        body = login(w.kl_desk).get("/alarms/sla/", {"region": "150502"}).content.decode()
        assert "科尔沁" not in body and "期间内没有告警" in body

    def sla_export(w, login, client):
        response = login(w.kl_desk).get("/alarms/sla/export.xlsx")
        book = load_workbook(io.BytesIO(response.content))
        cells = [
            str(c) for sheet in book for r in sheet.iter_rows(values_only=True) for c in r if c is not None
        ]
        assert not any("科尔沁" in c for c in cells)
        assert list(book["总体"].iter_rows(values_only=True))[3][1] == _my_calls()

    return {
        "alarms:desk": board,
        "alarms:desk_stream": feed,
        "alarms:alarm_list": alarm_list,
        "alarms:alarm_detail": detail("/alarms/{pk}/"),
        "alarms:alarm_panel": detail("/alarms/{pk}/panel/"),
        "alarms:alarm_ack": action("ack", {}),
        "alarms:alarm_call_elder": action("call-elder", {"line": "phone", "result": "connected"}),
        "alarms:alarm_call_contact": action("call-contact", {"contact": "1", "result": "connected"}),
        "alarms:alarm_dispatch": action("dispatch", {"target": "ambulance_120"}),
        "alarms:alarm_note": action("note", {"note": "越界记录"}),
        "alarms:alarm_resolve": action("resolve", {"outcome": "false_alarm"}),
        "alarms:alarm_caller": caller,
        "alarms:hotline": hotline,
        "alarms:hotline_lookup": hotline_lookup,
        "alarms:sla": sla_page,
        "alarms:sla_export": sla_export,
    }


def api_cases(assert_list, api) -> dict:
    def api_list(w, login, client):
        body = api(w.kl_desk, client, "get", "/api/v1/alarms", page_size=200).json()
        ids = {a["id"] for a in body["items"]}
        assert w.my_alarm.pk in ids and not ids & {w.their_alarm.pk, w.their_hotline.pk}
        assert body["total"] == len(ids) and all(a["region_code"].startswith("150523") for a in body["items"])
        for params in ({"region": "150502"}, {"q": "科尔沁老人"}, {"q": "13800000002"}, {"cause": "hotline"}):
            assert api(w.kl_desk, client, "get", "/api/v1/alarms", **params).json()["total"] == 0, params

    def api_detail(w, login, client):
        assert api(w.kl_desk, client, "get", f"/api/v1/alarms/{w.my_alarm.pk}").status_code == 200
        for pk in (w.their_alarm.pk, w.their_hotline.pk):
            response = api(w.kl_desk, client, "get", f"/api/v1/alarms/{pk}")
            assert response.status_code == 404 and "科尔沁" not in response.content.decode()

    def api_action(path, body):
        def case(w, login, client):
            before = _state(w)
            for pk in (w.their_alarm.pk, w.their_hotline.pk):
                response = api(w.kl_desk, client, "post", f"/api/v1/alarms/{pk}/{path}", **body)
                assert response.status_code == 404, (path, response.content)
            assert _state(w) == before

        return case

    def api_stream(w, login, client):
        response = api(w.kl_desk, client, "get", "/api/v1/alarms/stream")
        body = b"".join(response.streaming_content)
        ids = _sse_ids(body)
        assert w.my_alarm.pk in ids and not set(ids) & {w.their_alarm.pk, w.their_hotline.pk}
        assert "科尔沁" not in body.decode()

    def api_sla(w, login, client):
        body = api(w.kl_desk, client, "get", "/api/v1/alarms/sla").json()
        assert body["overall"]["alarms"] == _my_calls() and "科尔沁" not in json.dumps(
            body, ensure_ascii=False
        )
        assert (
            api(w.kl_desk, client, "get", "/api/v1/alarms/sla", region="150502").json()["overall"]["alarms"]
            == 0
        )

    def api_callers(w, login, client):
        assert api(w.kl_desk, client, "get", "/api/v1/alarms/callers", phone="13800000002").json() == []
        mine = api(w.kl_desk, client, "get", "/api/v1/alarms/callers", phone="13800000001").json()
        assert [c["elder"]["name"] for c in mine] == ["开鲁老人"]

    def api_hotline(w, login, client):
        before = _state(w)
        response = api(w.kl_desk, client, "post", "/api/v1/alarms/hotline", caller_phone="13800000002",
                       summary="越界", elder_id=w.their_elder.pk)  # fmt: skip
        assert response.status_code == 422 and response.json()["code"] == "elder_not_found"
        response = api(w.kl_desk, client, "post", "/api/v1/alarms/hotline", caller_phone="13800000002",
                       summary="越界", region="150502001001")  # fmt: skip
        assert response.status_code == 422 and response.json()["code"] == "region_out_of_scope"
        assert _state(w) == before

    return {
        "api:alarm_list": api_list,
        "api:alarm_detail": api_detail,
        "api:alarm_ack": api_action("ack", {}),
        "api:alarm_call": api_action("call", {"result": "connected"}),
        "api:alarm_note": api_action("note", {"note": "越界"}),
        "api:alarm_dispatch": api_action("dispatch", {"target": "ambulance_120"}),
        "api:alarm_resolve": api_action("resolve", {"outcome": "false_alarm"}),
        "api:alarm_stream": api_stream,
        "api:alarm_sla": api_sla,
        "api:alarm_callers": api_callers,
        "api:alarm_hotline": api_hotline,
    }
