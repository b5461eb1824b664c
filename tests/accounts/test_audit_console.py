import pytest

from tests.conftest import make_user
from yanglao.core import audit


@pytest.mark.django_db
def test_auditor_searches_by_person_action_object_and_date(client_for, auditor):
    worker = make_user("kl-w", "caregiver", "150523")
    audit.record(actor=worker, action=audit.Action.EXPORT, obj=worker, summary="导出名单")
    audit.record(actor=worker, action=audit.Action.REVEAL, obj=worker, summary="查看证件号")
    client = client_for(auditor)
    by_action = client.get("/accounts/audit/", {"action": "export"}).content.decode()
    assert "导出名单" in by_action and "查看证件号" not in by_action
    by_person = client.get("/accounts/audit/", {"person": "kl-w"}).content.decode()
    assert "导出名单" in by_person and "查看证件号" in by_person
    by_object = client.get(
        "/accounts/audit/", {"object_type": "accounts.user", "object_id": worker.pk}
    ).content.decode()
    assert "导出名单" in by_object
    none = client.get(
        "/accounts/audit/", {"date_from": "2000-01-01", "date_to": "2000-01-02"}
    ).content.decode()
    assert "没有符合条件的记录" in none


@pytest.mark.django_db
def test_bad_date_range_is_explained(client_for, auditor):
    html = (
        client_for(auditor)
        .get("/accounts/audit/", {"date_from": "2026-02-01", "date_to": "2026-01-01"})
        .content.decode()
    )
    assert "截止日期不能早于起始日期" in html
    html = client_for(auditor).get("/accounts/audit/", {"date_from": "not-a-date"}).content.decode()
    assert "输入一个有效的日期" in html
