"""Field encryption for personal data: AES-256-GCM with key ids, and a keyed blind index.

A stored value is ``<key id>$<base64(nonce || ciphertext+tag)>``. The key id lets keys rotate:
new writes use the first (active) key of YANGLAO_FIELD_KEY, old values still decrypt with the
keys listed after it until ``yanglao rotate_field_key`` re-encrypts them.

The blind index is HMAC-SHA256 under a separate key (YANGLAO_INDEX_KEY), so exact search and
uniqueness work without decrypting, and rotating the encryption key does not touch the index.
"""

import base64
import hashlib
import hmac
import os
import threading
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


class FieldKeyError(Exception):
    pass


@dataclass(frozen=True)
class Keyring:
    active_id: str
    keys: dict[str, bytes]
    index_key: bytes
    # Built once per key: an import seals hundreds of thousands of values.
    ciphers: dict[str, AESGCM]
    index_mac: "hmac.HMAC"


def parse_field_keys(spec: str) -> tuple[str, dict[str, bytes]]:
    """``kid:base64[,kid:base64...]``; the first is the active key."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        kid, sep, encoded = part.partition(":")
        if not sep or not kid or "$" in kid:
            raise FieldKeyError("YANGLAO_FIELD_KEY entries are written kid:base64key")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise FieldKeyError(f"YANGLAO_FIELD_KEY key {kid!r} is not valid base64") from None
        if len(raw) != 32:
            raise FieldKeyError(f"YANGLAO_FIELD_KEY key {kid!r} must be 32 bytes (AES-256)")
        if kid in keys:
            raise FieldKeyError(f"YANGLAO_FIELD_KEY lists key {kid!r} twice")
        keys[kid] = raw
        order.append(kid)
    if not order:
        raise FieldKeyError("YANGLAO_FIELD_KEY holds no key")
    return order[0], keys


@lru_cache(maxsize=4)
def _keyring(field_spec: str, index_spec: str) -> Keyring:
    active, keys = parse_field_keys(field_spec)
    try:
        index_key = base64.b64decode(index_spec, validate=True)
    except ValueError:
        raise FieldKeyError("YANGLAO_INDEX_KEY is not valid base64") from None
    if len(index_key) < 32:
        raise FieldKeyError("YANGLAO_INDEX_KEY must be at least 32 bytes")
    return Keyring(
        active_id=active,
        keys=keys,
        index_key=index_key,
        ciphers={kid: AESGCM(key) for kid, key in keys.items()},
        index_mac=hmac.new(index_key, digestmod=hashlib.sha256),
    )


class _NoncePool(threading.local):
    """Random 96-bit nonces drawn from the OS in blocks: one system call per 4,096 values instead of
    one per value (each call also gives up the GIL, which costs far more than the bytes when another
    thread is busy). Emptied in a forked child, so two processes never share a block."""

    def __init__(self):
        self.block = b""
        self.offset = 0

    def take(self) -> bytes:
        if self.offset >= len(self.block):
            self.block, self.offset = os.urandom(12 * 4096), 0
        nonce = self.block[self.offset : self.offset + 12]
        self.offset += 12
        return nonce


_nonces = _NoncePool()


def _reset_nonces() -> None:
    global _nonces
    _nonces = _NoncePool()


os.register_at_fork(after_in_child=_reset_nonces)


_current: Keyring | None = None


def keyring() -> Keyring:
    # Read from settings once, not per value sealed; a settings change (tests) clears it.
    global _current
    if _current is None:
        _current = _keyring(settings.YANGLAO_FIELD_KEY, settings.YANGLAO_INDEX_KEY)
    return _current


@receiver(setting_changed)
def _forget_keyring(setting, **kwargs):
    global _current
    if setting in ("YANGLAO_FIELD_KEY", "YANGLAO_INDEX_KEY"):
        _current = None


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt under the active key; ``context`` (e.g. ``elder.id_number``) is bound as AAD so a
    value copied into another column does not decrypt there."""
    ring = keyring()
    nonce = _nonces.take()
    sealed = ring.ciphers[ring.active_id].encrypt(nonce, plaintext.encode(), context.encode())
    return f"{ring.active_id}${base64.b64encode(nonce + sealed).decode()}"


def decrypt(stored: str, *, context: str) -> str:
    ring = keyring()
    kid, sep, payload = stored.partition("$")
    if not sep or kid not in ring.keys:
        raise FieldKeyError(f"no key {kid!r} to decrypt this value (is it listed in YANGLAO_FIELD_KEY?)")
    raw = base64.b64decode(payload)
    return ring.ciphers[kid].decrypt(raw[:12], raw[12:], context.encode()).decode()


def encrypt_bytes(data: bytes, *, context: str) -> bytes:
    """A whole file (an uploaded import, an error report) sealed at rest: ``kid$`` + nonce + ciphertext."""
    ring = keyring()
    nonce = os.urandom(12)
    return (
        f"{ring.active_id}$".encode()
        + nonce
        + AESGCM(ring.keys[ring.active_id]).encrypt(nonce, data, context.encode())
    )


def decrypt_bytes(sealed: bytes, *, context: str) -> bytes:
    ring = keyring()
    kid, sep, rest = sealed.partition(b"$")
    key = ring.keys.get(kid.decode(errors="replace")) if sep else None
    if key is None:
        raise FieldKeyError("no key to decrypt this file (is it listed in YANGLAO_FIELD_KEY?)")
    return AESGCM(key).decrypt(rest[:12], rest[12:], context.encode())


def key_id_of(stored: str) -> str:
    return stored.partition("$")[0]


def blind_index(value: str, *, context: str) -> str:
    """A keyed, deterministic digest of a normalised value, for exact lookup and uniqueness."""
    mac = keyring().index_mac.copy()
    mac.update(f"{context}\x00{value}".encode())
    return mac.hexdigest()


# Encrypted columns, registered by the apps that own them, so a key rotation finds every one.
ENCRYPTED_FIELDS: list[tuple[str, str, str]] = []  # (model label, field name, context)


def register_encrypted_field(model_label: str, field: str, context: str) -> None:
    if (model_label, field, context) not in ENCRYPTED_FIELDS:
        ENCRYPTED_FIELDS.append((model_label, field, context))
