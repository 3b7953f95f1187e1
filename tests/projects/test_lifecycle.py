"""Project lifecycle: codes for life, stage transitions, investments and dates, append-only updates."""

from datetime import date
from decimal import Decimal

import pytest

from chainwatch.chains.models import Capacity
from chainwatch.core.audit import history
from chainwatch.projects import services
from chainwatch.projects.models import Project, ProjectUpdate, Stage, StageChange
from chainwatch.projects.services import ProjectError
from factories import EnterpriseFactory, region

pytestmark = pytest.mark.django_db
YI = 100_000_000
TODAY = date(2025, 6, 30)


def make(code="2025-150600-38-03-000101", **extra):
    values = {
        "actor": None, "code": code, "name": "测试电池项目", "region": region("150600"),
        "total_investment": 10 * YI, "planned_start": date(2025, 1, 1), "planned_end": date(2026, 6, 30),
        "on": TODAY,
    }
    values.update(extra)
    return services.create_project(**values)


@pytest.mark.parametrize("code", ["2025-150600-38-03-000101", "2019-360902-26-03-123456", "CW-150600-A1", "CW-150000-2025001"])
def test_accepted_codes(code):
    assert services.code_problem(code, region("150600")) is None


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("2025-1506-38-03-000101", "格式错误"),
        ("XM-2025-001", "格式错误"),
        ("2025-150600-38-03-00010", "格式错误"),
        ("CW-520000-X1", "须为项目所在地区150600或其上级"),  # Guizhou code for an Inner Mongolia project
        ("cw-150600-a1", "格式错误"),
    ],
)
def test_refused_codes(code, reason):
    with pytest.raises(ProjectError, match=reason):
        make(code=code)


def test_create_records_audit_and_capacity():
    owner = EnterpriseFactory()
    project = make(owner=owner, stage=Stage.CONSTRUCTION, actual_start=date(2025, 2, 1),
                   capacities=[{"node": "LI.CELL", "amount": 20, "unit": "GWh/年"}])
    assert project.code == "2025-150600-38-03-000101"
    capacity = Capacity.objects.get(project=project)
    assert (capacity.amount, capacity.unit, capacity.status) == (Decimal(20), "GWh/年", "construction")
    assert history(project).filter(action="create").count() == 1


def test_code_is_unique_and_never_changes():
    project = make()
    with pytest.raises(ProjectError, match="已存在"):
        make()
    with pytest.raises(ProjectError, match="终身不变"):
        services.update_project(project, actor=None, code="2025-150600-38-03-000999")


def test_completed_investment_above_total_is_refused():
    with pytest.raises(ProjectError, match="累计完成投资12亿元超过总投资10亿元"):
        make(completed_investment=12 * YI)
    project = make()
    with pytest.raises(ProjectError, match="超过总投资"):
        services.update_project(project, actor=None, total_investment=YI, completed_investment=2 * YI, on=TODAY)
    project.refresh_from_db()
    assert project.total_investment == 10 * YI  # nothing written


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"planned_start": date(2025, 6, 1), "planned_end": date(2025, 5, 31)}, "计划竣工2025-05-31早于计划开工2025-06-01"),
        ({"stage": Stage.CONSTRUCTION, "actual_start": date(2025, 7, 1)}, "实际开工2025-07-01晚于今天2025-06-30"),
        ({"stage": Stage.OPERATING, "actual_start": date(2025, 3, 1), "actual_end": date(2025, 2, 1)}, "实际竣工2025-02-01早于实际开工2025-03-01"),
        ({"actual_start": date(2025, 3, 1)}, "尚未开工，不应有实际开工日期"),
        ({"total_investment": 0}, "总投资：须大于0"),
        ({"total_investment": "十亿"}, "不是数字"),
        ({"annual_plan": 11 * YI}, "年度计划投资11亿元超过总投资10亿元"),
    ],
)
def test_bad_dates_and_amounts_are_refused(fields, message):
    with pytest.raises(ProjectError, match=message):
        make(**fields)
    assert not Project.objects.filter(code="2025-150600-38-03-000101").exists()


def test_stages_move_forward_and_back_only_with_a_reason():
    project = make()
    project = services.transition_stage(project, Stage.SIGNED, actor=None, on=date(2025, 2, 1))
    project = services.transition_stage(project, Stage.CONSTRUCTION, actor=None, on=date(2025, 3, 1))
    assert project.actual_start == date(2025, 3, 1)  # skipping 开工 is allowed and stamps the start
    with pytest.raises(ProjectError, match="退回“签约”须说明原因"):
        services.transition_stage(project, Stage.SIGNED, actor=None, on=date(2025, 4, 1))
    project = services.transition_stage(project, Stage.SIGNED, actor=None, on=date(2025, 4, 1), reason="施工许可被撤销")
    assert project.stage == Stage.SIGNED and project.actual_start is None
    changes = list(StageChange.objects.filter(project=project).values_list("from_stage", "to_stage", "reason"))
    assert changes == [("pipeline", "signed", ""), ("signed", "construction", ""), ("construction", "signed", "施工许可被撤销")]


