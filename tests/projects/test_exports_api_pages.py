"""Exports (OC4IDS JSON, XLSX), the REST API (filters, scoping, pinned query counts) and pages."""

import io
import json
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from openpyxl import load_workbook

from chainwatch.accounts.models import Profile
from chainwatch.projects import exports, services
from chainwatch.projects.models import Project, Stage
from factories import EnterpriseFactory, region

pytestmark = pytest.mark.django_db
ON = date(2025, 6, 30)


@pytest.fixture
def projects():
    owner = EnterpriseFactory(name="镶黄旗锂矿开发有限公司", region=region("152528"))
    county = services.create_project(
        actor=None, code="2024-152528-09-03-000004", name="镶黄旗锂精矿扩能项目", region=region("152528"),
        owner=owner, total_investment=8 * 10**8, annual_plan=3 * 10**8, completed_investment=10**8,
        stage=Stage.STARTED, planned_start=date(2024, 9, 1), planned_end=date(2026, 6, 30),
        actual_start=date(2025, 2, 10), on=ON,
    )
    services.add_update(county, actor=None, period="2025-03", month_investment=5 * 10**7, narrative="井巷工程")
    services.raise_issue(county, actor=None, description="用地预审", due=date(2025, 8, 1), raised_on=date(2025, 7, 1))
    city = services.create_project(
        actor=None, code="2024-150600-38-03-000001", name="鄂尔多斯储能电池项目", region=region("150600"),
        total_investment=60 * 10**8, stage=Stage.OPERATING, planned_start=date(2024, 3, 1),
        planned_end=date(2025, 3, 31), actual_start=date(2024, 4, 15), actual_end=date(2025, 5, 1), on=ON,
    )
    jx = services.create_project(actor=None, code="2025-360900-26-03-000003", name="宜春锂盐项目",
                                 region=region("360900"), total_investment=20 * 10**8, on=ON)
    services.recompute_tiers_and_colours(Project.objects.all(), as_of=ON, actor=None)
    return county, city, jx


def test_oc4ids_package(projects):
    package = exports.oc4ids_package(Project.objects.filter(region__path__startswith=region("150000").path))
    assert package["version"] == "0.9" and len(package["projects"]) == 2
    by_id = {p["id"]: p for p in package["projects"]}
    county = by_id["2024-152528-09-03-000004"]
    assert county["title"] == "镶黄旗锂精矿扩能项目" and county["status"] == "implementation"
    assert county["budget"] == {"amount": {"amount": 800000000, "currency": "CNY"}}
    assert county["period"] == {"startDate": "2024-09-01", "endDate": "2026-06-30"}
    assert county["locations"][0]["gazetteer"] == {"scheme": "GB/T 2260", "identifiers": ["152528"]}
    party = county["parties"][0]
    assert party["identifier"]["scheme"] == "CN-USCC" and party["name"] == "镶黄旗锂矿开发有限公司"
    assert county["chainwatch"]["completed_investment"] == 150000000 and county["chainwatch"]["actual_start"] == "2025-02-10"
    assert county["chainwatch"]["colour"] in ("green", "yellow", "red")
    city = by_id["2024-150600-38-03-000001"]
    assert city["status"] == "completed" and city["completion"]["endDate"] == "2025-05-01"


def test_xlsx_has_projects_updates_and_issues(projects):
    stream = io.BytesIO()
    assert exports.write_xlsx(Project.objects.all(), stream) == 3
    book = load_workbook(io.BytesIO(stream.getvalue()))
    assert book.sheetnames == ["项目", "进展", "问题清单"]
    rows = list(book["项目"].iter_rows(values_only=True))
    assert rows[0][:3] == ("项目代码", "项目名称", "地区代码") and len(rows) == 4
    assert list(book["进展"].iter_rows(values_only=True))[1][:5] == ("2024-152528-09-03-000004", "2025-03", "开工", 150000000, 50000000)
    assert list(book["问题清单"].iter_rows(values_only=True))[1][:2] == ("2024-152528-09-03-000004", "用地预审")


