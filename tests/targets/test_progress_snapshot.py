"""Stored progress (进度快照, TargetStatus): the same figures as evaluate_targets, refreshed
incrementally by the observation import, read by the cockpit with aggregate queries."""

from __future__ import annotations

import datetime
import io
import re
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.world import build_world
from chainwatch.targets.imports import import_observations
from chainwatch.targets.models import Indicator, Observation, Target, TargetStatus, series_key
from chainwatch.targets.services import evaluate_targets
from chainwatch.targets.snapshot import refresh_progress, refresh_progress_for_series
from factories import TargetFactory, region

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2025, 6, 30)
FIELDS = ("status", "light", "latest_value", "share_achieved", "share_elapsed", "pace_gap", "ratio", "projected_value")


def live_targets():
    return Target.objects.exclude(review=Target.Review.REJECTED)


def test_refresh_stores_what_evaluate_targets_computes_for_every_pack_target():
    total = live_targets().count()
    assert total >= 220
    assert refresh_progress(as_of=AS_OF) == total
    stored = {row.target_id: row for row in TargetStatus.objects.all()}
    assert len(stored) == total
    results = evaluate_targets(live_targets().order_by("pk"), as_of=AS_OF)
    assert len(results) == total
    for item in results:
        row = stored[item.target.pk]
        assert row.as_of == AS_OF
        for name in FIELDS:
            assert getattr(row, name) == getattr(item.progress, name), (item.target.key, name)
        assert row.latest_period == (item.latest_period or "")
        assert row.unit == item.unit
    # Every light occurs in the pack; the counts are those of the live path.
    assert Counter(r.light for r in stored.values()) == Counter(item.light for item in results)
    # A second refresh updates in place (one row per target), with a later computed_at.
    first = TargetStatus.objects.order_by("pk").first()
    assert refresh_progress(as_of=AS_OF) == total
    assert TargetStatus.objects.count() == total
    assert TargetStatus.objects.get(pk=first.pk).computed_at >= first.computed_at


def test_refresh_of_a_subset_and_rejected_targets_are_left_out():
    target = Target.objects.get(key="im-li-output-2025")
    assert refresh_progress(Target.objects.filter(pk=target.pk), as_of=AS_OF) == 1
    assert list(TargetStatus.objects.values_list("target_id", flat=True)) == [target.pk]
    rejected = TargetFactory(review=Target.Review.REJECTED)
    refresh_progress(as_of=AS_OF)
    assert not TargetStatus.objects.filter(target=rejected).exists()


def test_import_refreshes_the_targets_of_the_imported_series_only(tmp_path):
    today = datetime.date.today()
    li = Target.objects.get(key="im-li-output-2025")
    other = (
        live_targets().exclude(indicator__code="OUTPUT").filter(count_threshold__isnull=True, restates__isnull=True)
        .order_by("pk").first()
    )
    refresh_progress()
    before_li = TargetStatus.objects.get(target=li)
    before_other = TargetStatus.objects.get(target=other)
    assert before_li.as_of == today
    assert before_li.latest_value == pytest.approx(165)  # the pack's 2023 figure
    path = tmp_path / "obs.csv"
    path.write_text(
        "indicator_code,region_code,sector_code,period,value,unit,source\nOUTPUT,150000,,2024,330,亿元,测试\n",
        encoding="utf-8",
    )
    report = import_observations(path, actor=None)
    assert report.committed and not report.warnings, report.lines()
    assert report.refreshed >= 1 and any("progress refreshed" in line for line in report.lines())
    after_li = TargetStatus.objects.get(target=li)
    assert after_li.latest_value == pytest.approx(330) and after_li.latest_period == "2024"
    assert after_li.computed_at > before_li.computed_at
    assert TargetStatus.objects.get(target=other).computed_at == before_li.computed_at == before_other.computed_at
    # A dry run and an unchanged re-import refresh nothing.
    import_observations(path, actor=None, dry_run=True)
    import_observations(path, actor=None)
    assert TargetStatus.objects.get(target=li).computed_at == after_li.computed_at


