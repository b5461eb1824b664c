"""The live feed (Server-Sent Events): on connect the open alarms, then a new alarm published through
Redis (the real one: these tests fail, not skip, when Redis is down), a resolution as ``removed``,
heartbeats, the database polling when Redis is unreachable, and the snapshot-only answer under WSGI.

The feed runs as it does under uvicorn (an ASGI request through Django's AsyncClient); its database
reads go through ``sync_to_async`` to this thread, so they see the test's rows."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient

from tests.alarms.desk_factories import HORQIN_VILLAGE, city_desk, kailu_desk, make_alarm
from tests.conftest import make_elder
from yanglao.alarms import bus, desk, stream
from yanglao.alarms.desk_selectors import board_fingerprint

STREAM = "/alarms/desk/stream/"


def parse(chunk: bytes) -> list[tuple[str, object]]:
    """SSE frames of a chunk: ("comment", text), ("retry", ms) or (event name, data)."""
    frames = []
    for block in chunk.decode().split("\n\n"):
        if not block.strip():
            continue
        if block.startswith(":"):
            frames.append(("comment", block[1:].strip()))
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "retry" in fields:
            frames.append(("retry", int(fields["retry"])))
        else:
            frames.append((fields["event"], json.loads(fields["data"])))
    return frames


class Feed:
    """A connected feed and what it has sent so far."""

    def __init__(self, response):
        assert response.status_code == 200, response
        assert response["Content-Type"].startswith("text/event-stream")
        self.response = response
        self.chunks = aiter(response.streaming_content)
        self.frames: list[tuple[str, object]] = []

    async def until(self, predicate, timeout: float = 8.0):
        """Read until a frame satisfies ``predicate``; return it."""

        async def read():
            while True:
                for frame in parse(await anext(self.chunks)):
                    self.frames.append(frame)
                    if predicate(frame):
                        return frame

        return await asyncio.wait_for(read(), timeout)

    async def close(self):
        await self.chunks.aclose()


async def connect(user, path=STREAM, **headers) -> Feed:
    client = AsyncClient()
    if headers:
        return Feed(await client.get(path, headers=headers))
    await client.aforce_login(user)
    return Feed(await client.get(path))


def event(name):
    return lambda frame: frame[0] == name


def alarm_event(pk):
    return lambda frame: frame[0] == "alarm" and frame[1]["id"] == pk


@pytest.fixture
def operator(db):
    return kailu_desk()


@pytest.fixture
def elder(db):
    return make_elder("150523100001", name="推送老人")


def test_connect_sends_open_alarms_then_a_new_one_published_on_redis(operator, elder):
    waiting = make_alarm(elder, ago_s=40)
    foreign = make_alarm(make_elder(HORQIN_VILLAGE, name="科尔沁老人"))

    async def scenario():
        feed = await connect(operator)
        mode = await feed.until(event("mode"))
        assert mode[1]["mode"] == "live", "Redis must be running for the live desk (CI starts it)"
        snapshot = await feed.until(event("snapshot"))
        assert snapshot[1]["ids"] == [waiting.pk]
        first = next(f for f in feed.frames if f[0] == "alarm")
        assert first[1]["initial"] is True and f'id="alarm-card-{waiting.pk}"' in first[1]["html"]
        assert "科尔沁老人" not in json.dumps(feed.frames, ensure_ascii=False)
        # A new alarm, published as the worker does, arrives as a card.
        fresh = await sync_to_async(make_alarm)(elder, summary="新的一键呼叫")
        assert await sync_to_async(bus.publish)(fresh.region_code, {"type": "alarm.created", "id": fresh.pk})
        arrived = await feed.until(alarm_event(fresh.pk))
        assert (
            arrived[1]["initial"] is False
            and arrived[1]["kind"] == "emergency"
            and arrived[1]["priority"] == 1
        )
        assert "新的一键呼叫" in arrived[1]["html"]
        # The neighbour's alarm, announced on the neighbour's channel, never reaches this desk; a
        # notice naming it on this desk's own channel is re-read through the scope and dropped.
        await sync_to_async(bus.publish)(foreign.region_code, {"type": "alarm.created", "id": foreign.pk})
        await sync_to_async(bus.publish)(elder.region_id, {"type": "alarm.created", "id": foreign.pk})
        # Resolving (the service publishes after commit) removes the card.
        await sync_to_async(desk.resolve)(actor=operator, alarm=fresh, outcome="false_alarm")
        await sync_to_async(bus.publish)(fresh.region_code, {"type": "alarm.resolved", "id": fresh.pk})
        removed = await feed.until(lambda f: f[0] == "removed" and f[1]["id"] == fresh.pk)
        assert removed[1] == {"id": fresh.pk}
        assert not any(f[0] == "alarm" and f[1]["id"] == foreign.pk for f in feed.frames)
        await feed.close()

    async_to_sync(scenario)()


def test_the_worker_path_reaches_the_board(operator, elder, django_capture_on_commit_callbacks):
    """An SOS event stored by ingestion and turned into an alarm by alarms-1's worker is published on
    commit, in the worker's own message shape, and the feed shows it."""
    from tests.alarms.factories import make_device
    from yanglao.alarms import worker
    from yanglao.alarms.ingest import Incoming, ingest_events
    from yanglao.alarms.protocol import ParsedEvent

    device, _ = make_device(elder)

    def raise_sos():
        from django.utils import timezone

        with django_capture_on_commit_callbacks(execute=True):
            ingest_events(
                [Incoming(device.pk, ParsedEvent("sos-1", "sos", timezone.now(), {}))], channel="http"
            )
            ids = worker.claim_batch(worker="test-worker")
            return worker.process_batch(worker="test-worker", ids=ids).created

    async def scenario():
        feed = await connect(operator)
        await feed.until(event("snapshot"))
        created = await sync_to_async(raise_sos)()
        assert len(created) == 1
        arrived = await feed.until(alarm_event(created[0]))
        assert "推送老人" in arrived[1]["html"] and arrived[1]["kind"] == "emergency"
        await feed.close()

    async_to_sync(scenario)()