def test_cli_export_is_scoped_by_region(projects, tmp_path):
    target = tmp_path / "p.json"
    call_command("projects", "export", "--format", "oc4ids", "-o", str(target), "--region", "360000")
    assert [p["id"] for p in json.loads(target.read_text(encoding="utf-8"))["projects"]] == ["2025-360900-26-03-000003"]
    xlsx = tmp_path / "p.xlsx"
    call_command("projects", "export", "--format", "xlsx", "-o", str(xlsx))
    assert load_workbook(xlsx)["项目"].max_row == 4


def county_user():
    user = get_user_model().objects.create_user("xhq", password="pw-long-enough-1")
    Profile.objects.create(user=user, role="county", region=region("152528"))
    return user


def test_api_list_filters_and_query_count(admin_client, projects, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        data = admin_client.get("/api/v1/projects/").json()
    assert data["count"] == 3
    assert {r["code"] for r in admin_client.get("/api/v1/projects/?region=150000").json()["results"]} == {
        "2024-152528-09-03-000004", "2024-150600-38-03-000001"}
    assert [r["code"] for r in admin_client.get("/api/v1/projects/?stage=operating").json()["results"]] == ["2024-150600-38-03-000001"]
    # 宜春: 20亿 ≥ 10亿 but nothing completed (< 5亿) → city_county; Inner Mongolia has no tier rule
    assert [r["code"] for r in admin_client.get("/api/v1/projects/?tier=city_county").json()["results"]] == ["2025-360900-26-03-000003"]
    colour = Project.objects.get(code="2024-152528-09-03-000004").rating.colour
    assert "2024-152528-09-03-000004" in {r["code"] for r in admin_client.get(f"/api/v1/projects/?colour={colour}").json()["results"]}
    assert admin_client.get("/api/v1/projects/?region=999999").status_code == 400
    assert admin_client.get("/api/v1/projects/?colour=purple").status_code == 400
    with django_assert_max_num_queries(6):
        assert admin_client.get("/api/v1/project-updates/").json()["count"] == 1
    with django_assert_max_num_queries(6):
        assert admin_client.get("/api/v1/dispatch-issues/?status=open").json()["count"] == 1


def test_api_list_query_count_does_not_grow(admin_client, projects, django_assert_max_num_queries):
    for n in range(20):
        services.create_project(actor=None, code=f"2025-150600-38-03-{n:06d}", name=f"批量{n}", region=region("150600"),
                                total_investment=10**9, nodes=[], on=ON)
    with django_assert_max_num_queries(6):
        assert admin_client.get("/api/v1/projects/").json()["count"] == 23


def test_api_detail_and_scoping(client, projects):
    county, city, _ = projects
    client.force_login(county_user())
    listed = client.get("/api/v1/projects/").json()
    assert [r["code"] for r in listed["results"]] == [county.code]
    detail = client.get(f"/api/v1/projects/{county.pk}/").json()
    assert [u["period"] for u in detail["updates"]] == ["2025-03"] and detail["issues"][0]["description"] == "用地预审"
    assert client.get(f"/api/v1/projects/{city.pk}/").status_code == 404
    assert client.get("/api/v1/dispatch-issues/").json()["count"] == 1


def test_schema_documents_the_endpoints(admin_client):
    schema = admin_client.get("/api/schema/?format=json").json()
    assert {"/api/v1/rules/evaluate/", "/api/v1/projections/{key}/", "/api/v1/projects/", "/api/v1/leads/"} <= set(schema["paths"])
    body = schema["paths"]["/api/v1/rules/evaluate/"]["post"]
    assert "400" in body["responses"] and "requestBody" in body


def test_pages_need_login(client, projects):
    assert client.get("/projects/").status_code == 302
    assert client.get("/projects/2024-152528-09-03-000004/").status_code == 302


def test_board_and_project_page(client, projects, django_assert_max_num_queries):
    client.force_login(county_user())
    with django_assert_max_num_queries(10):
        board = client.get("/projects/")
    text = board.content.decode()
    assert board.status_code == 200 and "镶黄旗锂精矿扩能项目" in text and "鄂尔多斯储能电池项目" not in text
    assert 'data-stage="started"' in text and "1 个未办结问题" in text
    with django_assert_max_num_queries(12):
        page = client.get("/projects/2024-152528-09-03-000004/")
    text = page.content.decode()
    assert page.status_code == 200 and "用地预审" in text and "井巷工程" in text and "2024-152528-09-03-000004" in text
    assert client.get("/projects/2024-150600-38-03-000001/").status_code == 404