def test_series_refresh_covers_restatements_and_count_targets():
    li = Target.objects.get(key="im-li-output-2025")
    restating = TargetFactory(
        indicator=li.indicator, region=region("150000"), value=700, unit="亿元", year=2025, restates=li,
    )
    output = Indicator.objects.get(code="OUTPUT")
    count_targets = set(live_targets().filter(count_threshold__isnull=False).values_list("pk", flat=True))
    assert count_targets  # the pack has count ladders (e.g. xl-cluster-count-200-2025)
    refreshed = refresh_progress_for_series({series_key(output.pk, li.region_id, None, None)}, as_of=AS_OF)
    stored = set(TargetStatus.objects.values_list("target_id", flat=True))
    assert {li.pk, restating.pk} | count_targets <= stored
    assert refreshed == len(stored)
    assert TargetStatus.objects.get(target=restating).light == TargetStatus.objects.get(target=li).light
    # Series of another indicator touch no count target; unknown keys are ignored.
    TargetStatus.objects.all().delete()
    milk = Indicator.objects.get(code="XL.MILK_OUTPUT")
    refresh_progress_for_series({series_key(milk.pk, region("152500").pk, None, None), "nonsense"}, as_of=AS_OF)
    assert not TargetStatus.objects.filter(target_id__in=count_targets).exists()
    assert refresh_progress_for_series(set()) == 0


def test_cli(capsys):
    out = io.StringIO()
    call_command("refresh_progress", "--as-of", "2025-06-30", stdout=out)
    total = live_targets().count()
    assert f"refreshed {total} targets" in out.getvalue()
    assert set(TargetStatus.objects.values_list("as_of", flat=True)) == {AS_OF}
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("refresh_progress", "--as-of", "2025-13-01")


# --- the cockpit -----------------------------------------------------------------------------


