"""Dropping a single-column index in a migration without rebuilding the table.

A plain ``AlterField`` that turns ``db_index`` off makes SQLite copy the whole table (minutes for
millions of rows); dropping the index itself is instant on both backends. Used with
``SeparateDatabaseAndState``: the state takes the ``AlterField``, the database these functions.
"""

from __future__ import annotations


def single_column_indexes(schema_editor, table: str, column: str) -> list[str]:
    """The names of the plain (not unique, not primary key) indexes on exactly ``column``."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [
        name for name, info in constraints.items()
        if info["index"] and not info["unique"] and not info["primary_key"] and info["columns"] == [column]
    ]


def drop_index_operation(app_label: str, model_name: str, field_name: str):
    """A ``(forwards, backwards)`` pair for ``RunPython``: drop the field's single-column index,
    or create it again."""

    def forwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        column = model._meta.get_field(field_name).column
        for name in single_column_indexes(schema_editor, model._meta.db_table, column):
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")

    def backwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[model._meta.get_field(field_name)]))

    return forwards, backwards
