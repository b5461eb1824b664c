"""Leak-matrix cases for 资金结算 and 派单建议 (used by tests/test_leak_matrix.py).

``add_settlements(w)`` (after ``add_care``) gives each county's provider a reviewed order in
September 2026 and a draft statement, and an accepted order for tomorrow in its township.
开鲁县's officer must find none of 科尔沁区's statements — not in the list, the filters, the exports
or the API — must get 404 on their details, and must change nothing of theirs (no build, rebuild,
confirmation or dispatch across the border). The dispatch planner offers only its own townships.
"""

import io
import re
from datetime import date, timedelta

from openpyxl import load_workbook

from tests.care.settlement_factories import CLEAN, make_order
from yanglao.care import settlement
from yanglao.care.models import OrderState, Settlement, SettlementLine, WorkOrder

MY_TOWN, THEIR_TOWN = "150523100000", "150502001000"


def add_settlements(w) -> None:
    tomorrow = date.today() + timedelta(days=1)
    for side, officer, elder in (("my", w.kailu, w.my_elder), ("their", w.horqin, w.their_elder)):
        provider = getattr(w, f"{side}_provider")
        make_order(provider, elder, CLEAN, date(2026, 9, 8))
        statement = _draft(provider, officer)
        setattr(w, f"{side}_statement", statement)
        setattr(
            w, f"{side}_plan_order", make_order(provider, elder, CLEAN, tomorrow, state=OrderState.ACCEPTED)
        )
    w.plan_day = tomorrow


def _draft(provider, officer) -> Settlement:
    """The draft ``settlement_build`` makes, without its audit entry: the audit-list cases of the
    matrix look for older entries on the first page of 开鲁县's log."""
    month = settlement.parse_month("2026-09")
    statement = Settlement.objects.create(
        number=settlement.statement_number(provider, month),
        provider=provider,
        county_id=provider.county_id,
        month=month,
        created_by=officer,
    )
    settlement.write_lines(statement, settlement.plan(provider=provider, month=month))
    statement.save()
    return statement


def _their_state(w) -> tuple:
    s = Settlement.objects.get(pk=w.their_statement.pk)
    order = WorkOrder.objects.get(pk=w.their_plan_order.pk)
    return (
        s.state,
        s.total_fen,
        s.confirmed_at,
        SettlementLine.objects.filter(settlement=s).count(),
        Settlement.objects.filter(provider=w.their_provider).count(),
        order.state,
        order.caregiver_id,
        WorkOrder.objects.filter(provider=w.their_provider, state=OrderState.SETTLED).count(),
    )


