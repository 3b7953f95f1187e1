"""The permission matrix of the API endpoints of geo and targets (NetBox-style generic classes):
every role, rows it may see and rows it may not, by list and by id."""

import pytest
from rest_framework.test import APIClient

from accounts.world import ROLES

pytestmark = pytest.mark.django_db

ALL_OBS = {"neighbour_draft", "neighbour_submitted", "county_draft", "county_approved", "ent_a_obs", "ent_b_obs", "gz_obs"}
ALL_TARGETS = {"county_target", "neighbour_target", "xl_target", "gz_target"}
XL_PUBLISHED = {"neighbour_submitted", "county_approved", "ent_a_obs", "ent_b_obs"}


def client_for(world, role):
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(world.users[role])
    return client


def listed_ids(client, url):
    response = client.get(url, {"limit": 500})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == len(data["results"]) or data["next"]
    return {row.get("id", row.get("target_id")) for row in data["results"]}


class ScopedListMatrix:
    """Subclasses name the endpoint, the world's rows and what each role may see."""

    url: str
    universe: set[str]
    visible: dict[str, set[str]]

    def test_anonymous_is_refused(self, world):
        response = APIClient().get(self.url)
        assert response.status_code in (401, 403)
        assert "results" not in response.json()

    @pytest.mark.parametrize("role", ROLES)
    def test_list_shows_exactly_the_scope(self, world, role):
        ids = listed_ids(client_for(world, role), self.url)
        for name in self.universe:
            pk = getattr(world, name).pk
            if name in self.visible[role]:
                assert pk in ids, f"{role} should see {name}"
            else:
                assert pk not in ids, f"{role} must not see {name}"



class ScopedEndpointMatrix(ScopedListMatrix):
    """A list endpoint with details: a record outside the scope is a 404, never data."""

    @pytest.mark.parametrize("role", ROLES)
    def test_detail_outside_scope_is_404(self, world, role):
        client = client_for(world, role)
        for name in self.universe:
            response = client.get(f"{self.url}{getattr(world, name).pk}/")
            expected = 200 if name in self.visible[role] else 404
            assert response.status_code == expected, f"{role} {name}: {response.status_code}"


class TestObservations(ScopedEndpointMatrix):
    url = "/api/v1/observations/"
    universe = ALL_OBS
    visible = {
        "admin": ALL_OBS,
        "province": XL_PUBLISHED,
        "league": XL_PUBLISHED,
        # Own county: its own draft too; never the neighbour's draft nor its submitted rows.
        "county": {"county_draft", "county_approved", "ent_a_obs"},
        "neighbour": {"neighbour_draft", "neighbour_submitted", "ent_b_obs"},
        "leader": XL_PUBLISHED,
        "department": XL_PUBLISHED,  # 盟农牧局 owns OUTPUT targets in Xilingol
        "enterprise_a": {"ent_a_obs"},
        "enterprise_b": {"ent_b_obs"},
        "guizhou": {"gz_obs"},
        "norole": set(),
    }


class TestTargets(ScopedEndpointMatrix):
    url = "/api/v1/targets/"
    universe = ALL_TARGETS
    xl = {"county_target", "neighbour_target", "xl_target"}
    visible = {
        "admin": ALL_TARGETS,
        "province": xl,
        "league": xl,
        "county": {"county_target"},
        "neighbour": {"neighbour_target"},
        "leader": xl,
        "department": {"county_target", "xl_target"},  # the targets 盟农牧局 owns
        "enterprise_a": set(),
        "enterprise_b": set(),
        "guizhou": {"gz_target"},
        "norole": set(),
    }


class TestProgress(ScopedListMatrix):
    url = "/api/v1/progress/"
    universe = TestTargets.universe
    visible = TestTargets.visible


class TestRegions(ScopedListMatrix):
    """Regions are reference data: every signed-in user reads the whole tree."""

    url = "/api/v1/regions/?subtree=152500&"
    universe = {"county", "neighbour", "xl"}
    visible = dict.fromkeys(ROLES, {"county", "neighbour", "xl"})

    @pytest.mark.parametrize("role", ROLES)
    def test_detail(self, world, role):
        response = client_for(world, role).get(f"/api/v1/regions/{world.gz.pk}/")
        assert response.status_code == 200 and response.json()["code"] == "520000"


class TestDepartments(ScopedEndpointMatrix):
    url = "/api/v1/departments/"
    universe = {"dept"}
    visible = {
        "admin": {"dept"}, "province": {"dept"}, "league": {"dept"}, "county": set(), "neighbour": set(),
        "leader": {"dept"}, "department": {"dept"}, "enterprise_a": set(), "enterprise_b": set(),
        "guizhou": set(), "norole": set(),
    }


# --- writes ------------------------------------------------------------------------------------

CREATE = {"indicator": "OUTPUT", "period": "2024", "value": "12.5", "unit": "亿元"}
CREATE_RULES = [
    # role, region code, expected status
    ("admin", "520000", 201),
    ("province", "152502", 201),
    ("league", "152502", 201),
    ("county", "152502", 201),
    ("county", "152501", 403),
    ("neighbour", "152502", 403),
    ("leader", "152502", 403),
    ("department", "152502", 201),
    ("enterprise_a", "152502", 201),
    ("enterprise_a", "152501", 403),
    ("guizhou", "152502", 403),
    ("norole", "152502", 403),
]


@pytest.mark.parametrize(("role", "code", "expected"), CREATE_RULES)
def test_observation_create_matrix(world, role, code, expected):
    from chainwatch.targets.models import Observation

    before = Observation.objects.count()
    response = client_for(world, role).post("/api/v1/observations/", {**CREATE, "region": code}, format="json")
    assert response.status_code == expected, response.content
    assert Observation.objects.count() == before + (1 if expected == 201 else 0)
    if expected == 201:
        body = response.json()
        assert body["region"] == code and body["status"] == "draft" and body["reporter"] == world.users[role].username
    else:
        assert "detail" in response.json()


def test_anonymous_cannot_create(world):
    response = APIClient().post("/api/v1/observations/", {**CREATE, "region": "152502"}, format="json")
    assert response.status_code in (401, 403)


def test_token_authentication(world):
    from chainwatch.accounts.services import issue_token

    token = issue_token(world.users["league"], actor=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    ids = listed_ids(client, "/api/v1/targets/")
    assert world.county_target.pk in ids and world.gz_target.pk not in ids
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get("/api/v1/targets/").status_code in (401, 403)


def test_schema_and_docs_are_served(world):
    client = APIClient()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/api/v1/regions/", "/api/v1/targets/", "/api/v1/observations/", "/api/v1/progress/"):
        assert path in paths
    assert "404" in paths["/api/v1/targets/{id}/"]["get"]["responses"]
    assert "201" in paths["/api/v1/observations/"]["post"]["responses"]
    assert client.get("/api/docs/").status_code == 200
