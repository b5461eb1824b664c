"""Inserting many rows fast: PostgreSQL's COPY where available, Django's bulk_create elsewhere.

Django's bulk_create spends most of its time building SQL in Python; COPY streams the values and
is an order of magnitude faster. ``bulk_insert`` takes model instances and gives them primary keys
from the table's sequence first (so dependants can point at them); ``copy_rows`` takes plain dicts
for the tables nothing points back to (history, audit lines), without building model instances at
all. On PostgreSQL the rows are sent from a writer thread, so the server stores one block while
Python prepares the next.
"""

from collections.abc import Iterable, Sequence

from django.db import connection, models
from django.db.models.base import ModelState
from django.db.models.enums import Choices
from psycopg.copy import QueuedLibpqWriter
from psycopg.types.json import Jsonb
from psycopg.types.string import StrDumperUnknown


def bulk_insert(
    model: type[models.Model], objects: Sequence[models.Model], *, batch_size: int = 2000
) -> None:
    if not objects:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects, batch_size=batch_size)
        return
    assign_ids(model, objects)
    fields = list(model._meta.concrete_fields)
    names = [f.attname for f in fields]
    _copy(model, fields, ([o.__dict__[n] for n in names] for o in objects))
    for obj in objects:
        obj._state.adding = False
        obj._state.db = "default"


def copy_rows(model: type[models.Model], rows: Sequence[dict], *, batch_size: int = 2000) -> None:
    """Insert rows given as {attname: value}; fields left out take their model default. A foreign
    key may be given as the object (``{"elder": elder}``), read when the rows are written — after
    the object itself was inserted and got its id. The primary key comes from the database."""
    if not rows:
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    defaults = {f.attname: f.get_default() for f in fields if f.has_default()}
    # Rows of one call share their shape: which keys hold objects is read off the first row.
    objects = {
        key: meta.get_field(key).attname for key, value in rows[0].items() if isinstance(value, models.Model)
    }
    if objects:
        rows = [_resolve_objects(row, objects) for row in rows]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**{**defaults, **row}) for row in rows], batch_size=batch_size
        )
        return
    pairs = [(f.attname, defaults.get(f.attname)) for f in fields]
    _copy(model, fields, ([row.get(n, d) for n, d in pairs] for row in rows))


def assign_ids(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """Give objects without a primary key one from the table's sequence (PostgreSQL), so rows that
    point at them can be prepared before they are written. Elsewhere bulk_create assigns them."""
    missing = [o for o in objects if o.pk is None]
    if not missing or connection.vendor != "postgresql":
        return
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(missing)],
        )
        for obj, (value,) in zip(missing, cursor.fetchall(), strict=True):
            setattr(obj, meta.pk.attname, value)


def clone(template: models.Model) -> models.Model:
    """A new unsaved instance with the template's field values, without running Model.__init__
    (which visits every field's default: most of the cost of creating 100,000 objects)."""
    obj = template.__class__.__new__(template.__class__)
    obj.__dict__ = template.__dict__.copy()
    obj._state = ModelState()
    return obj


def _resolve_objects(row: dict, objects: dict[str, str]) -> dict:
    row = dict(row)
    for key, attname in objects.items():
        row[attname] = row.pop(key).pk
    return row


def _copy(model, fields: list[models.Field], values: Iterable[list]) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    jsons = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, under Django's wrapper
        # A TextChoices member is a str whose enum-ness would make psycopg write its *name*:
        # dump every choice as the plain string it is.
        raw.connection.adapters.register_dumper(Choices, StrDumperUnknown)
        with raw.copy(f"COPY {table} ({names}) FROM STDIN", writer=QueuedLibpqWriter(raw)) as copy:
            for row in values:
                for i in jsons:
                    if row[i] is not None:
                        row[i] = Jsonb(row[i])
                copy.write_row(row)
