from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('targets', '0007_cockpit_snapshot_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='targetstatus',
            name='facts_key',
            field=models.CharField(blank=True, max_length=200, verbose_name='计算依据键'),
        ),
        migrations.AddField(
            model_name='targetstatus',
            name='spec',
            field=models.TextField(blank=True, verbose_name='目标规格'),
        ),
        migrations.AddField(
            model_name='targetstatus',
            name='facts',
            field=models.BinaryField(blank=True, null=True, verbose_name='计算依据'),
        ),
        migrations.AddIndex(
            model_name='observation',
            index=models.Index(fields=['updated_at'], name='observation_updated_at'),
        ),
    ]
