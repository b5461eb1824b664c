"""Redis for the alarm desk: new-alarm notices on pub/sub and replay-protection nonces.

Redis is a helper, never the record: the database holds every alarm. If Redis is down, a publish is
logged and dropped (the board still finds the alarm on its next read) and nonces fall back to the
database table ``IngestNonce``. After a failure Redis is left alone for ``RETRY_AFTER_S`` seconds so
a dead server does not cost every request a connection timeout.
"""

import json
import logging
import threading
import time

import redis
from django.core.signals import setting_changed
from django.dispatch import receiver

from yanglao.alarms import conf

log = logging.getLogger(__name__)

RETRY_AFTER_S = 10.0
CHANNEL_PREFIX = "yanglao:alarms:"
# A list of at most one element: the ingester pushes after committing events for the worker, an idle
# worker blocks on it instead of sleeping, so an SOS does not wait out a polling interval.
DOORBELL = "yanglao:alarms:doorbell"

_lock = threading.Lock()
_client: redis.Redis | None = None
_client_url: str | None = None
_down_until = 0.0


def channel_for(region_code: str) -> str:
    """The pub/sub channel of a county: ``yanglao:alarms:150523``."""
    return CHANNEL_PREFIX + region_code[:6]


def client() -> redis.Redis | None:
    """A shared client, or None when Redis is not configured or recently failed."""
    global _client, _client_url
    url = conf.redis_url()
    if not url or time.monotonic() < _down_until:
        return None
    with _lock:
        if _client is None or _client_url != url:
            _client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
            _client_url = url
        return _client


def mark_down(exc: Exception) -> None:
    global _down_until
    if time.monotonic() >= _down_until:
        log.warning(
            "Redis unavailable (%s); continuing without it for %ss", type(exc).__name__, RETRY_AFTER_S
        )
    _down_until = time.monotonic() + RETRY_AFTER_S


def reset() -> None:
    global _client, _client_url, _down_until
    with _lock:
        _client, _client_url, _down_until = None, None, 0.0


@receiver(setting_changed)
def _forget(setting, **kwargs):
    if setting == "YANGLAO_REDIS_URL":
        reset()


def publish(region_code: str, message: dict) -> bool:
    """Publish ``message`` (JSON) on the county's channel; False if Redis is not there."""
    r = client()
    if r is None:
        return False
    try:
        r.publish(channel_for(region_code), json.dumps(message, ensure_ascii=False, default=str))
    except redis.RedisError as exc:
        mark_down(exc)
        return False
    return True


def publish_many(messages: list[tuple[str, dict]]) -> int:
    """Several notices in one round trip (the worker publishes a batch's alarms together)."""
    if not messages:
        return 0
    r = client()
    if r is None:
        return 0
    try:
        pipe = r.pipeline(transaction=False)
        for region_code, message in messages:
            pipe.publish(channel_for(region_code), json.dumps(message, ensure_ascii=False, default=str))
        pipe.execute()
    except redis.RedisError as exc:
        mark_down(exc)
        return 0
    return len(messages)


def claim_nonces(keys: list[str], ttl_s: int) -> list[bool] | None:
    """Take each key (SET NX with a TTL) in one round trip: per key True if it was new, False if seen;
    None if Redis could not answer."""
    if not keys:
        return []
    r = client()
    if r is None:
        return None
    try:
        pipe = r.pipeline(transaction=False)
        for key in keys:
            pipe.set(key, b"1", nx=True, ex=ttl_s)
        return [bool(taken) for taken in pipe.execute()]
    except redis.RedisError as exc:
        mark_down(exc)
        return None


def ring() -> None:
    """Wake an idle alarm worker (events are waiting). Best effort: workers also poll."""
    r = client()
    if r is None:
        return
    try:
        pipe = r.pipeline(transaction=False)
        pipe.lpush(DOORBELL, b"1")
        pipe.ltrim(DOORBELL, 0, 0)
        pipe.execute()
    except redis.RedisError as exc:
        mark_down(exc)


def wait_for_ring(timeout_s: float) -> bool | None:
    """Block until ``ring`` or ``timeout_s`` (≤ 0.4 s: under the client's socket timeout); True if
    rung, False on timeout, None if Redis is not there (the caller sleeps instead)."""
    r = client()
    if r is None:
        return None
    try:
        return r.brpop([DOORBELL], timeout=min(0.4, max(0.01, timeout_s))) is not None
    except redis.RedisError as exc:
        mark_down(exc)
        return None
