import pytest
from django.db import DatabaseError, connection, transaction

from yanglao.core import audit
from yanglao.core.models import AuditEntry


@pytest.fixture
def entry(db, kailu_officer):
    return audit.record(actor=kailu_officer, action=audit.Action.UPDATE, obj=kailu_officer, summary="x")


def test_record_fills_actor_object_region_and_ip(entry, kailu_officer):
    assert entry.actor == kailu_officer
    assert entry.actor_username == "kailu-t"
    assert entry.object_type == "accounts.user"
    assert entry.object_id == str(kailu_officer.pk)
    assert entry.region_code == kailu_officer.region_id


def test_orm_cannot_change_or_delete_an_entry(entry):
    entry.summary = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(summary="changed")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


def test_database_refuses_raw_update_and_delete(entry):
    table = AuditEntry._meta.db_table
    for sql in (f"UPDATE {table} SET summary = 'changed'", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEntry.objects.get(pk=entry.pk).summary == "x"


def test_diff_masks_personal_fields_on_both_sides():
    changes = audit.diff(
        {"name": "张三", "phone": "13812345678", "same": 1},
        {"name": "张三丰", "phone": "13987654321", "same": 1},
        personal={"phone": "phone"},
    )
    assert changes == {"name": ["张三", "张三丰"], "phone": ["138****5678", "139****4321"]}
