"""Chains API, panorama page and `chainwatch chain` CLI."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.routers import DefaultRouter

from chainwatch.accounts.models import Profile, Role
from chainwatch.chains.api import urls as chain_api
from chainwatch.chains.models import ChainNode
from factories import CapacityFactory, EnterpriseFactory, region

pytestmark = pytest.mark.django_db


def node(code):
    return ChainNode.objects.get(code=code)


def account(django_user_model, name, role, region_code=None):
    user = django_user_model.objects.create_user(name, password="a-strong-password-1")
    Profile.objects.create(user=user, role=role, region=region(region_code) if region_code else None)
    return user


@pytest.fixture
def registry():
    made = []
    for code, name, node_code, amount, unit in [
        ("150200", "包头正极", "LI.CATHODE_LFP", 16, "万吨/年"),
        ("150600", "鄂尔多斯电池", "LI.CELL", 10.5, "GWh/年"),
        ("520100", "贵阳正极", "LI.CATHODE_LFP", 45, "万吨/年"),
        ("360900", "宜春锂盐", "LI.CARBONATE", 15, "万吨/年"),
    ]:
        enterprise = EnterpriseFactory(name=f"{name}有限公司", region=region(code), is_chain_leader=code == "150200")
        enterprise.nodes.add(node(node_code))
        CapacityFactory(enterprise=enterprise, node=node(node_code), amount=amount, unit=unit)
        made.append(enterprise)
    return made


# --- lists, filters, scope, query counts ---------------------------------------------------------


def test_enterprise_list_filters_and_query_count(admin_client, registry, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = admin_client.get("/api/v1/enterprises/?limit=50")
    body = response.json()
    assert response.status_code == 200 and body["count"] == 4
    assert {"id", "uscc", "name", "region", "nodes", "is_chain_leader", "aliases"} <= set(body["results"][0])
    names = {e["name"] for e in admin_client.get("/api/v1/enterprises/?region=150000").json()["results"]}
    assert names == {"包头正极有限公司", "鄂尔多斯电池有限公司"}
    lfp = admin_client.get("/api/v1/enterprises/?node=LI.CATHODE_LFP&chain_leader=true").json()["results"]
    assert [e["name"] for e in lfp] == ["包头正极有限公司"]
    assert admin_client.get("/api/v1/enterprises/?region=999999").status_code == 400


def test_capacity_list_and_scope(client, registry, django_user_model, django_assert_max_num_queries):
    client.force_login(account(django_user_model, "im", Role.PROVINCE, "150000"))
    with django_assert_max_num_queries(8):  # enterprise and project read by a query each (reading_only)
        body = client.get("/api/v1/capacities/?limit=50").json()
    assert {c["region"] for c in body["results"]} == {"150200", "150600"}
    assert {c["node"] for c in body["results"]} == {"LI.CATHODE_LFP", "LI.CELL"}
    guizhou = next(e for e in registry if e.region.code == "520100")
    assert client.get(f"/api/v1/enterprises/{guizhou.pk}/").status_code == 404
    assert client.get("/api/v1/enterprises/?region=520000").json()["count"] == 0


def test_reference_lists(admin_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        nodes = admin_client.get("/api/v1/chains/nodes/?template=LI&limit=100").json()
    assert nodes["count"] == 25 and nodes["results"][0]["template"] == "LI"
    with django_assert_max_num_queries(5):
        edges = admin_client.get("/api/v1/chains/edges/?source=LI.CATHODE_LFP&target=LI.CELL").json()
    assert edges["results"][0]["central"] == 2200 and edges["results"][0]["unit"] == "t/GWh"
    templates = {t["code"] for t in admin_client.get("/api/v1/chains/templates/").json()["results"]}
    assert {"LI"} <= templates and len(templates) >= 3


def test_anonymous_is_refused(client):
    assert client.get("/api/v1/chains/balance/?region=150000&year=2025").status_code in (401, 403)
    assert client.get("/api/v1/enterprises/").status_code in (401, 403)


# --- computed endpoints -----------------------------------------------------------------------


def test_balance_endpoint_reproduces_the_worked_example(admin_client):
    response = admin_client.get("/api/v1/chains/balance/?region=150000&year=2025&basis=targets")
    assert response.status_code == 200
    rows = {r["node"]: r for r in response.json()}
    assert rows["LI.CATHODE_LFP"]["verdict"] == "surplus"
    assert rows["LI.ELECTROLYTE"]["verdict"] == "balanced"
    assert 75_000 <= -rows["LI.CONCENTRATE"]["surplus"] * 1e4 <= 80_000
    assert {"node", "name", "unit", "supply", "demand", "ratio", "verdict", "reference", "low", "high"} <= set(rows["LI.CELL"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("region=150000", "year"),
        ("region=150000&year=2025&basis=wished", "basis"),
        ("region=150000&year=3000", "year"),
        ("region=15%27--&year=2025", "region"),
        ("region=999999&year=2025", "region"),
    ],
)
def test_balance_bad_parameters_are_400(admin_client, query, field):
    response = admin_client.get(f"/api/v1/chains/balance/?{query}")
    assert response.status_code == 400 and field in response.json()


def test_broken_template_is_a_400_not_a_500(admin_client):
    from chainwatch.chains.models import ChainEdge

    ChainEdge.objects.filter(source__code="LI.ANODE", target__code="LI.CELL", chemistry="LFP").update(unit="亿只/GWh")
    response = admin_client.get("/api/v1/chains/balance/?region=150000&year=2025")
    assert response.status_code == 400 and "LI.ANODE>LI.CELL@LFP" in response.json()["detail"]


def test_panorama_endpoint_shape(admin_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        response = admin_client.get("/api/v1/chains/panorama/?region=150000&year=2025&basis=targets")
    data = response.json()
    assert set(data) >= {"nodes", "links", "categories"}
    assert set(data["nodes"][0]) >= {"id", "name", "value", "unit", "verdict", "color", "category"}
    assert set(data["links"][0]) >= {"source", "target", "value", "coefficient", "unit"}
    colours = {n["id"]: n["color"] for n in data["nodes"]}
    assert colours["LI.CATHODE_LFP"] == "#1677ff" and colours["LI.CONCENTRATE"] == "#d4380d"


def test_gaps_and_peers_endpoints(admin_client, registry):
    gaps = admin_client.get("/api/v1/chains/gaps/?region=150000&year=2025&basis=targets").json()
    carbonate = next(g for g in gaps if g["node"] == "LI.CARBONATE")
    assert carbonate["kind"] == "missing" and [c["name"] for c in carbonate["candidates"]] == ["宜春锂盐有限公司"]
    peers = admin_client.get("/api/v1/chains/peers/?year=2025").json()
    assert [r["code"] for r in peers["regions"]] == ["150000", "520000", "360000"]
    lfp = next(n for n in peers["nodes"] if n["node"] == "LI.CATHODE_LFP")
    assert [c["capacity"]["built"] for c in lfp["cells"]] == [16.0, 45.0, 0.0]
    assert admin_client.get("/api/v1/chains/peers/?regions=150000,x;y").status_code == 400


def test_scoped_user_sees_only_their_capacity_in_the_balance(client, registry, django_user_model):
    client.force_login(account(django_user_model, "gz", Role.PROVINCE, "520000"))
    rows = {r["node"]: r for r in client.get("/api/v1/chains/balance/?region=150000&year=2025&subtree=true").json()}
    # Inner Mongolia's registry rows, published figures and targets are outside this user's scope
    assert all(r["supply"] == 0 for r in rows.values())
    own = {r["node"]: r for r in client.get("/api/v1/chains/balance/?region=520000&year=2025&subtree=true").json()}
    assert own["LI.CATHODE_LFP"]["supply"] == 45


def test_openapi_schema_of_the_chain_endpoints_is_valid():
    router = DefaultRouter()
    for prefix, viewset, basename in chain_api.registrations:
        router.register(prefix, viewset, basename=basename)
    patterns = [path("api/v1/", include([*chain_api.urlpatterns, path("", include(router.urls))]))]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    validate_schema(schema)
    balance = schema["paths"]["/api/v1/chains/balance/"]["get"]
    assert {p["name"] for p in balance["parameters"]} >= {"region", "year", "basis", "subtree"}
    assert "/api/v1/chains/panorama/" in schema["paths"] and "/api/v1/enterprises/{id}/" in schema["paths"]
    assert "NodeBalance" in schema["components"]["schemas"]


# --- page --------------------------------------------------------------------------------------


def test_panorama_page(admin_client, registry, django_assert_max_num_queries):
    from django.test import Client

    assert Client().get("/chains/panorama/").status_code == 302
    with django_assert_max_num_queries(12):
        response = admin_client.get("/chains/panorama/?region=150000&year=2025&basis=targets")
    text = response.content.decode()
    assert response.status_code == 200 and "产业链全景图" in text
    assert "vendor/echarts.min.js" in text and "/api/v1/chains/panorama/?region=150000&amp;year=2025&amp;basis=targets" in text
    detail = admin_client.get("/chains/panorama/node/?region=150000&node=LI.CATHODE_LFP&year=2025")
    assert detail.status_code == 200 and "包头正极有限公司" in detail.content.decode()
    assert admin_client.get("/chains/panorama/node/?region=150000&node=LI.NOPE").status_code == 400


def test_node_detail_is_scoped(client, registry, django_user_model):
    client.force_login(account(django_user_model, "gz2", Role.PROVINCE, "520000"))
    text = client.get("/chains/panorama/node/?region=000000&node=LI.CATHODE_LFP&year=2025").content.decode()
    assert "贵阳正极有限公司" in text and "包头正极有限公司" not in text


# --- CLI ---------------------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_cli_balance_json():
    rows = json.loads(run("chain", "balance", "--region", "150000", "--year", "2025", "--basis", "targets", "--format", "json"))
    assert isinstance(rows, list) and len(rows) == 25
    required = {"node", "name", "unit", "supply", "demand", "ratio", "verdict", "reference", "low", "high"}
    assert all(required <= set(row) for row in rows)
    by_node = {r["node"]: r for r in rows}
    assert by_node["LI.CATHODE_LFP"]["demand"] == pytest.approx(6.38)
    assert by_node["LI.ELECTROLYTE"]["low"] == pytest.approx(30_000 / 37_700)
    table = run("chain", "balance", "--region", "150000", "--year", "2025", "--basis", "targets")
    assert "LI.CATHODE_LFP" in table and "surplus" in table


def test_cli_gaps_and_peers(registry):
    gaps = run("chain", "gaps", "--region", "150000", "--year", "2025", "--basis", "targets")
    assert gaps.splitlines()[1].split()[1] == "missing" and "宜春锂盐有限公司" in gaps
    peers = json.loads(run("chain", "peers", "--regions", "150000,520000", "--year", "2025", "--format", "json"))
    assert [r["code"] for r in peers["regions"]] == ["150000", "520000"]
    assert "◎" in run("chain", "peers", "--year", "2025")


def test_cli_errors():
    with pytest.raises(CommandError, match="999999"):
        run("chain", "balance", "--region", "999999", "--year", "2025")
    with pytest.raises(CommandError, match="NOPE"):
        run("chain", "gaps", "--region", "150000", "--year", "2025", "--template", "NOPE")
