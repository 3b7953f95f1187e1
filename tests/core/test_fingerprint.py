"""Table fingerprints (core.fingerprint): the latest stamp moves with every write, a trigger
counts deletions (the cockpit's cache following both: tests/web/test_cockpit.py)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from chainwatch.core.fingerprint import table_states
from chainwatch.targets.models import Indicator
from chainwatch.web import cockpit as cockpit_data

pytestmark = pytest.mark.django_db


def triggers_on(table: str) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table])
        return [name for (name,) in cursor.fetchall()]


@pytest.mark.parametrize("model", [model for model, _ in cockpit_data.WATCHED], ids=lambda m: m._meta.db_table)
def test_every_table_the_cockpit_watches_counts_its_deletions(model):
    assert f"core_deletions_{model._meta.db_table}" in triggers_on(model._meta.db_table)


def test_a_write_or_a_deletion_changes_the_state_and_a_read_does_not():
    watched = ((Indicator, "updated_at"),)
    start = table_states(watched)
    assert len(Indicator.objects.all()) > 0 and table_states(watched) == start
    indicator = Indicator.objects.create(code="FP.TEST", name_zh="指纹测试", unit="万吨")
    created = table_states(watched)
    assert created != start
    indicator.name_zh = "指纹测试（改）"
    indicator.save()
    saved = table_states(watched)
    assert saved != created
    # A deletion leaves the latest stamp where it was (an older row goes): the trigger's count moves.
    older = Indicator.objects.create(code="FP.OLD", name_zh="旧指标", unit="万吨")
    Indicator.objects.filter(pk=older.pk).update(updated_at=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
    saved = table_states(watched)
    Indicator.objects.filter(pk=older.pk).delete()
    deleted = table_states(watched)
    assert deleted[0][1] == saved[0][1] and deleted[0][2] > saved[0][2]
