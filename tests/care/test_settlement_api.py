"""/api/v1/settlements: list, detail, lines, build, confirm — and their stable error codes."""

from datetime import date

import pytest

from tests.care.factories import make_provider, provider_user
from tests.care.settlement_factories import CLEAN, make_order
from tests.conftest import make_elder
from yanglao.care.models import AnomalyDecision, OrderState, Settlement, WorkOrder


@pytest.fixture
def provider(db):
    return make_provider("150523")


@pytest.fixture
def elder(db):
    return make_elder("150523100001", name="接口老人")


def post(client, headers, url, data=None):
    return client.post(url, data or {}, content_type="application/json", headers=headers)


def test_build_list_detail_lines_confirm(client, auth_headers, kailu_officer, provider, elder):
    headers = auth_headers(kailu_officer)
    order = make_order(provider, elder, CLEAN, date(2026, 9, 2))
    make_order(provider, elder, CLEAN, date(2026, 9, 3), decision=AnomalyDecision.NO_PAY, reason="x")
    built = post(client, headers, "/api/v1/settlements", {"provider": provider.pk, "month": "2026-09"})
    assert built.status_code == 201, built.content
    body = built.json()
    assert body["state"] == "draft" and body["total_fen"] == 3500 and body["excluded_count"] == 1
    assert body["county"] == {"code": "150523000000", "name": "开鲁县"}
    assert body["total_fen"] == body["government_fen"] + body["subsidy_fen"] + body["self_fen"]
    pk = body["id"]

    listed = client.get("/api/v1/settlements", {"month": "2026-09"}, headers=headers).json()
    assert listed["total"] == 1 and listed["items"][0]["number"] == body["number"]
    assert client.get("/api/v1/settlements", {"state": "confirmed"}, headers=headers).json()["total"] == 0
    lines = client.get(f"/api/v1/settlements/{pk}/lines", headers=headers).json()
    assert lines["total"] == 2
    assert {(i["order_number"], i["amount_fen"], i["anomaly_decision"]) for i in lines["items"]} >= {
        (order.number, 3500, "")
    }
    confirmed = post(client, headers, f"/api/v1/settlements/{pk}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    assert confirmed.json()["confirmed_by"] == kailu_officer.display_name
    order.refresh_from_db()
    assert order.state == OrderState.SETTLED
    again = post(client, headers, f"/api/v1/settlements/{pk}/confirm")
    assert again.status_code == 422 and again.json()["code"] == "settlement_confirmed"
    rebuilt = post(client, headers, "/api/v1/settlements", {"provider": provider.pk, "month": "2026-09"})
    assert rebuilt.status_code == 422 and rebuilt.json()["code"] == "settlement_confirmed"


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"provider": 999_999, "month": "2026-09"}, "provider_unknown", "provider"),
        ({"month": "2026-09"}, "validation_error", "provider"),
        ({"provider": None, "month": "2026-09"}, "validation_error", "provider"),
        ({"provider": "PROVIDER", "month": "2026-13"}, "invalid_month", "month"),
        ({"provider": "PROVIDER", "month": "九月"}, "invalid_month", "month"),
        ({"provider": "PROVIDER", "month": "2099-01"}, "month_in_future", "month"),
        (
            {"provider": "PROVIDER", "month": "2026-09", "county": "150502"},
            "provider_not_in_county",
            "county",
        ),
    ],
)
def test_build_errors(client, auth_headers, kailu_officer, provider, payload, code, field):
    payload = {k: provider.pk if v == "PROVIDER" else v for k, v in payload.items()}
    response = post(client, auth_headers(kailu_officer), "/api/v1/settlements", payload)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    assert field in response.json()["fields"]
    assert not Settlement.objects.exists()


def test_confirm_errors(client, auth_headers, kailu_officer, provider, elder):
    headers = auth_headers(kailu_officer)
    make_order(provider, elder, CLEAN, date(2026, 9, 2), decision=AnomalyDecision.PENDING)
    pk = post(client, headers, "/api/v1/settlements", {"provider": provider.pk, "month": "2026-09"}).json()[
        "id"
    ]
    detail = client.get(f"/api/v1/settlements/{pk}", headers=headers).json()
    assert len(detail["pending_anomalies"]) == 1 and detail["pending_anomalies"][0]["anomalies"] == [
        "far_check_in"
    ]
    refused = post(client, headers, f"/api/v1/settlements/{pk}/confirm")
    assert refused.status_code == 422 and refused.json()["code"] == "anomalies_pending"
    WorkOrder.objects.update(anomaly_decision=AnomalyDecision.NO_PAY)
    post(client, headers, "/api/v1/settlements", {"provider": provider.pk, "month": "2026-09"})
    empty = post(client, headers, f"/api/v1/settlements/{pk}/confirm")
    assert empty.status_code == 422 and empty.json()["code"] == "settlement_empty"
    assert (
        client.get("/api/v1/settlements", {"month": "2026/9"}, headers=headers).json()["code"]
        == "invalid_month"
    )


def test_who_may(client, auth_headers, kailu_officer, township_officer, horqin_officer, provider, elder):
    make_order(provider, elder, CLEAN, date(2026, 9, 2))
    pk = post(
        client,
        auth_headers(kailu_officer),
        "/api/v1/settlements",
        {"provider": provider.pk, "month": "2026-09"},
    ).json()["id"]
    low = post(client, auth_headers(township_officer), f"/api/v1/settlements/{pk}/confirm")
    assert low.status_code == 404  # a township officer does not see county statements at all
    built = post(
        client,
        auth_headers(township_officer),
        "/api/v1/settlements",
        {"provider": provider.pk, "month": "2026-09"},
    )
    assert built.status_code == 403 and built.json()["code"] == "forbidden"
    assert client.get(f"/api/v1/settlements/{pk}", headers=auth_headers(horqin_officer)).status_code == 404
    assert post(client, auth_headers(horqin_officer), f"/api/v1/settlements/{pk}/confirm").status_code == 404
    staff = provider_user(provider)
    assert client.get(f"/api/v1/settlements/{pk}", headers=auth_headers(staff)).status_code == 200
    assert post(client, auth_headers(staff), f"/api/v1/settlements/{pk}/confirm").status_code == 403
    other = provider_user(make_provider("150523"), "fws-other")
    assert client.get(f"/api/v1/settlements/{pk}", headers=auth_headers(other)).status_code == 404
    assert client.get("/api/v1/settlements", headers=auth_headers(other)).json()["total"] == 0
    assert Settlement.objects.get().state == "draft"
