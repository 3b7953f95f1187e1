"""Query counts of the cockpit, the target page and every API list (each list the API root names)
are pinned: they do not grow with the number of rows (no N+1)."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from factories import (
    CapacityFactory,
    EnterpriseFactory,
    ObservationFactory,
    ProjectFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db

# url → most queries allowed (session/auth, profile and its region included); a relation that
# may be empty is read by one query of its own per page (core.api.reading_only), not joined.
API_LISTS = {
    "/api/v1/regions/?limit=500": 6,
    "/api/v1/regions/?subtree=150000&limit=500": 7,
    "/api/v1/departments/": 7,
    "/api/v1/indicators/": 6,
    "/api/v1/targets/?limit=500": 12,
    "/api/v1/targets/?region=152500&year=2025": 13,
    "/api/v1/observations/?limit=500": 11,
    # progress: the evaluation loads each related table once (in_bulk), not joined per target
    "/api/v1/progress/?limit=500": 17,
    "/api/v1/progress/?light=grey&limit=500": 17,
    "/api/v1/chains/templates/": 4,
    "/api/v1/chains/nodes/?limit=500": 4,
    "/api/v1/chains/edges/?limit=500": 4,
    "/api/v1/enterprises/?limit=500": 9,
    "/api/v1/capacities/?limit=500": 9,
    "/api/v1/projects/?limit=500": 10,
    "/api/v1/project-updates/?limit=500": 7,
    "/api/v1/dispatch-issues/?limit=500": 8,
    "/api/v1/leads/?limit=500": 9,
    "/api/v1/policy/documents/?limit=500": 4,
    "/api/v1/policy/clauses/?limit=500": 4,
    "/api/v1/policy/tasks/?limit=500": 10,
}
SNAPSHOT_COCKPIT = 18  # the cockpit read from the stored progress (TargetStatus)
CACHED_COCKPIT = 6  # the same cockpit again: session, user, profile, region, the cache key's two
PAGES = {
    # no snapshot here: the cache key (two queries), the snapshot check (its cache key, the
    # grouped query), then live evaluation, which loads each related table of the targets once
    "/cockpit/": 24,
    "/cockpit/152500/": 24,
    "/": 13,
}


def more_rows(world, n=30):
    """``n`` more rows of every list, each with the related rows its list shows."""
    import datetime

    from chainwatch.chains.models import ChainNode, EnterpriseAlias
    from chainwatch.policy.models import Clause, Task
    from chainwatch.projects.models import DispatchIssue, Lead, LeadShare, ProjectUpdate

    nodes = list(ChainNode.objects.order_by("pk")[:2])
    clause = Clause.objects.filter(document__region__path__startswith=world.xl.path).select_related("document").first()
    for i in range(n):
        TargetFactory(indicator=world.output, region=world.county, year=2030 + i % 5, value=100 + i, owner=world.dept)
        ObservationFactory(indicator=world.output, region=world.county, period=str(1990 + i),
                           period_start=f"{1990 + i}-01-01", period_end=f"{1990 + i}-12-31", status="approved")
        enterprise = EnterpriseFactory(region=world.county)
        enterprise.nodes.set(nodes)
        EnterpriseAlias.objects.create(enterprise=enterprise, name=f"曾用名{i}")
        project = ProjectFactory(region=world.county, owner=enterprise, department=world.dept)
        project.nodes.set(nodes)
        CapacityFactory(enterprise=enterprise, project=project)
        original = ProjectUpdate.objects.create(project=project, period="2025-01", stage="construction",
                                                completed_investment=1000 + i)
        ProjectUpdate.objects.create(project=project, period="2025-01", stage="construction",
                                     completed_investment=1001 + i, corrects=original)
        DispatchIssue.objects.create(project=project, description=f"问题{i}", owner=world.dept,
                                     raised_on=datetime.date(2025, 1, 1), due=datetime.date(2025, 2, 1))
        lead = Lead.objects.create(title=f"线索{i}", jurisdiction=world.xl, region=world.county, department=world.dept,
                                   enterprise_name=f"线索企业{i}", node=nodes[0], received_on=datetime.date(2025, 1, 1))
        LeadShare.objects.create(lead=lead, region=world.im, shared_on=datetime.date(2025, 1, 2))
        task = Task.objects.create(document=clause.document, clause=clause, title=f"任务{i}")
        task.lead_departments.set([world.dept])
        task.cooperating_departments.set([world.dept])


@pytest.mark.parametrize("url", API_LISTS)
@pytest.mark.parametrize("role", ["league", "admin", "department"])
def test_api_list_query_count(world, django_assert_max_num_queries, url, role):
    client = APIClient()
    client.force_login(world.users[role])
    with django_assert_max_num_queries(API_LISTS[url]):
        assert client.get(url).status_code == 200
    more_rows(world)
    with django_assert_max_num_queries(API_LISTS[url]):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("role", ["league", "admin"])
def test_page_query_count(world, django_assert_max_num_queries, url, role):
    client = Client()
    client.force_login(world.users[role])
    with django_assert_max_num_queries(PAGES[url]):
        assert client.get(url).status_code == 200
    more_rows(world)
    with django_assert_max_num_queries(PAGES[url]):
        assert client.get(url).status_code == 200


def test_target_page_and_history_query_count(world, django_assert_max_num_queries):
    client = Client()
    client.force_login(world.users["league"])
    target = world.county_target
    with django_assert_max_num_queries(16):
        assert client.get(f"/cockpit/targets/{target.pk}/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(f"/history/targets/target/{target.pk}/").status_code == 200


def test_every_list_of_the_api_root_is_pinned(world):
    from urllib.parse import urlsplit

    client = APIClient()
    client.force_login(world.users["admin"])
    listed = {urlsplit(url).path for url in client.get("/api/v1/").json().values()}
    pinned = {urlsplit(url).path for url in API_LISTS}
    assert listed and listed <= pinned, sorted(listed - pinned)


@pytest.mark.parametrize("url", ["/cockpit/", "/cockpit/152500/"])
def test_cockpit_query_count_from_the_stored_progress(world, django_assert_max_num_queries, url):
    """Read from the snapshot, the cockpit asks the same few queries with 30 more targets: the
    grouped counts, the (light, gap) cut and the two short lists."""
    from chainwatch.targets.snapshot import refresh_progress

    client = Client()
    client.force_login(world.users["admin"])
    refresh_progress()
    with django_assert_max_num_queries(SNAPSHOT_COCKPIT):
        assert client.get(url).status_code == 200
    more_rows(world)
    refresh_progress()
    with django_assert_max_num_queries(SNAPSHOT_COCKPIT):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(CACHED_COCKPIT):  # nothing changed: the cached cockpit
        assert client.get(url).status_code == 200
