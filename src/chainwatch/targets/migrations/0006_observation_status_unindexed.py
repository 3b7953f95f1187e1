"""Drop the single-column index on Observation.status (see the model's comment).

A plain AlterField would make SQLite copy the whole observation table (about two minutes for five
million rows); dropping the index itself is instant on both backends.
"""

from django.db import migrations, models

from chainwatch.core.indexes import drop_index_operation

drop_status_index, create_status_index = drop_index_operation("targets", "Observation", "status")


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
