"""The live feed of the desk: Server-Sent Events from Redis pub/sub, with a database fallback.

One feed serves the board page (``/alarms/desk/stream/``, the session) and token clients
(``/api/v1/alarms/stream``). On connect it subscribes to the reader's county channels (``yanglao:
alarms:<county>``; a city or province desk subscribes to the pattern of its counties), *then* sends
the current open alarms — subscribing first means nothing published in between is missed. After
that each notice names an alarm; the feed re-reads that alarm through the desk selectors (so the
scope rule applies, and a notice for a row this database does not hold is ignored) and sends its
card. A comment line every 15 s keeps proxies from closing an idle connection.

When Redis is down (or not configured) the feed says so (``mode: degraded``) and polls the database
every 2 s instead, comparing a fingerprint of the open alarms; it tries Redis again every 10 s and
goes back to live mode when it answers. In live mode the same comparison runs every 15 s, so a
notice lost to a Redis hiccup is caught up within seconds.

Events (``data`` is one JSON object):

- ``mode``     ``{"mode": "live" | "degraded", "message": …}``
- ``alarm``    ``{"id", "state", "kind", "priority", "opened_at", "escalation_level", "html", "initial"}``
- ``removed``  ``{"id"}`` — resolved, or no longer among the board's alarms
- ``snapshot`` ``{"ids": [...], "total": n}`` — after the initial cards: ids not listed are gone

Under a WSGI server (or Django's test client) a feed that never ends would hold a thread forever,
so there it sends the snapshot and closes; ``retry`` makes the EventSource reconnect (long polling).
"""

import asyncio
import contextlib
import json
import logging
import time

import redis
import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.template.loader import render_to_string

from yanglao.alarms import bus, conf, desk_selectors
from yanglao.alarms.models import AlarmState
from yanglao.regions.scope import Scope

log = logging.getLogger(__name__)

HEARTBEAT_S = 15.0
POLL_S = 2.0
RECONCILE_S = 15.0
REDIS_RETRY_S = 10.0
RETRY_MS = 3000
MESSAGE_WAIT_S = 1.0

LIVE_MESSAGE = "实时模式：新告警即时推送"
DEGRADED_MESSAGE = "降级模式：实时推送服务（Redis）不可用，每 2 秒从数据库刷新一次"
SNAPSHOT_MESSAGE = f"此服务器不支持长连接推送，每 {RETRY_MS // 1000} 秒重新获取一次"


def sse(event: str, data: dict) -> bytes:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"event: {event}\ndata: {payload}\n\n".encode()


def comment(text: str) -> bytes:
    return f": {text}\n\n".encode()


def subscriptions(scope: Scope) -> tuple[list[str], list[str]]:
    """(channels, patterns) for a scope: one county channel for a county or anything below it;
    the pattern of all its counties for a city or the province."""
    if scope.is_empty:
        return [], []
    if len(scope.prefix) >= 6:
        return [bus.channel_for(scope.prefix)], []
    return [], [f"{bus.CHANNEL_PREFIX}{scope.prefix}*"]


def alarm_id(message: dict | None) -> int | None:
    """The alarm a pub/sub notice is about (``{"id": …}``; ``alarm_id`` is accepted too)."""
    if not message or message.get("type") not in ("message", "pmessage"):
        return None
    try:
        body = json.loads(message["data"])
    except (TypeError, ValueError):
        return None
    if not isinstance(body, dict):
        return None
    value = body.get("id", body.get("alarm_id"))
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


# --- the database side (sync, run through sync_to_async) ----------------------------------------


def fingerprint_of(alarm) -> tuple:
    return (alarm.state, alarm.escalation_level, alarm.merged_count, alarm.acknowledged_by_id, alarm.priority)


def card_payload(alarm, *, user, initial: bool = False) -> dict:
    return {
        "id": alarm.pk,
        "state": alarm.state,
        "kind": alarm.kind,
        "priority": alarm.priority,
        "opened_at": alarm.opened_at.isoformat(),
        "escalation_level": alarm.escalation_level,
        "initial": initial,
        "html": render_to_string("alarms/desk/_card.html", {"alarm": alarm, "user": user}),
    }


def read_snapshot(user) -> tuple[list[dict], int, dict[int, tuple]]:
    board = desk_selectors.board(actor=user)
    cards = [card_payload(a, user=user, initial=True) for a in board.cards]
    return cards, board.total, {a.pk: fingerprint_of(a) for a in board.cards}


def read_card(user, pk: int) -> tuple[str, dict, tuple | None]:
    """("alarm", payload, fingerprint) or ("removed", {"id"}, None), or ("", {}, None) to ignore."""
    alarm = desk_selectors.board_card(actor=user, pk=pk)
    if alarm is None:
        return "", {}, None
    if alarm.state == AlarmState.RESOLVED:
        return "removed", {"id": pk}, None
    return "alarm", card_payload(alarm, user=user), fingerprint_of(alarm)


