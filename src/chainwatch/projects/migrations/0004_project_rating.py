"""Tier and colour move from the project row to ProjectRating (see its docstring); the ratings
already computed are carried over."""

import django.db.models.deletion
from django.db import migrations, models


FIELDS = ("tier", "tier_rule", "colour", "colour_rule", "dispatch_level", "rated_on")


def carry_ratings_over(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    ProjectRating = apps.get_model("projects", "ProjectRating")
    rated = Project.objects.exclude(tier="", colour="", rated_on__isnull=True).values_list("pk", *FIELDS)
    ProjectRating.objects.bulk_create(
        (ProjectRating(project_id=pk, **dict(zip(FIELDS, values, strict=True))) for pk, *values in rated.iterator()),
        batch_size=1000,
    )


def carry_ratings_back(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    for rating in apps.get_model("projects", "ProjectRating").objects.iterator():
        Project.objects.filter(pk=rating.project_id).update(**{name: getattr(rating, name) for name in FIELDS})


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0003_project_colour_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='ProjectRating',
            fields=[
                ('project', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='rating', serialize=False, to='projects.project', verbose_name='项目')),
                ('tier', models.CharField(blank=True, max_length=16, verbose_name='调度层级')),
                ('tier_rule', models.CharField(blank=True, max_length=80, verbose_name='分级依据规则')),
                ('colour', models.CharField(blank=True, db_index=True, max_length=8, verbose_name='预警颜色')),
                ('colour_rule', models.CharField(blank=True, max_length=80, verbose_name='预警依据规则')),
                ('dispatch_level', models.CharField(blank=True, max_length=16, verbose_name='预警调度层级')),
                ('rated_on', models.DateField(blank=True, null=True, verbose_name='评价日期')),
                ('computed_at', models.DateTimeField(blank=True, null=True, verbose_name='计算时间')),
            ],
            options={
                'verbose_name': '项目分级与预警',
                'verbose_name_plural': '项目分级与预警',
            },
        ),
        migrations.RunPython(carry_ratings_over, carry_ratings_back),
        migrations.RemoveIndex(
            model_name='project',
            name='project_colour_code',
        ),
        migrations.RemoveField(
            model_name='project',
            name='colour',
        ),
        migrations.RemoveField(
            model_name='project',
            name='colour_rule',
        ),
        migrations.RemoveField(
            model_name='project',
            name='dispatch_level',
        ),
        migrations.RemoveField(
            model_name='project',
            name='rated_on',
        ),
        migrations.RemoveField(
            model_name='project',
            name='tier',
        ),
        migrations.RemoveField(
            model_name='project',
            name='tier_rule',
        ),
    ]
