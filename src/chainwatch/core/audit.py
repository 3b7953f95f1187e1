"""Audit trail: every service write records actor, time, action, before and after."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, router
from django.utils import timezone

from chainwatch.core.models import AuditEntry


def _json_value(value):
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def snapshot(obj: models.Model) -> dict:
    """The concrete field values of ``obj`` as JSON-safe data (foreign keys by id)."""
    data = {}
    for field in obj._meta.concrete_fields:
        data[field.attname] = _json_value(getattr(obj, field.attname))
    return data


def actor_name(actor) -> str:
    if actor is None:
        return "system"
    return getattr(actor, "get_username", lambda: str(actor))()


def entry(actor, action: str, obj: models.Model, *, before=None, after=None, note: str = "") -> AuditEntry:
    return AuditEntry(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=actor_name(actor),
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        before=before,
        after=after,
        note=note[:300],
    )


def record(actor, action: str, obj: models.Model, *, before=None, after=None, note: str = "") -> AuditEntry:
    audit = entry(actor, action, obj, before=before, after=after, note=note)
    audit.save()
    return audit


def record_many(entries: Iterable[AuditEntry]) -> None:
    AuditEntry.objects.bulk_create(list(entries), batch_size=1000)


def record_rows(
    actor, action: str, model: type[models.Model], rows: Iterable[tuple[object, str, dict | None, dict | None]],
    *, note: str = "",
) -> int:
    """Audit many objects of one model in bulk; ``rows`` are (object id, object repr, before,
    after). The entries are those ``entry`` builds, sharing one timestamp, written by multi-row
    INSERTs without a model instance per entry (most of the cost of ``record_many`` at tens of
    thousands of rows). A before/after dict passed again (the same object) is serialised once.
    Returns the number of entries written."""
    opts = AuditEntry._meta
    connection = connections[router.db_for_write(AuditEntry)]
    json_field = opts.get_field("after")
    adapted: dict[int, tuple[object, object]] = {}  # id → (the dict, kept alive so ids stay unique; its value)

    def json_value(data):
        if data is None:
            return None
        if id(data) not in adapted:
            adapted[id(data)] = (data, json_field.get_db_prep_save(data, connection))
        return adapted[id(data)][1]

    common = (
        opts.get_field("at").get_db_prep_save(timezone.now(), connection),
        actor.pk if getattr(actor, "pk", None) else None,
        actor_name(actor),
        action,
        ContentType.objects.get_for_model(model, for_concrete_model=False).pk,
    )
    note = note[:300]
    params = [
        (*common, str(object_id), str(object_repr)[:300], json_value(before), json_value(after), note)
        for object_id, object_repr, before, after in rows
    ]
    names = ("at", "actor", "actor_name", "action", "content_type", "object_id", "object_repr", "before", "after", "note")
    fields = [opts.get_field(name) for name in names]
    per_statement = min(1000, (connection.features.max_query_params or 10_000) // len(names))
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
    with connection.cursor() as cursor:
        for start in range(0, len(params), per_statement):
            batch = params[start:start + per_statement]
            values = connection.ops.bulk_insert_sql(fields, [["%s"] * len(names)] * len(batch))
            cursor.execute(head + values, [value for row in batch for value in row])
    return len(params)


def history(obj: models.Model):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False), object_id=str(obj.pk)
    )
