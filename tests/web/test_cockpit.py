"""Pages of the web app for every role: the cockpit, the target page and the history view."""

import pytest
from django.test import Client
from django.utils import timezone

from accounts.world import ROLES
from chainwatch.projects.models import Project

pytestmark = pytest.mark.django_db

TARGET_VISIBLE = {
    "admin": {"county_target", "neighbour_target", "xl_target", "gz_target"},
    "province": {"county_target", "neighbour_target", "xl_target"},
    "league": {"county_target", "neighbour_target", "xl_target"},
    "county": {"county_target"},
    "neighbour": {"neighbour_target"},
    "leader": {"county_target", "neighbour_target", "xl_target"},
    "department": {"county_target", "xl_target"},
    "enterprise_a": set(),
    "enterprise_b": set(),
    "guizhou": {"gz_target"},
    "norole": set(),
}
XL_COCKPIT = {"admin", "province", "league", "leader", "department"}


def client_for(world, role):
    client = Client()
    client.force_login(world.users[role])
    return client


@pytest.mark.parametrize("url", ["/cockpit/", "/cockpit/152500/", "/cockpit/targets/1/", "/history/targets/target/1/"])
def test_pages_need_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ROLES)
def test_cockpit_home_per_role(world, role):
    response = client_for(world, role).get("/cockpit/")
    assert response.status_code == (404 if role == "norole" else 200)


@pytest.mark.parametrize("role", ROLES)
def test_cockpit_of_xilingol_per_role(world, role):
    response = client_for(world, role).get("/cockpit/152500/")
    assert response.status_code == (200 if role in XL_COCKPIT else 404)


@pytest.mark.parametrize("role", ROLES)
def test_target_page_and_history_per_role(world, role):
    client = client_for(world, role)
    for name in ("county_target", "neighbour_target", "xl_target", "gz_target"):
        pk = getattr(world, name).pk
        expected = 200 if name in TARGET_VISIBLE[role] else 404
        assert client.get(f"/cockpit/targets/{pk}/").status_code == expected, (role, name)
        assert client.get(f"/history/targets/target/{pk}/").status_code == expected, (role, name)


def test_league_cockpit_shows_the_league_only(world):
    text = client_for(world, "league").get("/cockpit/").content.decode()
    assert "锡林郭勒盟" in text and "锡林浩特红色测试项目" in text
    assert "贵州红色测试项目" not in text and "贵州" not in text
    # Drill-down: the counties with targets are rows linking to their own cockpit.
    assert 'href="/cockpit/152502/"' in text and 'href="/cockpit/152501/"' in text


def test_county_cockpit_does_not_show_the_neighbour(world):
    text = client_for(world, "county").get("/cockpit/").content.decode()
    assert "锡林浩特市" in text and "二连浩特" not in text


def test_cockpit_counts_match_the_progress_service(world):
    """The light counts on the page are those of evaluate_targets over the same scoped targets."""
    import datetime
    import re
    from collections import Counter

    from chainwatch.core.scoping import scope
    from chainwatch.targets.models import Target
    from chainwatch.targets.services import evaluate_targets

    user = world.users["league"]
    targets = scope(Target.objects.exclude(review="rejected"), user).filter(region__path__startswith=world.xl.path)
    expected = Counter(item.light for item in evaluate_targets(targets, as_of=datetime.date.today()))
    text = client_for(world, "league").get("/cockpit/152500/").content.decode()
    for light in ("red", "yellow", "green", "grey"):
        shown = int(re.search(rf'data-light="{light}">(\d+)<', text).group(1))
        assert shown == expected.get(light, 0)
    assert sum(expected.values()) == targets.count() > 100


