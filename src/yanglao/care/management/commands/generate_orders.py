from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from yanglao.care.orders import orders_generate_month


class Command(BaseCommand):
    help = (
        "Generate a county's month of work orders from the home-service entitlements "
        "(yanglao generate_orders --county 150523 --month 2026-12); idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True, help="旗县区划代码，6 位或 12 位，如 150523")
        parser.add_argument("--month", required=True, help="月份，如 2026-12")

    def handle(self, *args, county, month, **options):
        try:
            result = orders_generate_month(actor=None, county=county, month=month)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self.stdout.write(result.message)
        if result.without_provider:
            self.stdout.write(f"无签约服务商的老年人档案号：{'、'.join(result.without_provider[:50])}")
