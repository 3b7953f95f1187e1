"""Indexes dropped by migrations without rebuilding their tables (chainwatch.core.indexes)."""

import pytest
from django.db import connection

from chainwatch.core.indexes import drop_index_operation, single_column_indexes
from chainwatch.core.models import AuditEntry
from chainwatch.targets.models import Observation

pytestmark = pytest.mark.django_db


def _columns_indexed(model) -> list[list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return [info["columns"] for info in constraints.values() if info["index"] and not info["primary_key"]]


def test_the_migrated_schema_has_no_unused_single_column_indexes():
    audit = _columns_indexed(AuditEntry)
    assert ["content_type_id", "object_id"] in audit  # the one the history tab uses
    assert ["content_type_id"] not in audit and ["object_id"] not in audit
    assert ["status"] not in _columns_indexed(Observation)


def test_the_drop_operation_drops_and_restores_the_index():
    from django.apps import apps

    forwards, backwards = drop_index_operation("core", "AuditEntry", "object_id")
    # Not entered as a context manager: SQLite's editor refuses to start inside the test's
    # transaction, whose rollback undoes this DDL on both backends (the pack stays loaded).
    editor = connection.schema_editor()
    backwards(apps, editor)
    assert len(single_column_indexes(editor, AuditEntry._meta.db_table, "object_id")) == 1
    forwards(apps, editor)
    assert single_column_indexes(editor, AuditEntry._meta.db_table, "object_id") == []
