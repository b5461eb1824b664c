"""A stream of demo device events: heartbeats, activity, low batteries and now and then an SOS or a fall,
signed and sent the way real devices send them (MQTT QoS 1 and/or signed HTTP).

    yanglao demo_events --seconds 120                 # MQTT, 开鲁县's demo devices
    yanglao demo_events --channel http --url http://127.0.0.1:8000 --seconds 60

The alarm worker (``yanglao alarm_worker``) turns them into alarms; the desk board shows them.
"""

import json
import random
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from yanglao.alarms import conf, protocol
from yanglao.alarms.models import Device, DeviceKind, DeviceStatus
from yanglao.alarms.services import device_secret

ACTIVITY_SENSORS = {
    DeviceKind.DOOR_SENSOR: "door",
    DeviceKind.MOTION_SENSOR: "motion",
    DeviceKind.BED_SENSOR: "bed",
}


class Command(BaseCommand):
    help = "Stream signed demo device events over MQTT and/or HTTP for a while (the demo's live feed)."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=60.0)
        parser.add_argument(
            "--rate", type=float, default=10.0, help="events per second (heartbeats and activity)"
        )
        parser.add_argument("--alarm-every", type=float, default=20.0, help="seconds between SOS/fall events")
        parser.add_argument("--channel", choices=["mqtt", "http", "both"], default="mqtt")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the server, for --channel http")
        parser.add_argument("--region", default="150523", help="devices of this region code prefix")
        parser.add_argument("--devices", type=int, default=50, help="how many devices take part")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument(
            "--root", default=protocol.TOPIC_ROOT, help="MQTT topic root (tests use their own)"
        )

    def handle(self, *args, **o):
        rng = random.Random(o["seed"])
        devices = list(
            Device.objects.filter(
                region_code__startswith=o["region"], status__in=(DeviceStatus.ACTIVE, DeviceStatus.OFFLINE)
            ).order_by("pk")[:5000]
        )
        if not devices:
            raise CommandError(f"区划 {o['region']} 没有在用的告警设备：请先运行 yanglao seed_demo。")
        devices = rng.sample(devices, min(o["devices"], len(devices)))
        secrets = {d.pk: device_secret(device=d) for d in devices}
        buttons = [d for d in devices if d.kind in (DeviceKind.SOS_BUTTON, DeviceKind.WEARABLE)] or devices
        channels = ["mqtt", "http"] if o["channel"] == "both" else [o["channel"]]
        mqtt_client = self._mqtt() if "mqtt" in channels else None
        counts = {"sent": 0, "acknowledged": 0, "refused": 0}
        pending = []
        started = time.monotonic()
        next_alarm = started + min(5.0, o["alarm_every"])
        interval = 1.0 / max(o["rate"], 0.1)
        self.stdout.write(
            f"demo_events: {len(devices)} 台设备，{o['rate']:g} 个事件/秒，每 {o['alarm_every']:g} 秒一次呼叫，"
            f"通道 {'+'.join(channels)}，共 {o['seconds']:g} 秒"
        )
        while time.monotonic() - started < o["seconds"]:
            now = time.monotonic()
            if now >= next_alarm:
                device = rng.choice(buttons)
                kind = (
                    rng.choices(["sos", "fall"], [4, 1])[0] if device.kind == DeviceKind.WEARABLE else "sos"
                )
                document = self._event(device, kind, rng)
                next_alarm = now + o["alarm_every"]
                self.stdout.write(f"  {kind} ← {device.serial}")
            else:
                device = rng.choice(devices)
                document = self._event(device, self._routine_kind(device, rng), rng)
            channel = rng.choice(channels)
            counts["sent"] += 1
            if channel == "mqtt":
                info = mqtt_client.publish(
                    protocol.topic_for(device.serial, o["root"]), json.dumps(document), qos=1
                )
                pending.append(info)
            else:
                ok = self._post(o["url"], device, secrets[device.pk], document)
                counts["acknowledged" if ok else "refused"] += 1
            time.sleep(max(0.0, interval - (time.monotonic() - now)))
        for info in pending:
            info.wait_for_publish(timeout=5)
            counts["acknowledged" if info.is_published() else "refused"] += 1
        if mqtt_client is not None:
            mqtt_client.disconnect()
            mqtt_client.loop_stop()
        self.stdout.write(
            f"发送 {counts['sent']}，已确认 {counts['acknowledged']}，未确认或被拒收 {counts['refused']}"
        )

    def _mqtt(self):
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"yanglao-demo-{uuid.uuid4().hex[:8]}"
        )
        try:
            client.connect(conf.mqtt_host(), conf.mqtt_port())
        except OSError as exc:
            raise CommandError(
                f"连不上 MQTT 服务器 {conf.mqtt_host()}:{conf.mqtt_port()}（{exc}）。"
                "请启动 mosquitto，或改用 --channel http。"
            ) from None
        client.loop_start()
        return client

    @staticmethod
    def _routine_kind(device: Device, rng: random.Random) -> str:
        if device.kind in ACTIVITY_SENSORS and rng.random() < 0.6:
            return "activity"
        if device.kind == DeviceKind.WEARABLE and rng.random() < 0.3:
            return "location"
        return "heartbeat"

    @staticmethod
    def _event(device: Device, kind: str, rng: random.Random) -> dict:
        extra: dict = {}
        if device.kind in (DeviceKind.SOS_BUTTON, DeviceKind.WEARABLE):
            extra["battery"] = (
                rng.choice([15, *range(40, 101, 5)]) if kind == "heartbeat" else rng.randint(40, 100)
            )
        if kind == "activity":
            extra["data"] = {"sensor": ACTIVITY_SENSORS[device.kind]}
        if device.kind == DeviceKind.WEARABLE and device.geofence_latitude is not None:
            jitter = 0.002 if kind != "location" or rng.random() < 0.9 else 0.02
            extra["location"] = {
                "lat": round(float(device.geofence_latitude) + rng.uniform(-jitter, jitter), 6),
                "lng": round(float(device.geofence_longitude) + rng.uniform(-jitter, jitter), 6),
            }
        return protocol.event_document(
            event_id=f"demo-{uuid.uuid4().hex[:16]}", kind=kind, occurred_at=datetime.now(UTC), **extra
        )

    def _post(self, url: str, device: Device, secret: str, document: dict) -> bool:
        body = json.dumps(document).encode()
        headers = {"Content-Type": "application/json", **protocol.signed_headers(device.serial, secret, body)}
        if not url.startswith(("http://", "https://")):
            raise CommandError("--url 应以 http:// 或 https:// 开头。")
        endpoint = url.rstrip("/") + "/api/v1/device-events"
        request = urllib.request.Request(endpoint, body, headers, method="POST")  # noqa: S310 - checked above
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - checked above
                return response.status == 202
        except urllib.error.HTTPError as exc:
            self.stderr.write(
                f"  {device.serial}: HTTP {exc.code} {exc.read()[:200].decode(errors='replace')}"
            )
        except OSError as exc:
            raise CommandError(f"连不上 {url}（{exc}）。请先启动服务（make run）。") from None
        return False
