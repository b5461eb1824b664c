"""Leave room on the device table's pages (PostgreSQL): a liveness write changes no indexed column
(alarms/liveness.py), so with free space on its page PostgreSQL keeps it a HOT update — no new index
entries, a fraction of the WAL. Other databases have no such setting."""

from django.db import migrations


def _set(fillfactor: int):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            table = schema_editor.quote_name(apps.get_model("alarms", "Device")._meta.db_table)
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {fillfactor})")

    return run


class Migration(migrations.Migration):
    dependencies = [("alarms", "0001_initial")]

    operations = [migrations.RunPython(_set(80), _set(100), elidable=True)]