def test_a_city_desk_hears_every_county(elder):
    city = city_desk()

    async def scenario():
        feed = await connect(city)
        assert (await feed.until(event("mode")))[1]["mode"] == "live"
        await feed.until(event("snapshot"))
        theirs = await sync_to_async(make_alarm)(
            await sync_to_async(make_elder)(HORQIN_VILLAGE, name="科尔沁老人")
        )
        await sync_to_async(bus.publish)(theirs.region_code, {"type": "alarm.created", "id": theirs.pk})
        await feed.until(alarm_event(theirs.pk))
        mine = await sync_to_async(make_alarm)(elder)
        await sync_to_async(bus.publish)(mine.region_code, {"type": "alarm.created", "id": mine.pk})
        await feed.until(alarm_event(mine.pk))
        await feed.close()

    async_to_sync(scenario)()


def test_without_redis_the_feed_polls_the_database(operator, elder, settings, monkeypatch):
    settings.YANGLAO_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    monkeypatch.setattr(stream, "POLL_S", 0.05)
    monkeypatch.setattr(stream, "HEARTBEAT_S", 0.2)
    waiting = make_alarm(elder, ago_s=5)

    async def scenario():
        feed = await connect(operator)
        mode = await feed.until(event("mode"))
        assert mode[1] == {"mode": "degraded", "message": stream.DEGRADED_MESSAGE}
        await feed.until(event("snapshot"))
        fresh = await sync_to_async(make_alarm)(elder, summary="没有 Redis 也能看到")  # no publish at all
        arrived = await feed.until(alarm_event(fresh.pk))
        assert "没有 Redis 也能看到" in arrived[1]["html"]
        await sync_to_async(desk.acknowledge)(actor=operator, alarm=waiting)
        changed = await feed.until(
            lambda f: f[0] == "alarm" and f[1]["id"] == waiting.pk and not f[1]["initial"]
        )
        assert changed[1]["state"] == "acknowledged"
        await sync_to_async(desk.resolve)(actor=operator, alarm=fresh, outcome="phone")
        await feed.until(lambda f: f[0] == "removed" and f[1]["id"] == fresh.pk)
        await feed.until(lambda f: f == ("comment", "heartbeat"))
        await feed.close()

    async_to_sync(scenario)()


