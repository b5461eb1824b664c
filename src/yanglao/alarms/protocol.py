"""The device event format and its HTTP signature: pure functions, no database (docs/device-protocol.md).

One format for both channels. A message (an HTTP body or an MQTT payload) is one event object or
``{"events": [...]}`` with up to ``MAX_BATCH`` of them::

    {"event_id": "sos-000017", "kind": "sos", "occurred_at": "2026-05-01T08:30:00+08:00",
     "battery": 76, "location": {"lat": 43.6012, "lng": 121.3105, "accuracy_m": 15}, "data": {}}

Over HTTP the device signs ``timestamp + "\\n" + nonce + "\\n" + body`` with HMAC-SHA256 under its
secret and sends the four ``X-Device-*`` headers.
"""

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from yanglao.alarms.errors import IngestErrorCode as E
from yanglao.alarms.models import EventKind

MAX_BODY_BYTES = 16 * 1024
MAX_BATCH = 100
CLOCK_SKEW_S = 300
# A device that was out of reach may deliver what it buffered; older than this is refused.
MAX_EVENT_AGE = timedelta(days=7)
MAX_EVENT_AHEAD = timedelta(seconds=CLOCK_SKEW_S)

HEADER_SERIAL = "X-Device-Serial"
HEADER_TIMESTAMP = "X-Device-Timestamp"
HEADER_NONCE = "X-Device-Nonce"
HEADER_SIGNATURE = "X-Device-Signature"

SERIAL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{2,63}$")
EVENT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
SIGNATURE_RE = re.compile(r"^(?:sha256=)?([0-9a-fA-F]{64})$")
# ``<root>/dev/<serial>/evt``; the root is ``yanglao`` (tests and benchmarks use their own).
TOPIC_RE = re.compile(r"^[^/#+]+/dev/([^/]+)/evt$")
TOPIC_ROOT = "yanglao"

EVENT_KINDS = frozenset(EventKind.values)
EVENT_KEYS = frozenset({"event_id", "kind", "occurred_at", "battery", "location", "data"})
SENSORS = frozenset({"door", "motion", "bed"})


class Rejected(Exception):
    """An input refused with a stable code; ``detail`` is safe to store and show (no secrets)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(detail or code)
        self.code = code
        self.detail = detail or E(code).label


@dataclass(slots=True)
class ParsedEvent:
    event_id: str
    kind: str
    occurred_at: datetime
    payload: dict


def topic_for(serial: str, root: str = TOPIC_ROOT) -> str:
    return f"{root}/dev/{serial}/evt"


def topic_filter(root: str = TOPIC_ROOT) -> str:
    return f"{root}/dev/+/evt"


def serial_from_topic(topic: str) -> str:
    match = TOPIC_RE.match(topic)
    if match is None or not SERIAL_RE.match(match.group(1)):
        raise Rejected(E.BAD_TOPIC, f"主题应为 yanglao/dev/<设备编号>/evt：{topic[:80]}")
    return match.group(1)


def new_secret() -> str:
    """A device secret: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha256)
    mac.update(f"{timestamp}\n{nonce}\n".encode())
    mac.update(body)
    return mac.hexdigest()


def signed_headers(
    serial: str, secret: str, body: bytes, *, now: float | None = None, nonce: str = ""
) -> dict:
    """The headers a device sends with ``body`` (used by the demo stream, the bench and tests)."""
    timestamp = str(int(now if now is not None else time.time()))
    nonce = nonce or secrets.token_urlsafe(12)
    return {
        HEADER_SERIAL: serial,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature(secret, timestamp, nonce, body),
    }


@dataclass(frozen=True)
class AuthHeaders:
    serial: str
    timestamp: str
    nonce: str
    signature: str


