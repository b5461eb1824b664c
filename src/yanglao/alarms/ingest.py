"""Storing device events: ``ingest_events`` is the one write path of both channels (HTTP and MQTT).

An event is stored exactly once: ``INSERT … ON CONFLICT (device_id, event_id) DO NOTHING RETURNING``
tells, in the same statement, which events of a batch are new and which were already there. The
caller acknowledges (HTTP 202, MQTT PUBACK) only after the transaction commits.

Refused input never raises out of here: it becomes an ``IngestError`` row with a stable code.
"""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from yanglao.alarms import bus, protocol
from yanglao.alarms.errors import IngestErrorCode as E
from yanglao.alarms.liveness import DeviceDirectory, DeviceInfo
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
SLOW_BATCH_S = 0.25
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
    # The directory's entry, when the caller has one: routine events are then settled at ingestion.
    device: DeviceInfo | None = None


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
    device: DeviceRef | DeviceInfo | None = None  # what it needs of either: id and region_code
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


_COLUMNS = (
    "device_id",
    "event_id",
    "kind",
    "occurred_at",
    "received_at",
    "channel",
    "payload",
    "claimed_by",
    "processed_at",
)


def _insert_sql(rows: int) -> str:
    q = connection.ops.quote_name
    one = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    # Only quoted identifiers and placeholders are interpolated; every value is a parameter.
    return (
        f"INSERT INTO {q(DeviceEvent._meta.db_table)} ({', '.join(q(c) for c in _COLUMNS)}) "  # noqa: S608
        f"VALUES {', '.join([one] * rows)} "
        f"ON CONFLICT ({q('device_id')}, {q('event_id')}) DO NOTHING "
        f"RETURNING {q('device_id')}, {q('event_id')}"
    )


def _recordset_sql() -> str:
    """PostgreSQL: the whole batch as one JSON document — one short statement to parse and plan
    whatever the batch size, and one string parameter, which psycopg sends as is (arrays of text
    cost it a regular expression per element: 23 % of the ingester's time in a profile)."""
    q = connection.ops.quote_name
    return (
        f"INSERT INTO {q(DeviceEvent._meta.db_table)} ({', '.join(q(c) for c in _COLUMNS)}) "  # noqa: S608
        "SELECT d, e, k, o, %s, %s, p, '', CASE WHEN r THEN %s::timestamptz END "
        "FROM json_to_recordset(%s::json) AS t(d bigint, e text, k text, o timestamptz, p jsonb, r boolean) "
        f"ON CONFLICT ({q('device_id')}, {q('event_id')}) DO NOTHING "
        f"RETURNING {q('device_id')}, {q('event_id')}"
    )


_FIELDS = {}


def _prep(name: str, value):
    model_field = _FIELDS.get(name)
    if model_field is None:
        model_field = _FIELDS[name] = DeviceEvent._meta.get_field(name)
    return model_field.get_db_prep_save(value, connection)


def _settled(unique: list[Incoming], directory: DeviceDirectory | None, received_at: datetime) -> list[bool]:
    """Per event: routine and its device confirmed active, so it is stored processed (liveness.py)."""
    if directory is None:
        return [False] * len(unique)
    shaped = [
        item.device is not None and directory.routine_shape(item.event.kind, item.event.payload, item.device)
        for item in unique
    ]
    candidates = {
        item.device_id: (item.device, item.event.payload.get("battery"))
        for item, ok in zip(unique, shaped, strict=True)
        if ok
    }
    if not candidates:
        return shaped
    confirmed = directory.settle(candidates, received_at=received_at)
    return [ok and item.device_id in confirmed for item, ok in zip(unique, shaped, strict=True)]


