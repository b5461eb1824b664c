"""The settlement pages: list and filters, the build form, the statement, the confirmation step,
the Excel and PDF exports — and every form's field errors."""

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.care.factories import make_provider, provider_user
from tests.care.settlement_factories import CLEAN, LUNCH, MONTH, grant, make_order
from tests.conftest import make_elder
from yanglao.care import settlement
from yanglao.care.models import AnomalyDecision, OrderState, Settlement, SettlementState, WorkOrder
from yanglao.core.models import AuditEntry
from yanglao.regions.models import Region


@pytest.fixture
def provider(db):
    return make_provider("150523")


@pytest.fixture
def elder(db):
    return make_elder("150523100001", name="页面老人")


def build(actor, provider) -> Settlement:
    return settlement.settlement_build(
        actor=actor, provider=provider, county=Region.objects.get(code=provider.county_id), month=MONTH
    )


def test_list_shows_statements_and_filters(client_for, kailu_officer, provider, elder):
    make_order(provider, elder, CLEAN)
    statement = build(kailu_officer, provider)
    client = client_for(kailu_officer)
    body = client.get("/care/settlements/").content.decode()
    assert statement.number in body and "生成结算单" in body and "35.00" in body
    assert (
        statement.number
        in client.get("/care/settlements/", {"month": "2026-09", "state": "draft"}).content.decode()
    )
    assert statement.number not in client.get("/care/settlements/", {"state": "confirmed"}).content.decode()
    bad = client.get("/care/settlements/", {"month": "九月"}).content.decode()
    assert "月份格式不对，应为 2026-03。" in bad


def test_build_form_errors_per_field_and_nothing_written(client_for, kailu_officer, provider):
    client = client_for(kailu_officer)
    cases = [
        ({"month": "2026-09"}, "请选择服务商。"),
        ({"provider": "999999", "month": "2026-09"}, "服务商不存在或不在您的管辖范围内。"),
        ({"provider": str(provider.pk), "month": ""}, "请选择结算月份。"),
        ({"provider": str(provider.pk), "month": "2026-13"}, "结算月份格式不对，应为 2026-03。"),
        ({"provider": str(provider.pk), "month": "2099-01"}, "不能生成未来月份的结算单。"),
    ]
    for data, message in cases:
        response = client.post("/care/settlements/build/", data)
        assert response.status_code == 422, data
        assert message in response.content.decode(), data
    assert not Settlement.objects.exists()


def test_build_form_creates_the_draft(client_for, kailu_officer, provider, elder):
    make_order(provider, elder, CLEAN)
    response = client_for(kailu_officer).post(
        "/care/settlements/build/", {"provider": str(provider.pk), "month": "2026-09"}
    )
    statement = Settlement.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/care/settlements/{statement.pk}/"
    assert statement.total_fen == 3500


def test_township_officer_and_provider_cannot_build(client_for, township_officer, provider):
    for user in (township_officer, provider_user(provider)):
        body = client_for(user).get("/care/settlements/").content.decode()
        assert "生成结算单" not in body
    assert (
        client_for(provider_user(provider, "fws-2")).post("/care/settlements/build/", {}).status_code == 403
    )
    response = client_for(township_officer).post(
        "/care/settlements/build/", {"provider": str(provider.pk), "month": "2026-09"}
    )
    assert response.status_code == 422 and "旗县及以上" in response.content.decode()
    assert not Settlement.objects.exists()


def test_detail_shows_totals_anomalies_and_lines(client_for, kailu_officer, provider, elder):
    grant(elder, "meal-subsidy")
    make_order(provider, elder, CLEAN, date(2026, 9, 1))
    make_order(provider, elder, LUNCH, date(2026, 9, 2))
    make_order(
        provider, elder, CLEAN, date(2026, 9, 3), decision=AnomalyDecision.NO_PAY, reason="签到地点不符"
    )
    pending = make_order(provider, elder, CLEAN, date(2026, 9, 4), decision=AnomalyDecision.PENDING)
    statement = build(kailu_officer, provider)
    body = client_for(kailu_officer).get(f"/care/settlements/{statement.pk}/").content.decode()
    assert "47.00" in body  # 35 + 12
    assert "12.00" in body  # the lunch, by the meal subsidy
    assert "不予结算" in body and "签到地点不符" in body
    assert "待处理的异常工单" in body and pending.number in body
    assert f'href="/care/orders/{pending.pk}/"' in body
    assert "确认结算单…" in body and "重新生成" in body


def test_detail_query_count_does_not_grow_with_lines(
    client_for, kailu_officer, provider, elder, django_assert_num_queries
):
    for day in range(1, 26):
        make_order(provider, elder, CLEAN, date(2026, 9, day))
    statement = build(kailu_officer, provider)
    client = client_for(kailu_officer)
    client.get(f"/care/settlements/{statement.pk}/")  # warm the session and the caches
    with django_assert_num_queries(12):
        response = client.get(f"/care/settlements/{statement.pk}/", {"page_size": "100"})
    assert response.content.decode().count("<code>GD") == 25
    for day in range(1, 30):
        make_order(provider, elder, CLEAN, date(2026, 9, day), quantity=2)
    statement = build(kailu_officer, provider)
    with django_assert_num_queries(12):
        response = client.get(f"/care/settlements/{statement.pk}/", {"page_size": "100"})
    assert response.content.decode().count("<code>GD") == 54


