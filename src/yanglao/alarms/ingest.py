"""Storing device events: ``ingest_events`` is the one write path of both channels (HTTP and MQTT).

An event is stored exactly once: ``INSERT … ON CONFLICT (device_id, event_id) DO NOTHING RETURNING``
tells, in the same statement, which events of a batch are new and which were already there. The
caller acknowledges (HTTP 202, MQTT PUBACK) only after the transaction commits.

Refused input never raises out of here: it becomes an ``IngestError`` row with a stable code.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from yanglao.alarms import bus, protocol
from yanglao.alarms.errors import IngestErrorCode as E
from yanglao.alarms.models import (
    SECRET_CONTEXT,
    Channel,
    Device,
    DeviceEvent,
    DeviceStatus,
    IngestError,
    IngestNonce,
)
from yanglao.alarms.protocol import ParsedEvent, Rejected
from yanglao.core import crypto

log = logging.getLogger(__name__)

INSERT_CHUNK = 250
NONCE_TTL_S = 2 * protocol.CLOCK_SKEW_S + 60

# HTTP status of each refusal.
STATUS = {
    E.MISSING_AUTH: 401,
    E.UNKNOWN_DEVICE: 401,
    E.BAD_TIMESTAMP: 401,
    E.STALE_TIMESTAMP: 401,
    E.BAD_NONCE: 401,
    E.BAD_SIGNATURE: 401,
    E.DEVICE_RETIRED: 403,
    E.REPLAYED_NONCE: 409,
    E.PAYLOAD_TOO_LARGE: 413,
    E.MALFORMED_JSON: 422,
    E.INVALID_EVENT: 422,
    E.BAD_TOPIC: 422,
}


@dataclass(slots=True)
class Incoming:
    device_id: int
    event: ParsedEvent


@dataclass(frozen=True, slots=True)
class DeviceRef:
    """What ingestion needs of a device (the MQTT ingester caches these by serial)."""

    id: int
    serial: str
    status: str
    region_code: str


@dataclass
class Rejection:
    code: str
    detail: str
    serial: str = ""
    device: DeviceRef | None = None
    remote: str = ""

    def row(self, channel: str, at: datetime) -> IngestError:
        return IngestError(
            code=self.code,
            serial=self.serial[:64],
            device_id=self.device.id if self.device else None,
            region_code=self.device.region_code if self.device else "",
            channel=channel,
            at=at,
            detail=self.detail[:300],
            remote=self.remote[:64],
        )


def _insert_sql(rows: int) -> str:
    q = connection.ops.quote_name
    columns = (
        "device_id",
        "event_id",
        "kind",
        "occurred_at",
        "received_at",
        "channel",
        "payload",
        "claimed_by",
    )
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # Only quoted identifiers and placeholders are interpolated; every value is a parameter.
    return (
        f"INSERT INTO {q(DeviceEvent._meta.db_table)} ({', '.join(q(c) for c in columns)}) "  # noqa: S608
        f"VALUES {', '.join([one] * rows)} "
        f"ON CONFLICT ({q('device_id')}, {q('event_id')}) DO NOTHING "
        f"RETURNING {q('device_id')}, {q('event_id')}"
    )


_FIELDS = {}


def _prep(name: str, value):
    model_field = _FIELDS.get(name)
    if model_field is None:
        model_field = _FIELDS[name] = DeviceEvent._meta.get_field(name)
    return model_field.get_db_prep_save(value, connection)


def ingest_events(
    batch: list[Incoming],
    *,
    channel: str,
    received_at: datetime | None = None,
    rejections: list[Rejection] = (),
) -> list[bool]:
    """Store a batch in one transaction; per item, True if it is new, False if it was a duplicate.

    ``rejections`` (refused messages of the same batch) are recorded in the same transaction, so an
    MQTT batch is acknowledged as a whole once everything about it is on disk."""
    received_at = received_at or timezone.now()
    fresh = [False] * len(batch)
    first_of: dict[tuple[int, str], int] = {}
    unique: list[Incoming] = []
    for index, item in enumerate(batch):
        key = (item.device_id, item.event.event_id)
        if key not in first_of:
            first_of[key] = index
            unique.append(item)
    received = _prep("received_at", received_at)
    with transaction.atomic():
        with connection.cursor() as cursor:
            for start in range(0, len(unique), INSERT_CHUNK):
                chunk = unique[start : start + INSERT_CHUNK]
                params: list = []
                for item in chunk:
                    event = item.event
                    params += [
                        item.device_id,
                        event.event_id,
                        event.kind,
                        _prep("occurred_at", event.occurred_at),
                        received,
                        channel,
                        _prep("payload", event.payload),
                        "",
                    ]
                cursor.execute(_insert_sql(len(chunk)), params)
                for device_id, event_id in cursor.fetchall():
                    fresh[first_of[(device_id, event_id)]] = True
        if rejections:
            IngestError.objects.bulk_create([r.row(channel, received_at) for r in rejections])
    return fresh


def record_rejections(rejections: list[Rejection], *, channel: str) -> None:
    """Count refused input (its own small transaction; the HTTP path has nothing else to write)."""
    if not rejections:
        return
    now = timezone.now()
    IngestError.objects.bulk_create([r.row(channel, now) for r in rejections])
    for r in rejections:
        log.info("device input refused: %s serial=%s %s", r.code, r.serial[:64], r.detail[:120])


# --- devices --------------------------------------------------------------------------------------


def device_ref(serial: str) -> tuple[DeviceRef, str] | None:
    """The device and its secret (in clear, for this request only), or None if not registered."""
    row = (
        Device.objects.filter(serial=serial)
        .values_list("id", "serial", "status", "region_code", "secret_enc")
        .first()
    )
    if row is None:
        return None
    return DeviceRef(*row[:4]), crypto.decrypt(row[4], context=SECRET_CONTEXT)


def device_refs(serials: list[str]) -> dict[str, DeviceRef]:
    rows = Device.objects.filter(serial__in=serials).values_list("id", "serial", "status", "region_code")
    return {row[1]: DeviceRef(*row) for row in rows}


def nonce_fresh(*, device: DeviceRef, nonce: str) -> bool:
    """True the first time a device uses ``nonce`` within the timestamp window (Redis SET NX with a
    TTL; the ``IngestNonce`` table when Redis is not there)."""
    taken = bus.claim_nonce(f"yanglao:nonce:{device.serial}:{nonce}", NONCE_TTL_S)
    if taken is not None:
        return taken
    try:
        with transaction.atomic():
            IngestNonce.objects.create(device_id=device.id, nonce=nonce)
    except IntegrityError:
        return False
    return True


def purge_nonces(*, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - timedelta(seconds=NONCE_TTL_S)
    deleted, _ = IngestNonce.objects.filter(at__lt=cutoff).delete()
    return deleted


# --- HTTP -----------------------------------------------------------------------------------------


@dataclass
class HttpResult:
    status: int
    body: dict
    rejections: list[Rejection] = field(default_factory=list)


def refuse(
    exc: Rejected, *, serial: str = "", device: DeviceRef | None = None, remote: str = ""
) -> HttpResult:
    rejection = Rejection(exc.code, exc.detail, serial=serial, device=device, remote=remote)
    record_rejections([rejection], channel=Channel.HTTP)
    return HttpResult(
        STATUS.get(exc.code, 422),
        {"code": str(exc.code), "message": E(exc.code).label + "：" + exc.detail, "fields": {}},
        [rejection],
    )


def ingest_http(*, header, body: bytes, remote: str = "", now: float | None = None) -> HttpResult:
    """Authenticate, parse and store one signed HTTP message. Never raises for bad input.

    ``header(name)`` reads a request header. The checks run cheapest and least revealing first; the
    nonce is taken only once the signature is good, so nobody can burn a device's nonces."""
    now = time.time() if now is None else now
    serial = ""
    device = None
    try:
        auth = protocol.read_auth_headers(header)
        serial = auth.serial
        if len(body) > protocol.MAX_BODY_BYTES:
            raise Rejected(E.PAYLOAD_TOO_LARGE, f"报文 {len(body)} 字节，上限 {protocol.MAX_BODY_BYTES} 字节")
        found = device_ref(serial)
        if found is None:
            raise Rejected(E.UNKNOWN_DEVICE, "设备编号未登记")
        device, secret = found
        if device.status == DeviceStatus.RETIRED:
            raise Rejected(E.DEVICE_RETIRED, "设备已停用，不再接收事件")
        protocol.check_timestamp(auth.timestamp, now=now)
        protocol.check_nonce_shape(auth.nonce)
        protocol.check_signature(secret, auth, body)
        if not nonce_fresh(device=device, nonce=auth.nonce):
            raise Rejected(E.REPLAYED_NONCE, "该随机数已使用过；重发事件请换新的随机数")
        events, is_batch = protocol.split_batch(protocol.load_json(body))
    except Rejected as exc:
        return refuse(
            exc, serial=serial or (header(protocol.HEADER_SERIAL) or "")[:64], device=device, remote=remote
        )
    moment = datetime.fromtimestamp(now, tz=UTC)
    if not is_batch:
        try:
            parsed = protocol.parse_event(events[0], now=moment)
        except Rejected as exc:
            return refuse(exc, serial=serial, device=device, remote=remote)
        (new,) = ingest_events([Incoming(device.id, parsed)], channel=Channel.HTTP)
        return HttpResult(202, {"event_id": parsed.event_id, "duplicate": not new})
    results: list[dict] = []
    incoming: list[Incoming] = []
    rejections: list[Rejection] = []
    for obj in events:
        try:
            parsed = protocol.parse_event(obj, now=moment)
        except Rejected as exc:
            rejections.append(Rejection(exc.code, exc.detail, serial=serial, device=device, remote=remote))
            event_id = obj.get("event_id") if isinstance(obj, dict) else None
            results.append(
                {
                    "event_id": event_id if isinstance(event_id, str) else None,
                    "code": str(exc.code),
                    "message": exc.detail,
                }
            )
            continue
        incoming.append(Incoming(device.id, parsed))
        results.append({"event_id": parsed.event_id})
    fresh = iter(ingest_events(incoming, channel=Channel.HTTP, rejections=rejections))
    stored = duplicates = 0
    for result in results:
        if "code" in result:
            result["status"] = "rejected"
            continue
        new = next(fresh)
        result["status"] = "stored" if new else "duplicate"
        stored += new
        duplicates += not new
    return HttpResult(
        202,
        {"stored": stored, "duplicates": duplicates, "rejected": len(rejections), "results": results},
        rejections,
    )
