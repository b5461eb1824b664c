"""The MQTT ingester: device events from the Mosquitto broker into the database, acknowledged after commit.

- MQTT v5, a fixed client id and ``clean_start=False`` with a long session expiry: the broker keeps
  the subscription and queues QoS 1 messages while the ingester is down or restarting.
- Manual acknowledgement (``manual_ack``): paho's network thread only queues a message; the main
  thread stores a batch (up to ``batch_size`` messages or ``batch_wait_s`` after the first) in one
  transaction through ``ingest.ingest_events`` and sends the PUBACKs after the commit. A crash before
  the commit means the broker redelivers; a crash after it means a redelivery that the unique
  (device, event_id) turns into a duplicate, acknowledged and ignored.
- Authentication: the broker listens on loopback only and the ingester trusts the topic's serial
  only as far as this: it must be a registered, not retired device, and the payload must validate.
  In production the broker authenticates each device (username = serial, password) and its ACL
  lets a device write only ``yanglao/dev/<its serial>/evt`` (docs/device-protocol.md).
"""

import logging
import os
import queue
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from yanglao.alarms import conf, protocol
from yanglao.alarms.errors import IngestErrorCode as E
from yanglao.alarms.ingest import DeviceRef, Incoming, Rejection, device_refs, ingest_events
from yanglao.alarms.models import Channel, DeviceStatus
from yanglao.alarms.protocol import Rejected

log = logging.getLogger(__name__)

CLIENT_ID = "yanglao-ingest"
SESSION_EXPIRY_S = 7 * 24 * 3600
KNOWN_TTL_S = 60.0
UNKNOWN_TTL_S = 10.0


@dataclass
class Message:
    mid: int
    qos: int
    topic: str
    payload: bytes


@dataclass
class Stats:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0


class MqttIngester:
    def __init__(
        self,
        *,
        host: str | None = None,
        port: int | None = None,
        client_id: str = CLIENT_ID,
        root: str = protocol.TOPIC_ROOT,
        batch_size: int = 50,
        batch_wait_s: float = 0.02,
        session_expiry_s: int = SESSION_EXPIRY_S,
        receive_maximum: int = 1000,
    ):
        self.host = host or conf.mqtt_host()
        self.port = port or conf.mqtt_port()
        self.client_id = client_id
        self.root = root
        self.batch_size = batch_size
        self.batch_wait_s = batch_wait_s
        self.session_expiry_s = session_expiry_s
        self.receive_maximum = receive_maximum
        self.inbox: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.stats = Stats()
        self._devices: dict[str, tuple[DeviceRef | None, float]] = {}
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)

    # paho's network thread ------------------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.error("MQTT connect refused: %s", reason_code)
            return
        log.info("MQTT connected to %s:%s (session present: %s)", self.host, self.port, flags.session_present)
        self.connected.set()
        client.subscribe(protocol.topic_filter(self.root), qos=1)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        self.subscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.connected.clear()
        if reason_code.is_failure:
            log.warning("MQTT disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message):
        self.inbox.put(Message(message.mid, message.qos, message.topic, message.payload))

    # the main thread ------------------------------------------------------------------------------

    def start(self, *, wait_s: float = 10.0) -> None:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.session_expiry_s
        properties.ReceiveMaximum = self.receive_maximum
        self.client.connect(self.host, self.port, keepalive=30, clean_start=False, properties=properties)
        self.client.loop_start()
        if not self.subscribed.wait(wait_s):
            raise ConnectionError(
                f"MQTT broker {self.host}:{self.port} did not accept the subscription in {wait_s}s"
            )

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def collect(self, *, timeout: float = 0.2) -> list[Message]:
        """Up to ``batch_size`` messages: the first within ``timeout``, the rest within ``batch_wait_s`` of it."""
        try:
            batch = [self.inbox.get(timeout=timeout)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.batch_wait_s
        while len(batch) < self.batch_size:
            remaining = deadline - time.monotonic()
            try:
                batch.append(self.inbox.get_nowait() if remaining <= 0 else self.inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _lookup(self, serials: set[str]) -> dict[str, DeviceRef | None]:
        now = time.monotonic()
        found: dict[str, DeviceRef | None] = {}
        missing = []
        for serial in serials:
            cached = self._devices.get(serial)
            if cached is not None and cached[1] > now:
                found[serial] = cached[0]
            else:
                missing.append(serial)
        if missing:
            refs = device_refs(missing)
            for serial in missing:
                ref = refs.get(serial)
                found[serial] = ref
                self._devices[serial] = (ref, now + (KNOWN_TTL_S if ref else UNKNOWN_TTL_S))
        return found

    def handle(self, messages: list[Message], *, ack: bool = True) -> list[bool]:
        """Validate, store (one transaction) and then acknowledge a batch; per stored event, new or not."""
        moment = timezone.now()
        serials: dict[int, str] = {}
        rejections: list[Rejection] = []
        incoming: list[Incoming] = []
        for index, message in enumerate(messages):
            try:
                serials[index] = protocol.serial_from_topic(message.topic)
            except Rejected as exc:
                rejections.append(Rejection(exc.code, exc.detail))
        devices = self._lookup(set(serials.values()))
        for index, message in enumerate(messages):
            if index not in serials:
                continue
            serial = serials[index]
            device = devices.get(serial)
            try:
                if device is None:
                    raise Rejected(E.UNKNOWN_DEVICE, "主题中的设备编号未登记")
                if device.status == DeviceStatus.RETIRED:
                    raise Rejected(E.DEVICE_RETIRED, "设备已停用，不再接收事件")
                events, _ = protocol.split_batch(protocol.load_json(message.payload))
            except Rejected as exc:
                rejections.append(Rejection(exc.code, exc.detail, serial=serial, device=device))
                continue
            for obj in events:
                try:
                    incoming.append(Incoming(device.id, protocol.parse_event(obj, now=moment)))
                except Rejected as exc:
                    rejections.append(Rejection(exc.code, exc.detail, serial=serial, device=device))
        fresh = ingest_events(incoming, channel=Channel.MQTT, rejections=rejections)
        if (
            os.environ.get("YANGLAO_MQTT_CRASH_AFTER_COMMIT") == "1"
        ):  # fault tests: stored, never acknowledged
            os._exit(17)
        if ack:
            for message in messages:
                if message.qos > 0:
                    self.client.ack(message.mid, message.qos)
        self.stats.messages += len(messages)
        self.stats.stored += sum(fresh)
        self.stats.duplicates += len(fresh) - sum(fresh)
        self.stats.rejected += len(rejections)
        self.stats.batches += 1
        for r in rejections:
            log.info("MQTT input refused: %s serial=%s %s", r.code, r.serial, r.detail[:120])
        return fresh

    def run(
        self, *, stop: threading.Event | None = None, max_seconds: float | None = None, report=None
    ) -> Stats:
        """Store batches until ``stop`` is set. A database error keeps the batch (not acknowledged)
        and retries it, so nothing is lost while the database restarts."""
        started = time.monotonic()
        pending: list[Message] = []
        while not (stop is not None and stop.is_set()):
            if max_seconds is not None and time.monotonic() - started > max_seconds:
                break
            if not pending:
                pending = self.collect()
                if not pending:
                    continue
            try:
                self.handle(pending)
            except DatabaseError as exc:
                log.warning("MQTT ingester: database error, retrying the batch: %s", exc)
                close_old_connections()
                connection.close()
                time.sleep(1.0)
                continue
            pending = []
            if report:
                report(self.stats)
        return self.stats