def test_cluster_filter(world):
    client = client_for(world, "league")
    response = client.get("/cockpit/152500/", {"cluster": "NO.SUCH"})
    assert response.status_code == 404
    from chainwatch.chains.models import Sector

    cluster = Sector.objects.filter(kind="cluster", region=world.xl).order_by("code").first()
    response = client.get("/cockpit/152500/", {"cluster": cluster.code})
    assert response.status_code == 200 and cluster.name_zh in response.content.decode()
    partial = client.get("/cockpit/152500/", {"cluster": cluster.code}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"cockpit-head" in partial.content


def test_target_page_shows_chart_data_clause_and_history(world):
    import json

    from chainwatch.targets.models import Observation

    target = world.xl_target
    client = client_for(world, "league")
    text = client.get(f"/cockpit/targets/{target.pk}/").content.decode()
    data = json.loads(text.split('<script id="target-data" type="application/json">')[1].split("</script>")[0])
    assert data["target"]["value"] == float(target.value)
    assert data["unit"] == target.unit
    # The clause with the span highlighted, from the document text itself.
    assert f"<mark>{target.span}</mark>" in text or f"<mark>{target.document.text[target.span_start:target.span_end]}</mark>" in text
    assert target.clause.path in text and 'id="target-chart"' in text
    # Approved observations of the series are the chart's actuals; drafts are not.
    Observation.objects.create(
        indicator=target.indicator, region=target.region, sector=target.sector, chain_node=target.chain_node,
        period="2024", period_type="year", period_start="2024-01-01", period_end="2024-12-31", value=7,
        unit=target.unit, status="approved",
    )
    text = client.get(f"/cockpit/targets/{target.pk}/").content.decode()
    data = json.loads(text.split('<script id="target-data" type="application/json">')[1].split("</script>")[0])
    assert ["2024-01-01", 7.0, "2024"] in data["actuals"]  # an annual figure sits on its year's tick
    assert data["target"]["date"] == f"{target.year}-01-01"


def test_history_lists_audit_entries_and_exports(world):
    from chainwatch.core import audit

    target = world.county_target
    audit.record(world.users["county"], "update", target, before={"value": "40"}, after={"value": "50"}, note="<b>调整</b>")
    client = client_for(world, "county")
    text = client.get(f"/history/targets/target/{target.pk}/").content.decode()
    assert "t-county" in text and "&lt;b&gt;调整&lt;/b&gt;" in text and "<b>调整</b>" not in text
    partial = client.get(f"/history/targets/target/{target.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'id="history"' in partial
    csv_text = client.get(f"/history/targets/target/{target.pk}/?format=csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "id,at,actor,action,model,object_id,object_repr,before,after,note"
    assert "t-county,update,targets.target" in csv_text
    jsonl = client.get(f"/history/targets/target/{target.pk}/?format=jsonl").content.decode()
    assert '"after": {"value": "50"}' in jsonl


@pytest.mark.parametrize("path", ["auth/user/1", "accounts/profile/1", "core/auditentry/1", "nope/nope/1", "sessions/session/1"])
def test_history_of_private_or_unknown_models_is_404_for_non_admins(world, path):
    assert client_for(world, "league").get(f"/history/{path}/").status_code == 404


def test_user_history_is_visible_to_admins(world):
    user = world.users["county"]
    text = client_for(world, "admin").get(f"/history/auth/user/{user.pk}/").content.decode()
    assert "创建用户" in text and "pbkdf2" not in text and "md5$" not in text


# --- the stored progress (进度快照) on the national and the cluster cockpit ---------------------


def _lagging_world(world):
    """Series with recent approved data in four regions and targets from easy to out of reach on
    each, so the cockpit has red, yellow and green targets (not only grey ones) to list."""
    from factories import ObservationFactory, TargetFactory

    for n, where in enumerate((world.county, world.neighbour, world.xl, world.im, world.gz)):
        for year in (2016, 2017, 2018, 2019, 2020, 2024, 2025):
            ObservationFactory(indicator=world.output, region=where, period=str(year),
                               period_start=f"{year}-01-01", period_end=f"{year}-12-31",
                               value=100 + 10 * (year - 2019) + n, unit="亿元", status="approved")
        for k, value in enumerate((120, 170, 190, 230, 400, 900)):
            TargetFactory(indicator=world.output, region=where, year=2027 + k % 3, value=value + n, unit="亿元",
                          owner=world.dept if k % 2 else None)


def _figures(cockpit):
    """What a cockpit shows, comparable between the stored and the live path."""
    return {
        "lights": dict(cockpit.lights),
        "children": [(c.region.code, c.own, dict(c.lights)) for c in cockpit.children],
        "lagging": [(item.target.pk, item.light) for item in cockpit.lagging],
        "stale": [item.target.pk for item in cockpit.stale_targets],
        "chart": cockpit.chart(),
    }


@pytest.mark.parametrize(("role", "code", "cluster"), [
    ("admin", None, False),
    ("admin", "150000", False),
    ("province", None, False),
    ("department", None, False),
    ("league", "152500", True),
])
def test_stored_progress_shows_what_live_evaluation_shows(world, role, code, cluster):
    import datetime

    from chainwatch.chains.models import Sector
    from chainwatch.targets.models import TargetStatus
    from chainwatch.targets.snapshot import refresh_progress
    from chainwatch.web import cockpit as cockpit_data

    _lagging_world(world)
    user = world.users[role]
    region = cockpit_data.cockpit_region(user, code)
    cluster_code = None
    if cluster:
        cluster_code = Sector.objects.filter(kind="cluster", region=world.xl).order_by("code").values_list(
            "code", flat=True).first()
    live = cockpit_data.build(user, region, cluster_code=cluster_code)
    assert live.computed_at is None and live.target_count > 0
    refresh_progress()
    stored = cockpit_data.build(user, region, cluster_code=cluster_code)
    assert stored.computed_at is not None
    assert _figures(stored) == _figures(live)
    # The oldest row of the scope is the time shown.
    oldest = TargetStatus.objects.order_by("computed_at").values_list("computed_at", flat=True).first()
    assert stored.computed_at == oldest
    # Another day asked for: live again.
    assert cockpit_data.build(user, region, as_of=datetime.date(2025, 6, 30)).computed_at is None


def test_stored_progress_with_a_light_the_cockpit_does_not_know_is_not_used(world):
    from chainwatch.targets.models import TargetStatus
    from chainwatch.targets.snapshot import refresh_progress
    from chainwatch.web import cockpit as cockpit_data

    refresh_progress()
    user = world.users["admin"]
    assert cockpit_data.build(user, None).computed_at is not None
    # Rows are written by the refresh only, which stamps computed_at (the cockpit's cache key).
    TargetStatus.objects.filter(pk=TargetStatus.objects.order_by("pk").values("pk")[:1]).update(
        light="blue", computed_at=timezone.now()
    )
    cockpit = cockpit_data.build(user, None)
    assert cockpit.computed_at is None and set(cockpit.lights) <= {"red", "yellow", "green", "grey"}


def test_cached_snapshot_counts_are_reused_until_a_target_or_the_snapshot_changes(world):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chainwatch.targets.models import Target
    from chainwatch.targets.snapshot import refresh_progress
    from chainwatch.web import cockpit as cockpit_data

    _lagging_world(world)
    refresh_progress()
    user = world.users["admin"]
    first = cockpit_data.build(user, None)
    with CaptureQueriesContext(connection) as queries:
        again = cockpit_data.build(user, None)
    assert _figures(again) == _figures(first)
    assert not any("GROUP BY" in q["sql"] for q in queries.captured_queries)  # the grouped join was cached

    # An edited target (here: rejected) changes the fingerprint; the counts follow at once.
    red = Target.objects.filter(snapshot__light="red").order_by("pk").first()
    red.review = Target.Review.REJECTED
    red.save()
    edited = cockpit_data.build(user, None)
    assert edited.target_count == first.target_count - 1
    assert edited.lights["red"] == first.lights["red"] - 1
    # A refresh changes it too; what the cache gives equals a fresh computation.
    refresh_progress()
    refreshed = cockpit_data.build(user, None)
    cache.clear()
    assert _figures(cockpit_data.build(user, None)) == _figures(refreshed)


def test_lagging_order_is_the_expression_of_its_index(world):
    """The lagging list orders by ``COALESCE(pace_gap, 0.0)`` written into the SQL, the very
    expression of the (light, gap) index: bound as a parameter, SQLite would not match the index
    and would sort every red and yellow row on each cockpit view."""
    from django.db import connection

    from chainwatch.targets.models import Target, TargetStatus
    from chainwatch.web import cockpit as cockpit_data

    index = next(i for i in TargetStatus._meta.indexes if i.name == "targetstatus_lagging_order")
    index_sql = str(index.create_sql(TargetStatus, connection.schema_editor()))
    assert 'COALESCE("pace_gap", 0.0)' in index_sql
    queryset = Target.objects.filter(snapshot__light__in=("red", "yellow")).order_by(
        "snapshot__light", cockpit_data.lagging_gap("snapshot__pace_gap"), "pk")
    sql, params = queryset.query.sql_with_params()
    assert 'COALESCE("targets_targetstatus"."pace_gap", 0.0)' in sql and 0.0 not in params


@pytest.mark.parametrize("shown", [1, 3, 7])
def test_stored_lagging_list_cut_at_the_shown_row_keeps_ties_in_order(world, monkeypatch, shown):
    """The stored lagging list first finds the (light, gap) of the last row shown, then orders
    only the rows up to it; rows tied with it must still come in region, indicator, year order."""
    from chainwatch.targets.snapshot import refresh_progress
    from chainwatch.web import cockpit as cockpit_data
    from factories import TargetFactory

    _lagging_world(world)
    # Exact twins of lagging targets in other regions' series would differ in gap; twins in the
    # same series tie exactly.
    for where in (world.county, world.xl):
        for value in (400, 900):
            TargetFactory(indicator=world.output, region=where, year=2028, value=value, unit="亿元")
    monkeypatch.setattr(cockpit_data, "LAGGING_SHOWN", shown)
    user = world.users["admin"]
    live = cockpit_data.build(user, None)
    refresh_progress()
    stored = cockpit_data.build(user, None)
    assert stored.computed_at is not None
    assert len(live.lagging) == shown
    assert _figures(stored)["lagging"] == _figures(live)["lagging"]


def test_red_projects_are_the_red_ones_of_the_subtree(world):
    """The red-project list reads the stored ratings (ProjectRating) of the region's subtree."""
    from chainwatch.web import cockpit as cockpit_data
    from factories import ProjectFactory

    ProjectFactory(region=world.county, colour="yellow", name="黄色项目")
    ProjectFactory(region=world.county, name="未评级项目")
    admin = world.users["admin"]
    national = cockpit_data.build(admin, None)
    assert [p.pk for p in national.red_projects] == sorted(
        [world.project_a.pk, world.project_gz.pk], key=lambda pk: Project.objects.get(pk=pk).code)
    assert national.red_project_count == 2
    league = cockpit_data.build(admin, cockpit_data.cockpit_region(admin, "152500"))
    assert [p.pk for p in league.red_projects] == [world.project_a.pk] and league.red_project_count == 1
    neighbour = cockpit_data.build(admin, world.neighbour)
    assert neighbour.red_projects == [] and neighbour.red_project_count == 0


def test_a_cached_cockpit_follows_ratings_and_deletions(world, django_assert_max_num_queries):
    from django.utils import timezone

    from chainwatch.projects.models import ProjectRating
    from chainwatch.targets.snapshot import refresh_progress
    from chainwatch.web import cockpit as cockpit_data
    from factories import ProjectFactory

    refresh_progress()
    admin = world.users["admin"]
    first = cockpit_data.build(admin, None)
    assert first.computed_at is not None and first.red_project_count == 2
    with django_assert_max_num_queries(2):  # the cache key's two queries
        again = cockpit_data.build(admin, None)
    assert again.red_project_count == 2
    # A project rated red (ratings are written with their computed_at) shows at once …
    extra = ProjectFactory(region=world.county, name="新红色项目")
    ProjectRating.objects.create(project=extra, colour="red", computed_at=timezone.now())
    assert cockpit_data.build(admin, None).red_project_count == 3
    # … and so does a deleted one, which moves no stamp.
    world.project_a.delete()
    after = cockpit_data.build(admin, None)
    assert after.red_project_count == 2 and world.project_a.pk not in [p.pk for p in after.red_projects]
