import signal
import threading

from django.core.management.base import BaseCommand

from yanglao.alarms import worker


class Command(BaseCommand):
    help = "Turn stored device events into alarms (claim, run the rules, commit per batch) and run the periodic checks."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=worker.BATCH_SIZE)
        parser.add_argument(
            "--lease",
            type=int,
            default=worker.LEASE_S,
            help="seconds before a dead worker's claim is taken over",
        )
        parser.add_argument(
            "--checks-every", type=float, default=30.0, help="seconds between periodic checks (0 = never)"
        )
        parser.add_argument("--idle-sleep-ms", type=float, default=50.0)
        parser.add_argument(
            "--until-done", action="store_true", help="exit when no unprocessed event is left"
        )
        parser.add_argument("--max-seconds", type=float, default=None)
        parser.add_argument(
            "--pause-ms",
            type=float,
            default=0.0,
            help="sleep between claiming and processing a batch (fault tests)",
        )
        parser.add_argument("--progress", action="store_true", help="print a line per batch (tests)")

    def handle(self, *args, **options):
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        opts = worker.WorkerOptions(
            batch_size=options["batch_size"],
            lease_s=options["lease"],
            idle_sleep_s=options["idle_sleep_ms"] / 1000,
            checks_every_s=options["checks_every"],
            until_done=options["until_done"],
            max_seconds=options["max_seconds"],
            pause_s=options["pause_ms"] / 1000,
        )
        self.stdout.write("yanglao alarm_worker: processing device events (Ctrl-C to stop)")
        self.stdout.flush()

        def report(outcome):
            if options["progress"]:
                self.stdout.write(
                    f"batch events={outcome.events} created={len(outcome.created)} merged={len(outcome.merged)}"
                )
                self.stdout.flush()

        processed = worker.run(options=opts, stop=stop, report=report)
        self.stdout.write(f"processed={processed}")