def test_pause_needs_a_reason_and_resume_returns_to_the_stage_before():
    project = make(stage=Stage.CONSTRUCTION, actual_start=date(2025, 2, 1),
                   capacities=[{"node": "LI.CELL", "amount": 5}])
    with pytest.raises(ProjectError, match="暂停项目须说明原因"):
        services.pause_project(project, actor=None, reason=" ", on=TODAY)
    project = services.pause_project(project, actor=None, reason="环评未批复", on=TODAY)
    assert (project.stage, project.paused_from, project.pause_reason) == ("paused", "construction", "环评未批复")
    with pytest.raises(ProjectError, match="请先恢复"):
        services.transition_stage(project, Stage.OPERATING, actor=None, on=TODAY)
    project = services.resume_project(project, actor=None, on=TODAY)
    assert (project.stage, project.paused_from, project.pause_reason) == ("construction", "", "")
    assert Capacity.objects.get(project=project).status == "construction"
    project = services.transition_stage(project, Stage.OPERATING, actor=None, on=TODAY)
    assert project.actual_end == TODAY and Capacity.objects.get(project=project).status == "built"
    with pytest.raises(ProjectError, match="不能暂停"):
        services.pause_project(project, actor=None, reason="x", on=TODAY)


def test_updates_are_append_only_and_drive_completed_investment():
    project = make(stage=Stage.CONSTRUCTION, actual_start=date(2025, 1, 10), completed_investment=2 * YI)
    first = services.add_update(project, actor=None, period="2025-01", month_investment=YI // 2, narrative="主体施工")
    assert first.completed_investment == Decimal("250000000")
    second = services.add_update(project, actor=None, period="2025-02", completed_investment=3 * YI)
    assert second.month_investment == Decimal("50000000")
    project.refresh_from_db()
    assert project.completed_investment == 3 * YI
    with pytest.raises(ProjectError, match="2025-02的进展已报送"):
        services.add_update(project, actor=None, period="2025-02", month_investment=1)
    with pytest.raises(ProjectError, match="早于最近一期2025-02"):
        services.add_update(project, actor=None, period="2024-12", month_investment=1)
    with pytest.raises(ProjectError, match="应为 YYYY-MM"):
        services.add_update(project, actor=None, period="2025Q1", month_investment=1)
    with pytest.raises(ProjectError, match="上期累计2.5亿元\\+当期1亿元≠本期累计4亿元"):
        services.add_update(project, actor=None, period="2025-02", completed_investment=4 * YI, month_investment=YI, corrects=second)
    with pytest.raises(ProjectError, match="累计完成投资低于上期|低于上期累计"):
        services.add_update(project, actor=None, period="2025-03", completed_investment=2 * YI)
    with pytest.raises(ProjectError, match="累计完成投资11亿元超过总投资10亿元"):
        services.add_update(project, actor=None, period="2025-03", completed_investment=11 * YI)


def test_a_correction_replaces_the_latest_period_only():
    project = make(stage=Stage.CONSTRUCTION, actual_start=date(2025, 1, 10))
    january = services.add_update(project, actor=None, period="2025-01", month_investment=YI)
    february = services.add_update(project, actor=None, period="2025-02", month_investment=YI)
    with pytest.raises(ProjectError, match="只能更正最新一期"):
        services.add_update(project, actor=None, period="2025-01", month_investment=2 * YI, corrects=january)
    fixed = services.add_update(project, actor=None, period="2025-02", month_investment=YI // 2, corrects=february)
    assert fixed.completed_investment == Decimal("150000000")
    project.refresh_from_db()
    assert project.completed_investment == Decimal("150000000")
    assert list(services.effective_updates(project.updates.all()).values_list("period", flat=True)) == ["2025-01", "2025-02"]
    assert services.year_to_date_investment(project, date(2025, 2, 28)) == Decimal("150000000")
    assert ProjectUpdate.objects.filter(project=project).count() == 3  # nothing deleted
    with pytest.raises(ProjectError, match="只能更正最新一期"):
        services.add_update(project, actor=None, period="2025-02", month_investment=1, corrects=february)
