"""How personal values look when they are shown without a reveal."""

import re


def mask_id_number(value: str | None) -> str:
    """``150523199001011234`` → ``150523********1234``: region prefix and last four stay."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """``13812345678`` → ``138****5678``; landlines keep area code and last four."""
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + "****" + digits[-4:]
    if len(digits) <= 4:
        return "*" * len(digits)
    head = value.split("-")[0] if "-" in value else ""
    if head and len(head) < len(value) - 4:
        return head + "-" + "*" * max(len(digits) - len(head) - 4, 1) + digits[-4:]
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_text(value: str | None) -> str:
    """Any other personal text (address, health note): keep only its first character."""
    if not value:
        return ""
    return value[0] + "*" * min(len(value) - 1, 8)


MASKERS = {"id_number": mask_id_number, "phone": mask_phone, "text": mask_text}


def mask(kind: str, value) -> str:
    return MASKERS[kind]("" if value is None else str(value))
