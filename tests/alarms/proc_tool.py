"""Set up and inspect a database that subprocesses (the worker, the ingester) share with a test.

Run as ``python -m tests.alarms.proc_tool <command> '<json>'`` with DATABASE_URL pointing at that
database; prints one JSON line. Commands: ``setup`` (elder, devices, stored events), ``verify``.
"""

import json
import os
import sys


def setup(args: dict) -> dict:
    from datetime import timedelta

    from django.utils import timezone

    from tests.alarms.factories import make_device
    from tests.conftest import make_elder
    from yanglao.alarms.ingest import Incoming, ingest_events
    from yanglao.alarms.protocol import ParsedEvent

    elder = make_elder("150523100001", name="故障测试老人")
    devices = []
    for i in range(args["devices"]):
        device, secret = make_device(elder, serial=f"{args.get('prefix', 'F')}-{i:04d}")
        devices.append({"id": device.pk, "serial": device.serial, "secret": secret})
    worthy = []
    if args.get("events_per_device"):
        kinds = ["sos", "fall", "smoke", "gas"]
        base = timezone.now() - timedelta(minutes=30)
        batch = []
        for n, device in enumerate(devices):
            for k in range(args["events_per_device"]):
                alarm_kind = kinds[n % len(kinds)] if k == args["events_per_device"] // 2 else None
                event_id = f"{device['serial']}-{k}"
                at = base + timedelta(seconds=k * 70)  # 70 s apart: nothing merges
                batch.append(
                    Incoming(
                        device["id"], ParsedEvent(event_id, alarm_kind or "heartbeat", at, {"battery": 90})
                    )
                )
                if alarm_kind:
                    worthy.append(event_id)
        ingest_events(batch, channel="mqtt")
    return {"devices": devices, "worthy": worthy}


def verify(args: dict) -> dict:
    from django.db.models import Count

    from yanglao.alarms.models import Alarm, DeviceEvent

    events = DeviceEvent.objects.all()
    per_event = (
        Alarm.objects.filter(source_event__isnull=False).values("source_event").annotate(n=Count("pk"))
    )
    return {
        "events": events.count(),
        "processed": events.filter(processed_at__isnull=False).count(),
        "event_ids": sorted(events.values_list("event_id", flat=True)),
        "alarms": Alarm.objects.count(),
        "alarm_events": sorted(
            Alarm.objects.filter(source_event__isnull=False).values_list("source_event__event_id", flat=True)
        ),
        "max_alarms_per_event": max((row["n"] for row in per_event), default=0),
        "merged": sum(Alarm.objects.values_list("merged_count", flat=True)),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yanglao.settings")
    import django

    django.setup()
    command, args = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    result = {"setup": setup, "verify": verify}[command](args)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
