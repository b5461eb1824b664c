"""The GIN index behind "name contains" on PostgreSQL (see yanglao.core.textsearch)."""

from django.db import migrations

CREATE = "CREATE INDEX IF NOT EXISTS elders_elder_name_grams ON elders_elder USING gin (to_tsvector('simple', name_grams))"
DROP = "DROP INDEX IF EXISTS elders_elder_name_grams"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("elders", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