def read_changes(user, known: dict[int, tuple]) -> tuple[list[tuple[str, dict]], dict[int, tuple]]:
    """What changed since ``known``: cards to send and ids to remove, and the new fingerprint."""
    now = desk_selectors.board_fingerprint(actor=user)
    events: list[tuple[str, dict]] = []
    for pk, print_ in now.items():
        if known.get(pk) != print_:
            event, payload, _ = read_card(user, pk)
            if event:
                events.append((event, payload))
    events += [("removed", {"id": pk}) for pk in known if pk not in now]
    return events, now


def load_user(user):
    """The user with what ``scope`` and the templates read (region), loaded outside the event loop."""
    from yanglao.accounts.models import User

    return User.objects.select_related("region", "facility__region").get(pk=user.pk)


# --- the feed ------------------------------------------------------------------------------------


class _Redis:
    """A pub/sub subscription that may fail at any time; ``None`` from ``open`` means degraded."""

    def __init__(self, url: str, scope: Scope):
        self.url = url
        self.channels, self.patterns = subscriptions(scope)
        self.client = None
        self.pubsub = None

    async def open(self) -> bool:
        if not self.url or not (self.channels or self.patterns):
            return False
        try:
            self.client = aioredis.Redis.from_url(self.url, socket_connect_timeout=0.5)
            self.pubsub = self.client.pubsub()
            if self.channels:
                await self.pubsub.subscribe(*self.channels)
            if self.patterns:
                await self.pubsub.psubscribe(*self.patterns)
        except (redis.RedisError, OSError) as exc:
            log.warning("desk feed: Redis unavailable (%s), polling the database", type(exc).__name__)
            await self.close()
            return False
        return True

    async def message(self) -> dict | None:
        return await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=MESSAGE_WAIT_S)

    async def close(self) -> None:
        pubsub, client = self.pubsub, self.client
        self.pubsub = self.client = None
        for closing in (pubsub, client):
            if closing is not None:
                with contextlib.suppress(redis.RedisError, OSError):  # closing a dead link
                    await closing.aclose()


async def feed(user, *, redis_url: str | None = None, clock=time.monotonic):
    """The live event stream for ``user`` (loaded with ``load_user``); ends when the client goes."""
    yield f"retry: {RETRY_MS}\n\n".encode()
    link = _Redis(conf.redis_url() if redis_url is None else redis_url, user.scope)
    live = await link.open()
    try:
        yield sse(
            "mode",
            {"mode": "live" if live else "degraded", "message": LIVE_MESSAGE if live else DEGRADED_MESSAGE},
        )
        cards, total, known = await sync_to_async(read_snapshot)(user)
        for payload in cards:
            yield sse("alarm", payload)
        yield sse("snapshot", {"ids": [c["id"] for c in cards], "total": total})
        last_beat = last_check = clock()
        next_redis = clock() + REDIS_RETRY_S
        while True:
            if live:
                try:
                    message = await link.message()
                except (redis.RedisError, OSError) as exc:
                    log.warning("desk feed: lost Redis (%s), polling the database", type(exc).__name__)
                    await link.close()
                    live = False
                    next_redis = clock() + REDIS_RETRY_S
                    yield sse("mode", {"mode": "degraded", "message": DEGRADED_MESSAGE})
                    continue
                pk = alarm_id(message)
                if pk is not None:
                    event, payload, print_ = await sync_to_async(read_card)(user, pk)
                    if event:
                        yield sse(event, payload)
                        if print_ is None:
                            known.pop(pk, None)
                        else:
                            known[pk] = print_
                check_due = clock() - last_check >= RECONCILE_S
            else:
                await asyncio.sleep(POLL_S)
                check_due = True
                if clock() >= next_redis:
                    live = await link.open()
                    next_redis = clock() + REDIS_RETRY_S
                    if live:
                        yield sse("mode", {"mode": "live", "message": LIVE_MESSAGE})
            if check_due:
                events, known = await sync_to_async(read_changes)(user, known)
                for event, payload in events:
                    yield sse(event, payload)
                last_check = clock()
            if clock() - last_beat >= HEARTBEAT_S:
                yield comment("heartbeat")
                last_beat = clock()
    finally:
        await link.close()


def snapshot_only(user) -> list[bytes]:
    """The once-mode feed (WSGI): the current alarms, then the connection ends."""
    cards, total, _ = read_snapshot(user)
    return [
        f"retry: {RETRY_MS}\n\n".encode(),
        sse("mode", {"mode": "snapshot", "message": SNAPSHOT_MESSAGE}),
        *(sse("alarm", payload) for payload in cards),
        sse("snapshot", {"ids": [c["id"] for c in cards], "total": total}),
    ]


def response(request, user) -> StreamingHttpResponse:
    """The SSE response for an already authorised, loaded ``user``: the live feed under ASGI, the
    snapshot alone under WSGI (read here, synchronously, where the request is served)."""
    content = feed(user) if isinstance(request, ASGIRequest) else iter(snapshot_only(user))
    streaming = StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
    streaming["Cache-Control"] = "no-cache, no-store"
    streaming["X-Accel-Buffering"] = "no"  # nginx: pass each event through at once
    return streaming