def test_confirmation_step_needs_the_box_ticked(client_for, kailu_officer, provider, elder):
    order = make_order(provider, elder, CLEAN)
    statement = build(kailu_officer, provider)
    client = client_for(kailu_officer)
    page = client.get(f"/care/settlements/{statement.pk}/confirm/").content.decode()
    assert "确认后：结算单不能再修改" in page and "35.00" in page
    refused = client.post(f"/care/settlements/{statement.pk}/confirm/", {})
    assert refused.status_code == 422 and "请勾选确认已核对结算单。" in refused.content.decode()
    statement.refresh_from_db()
    assert statement.state == SettlementState.DRAFT
    done = client.post(f"/care/settlements/{statement.pk}/confirm/", {"checked": "on"})
    assert done.status_code == 302
    statement.refresh_from_db()
    order.refresh_from_db()
    assert statement.state == SettlementState.CONFIRMED and order.state == OrderState.SETTLED
    body = client.get(f"/care/settlements/{statement.pk}/").content.decode()
    assert "已确认" in body and "确认结算单…" not in body and "/rebuild/" not in body
    assert client.get(f"/care/settlements/{statement.pk}/confirm/").status_code == 302


def test_confirmation_refused_with_pending_anomalies_says_why(client_for, kailu_officer, provider, elder):
    make_order(provider, elder, CLEAN)
    make_order(provider, elder, CLEAN, date(2026, 9, 12), decision=AnomalyDecision.PENDING)
    statement = build(kailu_officer, provider)
    response = client_for(kailu_officer).post(f"/care/settlements/{statement.pk}/confirm/", {"checked": "on"})
    assert response.status_code == 422
    assert "有 1 张异常工单尚未处理" in response.content.decode()
    statement.refresh_from_db()
    assert statement.state == SettlementState.DRAFT


def test_rebuild_takes_in_new_orders(client_for, kailu_officer, provider, elder):
    make_order(provider, elder, CLEAN)
    statement = build(kailu_officer, provider)
    make_order(provider, elder, CLEAN, date(2026, 9, 20))
    response = client_for(kailu_officer).post(f"/care/settlements/{statement.pk}/rebuild/")
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.order_count == 2


def test_xlsx_export_amounts_in_yuan_with_a_total_row(client_for, kailu_officer, provider, elder):
    grant(elder, "home-service-1h")
    make_order(provider, elder, CLEAN, date(2026, 9, 1), quantity=1)
    make_order(provider, elder, CLEAN, date(2026, 9, 1), quantity=1)  # the hour is used: self-paid
    make_order(provider, elder, LUNCH, date(2026, 9, 2))
    statement = build(kailu_officer, provider)
    response = client_for(kailu_officer).get(f"/care/settlements/{statement.pk}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows.index(next(r for r in rows if r and r[0] == "序号"))
    data, total = rows[header + 1 : -1], rows[-1]
    assert len(data) == 3
    assert total[0] == "合计" and total[1] == "3 单"
    assert [Decimal(str(v)) for v in total[8:12]] == [
        Decimal("82.00"),
        Decimal("35.00"),
        Decimal("0.00"),
        Decimal("47.00"),
    ]
    assert sum(Decimal(str(r[8])) for r in data) == Decimal("82.00")
    first = next(sheet.iter_rows(min_row=header + 2, max_row=header + 2))
    assert first[8].number_format == "#,##0.00"
    assert AuditEntry.objects.filter(action="export", object_id=str(statement.pk)).exists()


def test_pdf_export(client_for, kailu_officer, provider, elder):
    make_order(provider, elder, CLEAN)
    statement = build(kailu_officer, provider)
    response = client_for(kailu_officer).get(f"/care/settlements/{statement.pk}/statement.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_provider_staff_see_their_own_statement_only(client_for, kailu_officer, provider, elder):
    other = make_provider("150523")
    make_order(provider, elder, CLEAN)
    make_order(other, elder, CLEAN)
    mine, theirs = build(kailu_officer, provider), build(kailu_officer, other)
    client = client_for(provider_user(provider))
    body = client.get("/care/settlements/").content.decode()
    assert mine.number in body and theirs.number not in body
    assert client.get(f"/care/settlements/{mine.pk}/").status_code == 200
    assert "确认结算单…" not in client.get(f"/care/settlements/{mine.pk}/").content.decode()
    assert client.get(f"/care/settlements/{theirs.pk}/").status_code == 404
    assert client.get(f"/care/settlements/{theirs.pk}/export.xlsx").status_code == 404
    assert client.get(f"/care/settlements/{mine.pk}/confirm/").status_code == 403
    assert WorkOrder.objects.filter(state=OrderState.SETTLED).count() == 0
