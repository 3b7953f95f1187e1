"""Drop the two single-column indexes of AuditEntry that no query uses: ``content_type`` is the
first column of the (content_type, object_id) index, and ``object_id`` is only ever looked up
with its content type. Every audited write maintained them (50,000 rating changes write 50,000
entries). Dropped without rebuilding the table (see chainwatch.core.indexes)."""

import django.db.models.deletion
from django.db import migrations, models

from chainwatch.core.indexes import drop_index_operation


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(*drop_index_operation("core", "AuditEntry", "content_type")),
                migrations.RunPython(*drop_index_operation("core", "AuditEntry", "object_id")),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="auditentry",
                    name="content_type",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        to="contenttypes.contenttype", verbose_name="对象类型",
                    ),
                ),
                migrations.AlterField(
                    model_name="auditentry",
                    name="object_id",
                    field=models.CharField(max_length=64, verbose_name="对象ID"),
                ),
            ],
        ),
    ]
