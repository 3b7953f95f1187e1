"""Indexes for the cockpit's reads of the stored progress (chainwatch.web.cockpit)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('targets', '0006_observation_status_unindexed'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='target',
            index=models.Index(fields=['region', 'review', 'updated_at'], name='target_region_review_updated'),
        ),
        migrations.AddIndex(
            model_name='targetstatus',
            index=models.Index(models.F('light'), models.Func(models.F('pace_gap'), output_field=models.FloatField(), template='COALESCE(%(expressions)s, 0.0)'), name='targetstatus_lagging_order'),
        ),
        migrations.AddIndex(
            model_name='targetstatus',
            index=models.Index(fields=['status'], name='targetstatus_status'),
        ),
        migrations.AddIndex(
            model_name='targetstatus',
            index=models.Index(fields=['computed_at'], name='targetstatus_computed_at'),
        ),
    ]
