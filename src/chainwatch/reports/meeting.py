"""调度会议材料: the pack for a dispatch meeting of a region or cluster.

Red and yellow projects (``Project.colour``), overdue dispatch issues (``due`` before the as-of
date and not resolved) and lagging targets (yellow or red light), rendered through the same
renderers as the dispatch report.  Sample rows (origin = sample) are marked 示例数据.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chainwatch.chains.models import Sector
from chainwatch.core.models import Origin
from chainwatch.core.scoping import scope
from chainwatch.core.units import convert
from chainwatch.geo.models import Region
from chainwatch.projects.models import DispatchIssue, Project
from chainwatch.reports.dispatch import lagging_section, report_targets
from chainwatch.reports.structure import Column, Report, Section
from chainwatch.targets.services import evaluate_targets

COLOUR_ORDER = {"red": 0, "yellow": 1}


def _yi(value) -> float | None:
    return None if value is None else convert(value, "元", "亿元")


def projects_section(region: Region, cluster: Sector | None, user) -> tuple[Section, bool]:
    projects = Project.objects.select_related("region", "department", "owner", "rating").filter(
        region__path__startswith=region.path, rating__colour__in=("red", "yellow")
    )
    if cluster is not None:
        projects = projects.filter(Q(sector=cluster) | Q(sector__parent=cluster))
    if user is not None:
        projects = scope(projects, user)
    rows = []
    sample = False
    for project in sorted(projects, key=lambda p: (COLOUR_ORDER.get(p.rating.colour, 9), p.code)):
        is_sample = project.origin == Origin.SAMPLE
        sample = sample or is_sample
        rows.append({
            "code": project.code,
            "name": project.name,
            "region": project.region.name_zh,
            "stage": project.get_stage_display(),
            "total": _yi(project.total_investment),
            "plan": _yi(project.annual_plan),
            "completed": _yi(project.completed_investment),
            "colour": project.rating.colour,
            "leader": project.leader,
            "department": project.department.name if project.department_id else "",
            "source": _("示例数据") if is_sample else "",
        })
    section = Section(
        "projects",
        _("红黄灯项目"),
        [
            Column("code", _("项目代码"), width=2),
            Column("name", _("项目名称"), width=2.5),
            Column("region", _("地区")),
            Column("stage", _("阶段")),
            Column("total", _("总投资"), "number", unit="亿元"),
            Column("plan", _("年度计划投资"), "number", unit="亿元"),
            Column("completed", _("累计完成投资"), "number", unit="亿元"),
            Column("colour", _("预警"), "light"),
            Column("leader", _("包联领导")),
            Column("department", _("责任部门")),
            Column("source", _("数据性质")),
        ],
        rows,
        empty=_("无红黄灯项目"),
    )
    return section, sample


def issues_section(region: Region, cluster: Sector | None, as_of: date, user) -> tuple[Section, bool]:
    issues = DispatchIssue.objects.select_related("project", "owner").filter(
        project__region__path__startswith=region.path, due__lt=as_of
    ).exclude(status=DispatchIssue.Status.RESOLVED)
    if cluster is not None:
        issues = issues.filter(Q(project__sector=cluster) | Q(project__sector__parent=cluster))
    if user is not None:
        issues = scope(issues, user)
    rows = []
    sample = False
    for issue in issues.order_by("due", "pk"):
        is_sample = issue.origin == Origin.SAMPLE or issue.project.origin == Origin.SAMPLE
        sample = sample or is_sample
        rows.append({
            "project": f"{issue.project.code} {issue.project.name}",
            "description": issue.description,
            "owner": issue.owner.name if issue.owner_id else "",
            "raised": issue.raised_on,
            "due": issue.due,
            "overdue_days": (as_of - issue.due).days,
            "status": issue.get_status_display(),
            "source": _("示例数据") if is_sample else "",
        })
    section = Section(
        "issues",
        _("逾期未办结问题"),
        [
            Column("project", _("项目"), width=2.5),
            Column("description", _("问题"), width=4),
            Column("owner", _("责任部门")),
            Column("raised", _("提出日期"), "date"),
            Column("due", _("办结时限"), "date"),
            Column("overdue_days", _("逾期天数"), "number", unit="天"),
            Column("status", _("状态")),
            Column("source", _("数据性质")),
        ],
        rows,
        empty=_("无逾期问题"),
    )
    return section, sample


def build_meeting_pack(*, region: Region, cluster: Sector | None = None, as_of: date, user=None) -> Report:
    projects, projects_sample = projects_section(region, cluster, user)
    issues, issues_sample = issues_section(region, cluster, as_of, user)
    results = [r for r in evaluate_targets(report_targets(region, cluster, user), as_of=as_of) if r.restated is None]
    lagging = lagging_section(results)
    sample = projects_sample or issues_sample or any(r.sample for r in results if r.lagging)
    red = sum(1 for row in projects.rows if row["colour"] == "red")
    summary = Section(
        "summary",
        _("摘要"),
        [Column("item", _("项目")), Column("value", _("数值"))],
        [
            {"item": _("地区"), "value": region.name_zh},
            {"item": _("产业集群"), "value": cluster.name_zh if cluster else _("全部")},
            {"item": _("截至日期"), "value": as_of.isoformat()},
            {"item": _("红灯项目"), "value": red},
            {"item": _("黄灯项目"), "value": len(projects.rows) - red},
            {"item": _("逾期未办结问题"), "value": len(issues.rows)},
            {"item": _("落后目标"), "value": len(lagging.rows)},
        ]
        + ([{"item": _("数据说明"), "value": _("含示例数据（虚构，仅供演示）")}] if sample else []),
    )
    return Report(
        kind="meeting",
        title=_("调度会议材料"),
        region_name=region.name_zh,
        region_code=region.code,
        cluster_name=cluster.name_zh if cluster else None,
        cluster_code=cluster.code if cluster else None,
        as_of=as_of,
        generated_at=timezone.localtime(),
        sections=[summary, projects, issues, lagging],
        sample=sample,
        notes=[],
    )