def _insert(cursor, unique: list[Incoming], settled: list[bool], channel: str, received_at: datetime):
    """Insert the events; yields the (device_id, event_id) of the new ones."""
    if connection.vendor == "postgresql":
        document = json.dumps(
            [
                {
                    "d": item.device_id,
                    "e": item.event.event_id,
                    "k": item.event.kind,
                    "o": item.event.occurred_at.isoformat(),
                    "p": item.event.payload,
                    "r": ok,
                }
                for item, ok in zip(unique, settled, strict=True)
            ],
            ensure_ascii=False,
        )
        cursor.execute(_recordset_sql(), [received_at, channel, received_at, document])
        yield from cursor.fetchall()
        return
    received = _prep("received_at", received_at)
    for start in range(0, len(unique), INSERT_CHUNK):
        params: list = []
        for item, ok in zip(
            unique[start : start + INSERT_CHUNK], settled[start : start + INSERT_CHUNK], strict=True
        ):
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
                received if ok else None,
            ]
        cursor.execute(_insert_sql(len(params) // len(_COLUMNS)), params)
        yield from cursor.fetchall()


def ingest_events(
    batch: list[Incoming],
    *,
    channel: str,
    received_at: datetime | None = None,
    rejections: list[Rejection] = (),
    directory: DeviceDirectory | None = None,
) -> list[bool]:
    """Store a batch in one transaction; per item, True if it is new, False if it was a duplicate.

    ``rejections`` (refused messages of the same batch) are recorded in the same transaction, so an
    MQTT batch is acknowledged as a whole once everything about it is on disk. With a ``directory``,
    routine heartbeats are settled here (liveness.py) instead of queued for the worker."""
    received_at = received_at or timezone.now()
    fresh = [False] * len(batch)
    first_of: dict[tuple[int, str], int] = {}
    unique: list[Incoming] = []
    settled: list[bool] = []
    for index, item in enumerate(batch):
        key = (item.device_id, item.event.event_id)
        if key not in first_of:
            first_of[key] = index
            unique.append(item)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            settled = _settled(unique, directory, received_at)
            settled_at = time.perf_counter()
            if unique:
                with connection.cursor() as cursor:
                    for device_id, event_id in _insert(cursor, unique, settled, channel, received_at):
                        fresh[first_of[(device_id, event_id)]] = True
            if rejections:
                IngestError.objects.bulk_create([r.row(channel, received_at) for r in rejections])
            inserted_at = time.perf_counter()
        done = time.perf_counter()
        if done - started > SLOW_BATCH_S:
            # What an operator needs to tell a slow disk (commit) from a busy table (insert).
            log.warning(
                "slow %s batch: %d events in %.0f ms (liveness %.0f, insert %.0f, commit %.0f)",
                channel, len(unique), 1000 * (done - started), 1000 * (settled_at - started),
                1000 * (inserted_at - settled_at), 1000 * (done - inserted_at),
            )  # fmt: skip
    except Exception:
        if directory is not None:
            directory.forget_writes()
        raise
    if any(
        fresh[first_of[(item.device_id, item.event.event_id)]] and not ok
        for item, ok in zip(unique, settled, strict=True)
    ):
        bus.ring()
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


def nonce_fresh(*, device: DeviceRef, nonce: str) -> bool:
    """True the first time a device uses ``nonce`` — the ``IngestNonce`` table, for when Redis is not
    there (``_claim_nonces`` asks Redis first)."""
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


@dataclass
class HttpRequest:
    """One signed POST: ``header(name)`` reads a request header."""

    header: Callable[[str], str | None]
    body: bytes
    remote: str = ""


def _claim_nonces(pairs: list[tuple[DeviceRef, str]]) -> list[bool]:
    """Take each (device, nonce): Redis in one round trip, else the ``IngestNonce`` table."""
    taken = bus.claim_nonces(
        [f"yanglao:nonce:{device.serial}:{nonce}" for device, nonce in pairs], NONCE_TTL_S
    )
    if taken is not None:
        return taken
    return [nonce_fresh(device=device, nonce=nonce) for device, nonce in pairs]


def ingest_http(*, header, body: bytes, remote: str = "", now: float | None = None) -> HttpResult:
    """Authenticate, parse and store one signed HTTP message. Never raises for bad input."""
    return ingest_http_many([HttpRequest(header, body, remote)], now=now)[0]


def ingest_http_many(
    requests: list[HttpRequest], *, now: float | None = None, directory: DeviceDirectory | None = None
) -> list[HttpResult]:
    """Several signed messages at once — one device query, one Redis round trip for the nonces and
    one transaction for all their events and refusals (the ASGI front end's group commit, http_front.py).
    Each gets the answer it would have got alone.

    The checks run cheapest and least revealing first; the nonce is taken only once the signature
    is good, so nobody can burn a device's nonces."""
    now = time.time() if now is None else now
    moment = datetime.fromtimestamp(now, tz=UTC)
    results: list[HttpResult | None] = [None] * len(requests)
    rejections: list[Rejection] = []
    refused_by: dict[int, list[Rejection]] = {}

    def refuse_one(k: int, exc: Rejected, *, serial: str = "", device: DeviceRef | None = None) -> None:
        req = requests[k]
        rejection = Rejection(exc.code, exc.detail, serial=serial, device=device, remote=req.remote)
        rejections.append(rejection)
        refused_by.setdefault(k, []).append(rejection)
        results[k] = HttpResult(
            STATUS.get(exc.code, 422),
            {"code": str(exc.code), "message": E(exc.code).label + "：" + exc.detail, "fields": {}},
            [rejection],
        )

    auths: dict[int, protocol.AuthHeaders] = {}
    for k, req in enumerate(requests):
        try:
            auth = protocol.read_auth_headers(req.header)
            if len(req.body) > protocol.MAX_BODY_BYTES:
                raise Rejected(
                    E.PAYLOAD_TOO_LARGE, f"报文 {len(req.body)} 字节，上限 {protocol.MAX_BODY_BYTES} 字节"
                )
            auths[k] = auth
        except Rejected as exc:
            refuse_one(k, exc, serial=(req.header(protocol.HEADER_SERIAL) or "")[:64])
    found = devices_with_secrets({auth.serial for auth in auths.values()})
    signed: list[tuple[int, DeviceRef]] = []
    for k, auth in auths.items():
        device = None
        try:
            if auth.serial not in found:
                raise Rejected(E.UNKNOWN_DEVICE, "设备编号未登记")
            device, secret = found[auth.serial]
            if device.status == DeviceStatus.RETIRED:
                raise Rejected(E.DEVICE_RETIRED, "设备已停用，不再接收事件")
            protocol.check_timestamp(auth.timestamp, now=now)
            protocol.check_nonce_shape(auth.nonce)
            protocol.check_signature(secret, auth, requests[k].body)
            signed.append((k, device))
        except Rejected as exc:
            refuse_one(k, exc, serial=auth.serial, device=device)
    fresh_nonce = _claim_nonces([(device, auths[k].nonce) for k, device in signed])
    infos = directory.lookup({auths[k].serial for k, _ in signed}) if directory is not None else {}
    incoming: list[Incoming] = []
    # Per accepted request: (k, its per-event results, the position of its first event in ``incoming``).
    accepted: list[tuple[int, list[dict] | None, int]] = []
    for (k, device), nonce_ok in zip(signed, fresh_nonce, strict=True):
        serial = auths[k].serial
        try:
            if not nonce_ok:
                raise Rejected(E.REPLAYED_NONCE, "该随机数已使用过；重发事件请换新的随机数")
            events, is_batch = protocol.split_batch(protocol.load_json(requests[k].body))
            if not is_batch:
                parsed = protocol.parse_event(events[0], now=moment)
        except Rejected as exc:
            refuse_one(k, exc, serial=serial, device=device)
            continue
        info = infos.get(serial)
        if not is_batch:
            accepted.append((k, None, len(incoming)))
            incoming.append(Incoming(device.id, parsed, info))
            continue
        per_event: list[dict] = []
        accepted.append((k, per_event, len(incoming)))
        for obj in events:
            try:
                parsed = protocol.parse_event(obj, now=moment)
            except Rejected as exc:
                rejection = Rejection(
                    exc.code, exc.detail, serial=serial, device=device, remote=requests[k].remote
                )
                rejections.append(rejection)
                refused_by.setdefault(k, []).append(rejection)
                event_id = obj.get("event_id") if isinstance(obj, dict) else None
                per_event.append(
                    {
                        "event_id": event_id if isinstance(event_id, str) else None,
                        "code": str(exc.code),
                        "message": exc.detail,
                        "status": "rejected",
                    }
                )
                continue
            incoming.append(Incoming(device.id, parsed, info))
            per_event.append({"event_id": parsed.event_id})
    fresh = (
        ingest_events(incoming, channel=Channel.HTTP, rejections=rejections, directory=directory)
        if (incoming or rejections)
        else []
    )
    for r in rejections:
        log.info("device input refused: %s serial=%s %s", r.code, r.serial[:64], r.detail[:120])
    for k, per_event, first in accepted:
        if per_event is None:
            results[k] = HttpResult(
                202, {"event_id": incoming[first].event.event_id, "duplicate": not fresh[first]}
            )
            continue
        position = first
        stored = duplicates = 0
        for result in per_event:
            if "code" in result:
                continue
            new = fresh[position]
            position += 1
            result["status"] = "stored" if new else "duplicate"
            stored += new
            duplicates += not new
        results[k] = HttpResult(
            202,
            {
                "stored": stored,
                "duplicates": duplicates,
                "rejected": len(refused_by.get(k, [])),
                "results": per_event,
            },
            refused_by.get(k, []),
        )
    return results


def devices_with_secrets(serials) -> dict[str, tuple[DeviceRef, str]]:
    """Registered devices and their secrets (in clear, for this batch only), in one query."""
    if not serials:
        return {}
    rows = Device.objects.filter(serial__in=list(serials)).values_list(
        "id", "serial", "status", "region_code", "secret_enc"
    )
    return {row[1]: (DeviceRef(*row[:4]), crypto.decrypt(row[4], context=SECRET_CONTEXT)) for row in rows}
