"""Re-encrypt every encrypted column under the active key.

Rotation: put the new key first in YANGLAO_FIELD_KEY and keep the old one after it
(``new:…,old:…``), restart, run ``yanglao rotate_field_key``, then remove the old key.
Values are re-encrypted in batches, each in its own transaction, so the command can be stopped
and run again: it only touches values still under another key.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from yanglao.core import crypto

BATCH = 1000


class Command(BaseCommand):
    help = "Re-encrypt personal fields under the active (first) key of YANGLAO_FIELD_KEY."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would change, change nothing")

    def handle(self, *args, dry_run=False, **options):
        ring = crypto.keyring()
        prefix = f"{ring.active_id}$"
        total = 0
        for label, field, context in crypto.ENCRYPTED_FIELDS:
            model = apps.get_model(label)
            stale = model._default_manager.exclude(**{field: ""}).exclude(**{f"{field}__startswith": prefix})
            count = stale.count()
            total += count
            self.stdout.write(f"{label}.{field}: {count} 个值需要重新加密")
            if dry_run or not count:
                continue
            done = 0
            while True:
                with transaction.atomic():
                    rows = list(stale.order_by("pk").only("pk", field)[:BATCH])
                    if not rows:
                        break
                    for row in rows:
                        try:
                            clear = crypto.decrypt(getattr(row, field), context=context)
                        except crypto.FieldKeyError as exc:
                            raise CommandError(f"{label} #{row.pk}: {exc}") from None
                        setattr(row, field, crypto.encrypt(clear, context=context))
                    model._default_manager.bulk_update(rows, [field])
                done += len(rows)
                self.stdout.write(f"  已处理 {done}/{count}")
        verb = "需要" if dry_run else "已"
        self.stdout.write(f"完成：{verb}重新加密 {total} 个值（当前密钥 {ring.active_id}）。")
