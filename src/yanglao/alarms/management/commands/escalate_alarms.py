import signal
import threading

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from yanglao.alarms import escalation


class Command(BaseCommand):
    help = (
        "Escalate unanswered emergency alarms (60 s without acknowledgement → level 1, "
        "30 min unresolved → level 2), every few seconds until stopped; --once runs one round."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=5.0, help="seconds between rounds (default 5)")
        parser.add_argument("--once", action="store_true", help="one round, then exit")

    def handle(self, *args, every, once, **options):
        stop = threading.Event()
        if not once:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
            self.stdout.write(f"yanglao escalate_alarms: checking every {every:g} s (Ctrl-C to stop)")
            self.stdout.flush()
        while True:
            try:
                raised = escalation.escalate_due()
            except DatabaseError as exc:
                self.stderr.write(f"database error, retrying: {exc}")
                close_old_connections()
                raised = []
            for alarm in raised:
                self.stdout.write(f"alarm {alarm.pk} → level {alarm.escalation_level}")
            if once:
                self.stdout.write(f"escalated={len(raised)}")
                return
            self.stdout.flush()
            if stop.wait(every):
                return
