"""Helpers for the alarm tests: devices registered through the real service, signed requests."""

import itertools
import json
import secrets
import time

from tests.conftest import KAILU_VILLAGE, make_elder
from yanglao.alarms import protocol
from yanglao.alarms.services import DeviceInput, device_register

_serials = itertools.count(1)


def make_device(
    elder=None, *, kind="sos_button", actor=None, region_code=KAILU_VILLAGE, serial=None, **fields
):
    """A device and its secret in clear."""
    serial = serial or f"T-{kind[:3].upper()}-{next(_serials):06d}-{secrets.token_hex(2)}"
    data = DeviceInput(
        kind=kind, serial=serial, elder=elder, region_code="" if elder else region_code, **fields
    )
    return device_register(actor=actor, data=data)


def make_elder_with_device(region=KAILU_VILLAGE, *, kind="sos_button", name="设备老人", **raw):
    elder = make_elder(region, name=name, **raw)
    device, secret = make_device(elder, kind=kind)
    return elder, device, secret


def event(kind="heartbeat", *, event_id=None, at=None, **extra) -> dict:
    from django.utils import timezone

    return protocol.event_document(
        event_id=event_id or f"e-{secrets.token_hex(6)}", kind=kind, occurred_at=at or timezone.now(), **extra
    )


def signed_post(
    client, device, secret, document, *, now=None, nonce="", headers=None, raw: bytes | None = None
):
    body = raw if raw is not None else json.dumps(document).encode()
    signed = protocol.signed_headers(
        device.serial, secret, body, now=now if now is not None else time.time(), nonce=nonce
    )
    signed.update(headers or {})
    return client.post("/api/v1/device-events", body, content_type="application/json", headers=signed)
