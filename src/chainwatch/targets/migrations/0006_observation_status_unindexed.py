"""Drop the single-column index on Observation.status (see the model's comment).

A plain AlterField would make SQLite copy the whole observation table (about two minutes for five
million rows); dropping the index itself is instant on both backends.
"""

from django.db import migrations, models

TABLE = "targets_observation"


def _status_indexes(schema_editor) -> list[str]:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return [
        name for name, info in constraints.items()
        if info["index"] and not info["unique"] and not info["primary_key"] and info["columns"] == ["status"]
    ]


def drop_status_index(apps, schema_editor):
    for name in _status_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_status_index(apps, schema_editor):
    model = apps.get_model("targets", "Observation")
    schema_editor.execute(schema_editor._create_index_sql(model, fields=[model._meta.get_field("status")]))


class Migration(migrations.Migration):

    dependencies = [
        ("targets", "0005_count_members"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_status_index, create_status_index)],
            state_operations=[
                migrations.AlterField(
                    model_name="observation",
                    name="status",
                    field=models.CharField(
                        choices=[("draft", "草稿"), ("submitted", "已提交"), ("returned", "已退回"), ("approved", "已审核")],
                        default="draft", max_length=10, verbose_name="状态",
                    ),
                ),
            ],
        ),
    ]
