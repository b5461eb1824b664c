"""How an elder's personal fields are sealed: ciphertext, blind index and masked form together."""

from dataclasses import dataclass

from yanglao.core import crypto
from yanglao.core.masking import mask_id_number, mask_phone

ID_CONTEXT = "elders.id_number"
PHONE_CONTEXT = "elders.phone"


@dataclass(frozen=True)
class Sealed:
    enc: str
    index: str
    masked: str


EMPTY = Sealed("", "", "")


def seal_id_number(value: str, *, index: str | None = None) -> Sealed:
    return Sealed(crypto.encrypt(value, context=ID_CONTEXT), index or id_index(value), mask_id_number(value))


def seal_phone(value: str) -> Sealed:
    if not value:
        return EMPTY
    return Sealed(crypto.encrypt(value, context=PHONE_CONTEXT), phone_index(value), mask_phone(value))


def id_index(value: str) -> str:
    return crypto.blind_index(value, context=ID_CONTEXT)


def phone_index(value: str) -> str:
    return crypto.blind_index(value, context=PHONE_CONTEXT)


def open_id_number(enc: str) -> str:
    return crypto.decrypt(enc, context=ID_CONTEXT)


def open_phone(enc: str) -> str:
    return crypto.decrypt(enc, context=PHONE_CONTEXT) if enc else ""
