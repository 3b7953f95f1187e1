"""Bad input: forged ids, malformed JSON, oversized bodies, SQL and script fragments — a 4xx with
a message that names the field, never a 500, never data from outside the user's scope."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

GOOD = {"indicator": "OUTPUT", "region": "152502", "period": "2024", "value": "12.5", "unit": "亿元"}


@pytest.fixture
def county(world):
    client = APIClient()
    client.force_authenticate(world.users["county"])
    return client


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"indicator": "NOPE"}, "indicator", "不存在"),
        ({"region": "999999"}, "region", "不存在"),
        ({"period": "2024Q5"}, "period", ""),
        ({"period": "二〇二四"}, "period", ""),
        ({"period": "2999"}, "period", "超出范围"),
        ({"period": "2099-12"}, "period", "尚未开始"),
        ({"period": "1900"}, "period", ""),
        ({"unit": "万吨"}, "unit", "不能换算"),
        ({"unit": "furlongs per fortnight"}, "unit", "单位"),
        ({"value": "abc"}, "value", ""),
        ({"value": "1e400"}, "value", ""),
        ({"value": "12345678901234567890123"}, "value", ""),
        ({"sector": "NOPE"}, "sector", "不存在"),
        ({"status": "approved"}, "status", ""),
        ({"qualifier": "x" * 101}, "qualifier", ""),
    ],
)
def test_bad_fields_name_the_field(county, change, field, words):
    response = county.post("/api/v1/observations/", {**GOOD, **change}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body and words in " ".join(map(str, body[field]))


def test_duplicate_series_period(county, world):
    assert county.post("/api/v1/observations/", GOOD, format="json").status_code == 201
    again = county.post("/api/v1/observations/", GOOD, format="json")
    assert again.status_code == 400 and "已有数值" in again.json()["period"][0]


def test_duplicate_does_not_reveal_ids_outside_the_scope(world):
    """The neighbour's draft exists for 2023; the league may write there but not see the draft."""
    client = APIClient()
    client.force_authenticate(world.users["league"])
    response = client.post("/api/v1/observations/", {**GOOD, "region": "152501", "period": "2023"}, format="json")
    assert response.status_code == 400
    assert str(world.neighbour_draft.pk) not in response.content.decode()


def test_malformed_json(county):
    response = county.generic("POST", "/api/v1/observations/", '{"indicator": "OUTPUT",', content_type="application/json")
    assert response.status_code == 400 and "JSON" in response.json()["detail"]


def test_wrong_content_type(county):
    response = county.generic("POST", "/api/v1/observations/", "<xml/>", content_type="application/xml")
    assert response.status_code == 415


def test_oversized_body_is_refused(county, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = '{"indicator": "OUTPUT", "source": "' + "x" * 4096 + '"}'
    response = county.generic("POST", "/api/v1/observations/", body, content_type="application/json")
    assert response.status_code in (400, 413)


@pytest.mark.parametrize(
    "query",
    [
        "region=152500' OR '1'='1",
        "region=%00",
        "year=99999999999999999999",
        "year=-1",
        "year=abc",
        "indicator=' OR 1=1 --",
        "limit=-5",
        "limit=abc",
        "offset=99999999999",
        "sector=<script>",
        "document=%27%3B DROP TABLE targets_target; --",
    ],
)
def test_hostile_filters_are_4xx_or_empty(county, world, query):
    response = county.get(f"/api/v1/targets/?{query}")
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200:
        ids = {row["id"] for row in response.json()["results"]}
        assert ids <= {world.county_target.pk}


@pytest.mark.parametrize("url", [
    "/api/v1/observations/99999999999999999999/",
    "/api/v1/observations/abc/",
    "/api/v1/observations/-1/",
    "/api/v1/targets/0/",
    "/cockpit/targets/99999999999/",
    "/history/targets/target/99999999999999999999/",
    "/cockpit/152500'--/",
    "/cockpit/%3Cscript%3E/",
])
def test_forged_ids_are_404(world, url):
    client = Client()
    client.force_login(world.users["county"])
    assert client.get(url).status_code == 404


def test_script_in_text_is_escaped_on_the_target_page(county, world):
    payload = '<script>alert("x")</script>'
    response = county.post(
        "/api/v1/observations/",
        {**GOOD, "period": "2024", "reporter_text": payload, "source": "'; DROP TABLE x; --"},
        format="json",
    )
    assert response.status_code == 201
    # Stored as typed (it is data), shown escaped.
    assert response.json()["reporter_text"] == payload
    world.county_target.indicator_text = payload
    world.county_target.save()
    client = Client()
    client.force_login(world.users["county"])
    text = client.get(f"/cockpit/targets/{world.county_target.pk}/").content.decode()
    assert payload not in text and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    cockpit = client.get("/cockpit/").content.decode()
    assert payload not in cockpit


def test_progress_rejects_bad_parameters(county):
    for query in ("as_of=2024-13-01", "as_of=99999-01-01", "as_of=0001-01-01", "region=999999", "light=purple", "year=3000"):
        response = county.get(f"/api/v1/progress/?{query}")
        assert response.status_code == 400, query
    assert county.get("/api/v1/progress/?region=152502&as_of=2026-06-30").status_code == 200
