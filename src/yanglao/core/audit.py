"""Writing the audit log.

``record`` is the one way in. Callers describe what happened; personal values in ``changes`` are
masked here, by field kind, before anything is stored — the log itself must never become the leak.
"""

from collections.abc import Mapping

from yanglao.core import context
from yanglao.core.masking import mask
from yanglao.core.models import AuditEntry

Action = AuditEntry.Action


def diff(before: Mapping, after: Mapping, *, personal: Mapping[str, str] | None = None) -> dict:
    """Changed fields as ``{field: [old, new]}``; fields named in ``personal`` (field → mask kind)
    are masked on both sides."""
    personal = personal or {}
    changes = {}
    for field in sorted(set(before) | set(after)):
        old, new = before.get(field), after.get(field)
        if old == new:
            continue
        if field in personal:
            old, new = mask(personal[field], old), mask(personal[field], new)
        changes[field] = [_plain(old), _plain(new)]
    return changes


def _plain(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def record(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str = "",
    object_id: str | int = "",
    object_label: str = "",
    region_code: str | None = None,
    summary: str = "",
    changes: Mapping | None = None,
    username: str = "",
    ip: str | None = None,
) -> AuditEntry:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_label = object_label or str(obj)[:200]
        region_code = region_code or getattr(obj, "region_id", None)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    if ip is None:
        meta = context.current()
        ip = meta.ip if meta else None
    if region_code is None and authenticated:
        region_code = getattr(actor, "region_id", None)
    return AuditEntry.objects.create(
        actor=actor if authenticated else None,
        actor_username=(actor.get_username() if authenticated else username)[:150],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_label=object_label[:200],
        region_code=region_code,
        ip=ip,
        summary=summary[:500],
        changes=dict(changes or {}),
    )
