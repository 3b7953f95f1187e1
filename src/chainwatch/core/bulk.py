"""Bulk writes that bypass the ORM's per-object work.

Django's ``bulk_create`` builds a model instance per row and, on SQLite, splits the rows into
statements of at most 999 parameters; for tens of thousands of rows that costs about 1 ms a row.
:func:`insert_rows` sends plain tuples, prepared by the fields themselves (dates, decimals, JSON),
through one ``executemany`` (SQLite, and upserts on PostgreSQL) or ``COPY`` (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def in_batch(reserved: int = 0) -> int:
    """How many values one ``IN (…)`` may carry on this backend (SQLite's parameter limit, with
    room for ``reserved`` other parameters of the query)."""
    return min(900, (connection.features.max_query_params or 900) - 10) - reserved


def insert_rows(model: type[models.Model], rows: list[dict], *, update_on: Sequence[str] = ()) -> None:
    """INSERT ``rows`` (field attname -> value; fields left out take their defaults).

    With ``update_on`` (the attnames of a unique constraint) a row that collides updates every
    other column instead (``ON CONFLICT … DO UPDATE``, SQLite ≥ 3.24 and PostgreSQL).
    Auto-incremented keys are left to the database; any other primary key (a one-to-one key)
    must be given.
    """
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    columns = [_column(field, rows) for field in fields]
    quote = connection.ops.quote_name
    target = f"{quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    params = list(zip(*columns, strict=True))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not update_on:
            # COPY: no statement to parse or plan per row or per batch.
            with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {target} VALUES ({', '.join(['%s'] * len(fields))})"
        if update_on:
            keys = {model._meta.get_field(name).column for name in update_on}
            updates = ", ".join(f"{quote(f.column)} = excluded.{quote(f.column)}" for f in fields if f.column not in keys)
            sql += f" ON CONFLICT ({', '.join(quote(k) for k in sorted(keys))}) DO UPDATE SET {updates}"
        cursor.executemany(sql, params)

_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey, models.FloatField)


def _column(field: models.Field, rows: list[dict]) -> list:
    """The values of ``field`` in ``rows`` (its default where a row leaves it out), prepared for
    the database column by column: a plain value passes as it is, a JSON value through the
    backend's adapter, anything else (dates, decimals) through the field, once per distinct value."""
    default = None if field.primary_key else field.get_default()
    values = [row.get(field.attname, default) for row in rows]
    if isinstance(field, _PLAIN):
        return values
    if isinstance(field, models.JSONField):
        # Serialised once per object: rows often share one before/after dict. The values list
        # keeps every object alive, so an id is not reused while the cache is in use.
        adapt = connection.ops.adapt_json_value
        adapted: dict[int, object] = {}
        return [
            None if v is None else adapted[id(v)] if id(v) in adapted else adapted.setdefault(id(v), adapt(v, field.encoder))
            for v in values
        ]
    prepared: dict = {}
    out = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        try:
            out.append(prepared[value])
        except KeyError:
            out.append(prepared.setdefault(value, field.get_db_prep_save(value, connection)))
    return out
