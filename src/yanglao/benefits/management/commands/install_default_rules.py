from django.core.management.base import BaseCommand, CommandError

from yanglao.benefits.defaults import install_default_rules


class Command(BaseCommand):
    help = "Install the entitlement rules the policy documents set (idempotent)."

    def handle(self, *args, **options):
        try:
            added = install_default_rules()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"待遇规则：新增 {added} 条")
