"""How a caregiver's personal fields are sealed, like the elders' (ciphertext, blind index, mask)."""

from yanglao.core import crypto
from yanglao.core.masking import mask_id_number, mask_phone
from yanglao.elders.privacy import EMPTY, Sealed

ID_CONTEXT = "care.caregiver.id_number"
PHONE_CONTEXT = "care.caregiver.phone"


def seal_phone(value: str) -> Sealed:
    if not value:
        return EMPTY
    return Sealed(crypto.encrypt(value, context=PHONE_CONTEXT), phone_index(value), mask_phone(value))


def seal_id_number(value: str) -> Sealed:
    if not value:
        return EMPTY
    return Sealed(crypto.encrypt(value, context=ID_CONTEXT), id_index(value), mask_id_number(value))


def phone_index(value: str) -> str:
    return crypto.blind_index(value, context=PHONE_CONTEXT)


def id_index(value: str) -> str:
    return crypto.blind_index(value, context=ID_CONTEXT)


def open_phone(enc: str) -> str:
    return crypto.decrypt(enc, context=PHONE_CONTEXT) if enc else ""
