"""Pagination of the API lists: limit/offset, with a count that stops at a bound.

``count`` is exact up to ``LimitedPagination.count_limit`` rows and null beyond (the lists of
observations hold millions of rows; counting them on every page would cost more than the page);
``next`` and ``previous`` stay exact either way, so paging through a list reads every row once."""

from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.test import APIClient

from chainwatch.core.api import COUNT_LIMIT, LimitedPagination
from chainwatch.geo.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(world):
    client = APIClient()
    client.force_login(world.users["admin"])
    return client


def offset_of(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["offset"][0])


def walk(client, url):
    """Every page of ``url`` by following ``next``: (counts seen, ids in order, pages)."""
    counts, ids, pages = [], [], 0
    while url:
        data = client.get(url).json()
        counts.append(data["count"])
        ids += [row.get("id", row.get("target_id")) for row in data["results"]]
        url = data["next"]
        pages += 1
    return counts, ids, pages


def test_count_is_exact_under_the_bound(admin):
    total = Region.objects.count()
    assert 100 < total <= COUNT_LIMIT
    data = admin.get("/api/v1/regions/?limit=50&offset=100").json()
    assert data["count"] == total and len(data["results"]) == 50
    assert offset_of(data["next"]) == 150 and offset_of(data["previous"]) == 50
    last = admin.get(f"/api/v1/regions/?limit=50&offset={total - 1}").json()
    assert last["count"] == total and len(last["results"]) == 1 and last["next"] is None
    beyond = admin.get(f"/api/v1/regions/?limit=50&offset={total + 10}").json()
    assert beyond["count"] == total and beyond["results"] == [] and beyond["next"] is None


def test_count_is_null_over_the_bound_and_paging_still_reads_every_row_once(admin, monkeypatch):
    exact_counts, exact_ids, exact_pages = walk(admin, "/api/v1/regions/?subtree=150000&limit=40")
    total = len(exact_ids)
    assert set(exact_counts) == {total} and total > 100 and exact_pages == -(-total // 40)

    monkeypatch.setattr(LimitedPagination, "count_limit", 100)
    counts, ids, pages = walk(admin, "/api/v1/regions/?subtree=150000&limit=40")
    assert set(counts) == {None}
    assert ids == exact_ids and pages == exact_pages  # no page lost, none repeated, no empty page at the end

    # A list that fits under the bound keeps its exact count; exactly at the bound still counts.
    small = admin.get("/api/v1/regions/?subtree=152500&limit=5").json()
    assert small["count"] == Region.objects.filter(path__startswith="/000000/150000/152500/").count() <= 100
    monkeypatch.setattr(LimitedPagination, "count_limit", total)
    assert admin.get("/api/v1/regions/?subtree=150000&limit=40").json()["count"] == total
    monkeypatch.setattr(LimitedPagination, "count_limit", total - 1)
    assert admin.get("/api/v1/regions/?subtree=150000&limit=40").json()["count"] is None


def test_next_at_the_end_of_an_uncounted_list(admin, monkeypatch):
    monkeypatch.setattr(LimitedPagination, "count_limit", 10)
    total = Region.objects.filter(path__startswith=Region.objects.get(code="150000", valid_to__isnull=True).path).count()
    full_page = admin.get(f"/api/v1/regions/?subtree=150000&limit=10&offset={total - 10}").json()
    assert len(full_page["results"]) == 10 and full_page["next"] is None and full_page["count"] is None
    short = admin.get(f"/api/v1/regions/?subtree=150000&limit=10&offset={total - 11}").json()
    assert len(short["results"]) == 10 and offset_of(short["next"]) == total - 1
    assert admin.get(short["next"]).json()["results"][0]["id"] == full_page["results"][-1]["id"]


def test_browsable_api_pages_an_uncounted_list(admin, monkeypatch):
    monkeypatch.setattr(LimitedPagination, "count_limit", 10)
    response = admin.get("/api/v1/regions/?limit=5&offset=5", HTTP_ACCEPT="text/html")
    text = response.content.decode()
    assert response.status_code == 200 and "limit=5&amp;offset=10" in text and "limit=5" in text


def test_schema_documents_the_nullable_count(admin):
    schema = admin.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for name in ("PaginatedObservationList", "PaginatedTargetList", "PaginatedRegionList"):
        count = schema["components"]["schemas"][name]["properties"]["count"]
        assert count["type"] == "integer" and count["nullable"] is True
        assert str(COUNT_LIMIT) in count["description"]


def test_a_list_paginated_in_memory_follows_the_same_bound(admin, monkeypatch):
    """The progress list filtered by light is computed in memory, then paginated: its count
    means the same as everywhere else."""
    exact_counts, exact_ids, _ = walk(admin, "/api/v1/progress/?light=grey&limit=100")
    assert set(exact_counts) == {len(exact_ids)} and len(exact_ids) > 100
    monkeypatch.setattr(LimitedPagination, "count_limit", 50)
    data = admin.get("/api/v1/progress/?light=grey&limit=100").json()
    assert data["count"] is None and offset_of(data["next"]) == 100
    ids = [row["target_id"] for row in data["results"]]
    assert ids == exact_ids[:100]
