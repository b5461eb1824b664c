from django.core.management.base import BaseCommand
from django.utils import timezone

from yanglao.benefits.services import entitlements_refresh
from yanglao.elders.models import Elder


class Command(BaseCommand):
    help = "Recompute every person's entitlements as of today (birthdays, categories that ended): run daily."

    def add_arguments(self, parser):
        parser.add_argument("--region", default="", help="only this region's code prefix")

    def handle(self, *args, region="", **options):
        today = timezone.localdate()
        opened = closed = 0
        elders = Elder.objects.filter(status="active", region__code__startswith=region).order_by("pk")
        for elder in elders.iterator(chunk_size=1000):
            o, c = entitlements_refresh(elder=elder, on=today)
            opened += len(o)
            closed += len(c)
        self.stdout.write(f"待遇：新增 {opened} 项，终止 {closed} 项")