def read_auth_headers(get) -> AuthHeaders:
    """The four headers through ``get(name)``, checked for shape (not yet for truth)."""
    values = [
        (get(name) or "").strip()
        for name in (HEADER_SERIAL, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE)
    ]
    missing = [
        name
        for name, value in zip(
            (HEADER_SERIAL, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE), values, strict=True
        )
        if not value
    ]
    if missing:
        raise Rejected(E.MISSING_AUTH, "缺少请求头：" + "、".join(missing))
    serial, timestamp, nonce, sig = values
    if not SERIAL_RE.match(serial):
        raise Rejected(E.UNKNOWN_DEVICE, "设备编号格式错误")
    match = SIGNATURE_RE.match(sig)
    if match is None:
        raise Rejected(E.BAD_SIGNATURE, "签名应为 64 位十六进制 HMAC-SHA256")
    return AuthHeaders(serial, timestamp, nonce, match.group(1).lower())


def check_timestamp(timestamp: str, *, now: float) -> None:
    if not re.fullmatch(r"\d{9,11}", timestamp):
        raise Rejected(E.BAD_TIMESTAMP, "时间戳应为 Unix 秒（整数）")
    if abs(int(timestamp) - now) > CLOCK_SKEW_S:
        raise Rejected(
            E.STALE_TIMESTAMP, f"时间戳与服务器相差 {int(int(timestamp) - now)} 秒，超过 ±{CLOCK_SKEW_S} 秒"
        )


def check_nonce_shape(nonce: str) -> None:
    if not NONCE_RE.match(nonce):
        raise Rejected(E.BAD_NONCE, "随机数应为 8–64 位字母、数字、- 或 _")


def check_signature(secret: str, headers: AuthHeaders, body: bytes) -> None:
    expected = signature(secret, headers.timestamp, headers.nonce, body)
    if not hmac.compare_digest(expected, headers.signature):
        raise Rejected(E.BAD_SIGNATURE, "签名与报文不符（密钥、时间戳、随机数或报文有误）")


# --- the event body -------------------------------------------------------------------------------


def load_json(body: bytes) -> object:
    if len(body) > MAX_BODY_BYTES:
        raise Rejected(E.PAYLOAD_TOO_LARGE, f"报文 {len(body)} 字节，上限 {MAX_BODY_BYTES} 字节")
    if b"\\u0000" in body:
        # Valid JSON, but no database text column takes a NUL character.
        raise Rejected(E.INVALID_EVENT, "字符串中不能含 \\u0000")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Rejected(E.MALFORMED_JSON, f"JSON 无法解析：{str(exc)[:120]}") from None


def split_batch(document: object) -> tuple[list[object], bool]:
    """The event objects of a message, and whether it was a batch."""
    if isinstance(document, dict) and "events" in document:
        events = document["events"]
        if set(document) != {"events"}:
            raise Rejected(E.INVALID_EVENT, "批量报文只能包含 events 字段")
        if not isinstance(events, list) or not events:
            raise Rejected(E.INVALID_EVENT, "events 应为非空数组")
        if len(events) > MAX_BATCH:
            raise Rejected(E.INVALID_EVENT, f"一次最多 {MAX_BATCH} 个事件")
        return events, True
    if isinstance(document, dict):
        return [document], False
    raise Rejected(E.MALFORMED_JSON, "报文应为 JSON 对象")


