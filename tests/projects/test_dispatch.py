"""问题清单: raise, assign, resolve; overdue issues escalate one level (county → city → province)."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from chainwatch.geo.models import Department
from chainwatch.projects import services
from chainwatch.projects.models import DispatchIssue
from chainwatch.projects.services import ProjectError
from factories import region

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_project():
    return services.create_project(actor=None, code="2025-152528-09-03-000001", name="镶黄旗锂精矿项目",
                                   region=region("152528"), total_investment=8 * 10**8, on=date(2025, 6, 30))


@pytest.fixture
def department():
    return Department.objects.create(name="镶黄旗自然资源局", region=region("152528"), kind="resources")


def test_issue_lifecycle_and_escalation(county_project, department):
    issue = services.raise_issue(county_project, actor=None, description="用地指标未落实", due=date(2025, 7, 15),
                                 raised_on=date(2025, 7, 1))
    assert (issue.level, issue.status) == ("county", "open")  # a banner (county) project
    issue = services.assign_issue(issue, actor=None, owner=department)
    assert issue.status == "in_progress" and issue.owner == department
    assert services.escalate_overdue(as_of=date(2025, 7, 15), actor=None) == []  # due day itself is not overdue
    escalated = services.escalate_overdue(as_of=date(2025, 7, 16), actor=None)
    assert [(i.pk, i.level, i.status) for i in escalated] == [(issue.pk, "city", "escalated")]
    assert services.escalate_overdue(as_of=date(2025, 7, 16), actor=None) == []  # idempotent
    assert services.escalate_overdue(as_of=date(2025, 8, 30), actor=None) == []  # still escalated, not re-raised
    issue = services.assign_issue(issue, actor=None, owner=department, due=date(2025, 8, 31))
    assert (issue.status, issue.level) == ("in_progress", "city")
    services.escalate_overdue(as_of=date(2025, 9, 1), actor=None)
    issue.refresh_from_db()
    assert (issue.level, issue.escalated_on) == ("province", date(2025, 9, 1))
    services.assign_issue(issue, actor=None, owner=department, due=date(2025, 9, 10))
    services.escalate_overdue(as_of=date(2025, 9, 11), actor=None)
    issue.refresh_from_db()
    assert issue.level == "province"  # the top stays the top
    with pytest.raises(ProjectError, match="办理情况：必填"):
        services.resolve_issue(issue, actor=None, resolution=" ")
    issue = services.resolve_issue(issue, actor=None, resolution="已完成用地报批", on=date(2025, 9, 20))
    assert (issue.status, issue.resolved_on) == ("resolved", date(2025, 9, 20))
    assert services.escalate_overdue(as_of=date(2026, 1, 1), actor=None) == []
    with pytest.raises(ProjectError, match="已解决"):
        services.assign_issue(issue, actor=None, owner=department)


def test_default_levels_and_bad_input(county_project):
    city_project = services.create_project(actor=None, code="2025-150400-32-03-000002", name="赤峰项目",
                                           region=region("150400"), total_investment=10**9, on=date(2025, 6, 30))
    assert services.raise_issue(city_project, actor=None, description="x", due=date(2030, 1, 1)).level == "city"
    with pytest.raises(ProjectError, match="早于提出日期"):
        services.raise_issue(county_project, actor=None, description="x", due=date(2025, 1, 1), raised_on=date(2025, 2, 1))
    with pytest.raises(ProjectError, match="问题描述：必填"):
        services.raise_issue(county_project, actor=None, description="", due=date(2030, 1, 1))
    with pytest.raises(ProjectError, match="调度层级"):
        services.raise_issue(county_project, actor=None, description="x", due=date(2030, 1, 1), level="nation")


def test_cli_escalate(county_project):
    services.raise_issue(county_project, actor=None, description="电力接入", due=date(2025, 7, 1), raised_on=date(2025, 6, 1))
    out = StringIO()
    call_command("projects", "escalate", "--as-of", "2025-07-02", stdout=out)
    assert "escalated 1 overdue issues" in out.getvalue()
    out = StringIO()
    call_command("projects", "escalate", "--as-of", "2025-07-02", stdout=out)
    assert "escalated 0 overdue issues" in out.getvalue()
    assert DispatchIssue.objects.get().level == "city"
