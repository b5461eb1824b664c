"""``POST /api/v1/device-events`` in front of Django, with group commit.

Through Django each signed event cost a request cycle of middleware, a thread hop, a database
connection, a device query, a Redis round trip and a commit: about 120 events/s on the bench's
two shared cores (bench/alarms.py). Devices need none of the middleware (no session, no user, no
CSRF, no HTML), and durability needs a commit per *answer*, not per request. So this ASGI wrapper
answers the device endpoint itself:

- the body is read here, refused early if its declared or actual size is over the limit;
- every request that arrives while the previous group is being stored joins the next group, and
  one thread stores a group with ``ingest.ingest_http_many``: one device query, one Redis round
  trip for the nonces, one transaction — then each request gets the answer it would have got alone
  (202 only after the commit);
- a database error answers the group 503 ``unavailable``: nothing was acknowledged, the devices
  send again.

Everything else goes to Django untouched. The Django view stays (tests, WSGI, the OpenAPI schema)
and runs the same ``ingest_http_many``.
"""

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor

from django.db import DatabaseError, connection

from yanglao.alarms import ingest, protocol
from yanglao.alarms.errors import IngestErrorCode as E
from yanglao.alarms.liveness import DeviceDirectory
from yanglao.alarms.protocol import Rejected

log = logging.getLogger(__name__)

PATH = "/api/v1/device-events"
MAX_GROUP = 200


def _response(status: int, body: dict) -> tuple[int, bytes]:
    return status, json.dumps(body, ensure_ascii=False).encode()


class DeviceEventsFront:
    def __init__(self, app):
        self.app = app
        self.pending: list[tuple[ingest.HttpRequest, asyncio.Future]] = []
        self.storing = False
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="device-events")
        # Used by the storing thread only: routine heartbeats are settled at ingestion (liveness.py).
        self.directory = DeviceDirectory()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "POST":
            status, body = await self.handle(scope, receive)
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", b"application/json; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    async def handle(self, scope, receive) -> tuple[int, bytes]:
        headers: dict[str, str] = {}
        for name, value in scope.get("headers", []):
            headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        client = scope.get("client")
        remote = client[0] if client else ""
        limit = protocol.MAX_BODY_BYTES
        declared = headers.get("content-length", "")
        body = b""
        if not (declared.isdigit() and int(declared) > limit):
            chunks, size, more = [], 0, True
            while more and size <= limit:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return _response(400, {"code": "disconnected", "message": "连接已断开", "fields": {}})
                chunk = message.get("body", b"")
                chunks.append(chunk)
                size += len(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)
            declared = str(size) if size > limit else ""
        if declared.isdigit() and int(declared) > limit:
            # Refused before buffering the rest: a device must not make the server hold megabytes.
            serial = headers.get(protocol.HEADER_SERIAL.lower(), "")[:64]
            result = await asyncio.get_running_loop().run_in_executor(
                self.executor,
                self._refuse_too_large,
                Rejected(E.PAYLOAD_TOO_LARGE, f"报文 {declared} 字节以上，上限 {limit} 字节"),
                serial,
                remote,
            )
            return _response(result.status, result.body)
        request = ingest.HttpRequest(lambda name: headers.get(name.lower()), body, remote)
        future = asyncio.get_running_loop().create_future()
        self.pending.append((request, future))
        if not self.storing:
            self.storing = True
            asyncio.get_running_loop().create_task(self._store_groups())
        return await future

    async def _store_groups(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.pending:
                group, self.pending = self.pending[:MAX_GROUP], self.pending[MAX_GROUP:]
                answers = await loop.run_in_executor(self.executor, self._store, [r for r, _ in group])
                for (_, future), answer in zip(group, answers, strict=True):
                    if not future.done():
                        future.set_result(answer)
        finally:
            self.storing = False

    @staticmethod
    def _refuse_too_large(exc: Rejected, serial: str, remote: str):
        try:
            return ingest.refuse(exc, serial=serial, remote=remote)
        except DatabaseError:
            connection.close()
            return ingest.HttpResult(413, {"code": str(exc.code), "message": exc.detail, "fields": {}})

    def _store(self, requests: list[ingest.HttpRequest]) -> list[tuple[int, bytes]]:
        """In the storing thread, which keeps its database connection between groups (a broken one
        is closed on the error and opened again by the next group)."""
        try:
            results = ingest.ingest_http_many(requests, directory=self.directory)
        except Exception as exc:
            if isinstance(exc, DatabaseError):
                log.warning("device events: database error, answering 503: %s", exc)
            else:
                log.exception("device events: unexpected error, answering 503")
            connection.close()
            unavailable = _response(
                503,
                {"code": "unavailable", "message": "服务暂时不可用，事件未保存，请稍后重发", "fields": {}},
            )
            return [unavailable] * len(requests)
        return [_response(r.status, r.body) for r in results]