def _number(value, field: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (low <= value <= high):
        raise Rejected(E.INVALID_EVENT, f"{field} 应为 {low:g}–{high:g} 之间的数字")
    return value


def _parse_time(value, *, now: datetime) -> datetime:
    if isinstance(value, str) and 10 <= len(value) <= 40:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise Rejected(E.INVALID_EVENT, "occurred_at 应为带时区的 ISO 8601 时间") from None
        if moment.tzinfo is None:
            raise Rejected(E.INVALID_EVENT, "occurred_at 须带时区（如 +08:00 或 Z）")
    elif isinstance(value, int | float) and not isinstance(value, bool) and 1e9 <= value <= 1e10:
        moment = datetime.fromtimestamp(value, tz=UTC)
    else:
        raise Rejected(E.INVALID_EVENT, "occurred_at 应为带时区的 ISO 8601 时间或 Unix 秒")
    moment = moment.astimezone(UTC)
    if moment > now + MAX_EVENT_AHEAD:
        raise Rejected(E.INVALID_EVENT, "occurred_at 晚于服务器时间 5 分钟以上")
    if moment < now - MAX_EVENT_AGE:
        raise Rejected(E.INVALID_EVENT, "occurred_at 早于 7 天前")
    return moment


def parse_event(obj: object, *, now: datetime) -> ParsedEvent:
    """One event object, validated field by field; the stored payload keeps only what it carried."""
    if not isinstance(obj, dict):
        raise Rejected(E.INVALID_EVENT, "事件应为 JSON 对象")
    unknown = set(obj) - EVENT_KEYS
    if unknown:
        raise Rejected(E.INVALID_EVENT, "未知字段：" + "、".join(sorted(str(k)[:20] for k in unknown)[:5]))
    event_id = obj.get("event_id")
    if not isinstance(event_id, str) or not EVENT_ID_RE.match(event_id):
        raise Rejected(E.INVALID_EVENT, "event_id 应为 1–64 位字母、数字或 _ . : -")
    kind = obj.get("kind")
    if not isinstance(kind, str) or kind not in EVENT_KINDS:
        raise Rejected(E.INVALID_EVENT, "kind 应为：" + "、".join(sorted(EVENT_KINDS)))
    if "occurred_at" not in obj:
        raise Rejected(E.INVALID_EVENT, "缺少 occurred_at")
    occurred_at = _parse_time(obj["occurred_at"], now=now)
    payload: dict = {}
    if obj.get("battery") is not None:
        battery = obj["battery"]
        if isinstance(battery, bool) or not isinstance(battery, int) or not 0 <= battery <= 100:
            raise Rejected(E.INVALID_EVENT, "battery 应为 0–100 的整数")
        payload["battery"] = battery
    elif kind == EventKind.BATTERY:
        raise Rejected(E.INVALID_EVENT, "battery 事件须带 battery")
    if obj.get("location") is not None:
        location = obj["location"]
        if (
            not isinstance(location, dict)
            or not {"lat", "lng"} <= set(location)
            or set(location) - {"lat", "lng", "accuracy_m"}
        ):
            raise Rejected(E.INVALID_EVENT, "location 应为 {lat, lng[, accuracy_m]}")
        payload["location"] = {
            "lat": _number(location["lat"], "location.lat", -90, 90),
            "lng": _number(location["lng"], "location.lng", -180, 180),
        }
        if location.get("accuracy_m") is not None:
            payload["location"]["accuracy_m"] = _number(
                location["accuracy_m"], "location.accuracy_m", 0, 100000
            )
    elif kind == EventKind.LOCATION:
        raise Rejected(E.INVALID_EVENT, "location 事件须带 location")
    if obj.get("data") is not None:
        data = obj["data"]
        if not isinstance(data, dict):
            raise Rejected(E.INVALID_EVENT, "data 应为 JSON 对象")
        sensor = data.get("sensor")
        if sensor is not None and sensor not in SENSORS:
            raise Rejected(E.INVALID_EVENT, "data.sensor 应为 door、motion 或 bed")
        if data:
            payload["data"] = data
    return ParsedEvent(event_id=event_id, kind=kind, occurred_at=occurred_at, payload=payload)


def event_document(
    *, event_id: str, kind: str, occurred_at: datetime, battery=None, location=None, data=None
) -> dict:
    """An event as a device writes it (the demo stream, the bench, tests)."""
    document = {"event_id": event_id, "kind": kind, "occurred_at": occurred_at.isoformat()}
    if battery is not None:
        document["battery"] = battery
    if location is not None:
        document["location"] = location
    if data:
        document["data"] = data
    return document