@pytest.fixture
def league(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world()
    client = Client()
    client.force_login(world.users["league"])
    return world, client


def shown_lights(text: str) -> dict[str, int]:
    return {light: int(re.search(rf'data-light="{light}">(\d+)<', text).group(1)) for light in ("red", "yellow", "green", "grey")}


def lagging_rows(text: str) -> list[str]:
    section = text.split('id="lagging"')[1].split("</section>")[0]
    return re.findall(r'href="(/cockpit/targets/\d+/)"', section)


# Stored rows are written by the refresh only, which stamps ``computed_at`` — part of the cockpit's
# cache key; the tests below that change rows behind the engine's back stamp it the same way.


def get(client, url="/cockpit/152500/"):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(queries)


def test_cockpit_reads_a_fresh_snapshot_with_the_same_figures(league, django_assert_max_num_queries):
    world, client = league
    live, live_queries = get(client)
    assert live.context["cockpit"].computed_at is None
    refresh_progress()
    fresh, snapshot_queries = get(client)
    cockpit = fresh.context["cockpit"]
    assert cockpit.computed_at is not None
    text, live_text = fresh.content.decode(), live.content.decode()
    assert shown_lights(text) == shown_lights(live_text) and sum(shown_lights(text).values()) > 100
    assert [(c.region.code, dict(c.lights)) for c in cockpit.children] == [
        (c.region.code, dict(c.lights)) for c in live.context["cockpit"].children
    ]
    assert lagging_rows(text) == lagging_rows(live_text)
    assert len(cockpit.stale_targets) == len(live.context["cockpit"].stale_targets)
    with django_assert_max_num_queries(snapshot_queries):
        client.get("/cockpit/152500/")
    with django_assert_max_num_queries(30):
        client.get("/cockpit/")

    # More targets (and series) in scope: the snapshot path asks the same number of queries.
    for year in range(2030, 2060):
        TargetFactory(region=world.xl, year=year, value=year, unit="万吨")
    refresh_progress()
    _, grown = get(client)
    assert grown == snapshot_queries

    # The page shows the stored rows: change them behind the engine's back and the page follows.
    TargetStatus.objects.update(light="red", computed_at=timezone.now())
    total = sum(shown_lights(get(client)[0].content.decode()).values())
    assert shown_lights(get(client)[0].content.decode())["red"] == total


def test_cockpit_falls_back_to_live_evaluation(league):
    world, client = league
    refresh_progress()
    TargetStatus.objects.update(light="red", computed_at=timezone.now())  # a stored figure the live path would not show
    assert get(client)[0].context["cockpit"].computed_at is not None
    # Another day asked for: live.
    from chainwatch.web import cockpit as cockpit_data

    data = cockpit_data.build(world.users["league"], world.xl, as_of=datetime.date(2025, 6, 30))
    assert data.computed_at is None
    # A target edited after the snapshot: live for every scope that contains it.
    target = Target.objects.filter(region__path__startswith=world.xl.path).exclude(review="rejected").first()
    target.note = "修改"
    target.save()
    response, _ = get(client)
    assert response.context["cockpit"].computed_at is None
    assert shown_lights(response.content.decode())["red"] < sum(shown_lights(response.content.decode()).values())
    # A snapshot of another day: live; a target without a row: live.
    refresh_progress()
    assert get(client)[0].context["cockpit"].computed_at is not None
    TargetStatus.objects.filter(target=target).update(as_of=datetime.date(2025, 1, 1), computed_at=timezone.now())
    assert get(client)[0].context["cockpit"].computed_at is None
    TargetStatus.objects.filter(target=target).delete()
    assert get(client)[0].context["cockpit"].computed_at is None


def test_import_without_refresh_leaves_the_snapshot_for_refresh_progress(tmp_path):
    li = Target.objects.get(key="im-li-output-2025")
    refresh_progress()
    before = TargetStatus.objects.get(target=li)
    path = tmp_path / "obs.csv"
    path.write_text(
        "indicator_code,region_code,sector_code,period,value,unit,source\nOUTPUT,150000,,2024,330,亿元,测试\n",
        encoding="utf-8",
    )
    report = import_observations(path, actor=None, refresh=False)
    assert report.committed and report.refreshed is None
    assert TargetStatus.objects.get(target=li).latest_value == pytest.approx(before.latest_value)
    refresh_progress()
    assert TargetStatus.objects.get(target=li).latest_value == pytest.approx(330)


# ---------------------------------------------------------------------------------------------
# Extending stored rows with appended observations


def _series_world():
    """A stock indicator with two targets (2025, 2027) and five annual figures (2019–2023)."""
    from factories import IndicatorFactory, ObservationFactory

    indicator = IndicatorFactory(kind=Indicator.Kind.STOCK, unit="万吨", cycle="annual")
    targets = [
        TargetFactory(indicator=indicator, year=year, value=value, unit="万吨") for year, value in ((2025, 40), (2027, 60))
    ]
    for i, year in enumerate(range(2019, 2024)):
        ObservationFactory(
            indicator=indicator, period=str(year), period_start=datetime.date(year, 1, 1),
            period_end=datetime.date(year, 12, 31), value=10 + 5 * i, unit="万吨",
        )
    series = series_key(indicator.pk, targets[0].region_id, None, None)
    # Reported yesterday: rows written within IN_FLIGHT_MARGIN before a refresh count as changes.
    Observation.objects.filter(series=series).update(updated_at=timezone.now() - datetime.timedelta(days=1))
    return indicator, targets, series


def _import(tmp_path, indicator, rows):
    path = tmp_path / "obs.csv"
    path.write_text(
        "indicator_code,region_code,sector_code,period,value,unit,source\n"
        + "".join(f"{indicator.code},150000,,{period},{value},{unit},测试\n" for period, value, unit in rows),
        encoding="utf-8",
    )
    report = import_observations(path, actor=None, refresh=False)
    assert report.committed, report.lines()


def _assert_stored_equals_live(targets):
    live = {item.target.pk: item for item in evaluate_targets(Target.objects.filter(pk__in=[t.pk for t in targets]), as_of=AS_OF)}
    for target in targets:
        row = TargetStatus.objects.get(target=target)
        for name in FIELDS:
            expected = getattr(live[target.pk].progress, name)
            assert getattr(row, name) == (pytest.approx(expected, rel=1e-9) if isinstance(expected, float) else expected), name
        assert row.latest_period == live[target.pk].latest_period
        assert row.reason == " ".join(live[target.pk].progress.reason.split())


def test_appended_figures_extend_the_stored_rows_without_reading_the_series(tmp_path):
    indicator, targets, series = _series_world()
    assert refresh_progress(Target.objects.filter(pk__in=[t.pk for t in targets]), as_of=AS_OF) == 2
    assert all(TargetStatus.objects.get(target=t).facts for t in targets)
    _import(tmp_path, indicator, [("2024", 36, "万吨")])
    counts = Counter()
    with CaptureQueriesContext(connection) as queries:
        assert refresh_progress_for_series({series}, as_of=AS_OF, counts=counts) == 2
    assert counts == {"extended": 2, "evaluated": 0}
    # Neither the series' history nor the targets' rows were read: the observations changed since
    # (by updated_at) and the stored rows.
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert '"targets_observation"."series" IN' not in read and '"targets_target"."span"' not in read
    assert '"targets_observation"."updated_at" >' in read
    row = TargetStatus.objects.get(target=targets[0])
    assert row.latest_value == pytest.approx(36) and row.latest_period == "2024"
    _assert_stored_equals_live(targets)
    # Extended again with the next year (a 万吨 figure given in 吨 is converted).
    _import(tmp_path, indicator, [("2025", 420000, "吨")])
    counts.clear()
    refresh_progress_for_series({series}, as_of=datetime.date(2026, 1, 31), counts=counts)
    assert counts == {"extended": 0, "evaluated": 2}  # another day's rows are evaluated afresh
    counts.clear()
    _import(tmp_path, indicator, [("2025", 430000, "吨")])
    refresh_progress_for_series({series}, as_of=datetime.date(2026, 1, 31), counts=counts)
    assert counts == {"extended": 0, "evaluated": 2}  # a corrected figure: afresh


@pytest.mark.parametrize("change", ["corrected", "withdrawn", "target edited", "facts forgotten"])
def test_what_is_not_an_append_is_evaluated_afresh(tmp_path, change):
    from chainwatch.targets.snapshot import forget_facts

    indicator, targets, series = _series_world()
    refresh_progress(Target.objects.filter(pk__in=[t.pk for t in targets]), as_of=AS_OF)
    if change == "corrected":
        _import(tmp_path, indicator, [("2022", 99, "万吨")])
    elif change == "withdrawn":
        Observation.objects.filter(series=series, period="2023").update(status="returned", updated_at=timezone.now())
    elif change == "target edited":
        targets[1].value = 70
        targets[1].save()
    else:
        forget_facts({series})
        assert not TargetStatus.objects.filter(target__in=targets, facts__isnull=False).exists()
    counts = Counter()
    refresh_progress_for_series({series}, as_of=AS_OF, counts=counts)
    assert counts == {"extended": 0, "evaluated": 2}
    _assert_stored_equals_live(targets)
    if change == "withdrawn":
        assert TargetStatus.objects.get(target=targets[0]).latest_period == "2022"


def test_stored_facts_keep_every_field_but_the_points_outside_a_plan_year():
    import numpy as np

    from chainwatch.targets import progress as engine
    from chainwatch.targets.snapshot import _decode_facts, _encode_facts

    spec = engine.TargetSpec(id="t", comparator=">=", value=100, year=2027, start_year=2021)
    ends = np.array(["2019-12-31", "2020-12-31", "2020-12-31", "2022-12-31", "2023-12-31", "2028-12-31"], dtype="datetime64[D]")
    values = np.array([10.0, 11.0, 12.0, -1.0, 14.0, 15.0])  # a conflict, a non-positive value, a future point
    facts = engine.collect_facts([spec], np.zeros(len(ends), dtype=np.int64), engine.decimal_years(ends), values,
                                 engine.decimal_year(AS_OF))[0]
    assert facts.conflict_times and facts.n_future == 1 and facts.n_nonpositive == 1 and facts.fit_resid_sd is None
    facts.n_outside_year = 4
    decoded = _decode_facts(_encode_facts(facts))
    assert decoded.n_outside_year == 0
    decoded.n_outside_year = 4
    assert decoded == facts