def cases(assert_list, api) -> dict:
    def unchanged(w, before):
        assert _their_state(w) == before

    def settlements(w, login, client):
        assert_list(login(w.kailu).get("/care/settlements/"), w.my_statement.number, w.their_statement.number)
        for params in ({"county": "150502000000"}, {"provider": w.their_provider.pk}, {"month": "2026-09"}):
            body = login(w.kailu).get("/care/settlements/", params).content.decode()
            assert w.their_statement.number not in body, params
        assert "科尔沁服务商" not in login(w.kailu).get("/care/settlements/").content.decode()

    def build(w, login, client):
        before = _their_state(w)
        response = login(w.kailu).post(
            "/care/settlements/build/", {"provider": w.their_provider.pk, "month": "2026-09"}
        )
        assert response.status_code == 422 and "服务商不存在或不在您的管辖范围内" in response.content.decode()
        unchanged(w, before)

    def detail(w, login, client):
        assert login(w.kailu).get(f"/care/settlements/{w.my_statement.pk}/").status_code == 200
        response = login(w.kailu).get(f"/care/settlements/{w.their_statement.pk}/")
        assert response.status_code == 404 and "科尔沁" not in response.content.decode()

    def post_404(path, data=None):
        def case(w, login, client):
            before = _their_state(w)
            url = path.format(pk=w.their_statement.pk)
            assert login(w.kailu).get(url).status_code in (404, 405)
            assert login(w.kailu).post(url, data or {}).status_code == 404
            unchanged(w, before)

        return case

    def xlsx(w, login, client):
        assert login(w.kailu).get(f"/care/settlements/{w.their_statement.pk}/export.xlsx").status_code == 404
        response = login(w.kailu).get(f"/care/settlements/{w.my_statement.pk}/export.xlsx")
        names = {
            row[3] for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
        }
        assert "开鲁老人" in names and "科尔沁老人" not in names

    def pdf(w, login, client):
        response = login(w.kailu).get(f"/care/settlements/{w.their_statement.pk}/statement.pdf")
        assert response.status_code == 404 and b"%PDF" not in response.content

    def plan(w, login, client):
        page = login(w.kailu).get("/care/dispatch/plan/").content.decode()
        assert "开鲁镇" in page and "科尔沁" not in page
        response = login(w.kailu).get(
            "/care/dispatch/plan/",
            {"township": THEIR_TOWN, "date": f"{w.plan_day}", "provider": w.their_provider.pk},
        )
        body = response.content.decode()
        assert response.status_code == 422 and w.their_plan_order.number not in body
        mine = login(w.kailu).get(
            "/care/dispatch/plan/",
            {"township": MY_TOWN, "date": f"{w.plan_day}", "provider": w.their_provider.pk},
        )
        assert mine.status_code == 422 and "科尔沁服务商" not in mine.content.decode()

    def suggest(w, login, client):
        before = _their_state(w)
        for township in (THEIR_TOWN, MY_TOWN):
            response = login(w.kailu).post(
                "/care/dispatch/plan/suggest/",
                {"township": township, "date": f"{w.plan_day}", "provider": w.their_provider.pk},
            )
            assert response.status_code == 422 and w.their_plan_order.number not in response.content.decode()
        unchanged(w, before)

    def apply(w, login, client):
        before = _their_state(w)
        pair = f"{w.their_plan_order.pk}:{w.their_caregiver.pk}"
        for user in (w.kailu, getattr(w, "my_staff", w.kailu)):
            login(user).post(
                "/care/dispatch/plan/apply/",
                {
                    "township": THEIR_TOWN,
                    "date": f"{w.plan_day}",
                    "provider": w.their_provider.pk,
                    "assign": pair,
                },
            )
            login(user).post(
                "/care/dispatch/plan/apply/",
                {"township": MY_TOWN, "date": f"{w.plan_day}", "provider": w.my_provider.pk, "assign": pair},
            )
        unchanged(w, before)

    def api_list(w, login, client):
        body = api(w.kailu, client, "get", "/api/v1/settlements").json()
        numbers = {s["number"] for s in body["items"]}
        assert w.my_statement.number in numbers and w.their_statement.number not in numbers
        assert body["total"] == len(numbers)
        assert api(w.kailu, client, "get", "/api/v1/settlements", county="150502").json()["total"] == 0

    def api_detail(w, login, client):
        assert api(w.kailu, client, "get", f"/api/v1/settlements/{w.my_statement.pk}").status_code == 200
        assert api(w.kailu, client, "get", f"/api/v1/settlements/{w.their_statement.pk}").status_code == 404

    def api_lines(w, login, client):
        mine = api(w.kailu, client, "get", f"/api/v1/settlements/{w.my_statement.pk}/lines").json()
        assert mine["total"] == 1
        assert (
            api(w.kailu, client, "get", f"/api/v1/settlements/{w.their_statement.pk}/lines").status_code
            == 404
        )

    def api_build(w, login, client):
        before = _their_state(w)
        response = api(
            w.kailu, client, "post", "/api/v1/settlements", provider=w.their_provider.pk, month="2026-09"
        )
        assert response.status_code == 422 and response.json()["code"] == "provider_unknown"
        unchanged(w, before)

    def api_confirm(w, login, client):
        before = _their_state(w)
        response = api(w.kailu, client, "post", f"/api/v1/settlements/{w.their_statement.pk}/confirm")
        assert response.status_code == 404 and not re.search("科尔沁", response.content.decode())
        unchanged(w, before)

    return {
        "care:settlements": settlements,
        "care:settlement_build": build,
        "care:settlement_detail": detail,
        "care:settlement_confirm": post_404("/care/settlements/{pk}/confirm/", {"checked": "on"}),
        "care:settlement_rebuild": post_404("/care/settlements/{pk}/rebuild/"),
        "care:settlement_xlsx": xlsx,
        "care:settlement_pdf": pdf,
        "care:dispatch_plan": plan,
        "care:dispatch_suggest": suggest,
        "care:dispatch_apply": apply,
        "api:settlement_list": api_list,
        "api:settlement_detail": api_detail,
        "api:settlement_line_list": api_lines,
        "api:settlement_build": api_build,
        "api:settlement_confirm": api_confirm,
    }
