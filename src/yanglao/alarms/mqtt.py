"""The MQTT ingester: device events from the Mosquitto broker into the database, acknowledged after commit.

- MQTT v5, a fixed client id and Clean Start = 0 with a long session expiry: the broker keeps the
  subscription and queues QoS 1 messages while the ingester is down or restarting.
- One thread, in bulk (mqtt_wire.py says why not paho): read what the socket holds, store a batch
  (up to ``batch_size`` messages or ``batch_wait_s`` after the first) in one transaction through
  ``ingest.ingest_events``, then send the batch's PUBACKs in one write. A crash before the commit
  means the broker redelivers; a crash after it means a redelivery that the unique (device,
  event_id) turns into a duplicate, acknowledged and ignored.
- Routine heartbeats are settled in that transaction (liveness.py); the rest waits for the worker.
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
from dataclasses import dataclass, field

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from yanglao.alarms import conf, protocol
from yanglao.alarms.errors import IngestErrorCode as E
from yanglao.alarms.ingest import Incoming, Rejection, ingest_events
from yanglao.alarms.liveness import DeviceDirectory
from yanglao.alarms.models import Channel, DeviceStatus
from yanglao.alarms.mqtt_wire import MqttError, Session
from yanglao.alarms.protocol import Rejected

log = logging.getLogger(__name__)

CLIENT_ID = "yanglao-ingest"
SESSION_EXPIRY_S = 7 * 24 * 3600


@dataclass(slots=True)
class Message:
    mid: int
    qos: int
    topic: str
    payload: bytes
    # Which connection it came on: a packet id means nothing on the next one.
    generation: int = 0


@dataclass
class Prepared:
    messages: list[Message]
    incoming: list[Incoming] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


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
        batch_size: int = 2000,
        batch_wait_s: float = 0.02,
        session_expiry_s: int = SESSION_EXPIRY_S,
        receive_maximum: int = 5000,
    ):
        self.host = host or conf.mqtt_host()
        self.port = port or conf.mqtt_port()
        self.client_id = client_id
        self.root = root
        self.batch_size = batch_size
        self.batch_wait_s = batch_wait_s
        self.stats = Stats()
        self.directory = DeviceDirectory()
        self.session = Session(
            self.host,
            self.port,
            client_id=client_id,
            session_expiry_s=session_expiry_s,
            receive_maximum=receive_maximum,
        )
        self.generation = 0
        self.broken = threading.Event()
        self.ready: list[Message] = []
        self.retry_at = 0.0

    def _open(self, wait_s: float) -> None:
        present = self.session.connect(timeout=wait_s)
        self.session.subscribe(protocol.topic_filter(self.root), timeout=wait_s)
        self.generation += 1
        self.ready = []
        log.info("MQTT connected to %s:%s (session present: %s)", self.host, self.port, present)

    def start(self, *, wait_s: float = 10.0) -> None:
        try:
            self._open(wait_s)
        except (OSError, MqttError) as exc:
            raise ConnectionError(f"MQTT broker {self.host}:{self.port}: {exc}") from exc

    def stop(self) -> None:
        self.session.close()

    def _reconnect(self) -> bool:
        """After a lost connection: try again (at most once a second). What was read but not
        acknowledged is dropped; the broker redelivers it on the resumed session."""
        now = time.monotonic()
        if now < self.retry_at:
            time.sleep(min(0.2, self.retry_at - now))
            return False
        self.retry_at = now + 1.0
        try:
            self._open(5.0)
        except (OSError, MqttError) as exc:
            log.warning("MQTT reconnect to %s:%s failed: %s", self.host, self.port, exc)
            return False
        return True

    def _read(self, timeout: float) -> None:
        if self.broken.is_set():
            self.broken.clear()
            self.session.close()
            self.ready = []
        if self.session.sock is None and not self._reconnect():
            return
        try:
            got = self.session.read(timeout)
        except MqttError as exc:
            log.warning("MQTT connection lost (%s); reconnecting", exc)
            self.session.close()
            self.ready = []
            return
        generation = self.generation
        self.ready.extend(Message(p.mid, p.qos, p.topic, p.payload, generation) for p in got)

    def collect(self, *, timeout: float = 0.2) -> list[Message]:
        """Up to ``batch_size`` messages: the first within ``timeout``, the rest within ``batch_wait_s`` of it."""
        if not self.ready:
            self._read(timeout)
            if not self.ready:
                return []
        deadline = time.monotonic() + self.batch_wait_s
        while len(self.ready) < self.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            before = len(self.ready)
            self._read(remaining)
            if len(self.ready) == before and time.monotonic() >= deadline:
                break
        batch, self.ready = self.ready[: self.batch_size], self.ready[self.batch_size :]
        return batch

    def _ack(self, messages: list[Message]) -> None:
        mids = [m.mid for m in messages if m.qos > 0 and m.generation == self.generation]
        try:
            self.session.ack(mids)
        except MqttError as exc:
            # Stored already: the redelivery after the reconnect is a duplicate, acknowledged then.
            # The reading thread reconnects (it owns the socket's reads).
            log.warning("MQTT acknowledgement failed (%s); reconnecting", exc)
            self.broken.set()

    def prepare(self, messages: list[Message]) -> Prepared:
        """Validate a batch (no writes): the events to store and the refusals to record."""
        moment = timezone.now()
        serials: dict[int, str] = {}
        prepared = Prepared(messages)
        rejections, incoming = prepared.rejections, prepared.incoming
        for index, message in enumerate(messages):
            try:
                serials[index] = protocol.serial_from_topic(message.topic)
            except Rejected as exc:
                rejections.append(Rejection(exc.code, exc.detail))
        devices = self.directory.lookup(set(serials.values()))
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
                    incoming.append(Incoming(device.id, protocol.parse_event(obj, now=moment), device))
                except Rejected as exc:
                    rejections.append(Rejection(exc.code, exc.detail, serial=serial, device=device))
        return prepared

    def store(self, prepared: Prepared, *, ack: bool = True) -> list[bool]:
        """One transaction for the batch, then its acknowledgements."""
        fresh = ingest_events(
            prepared.incoming, channel=Channel.MQTT, rejections=prepared.rejections, directory=self.directory
        )
        if (
            os.environ.get("YANGLAO_MQTT_CRASH_AFTER_COMMIT") == "1"
        ):  # fault tests: stored, never acknowledged
            os._exit(17)
        if ack:
            self._ack(prepared.messages)
        self.stats.messages += len(prepared.messages)
        self.stats.stored += sum(fresh)
        self.stats.duplicates += len(fresh) - sum(fresh)
        self.stats.rejected += len(prepared.rejections)
        self.stats.batches += 1
        for r in prepared.rejections:
            log.info("MQTT input refused: %s serial=%s %s", r.code, r.serial, r.detail[:120])
        return fresh

    def handle(self, messages: list[Message], *, ack: bool = True) -> list[bool]:
        """Validate, store (one transaction) and then acknowledge a batch; per stored event, new or not."""
        return self.store(self.prepare(messages), ack=ack)

    def _store_until_done(self, prepared: Prepared, stop: threading.Event | None) -> None:
        """Store a batch, retrying through database errors (not acknowledged meanwhile, so nothing
        is lost while the database restarts)."""
        while True:
            try:
                self.store(prepared)
                return
            except DatabaseError as exc:
                log.warning("MQTT ingester: database error, retrying the batch: %s", exc)
                close_old_connections()
                connection.close()
                if stop is not None and stop.wait(1.0):
                    return
                if stop is None:
                    time.sleep(1.0)

    def run(
        self, *, stop: threading.Event | None = None, max_seconds: float | None = None, report=None
    ) -> Stats:
        """Store batches until ``stop`` is set.

        Two stages: this thread reads and validates batch N+1 while a storing thread commits batch N
        and acknowledges it (the commit is mostly waiting on PostgreSQL, which releases the GIL). The
        hand-over queue holds one batch, so at most two are unacknowledged at any moment."""
        started = time.monotonic()
        handoff: queue.Queue[Prepared | None] = queue.Queue(maxsize=1)
        failed: list[BaseException] = []

        def storing():
            try:
                while (prepared := handoff.get()) is not None:
                    self._store_until_done(prepared, stop)
                    if report:
                        report(self.stats)
            except BaseException as exc:  # reported by the reading thread
                failed.append(exc)
            finally:
                connection.close()

        storer = threading.Thread(target=storing, name="mqtt-store", daemon=True)
        storer.start()
        try:
            while not (stop is not None and stop.is_set()) and not failed:
                if max_seconds is not None and time.monotonic() - started > max_seconds:
                    break
                messages = self.collect()
                while messages and not failed:
                    try:
                        handoff.put(self.prepare(messages))
                        break
                    except DatabaseError as exc:  # the directory's lookup
                        log.warning("MQTT ingester: database error, retrying: %s", exc)
                        close_old_connections()
                        connection.close()
                        time.sleep(1.0)
        finally:
            handoff.put(None)
            storer.join()
        if failed:
            raise failed[0]
        return self.stats
