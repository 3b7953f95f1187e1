"""Bulk writes that bypass the ORM's per-object work.

Django's ``bulk_create`` builds a model instance per row and, on SQLite, splits the rows into
statements of at most 999 parameters; for tens of thousands of rows that costs about 1 ms a row.
:func:`insert_rows` sends plain tuples, prepared by the fields themselves (dates, decimals, JSON),
through one ``executemany`` (SQLite, and upserts on PostgreSQL) or ``COPY`` (PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection, models, transaction


def in_batch(reserved: int = 0) -> int:
    """How many values one ``IN (…)`` may carry on this backend (SQLite's parameter limit, with
    room for ``reserved`` other parameters of the query)."""
    return min(900, (connection.features.max_query_params or 900) - 10) - reserved


def insert_rows(model: type[models.Model], rows: list[dict], *, update_on: Sequence[str] = ()) -> None:
    """INSERT ``rows`` (field attname -> value; fields left out take their defaults); see
    :func:`insert_columns`."""
    if not rows:
        return
    fields = {field.attname: field for field in model._meta.concrete_fields}
    columns = {}
    for name in {name for row in rows for name in row}:
        default = _default(fields[name])
        columns[name] = [row.get(name, default) for row in rows]
    insert_columns(model, columns, len(rows), update_on=update_on)


class Same:
    """One value for every row of :func:`insert_columns` (an actor, a timestamp, a note)."""

    def __init__(self, value) -> None:
        self.value = value


def insert_columns(model: type[models.Model], columns: dict[str, list | Same], count: int, *,
                   update_on: Sequence[str] = ()) -> None:
    """INSERT ``count`` rows given column by column (field attname -> a list of ``count`` values,
    or :class:`Same` for one value in every row; fields left out take their defaults).

    With ``update_on`` (the attnames of a unique constraint) a row that collides updates every
    other column instead (``ON CONFLICT … DO UPDATE``, SQLite ≥ 3.24 and PostgreSQL).
    Auto-incremented keys are left to the database; any other primary key (a one-to-one key)
    must be given.
    """
    if not count:
        return
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    copy = connection.vendor == "postgresql"
    prepared = [_column(field, columns.get(field.attname, Same(_default(field))), count, json_as_text=copy) for field in fields]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(f.column) for f in fields)
    params = list(zip(*prepared, strict=True))
    updates = ""
    if update_on:
        keys = {model._meta.get_field(name).column for name in update_on}
        updates = (
            f" ON CONFLICT ({', '.join(quote(k) for k in sorted(keys))}) DO UPDATE SET "
            + ", ".join(f"{quote(f.column)} = excluded.{quote(f.column)}" for f in fields if f.column not in keys)
        )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if not copy:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))}){updates}", params)
            return
        # COPY: no statement to parse or plan per row or per batch. An upsert goes through a
        # temporary table of the same columns and one INSERT … SELECT … ON CONFLICT; the table is
        # dropped at once (a rollback drops it too), so one transaction may upsert again.
        into = table
        if update_on:
            into = quote(f"incoming_{model._meta.db_table}")
            cursor.execute(f"CREATE TEMPORARY TABLE {into} AS SELECT {names} FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY {into} ({names}) FROM STDIN") as stream:
            for row in params:
                stream.write_row(row)
        if update_on:
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {into}{updates}")
            cursor.execute(f"DROP TABLE {into}")


_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey, models.FloatField)


def _default(field: models.Field):
    return None if field.primary_key else field.get_default()


def _column(field: models.Field, values: list | Same, count: int, *, json_as_text: bool = False) -> list:
    """The values of ``field`` prepared for the database column by column: a plain value passes
    as it is, a JSON value through the backend's adapter (or as JSON text, for ``COPY``, which
    parses it on the server), anything else (dates, decimals) through the field, once per
    distinct value; a :class:`Same` value is prepared once."""
    if isinstance(values, Same):
        return _column(field, [values.value], 1, json_as_text=json_as_text) * count
    if isinstance(field, _PLAIN):
        return values
    if isinstance(field, models.JSONField):
        # Serialised once per object: rows often share one before/after dict. The values list
        # keeps every object alive, so an id is not reused while the cache is in use.
        adapt = _json_text if json_as_text else connection.ops.adapt_json_value
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


def _json_text(value, encoder) -> str:
    return json.dumps(value, cls=encoder)
