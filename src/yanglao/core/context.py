"""Who is asking, from where: request facts that services need without taking the request.

Services take ``actor`` as an argument; the client address is the one fact they would otherwise
have to thread through every call only to write it into the audit log.
"""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None
    path: str


_current: ContextVar[RequestMeta | None] = ContextVar("yanglao_request_meta", default=None)


def current() -> RequestMeta | None:
    return _current.get()


def bind(meta: RequestMeta | None):
    return _current.set(meta)


def reset(token) -> None:
    _current.reset(token)


def client_ip(request, trusted_proxies: int) -> str | None:
    """The client address: REMOTE_ADDR, or the entry the trusted proxies appended to X-Forwarded-For."""
    if trusted_proxies > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= trusted_proxies:
            return forwarded[-trusted_proxies]
    return request.META.get("REMOTE_ADDR") or None
