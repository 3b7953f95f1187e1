"""Export of the project database: OC4IDS-style JSON (project package) and XLSX.

Callers pass an already scoped queryset (``services.scoped_projects(user, region_code=...)``).
OC4IDS mapping: id = project code (全国投资项目代码 or local CW- code), status from stage
(谋划储备 identification, 签约 preparation, 开工/在建/暂停 implementation, 竣工投产 completed),
budget = total investment in CNY, period = planned start/end, completion.endDate = actual end,
locations = GB/T 2260 division, parties = owner enterprise with its 统一社会信用代码 (scheme
CN-USCC), plus a ``chainwatch`` extension (stage in Chinese, tier, colour, chain nodes, completed
investment, actual start, rule keys).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import BinaryIO

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from chainwatch.chains.models import ChainNode
from chainwatch.projects.models import DispatchIssue, Project, ProjectUpdate, Stage

OC4IDS_STATUS = {
    Stage.PIPELINE: "identification",
    Stage.SIGNED: "preparation",
    Stage.STARTED: "implementation",
    Stage.CONSTRUCTION: "implementation",
    Stage.PAUSED: "implementation",
    Stage.OPERATING: "completed",
}


def _money(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral() else float(value)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def export_queryset(projects: QuerySet) -> QuerySet:
    return projects.select_related("region", "owner", "department", "sector", "rating").prefetch_related(
        Prefetch("nodes", queryset=ChainNode.objects.only("id", "code", "name_zh"))
    ).order_by("code")


def oc4ids_project(project: Project) -> dict:
    period = {k: v for k, v in (("startDate", _day(project.planned_start)), ("endDate", _day(project.planned_end))) if v}
    data: dict = {
        "id": project.code,
        "identifiers": [{"id": project.code, "scheme": "CN-TZXMDM" if not project.code.startswith("CW-") else "chainwatch"}],
        "title": project.name,
        "status": OC4IDS_STATUS.get(project.stage, "identification"),
        "budget": {"amount": {"amount": _money(project.total_investment), "currency": "CNY"}},
        "locations": [{
            "description": project.region.name_zh,
            "gazetteer": {"scheme": "GB/T 2260", "identifiers": [project.region.code]},
        }],
        "parties": [],
    }
    if period:
        data["period"] = period
    if project.actual_end:
        data["completion"] = {"endDate": _day(project.actual_end), "finalValue": {"amount": _money(project.completed_investment), "currency": "CNY"}}
    if project.owner_id:
        owner = project.owner
        party = {"id": owner.uscc or f"enterprise-{owner.pk}", "name": owner.name, "roles": ["funder"]}
        if owner.uscc:
            party["identifier"] = {"scheme": "CN-USCC", "id": owner.uscc, "legalName": owner.name}
        data["parties"].append(party)
    if project.department_id:
        data["parties"].append({"id": f"department-{project.department_id}", "name": project.department.name, "roles": ["publicAuthority"]})
    rating = project.rated
    data["chainwatch"] = {
        "stage": project.stage,
        "stage_zh": str(Stage(project.stage).label),
        "pause_reason": project.pause_reason or None,
        "tier": rating.tier or None,
        "tier_rule": rating.tier_rule or None,
        "colour": rating.colour or None,
        "colour_rule": rating.colour_rule or None,
        "dispatch_level": rating.dispatch_level or None,
        "rated_on": _day(rating.rated_on),
        "nodes": [{"code": n.code, "name": n.name_zh} for n in project.nodes.all()],
        "completed_investment": _money(project.completed_investment),
        "annual_plan": _money(project.annual_plan),
        "actual_start": _day(project.actual_start),
        "leader": project.leader or None,
        "origin": project.origin,
    }
    return data


def oc4ids_package(projects: QuerySet) -> dict:
    return {
        "version": "0.9",
        "publishedDate": timezone.now().replace(microsecond=0).isoformat(),
        "publisher": {"name": "chainwatch 产业链集群监测调度平台"},
        "projects": [oc4ids_project(p) for p in export_queryset(projects)],
    }


PROJECT_COLUMNS = [
    ("项目代码", "code"), ("项目名称", "name"), ("地区代码", "region_code"), ("地区", "region"),
    ("业主企业", "owner"), ("统一社会信用代码", "uscc"), ("阶段", "stage"), ("总投资（元）", "total"),
    ("年度计划投资（元）", "plan"), ("累计完成投资（元）", "completed"), ("计划开工", "planned_start"),
    ("计划竣工", "planned_end"), ("实际开工", "actual_start"), ("实际竣工", "actual_end"),
    ("调度层级", "tier"), ("预警颜色", "colour"), ("产业链环节", "nodes"), ("包联领导", "leader"),
    ("责任部门", "department"), ("数据来源类别", "origin"),
]


def write_xlsx(projects: QuerySet, stream: BinaryIO) -> int:
    """One row per project, a sheet of updates and a sheet of issues. Returns the project count."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "项目"
    sheet.append([title for title, _ in PROJECT_COLUMNS])
    rows = list(export_queryset(projects))
    for p in rows:
        values = {
            "code": p.code, "name": p.name, "region_code": p.region.code, "region": p.region.name_zh,
            "owner": p.owner.name if p.owner_id else "", "uscc": (p.owner.uscc or "") if p.owner_id else "",
            "stage": str(Stage(p.stage).label), "total": _money(p.total_investment), "plan": _money(p.annual_plan),
            "completed": _money(p.completed_investment), "planned_start": p.planned_start,
            "planned_end": p.planned_end, "actual_start": p.actual_start, "actual_end": p.actual_end,
            "tier": p.rated.tier, "colour": p.rated.colour, "nodes": "、".join(n.name_zh for n in p.nodes.all()),
            "leader": p.leader, "department": p.department.name if p.department_id else "", "origin": p.origin,
        }
        sheet.append([values[key] for _, key in PROJECT_COLUMNS])
    ids = [p.pk for p in rows]
    updates = workbook.create_sheet("进展")
    updates.append(["项目代码", "期间", "阶段", "累计完成投资（元）", "当期完成投资（元）", "进展情况", "填报人", "更正记录", "有效"])
    for u in ProjectUpdate.objects.filter(project_id__in=ids).select_related("project", "corrected_by").order_by("project__code", "period", "id"):
        superseded = hasattr(u, "corrected_by")  # reverse one-to-one: absent when not corrected
        updates.append([u.project.code, u.period, str(Stage(u.stage).label), _money(u.completed_investment),
                        _money(u.month_investment), u.narrative, u.reported_by, u.corrects_id or "", "否" if superseded else "是"])
    issues = workbook.create_sheet("问题清单")
    issues.append(["项目代码", "问题描述", "责任部门", "提出日期", "办结时限", "状态", "调度层级", "升级日期", "办结日期", "办理情况"])
    for i in DispatchIssue.objects.filter(project_id__in=ids).select_related("project", "owner").order_by("project__code", "due", "id"):
        issues.append([i.project.code, i.description, i.owner.name if i.owner_id else "", i.raised_on, i.due,
                       str(i.get_status_display()), str(i.get_level_display()), i.escalated_on, i.resolved_on, i.resolution])
    for ws in (sheet, updates, issues):
        ws.freeze_panes = "A2"
        for index in range(1, ws.max_column + 1):
            ws.column_dimensions[get_column_letter(index)].width = 16
    workbook.save(stream)
    return len(rows)
