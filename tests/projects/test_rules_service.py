"""Rules as data: the rule in force for a project's region, the bulk recompute, overlaps refused,
the CLI and the API. Figures hand-computed from the Jiangxi and Guizhou rules of the pack and the
chainwatch default colour rule (yellow: slip ≥ 1 month or pace gap ≤ −10 points; red: 3 / −20)."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from chainwatch.core.models import AuditEntry
from chainwatch.projects import services
from chainwatch.projects.models import Project, Rule, Stage
from chainwatch.projects.services import ProjectError
from factories import region

pytestmark = pytest.mark.django_db
YI = 100_000_000
AS_OF = date(2025, 6, 30)


def project(code, region_code, **extra):
    values = {"actor": None, "code": code, "name": f"项目{code[-3:]}", "region": region(region_code), "on": AS_OF}
    values.update(extra)
    return services.create_project(**values)


@pytest.fixture
def five():
    p1 = project("2024-360900-38-03-000001", "360900", total_investment=12 * YI, completed_investment=int(5.2 * YI),
                 annual_plan=2 * YI, stage=Stage.CONSTRUCTION, planned_start=date(2024, 1, 1),
                 planned_end=date(2025, 12, 31), actual_start=date(2024, 2, 1))
    services.add_update(p1, actor=None, period="2025-03", month_investment=int(0.5 * YI))
    services.add_update(p1, actor=None, period="2025-05", month_investment=int(0.3 * YI))
    p1.refresh_from_db()
    p2 = project("2025-360900-38-03-000002", "360900", total_investment=8 * YI, stage=Stage.SIGNED,
                 planned_start=date(2025, 3, 1), planned_end=date(2026, 12, 31))
    p3 = project("2025-520100-26-03-000003", "520100", total_investment=15 * YI,
                 planned_start=date(2026, 1, 1), planned_end=date(2027, 12, 31))
    p4 = project("2025-150600-38-03-000004", "150600", total_investment=3 * YI, stage=Stage.CONSTRUCTION,
                 actual_start=date(2025, 1, 5))
    p5 = project("2025-150600-38-03-000005", "150600", total_investment=3 * YI, stage=Stage.STARTED,
                 planned_start=date(2024, 6, 1), planned_end=date(2025, 5, 30), actual_start=date(2024, 6, 1))
    return p1, p2, p3, p4, p5


EXPECTED = {
    # code: (tier, tier_rule, colour, dispatch)
    "2024-360900-38-03-000001": ("province", "jx-tier-2024", "yellow", "city"),  # 12≥10 且 6≥5；完成40%，时序50%，落后10个百分点
    "2025-360900-38-03-000002": ("city_county", "jx-tier-2024", "red", "province"),  # 8<10；计划3月1日开工，滞后3.97个月
    "2025-520100-26-03-000003": ("province", "gz-li-tier-2021", "green", "county"),  # 15≥10；尚未到计划开工日
    "2025-150600-38-03-000004": ("", "", "", ""),  # 内蒙古无分级规则；无计划日期、无年度计划：不评价
    "2025-150600-38-03-000005": ("", "", "yellow", "city"),  # 计划2025-05-30竣工，滞后1.03个月
}


def test_evaluate_project_uses_the_rule_of_the_nearest_ancestor(five):
    p1, p2, p3, p4, p5 = five
    decision = services.evaluate_project(p1, "project-tier", on=AS_OF)
    assert (decision.decision, decision.rule, decision.clause) == ("province", "jx-tier-2024", "一")
    assert decision.explanation == "总投资12亿元≥10亿元，且已完成固定资产投资6亿元≥5亿元，列为省级调度项目。"
    colour = services.evaluate_project(p1, "colour", on=AS_OF)
    assert colour.decision == "yellow" and colour.rule == "chainwatch-colour-default"
    assert "年度投资完成40%，落后时序进度50%共10个百分点" in colour.explanation
    assert services.evaluate_project(p3, "project-tier", on=AS_OF).rule == "gz-li-tier-2021"
    subsidy = services.evaluate_project(p2, "subsidy", on=AS_OF, facts={"requested_amount": 15_000_000})
    assert (subsidy.decision, subsidy.rule) == (10_000_000, "jx-subsidy-2024")
    with pytest.raises(ProjectError, match="no project-tier rule in force for 150600"):
        services.evaluate_project(p4, "project-tier", on=AS_OF)
    with pytest.raises(ProjectError, match="no project-tier rule in force for 360900 on 2024-05-10"):
        services.evaluate_project(p1, "project-tier", on=date(2024, 5, 10))  # before 赣府厅发〔2024〕15号


def test_recompute_in_bulk_matches_hand_computed_figures(five, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        summary = services.recompute_tiers_and_colours(Project.objects.all(), as_of=AS_OF, actor=None)
    assert (summary.projects, summary.changed) == (5, 4)
    assert summary.tiers == {"province": 2, "city_county": 1, "none": 2}
    assert summary.colours == {"yellow": 2, "red": 1, "green": 1, "unrated": 1}
    stored = {p.code: (p.rated.tier, p.rated.tier_rule, p.rated.colour, p.rated.dispatch_level)
              for p in Project.objects.select_related("rating")}
    assert stored == EXPECTED
    for p in Project.objects.exclude(rating__colour="").exclude(rating=None):  # one engine: bulk and single agree
        assert services.evaluate_project(p, "colour", on=AS_OF).decision == p.rating.colour
    audits = AuditEntry.objects.filter(note="重算分级与预警 2025-06-30")
    assert audits.count() == 4
    summary_entry = AuditEntry.objects.get(object_id="recompute")
    assert summary_entry.after["changed"] == 4 and summary_entry.after["projects"] == 5


def test_recompute_again_writes_only_what_changed(five):
    services.recompute_tiers_and_colours(Project.objects.all(), as_of=AS_OF, actor=None)
    again = services.recompute_tiers_and_colours(Project.objects.all(), as_of=AS_OF, actor=None)
    assert again.changed == 0
    assert AuditEntry.objects.filter(note__startswith="重算分级与预警").count() == 4
    assert AuditEntry.objects.filter(object_id="recompute").count() == 2
    later = services.recompute_tiers_and_colours(Project.objects.all(), as_of=date(2025, 8, 31), actor=None)
    # 8月底时序进度 8/12: p1 0.4−0.667 → red; p3 still green; p5 slip 3.03 months → red
    assert Project.objects.get(code="2024-360900-38-03-000001").rating.colour == "red"
    assert Project.objects.get(code="2025-150600-38-03-000005").rating.colour == "red"
    assert later.changed == 2


def _rule(**changes):
    values = {
        "key": "jx-tier-2025", "kind": "project-tier", "jurisdiction": region("360000"),
        "effective_from": date(2025, 1, 1),
        "params": {"all": [{"field": "total_investment", "op": ">=", "value": 2_000_000_000}], "then": "province", "else": "city_county"},
    }
    values.update(changes)
    return Rule(**values)


def test_overlapping_rules_are_refused():
    with pytest.raises(ProjectError, match="rules jx-tier-2024 and jx-tier-2025 overlap"):
        services.save_rule(_rule(), actor=None)
    assert not Rule.objects.filter(key="jx-tier-2025").exists()
    old = Rule.objects.get(key="jx-tier-2024")
    old.effective_to = date(2024, 12, 31)
    services.save_rule(old, actor=None)
    services.save_rule(_rule(), actor=None)
    p = project("2025-360900-38-03-000009", "360900", total_investment=15 * YI)
    assert services.evaluate_project(p, "project-tier", on=date(2025, 3, 1)).rule == "jx-tier-2025"
    assert services.evaluate_project(p, "project-tier", on=date(2024, 12, 31)).rule == "jx-tier-2024"


def test_malformed_rule_params_are_refused():
    with pytest.raises(ProjectError, match="then must name a tier"):
        services.save_rule(_rule(jurisdiction=region("150000"), params={"all": [{"field": "total_investment", "op": ">=", "value": 1}]}), actor=None)


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_cli_evaluate_prints_exactly_the_decision_from_the_database():
    out = run("rules", "evaluate", "--jurisdiction", "360000", "--rule", "project-tier",
              "--input", '{"total_investment": 1200000000, "completed_investment": 600000000}')
    assert json.loads(out) == {
        "decision": "province", "rule": "jx-tier-2024", "clause": "一",
        "explanation": "总投资12亿元≥10亿元，且已完成固定资产投资6亿元≥5亿元，列为省级调度项目。",
    }
    out = run("rules", "evaluate", "--jurisdiction", "520102", "--rule", "project-tier", "--input", '{"total_investment": 999000000}', "--on", "2025-01-01")
    assert json.loads(out)["decision"] == "city_county" and json.loads(out)["clause"] == "二(五)"
    subsidy = json.loads(run("rules", "evaluate", "--jurisdiction", "360900", "--rule", "subsidy", "--input", '{"requested_amount": 1500000}'))
    assert subsidy["decision"] == 2_000_000 and "按下限补助200万元" in subsidy["explanation"]
    # The database is the source: a changed threshold changes the answer.
    Rule.objects.filter(key="jx-subsidy-2024").update(params={"field": "requested_amount", "min": 1_000_000, "max": 10_000_000})
    subsidy = json.loads(run("rules", "evaluate", "--jurisdiction", "360900", "--rule", "subsidy", "--input", '{"requested_amount": 1500000}'))
    assert subsidy["decision"] == 1_500_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--jurisdiction", "360000", "--rule", "subsidy", "--input", "{not json"], "不是有效 JSON"),
        (["--jurisdiction", "999999", "--rule", "subsidy", "--input", "{}"], "地区代码“999999”不存在"),
        (["--jurisdiction", "150000", "--rule", "project-tier", "--input", '{"total_investment": 1}'], "no project-tier rule in force for 150000"),
        (["--jurisdiction", "360000", "--rule", "project-tier", "--input", '{"total": 1}'], "未知字段 total"),
        (["--jurisdiction", "360000", "--rule", "project-tier", "--input", '{"total_investment": 1}'], "facts lack completed_investment"),
        (["--jurisdiction", "360000", "--rule", "project-tier", "--input", "{}", "--on", "2024-13-01"], "日期“2024-13-01”无效"),
    ],
)
def test_cli_evaluate_bad_input_is_a_clear_error(args, message):
    with pytest.raises(CommandError, match=message):
        run("rules", "evaluate", *args)


def test_cli_rules_list():
    rows = [json.loads(line) for line in run("rules", "list", "--format", "jsonl").splitlines()]
    assert {r["key"]: r["clause"] for r in rows} == {
        "chainwatch-colour-default": None, "jx-tier-2024": "一", "gz-li-tier-2021": "二(五)", "jx-subsidy-2024": "一",
    }


def test_cli_recompute(five):
    out = json.loads(run("projects", "recompute", "--as-of", "2025-06-30"))
    assert out["changed"] == 4 and out["colours"]["red"] == 1


def test_api_evaluate(admin_client):
    url = "/api/v1/rules/evaluate/"
    response = admin_client.post(url, {"jurisdiction": "360000", "rule": "project-tier",
                                       "input": {"total_investment": 1_200_000_000, "completed_investment": 400_000_000}},
                                 content_type="application/json")
    assert response.status_code == 200
    assert response.json()["decision"] == "city_county" and response.json()["clause"] == "一"
    colour = admin_client.post(url, {"jurisdiction": "152528", "rule": "colour", "input": {"slip_months": 3}, "on": "2025-06-30"},
                               content_type="application/json")
    assert colour.json() == {"decision": "red", "rule": "chainwatch-colour-default", "clause": None,
                             "explanation": "节点滞后3个月（达到红色阈值3个月），判定为红色，由省级调度。"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"jurisdiction": "360000", "rule": "tier", "input": {}}, "rule"),
        ({"jurisdiction": "360000", "rule": "subsidy", "input": [1, 2]}, "JSON 对象"),
        ({"jurisdiction": "360000", "rule": "subsidy", "input": {"requested_amount": "many"}}, "must be a number"),
        ({"jurisdiction": "150000", "rule": "project-tier", "input": {"total_investment": 1}}, "no project-tier rule"),
        ({"jurisdiction": "999999", "rule": "colour", "input": {"slip_months": 1}}, "不存在"),
        ({"jurisdiction": "360000", "rule": "colour", "input": {}}, "give slip_months"),
        ({"jurisdiction": "360000", "rule": "colour", "input": {"planned_date": "yesterday", "as_of": "2025-01-01"}}, "not an ISO date"),
        ({"rule": "colour", "input": {}}, "jurisdiction"),
    ],
)
def test_api_evaluate_bad_input_is_400(admin_client, body, message):
    response = admin_client.post("/api/v1/rules/evaluate/", body, content_type="application/json")
    assert response.status_code == 400
    assert message in json.dumps(response.json(), ensure_ascii=False)


def test_api_evaluate_needs_login(client):
    assert client.post("/api/v1/rules/evaluate/", {}, content_type="application/json").status_code in (401, 403)


def test_recompute_audits_every_change_with_actor_time_before_and_after(five, django_user_model):
    from django.utils import timezone

    from chainwatch.core import audit

    user = django_user_model.objects.create_user("rater", password="a-strong-password-1")
    started = timezone.now()
    services.recompute_tiers_and_colours(Project.objects.all(), as_of=AS_OF, actor=user)
    p1 = Project.objects.get(code="2024-360900-38-03-000001")
    entry = audit.history(p1).get(note="重算分级与预警 2025-06-30")
    assert (entry.actor, entry.actor_name, entry.action) == (user, "rater", "update")
    assert entry.object_repr == str(p1) and started <= entry.at <= timezone.now()
    assert entry.before == {"tier": "", "tier_rule": "", "colour": "", "colour_rule": "", "dispatch_level": ""}
    assert entry.after == {"tier": "province", "tier_rule": "jx-tier-2024", "colour": "yellow",
                           "colour_rule": "chainwatch-colour-default", "dispatch_level": "city"}
    later = services.recompute_tiers_and_colours(Project.objects.all(), as_of=date(2025, 8, 31), actor=user)
    assert later.changed == 2
    again = audit.history(p1).filter(note="重算分级与预警 2025-08-31").get()
    assert again.before == entry.after and again.after == {**entry.after, "colour": "red", "dispatch_level": "province"}
    assert AuditEntry.objects.filter(object_id="recompute", actor=user).count() == 2
