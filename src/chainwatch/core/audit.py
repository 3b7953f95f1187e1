"""Audit trail: every service write records actor, time, action, before and after."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from chainwatch.core.bulk import Same, insert_columns
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
    after). The entries are those :func:`entry` builds, sharing one timestamp, written with
    :func:`chainwatch.core.bulk.insert_columns` (no model instance per entry — most of the cost of
    :func:`record_many` at tens of thousands of rows). Returns the number of entries written."""
    ids, reprs, befores, afters = list(zip(*rows, strict=True)) or ([], [], [], [])
    insert_columns(AuditEntry, {
        "at": Same(timezone.now()), "actor_id": Same(actor.pk if getattr(actor, "pk", None) else None),
        "actor_name": Same(actor_name(actor)), "action": Same(action), "note": Same(note[:300]),
        "content_type_id": Same(ContentType.objects.get_for_model(model, for_concrete_model=False).pk),
        "object_id": [str(object_id) for object_id in ids], "object_repr": [str(text)[:300] for text in reprs],
        "before": befores, "after": afters,
    }, len(ids))
    return len(ids)


def history(obj: models.Model):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False), object_id=str(obj.pk)
    )
