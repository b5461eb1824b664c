"""Make the audit table append-only in the database itself.

PostgreSQL: a trigger refuses UPDATE and DELETE (TRUNCATE stays possible for test-database
teardown and for an operator's deliberate, logged archival). SQLite: triggers refuse UPDATE and DELETE.
"""

from django.db import migrations

from yanglao.core.migrations import _audit_triggers


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(_audit_triggers.create, _audit_triggers.drop)]
