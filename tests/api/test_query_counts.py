"""Query counts of the cockpit, the target page and every API list of geo and targets are pinned:
they do not grow with the number of rows (no N+1)."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from factories import ObservationFactory, TargetFactory

pytestmark = pytest.mark.django_db

# url → most queries allowed (session/auth, profile and its region included).
API_LISTS = {
    "/api/v1/regions/?limit=500": 6,
    "/api/v1/regions/?subtree=150000&limit=500": 7,
    "/api/v1/departments/": 7,
    "/api/v1/indicators/": 6,
    "/api/v1/targets/?limit=500": 7,
    "/api/v1/targets/?region=152500&year=2025": 8,
    "/api/v1/observations/?limit=500": 7,
    "/api/v1/progress/?limit=500": 11,
    "/api/v1/progress/?light=grey&limit=500": 11,
}
PAGES = {
    "/cockpit/": 16,
    "/cockpit/152500/": 16,
    "/": 13,
}


def more_rows(world, n=30):
    for i in range(n):
        TargetFactory(indicator=world.output, region=world.county, year=2030 + i % 5, value=100 + i, owner=world.dept)
        ObservationFactory(indicator=world.output, region=world.county, period=str(1990 + i),
                           period_start=f"{1990 + i}-01-01", period_end=f"{1990 + i}-12-31", status="approved")


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
