from django.core.management.base import BaseCommand

from yanglao.core.tasks import run_pending, work_forever


class Command(BaseCommand):
    help = (
        "Run background tasks (imports, large exports) until stopped; --once runs what is queued and exits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true")

    def handle(self, *args, once=False, **options):
        if once:
            self.stdout.write(f"ran {run_pending()} task(s)")
            return
        self.stdout.write("yanglao worker: waiting for tasks (Ctrl-C to stop)")
        work_forever()