def test_heartbeats_keep_a_quiet_live_feed_open(operator, monkeypatch):
    monkeypatch.setattr(stream, "HEARTBEAT_S", 0.3)
    monkeypatch.setattr(stream, "MESSAGE_WAIT_S", 0.1)

    async def scenario():
        feed = await connect(operator)
        assert (await feed.until(event("mode")))[1]["mode"] == "live"
        await feed.until(lambda f: f == ("comment", "heartbeat"), timeout=5)
        await feed.close()

    async_to_sync(scenario)()


def test_the_token_feed_is_the_same(operator, elder, auth_headers):
    waiting = make_alarm(elder)
    headers = auth_headers(operator)

    async def scenario():
        feed = await connect(None, "/api/v1/alarms/stream", **headers)
        assert (await feed.until(event("mode")))[1]["mode"] == "live"
        assert (await feed.until(event("snapshot")))[1]["ids"] == [waiting.pk]
        await feed.close()

    async_to_sync(scenario)()


def test_under_wsgi_the_feed_is_a_snapshot_that_ends(client_for, operator, elder, auth_headers, client):
    waiting = make_alarm(elder)
    for response in (
        client_for(operator).get(STREAM),
        client.get("/api/v1/alarms/stream", headers=auth_headers(operator)),
    ):
        frames = parse(b"".join(response.streaming_content))
        assert frames[0] == ("retry", stream.RETRY_MS)
        assert frames[1][0] == "mode" and frames[1][1]["mode"] == "snapshot"
        assert frames[-1] == ("snapshot", {"ids": [waiting.pk], "total": 1})


def test_the_feed_refuses_strangers(client, caregiver, client_for):
    assert client.get(STREAM).status_code == 401
    assert client_for(caregiver).get(STREAM).status_code == 403
    assert client_for(caregiver).post(STREAM).status_code == 405
    assert client.get("/api/v1/alarms/stream").status_code == 401


def test_notices_name_an_alarm_or_are_ignored():
    assert stream.alarm_id({"type": "message", "data": b'{"id": 12, "type": "alarm.created"}'}) == 12
    assert stream.alarm_id({"type": "pmessage", "data": '{"alarm_id": 7}'}) == 7
    for data in (b"not json", b"[1]", b'{"id": "12"}', b'{"id": true}', b'{"id": -1}', b"{}"):
        assert stream.alarm_id({"type": "message", "data": data}) is None
    assert stream.alarm_id({"type": "subscribe", "data": 1}) is None and stream.alarm_id(None) is None


def test_subscriptions_follow_the_scope():
    from yanglao.regions.scope import Scope

    assert stream.subscriptions(Scope("150523")) == (["yanglao:alarms:150523"], [])
    assert stream.subscriptions(Scope("150523100")) == (["yanglao:alarms:150523"], [])
    assert stream.subscriptions(Scope("1505")) == ([], ["yanglao:alarms:1505*"])
    assert stream.subscriptions(Scope("15")) == ([], ["yanglao:alarms:15*"])
    assert stream.subscriptions(Scope.nothing()) == ([], [])


def test_the_fingerprint_changes_with_what_a_card_shows(operator, elder):
    alarm = make_alarm(elder)
    before = board_fingerprint(actor=operator)
    desk.acknowledge(actor=operator, alarm=alarm)
    after = board_fingerprint(actor=operator)
    assert before.keys() == after.keys() and before[alarm.pk] != after[alarm.pk]
