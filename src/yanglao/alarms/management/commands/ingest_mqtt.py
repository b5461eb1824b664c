import signal
import threading

from django.core.management.base import BaseCommand

from yanglao.alarms import protocol
from yanglao.alarms.mqtt import CLIENT_ID, MqttIngester


class Command(BaseCommand):
    help = "Store device events from the MQTT broker (topic <root>/dev/+/evt, QoS 1), acknowledging after commit."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=None, help="broker host (YANGLAO_MQTT_HOST, default 127.0.0.1)")
        parser.add_argument(
            "--port", type=int, default=None, help="broker port (YANGLAO_MQTT_PORT, default 1883)"
        )
        parser.add_argument(
            "--client-id", default=CLIENT_ID, help="fixed: the broker keeps this session's queue"
        )
        parser.add_argument("--root", default=protocol.TOPIC_ROOT, help="topic root (tests use their own)")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--batch-wait-ms", type=float, default=20.0)
        parser.add_argument("--max-seconds", type=float, default=None)
        parser.add_argument("--progress", action="store_true", help="print a line per batch (tests)")

    def handle(self, *args, **options):
        ingester = MqttIngester(
            host=options["host"],
            port=options["port"],
            client_id=options["client_id"],
            root=options["root"],
            batch_size=options["batch_size"],
            batch_wait_s=options["batch_wait_ms"] / 1000,
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        ingester.start()
        self.stdout.write(
            f"yanglao ingest_mqtt: {ingester.host}:{ingester.port} {protocol.topic_filter(ingester.root)} "
            f"as {ingester.client_id} (Ctrl-C to stop)"
        )
        self.stdout.flush()

        def report(stats):
            if options["progress"]:
                self.stdout.write(
                    f"batch stored={stats.stored} duplicates={stats.duplicates} rejected={stats.rejected}"
                )
                self.stdout.flush()

        try:
            stats = ingester.run(stop=stop, max_seconds=options["max_seconds"], report=report)
        finally:
            ingester.stop()
        self.stdout.write(
            f"messages={stats.messages} stored={stats.stored} duplicates={stats.duplicates} rejected={stats.rejected}"
        )
