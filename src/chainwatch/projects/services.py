"""Writes and reads of projects, rules, dispatch issues, cluster mechanisms, projections and leads.

Every write takes the acting user by keyword (``*, actor``), runs in one transaction and leaves
audit entries. Bad input raises ``ProjectError`` (a ValueError) whose message names the field and
the reason, in Chinese with an English gloss; pages, the API and the CLI show it as is.

Decisions (see the README paragraph of the projects app):

- **Project codes** are for life: unique, never changed. Accepted: the national online
  investment-platform code ``YYYY-XXXXXX-NN-NN-NNNNNN`` (year, 6-digit division code, industry,
  project type, serial), or a local code ``CW-<6-digit division code>-<serial>`` where the division
  is the project's region or one of its ancestors and the serial is 1–20 of A–Z, 0–9 — for
  projects that do not (yet) have a national code.
- **Stages** move forward (skipping allowed: 谋划储备 → 开工 is fine); backwards only with a
  reason; 暂停 only with a reason and from a stage before 竣工投产; resuming returns to the stage
  before the pause. Every change is a StageChange row.
- **Updates** are append-only, one per (project, period YYYY-MM). A period must be later than the
  latest reported one. A mistake in the latest period is corrected by a new row that ``corrects``
  it (the chain's last row is the effective one); earlier mistakes are absorbed by the next
  period's cumulative figure. The project's completed investment is the latest effective
  update's cumulative figure.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import CharField, FloatField, Q, QuerySet, Sum, prefetch_related_objects
from django.db.models.functions import Cast
from django.utils import timezone

from chainwatch.chains.models import Capacity, ChainNode, Enterprise, Sector
from chainwatch.core import audit
from chainwatch.core.bulk import Same, insert_columns
from chainwatch.core.models import AuditEntry, Origin
from chainwatch.core.periods import PeriodError, parse_period
from chainwatch.core.scoping import scope
from chainwatch.core.units import UnitError, convert
from chainwatch.geo.models import Department, Region
from chainwatch.projects import leads as lead_engine
from chainwatch.projects import projections
from chainwatch.projects import rules as engine
from chainwatch.projects.models import (
    ClusterMechanism,
    DispatchIssue,
    DispatchLevel,
    Lead,
    LeadClock,
    LeadShare,
    LeadStage,
    MechanismItem,
    Project,
    ProjectRating,
    ProjectUpdate,
    Rule,
    Stage,
    StageChange,
    StageProbability,
)
from chainwatch.targets.models import Observation, Target


class ProjectError(ValueError):
    """Bad input to a project service; the message names the field and the reason."""


STAGE_ORDER = [Stage.PIPELINE, Stage.SIGNED, Stage.STARTED, Stage.CONSTRUCTION, Stage.OPERATING]
_RANK = {stage.value: index for index, stage in enumerate(STAGE_ORDER)}
NATIONAL_CODE = re.compile(r"^(19|20)\d{2}-\d{6}-\d{2}-\d{2}-\d{6}$")
LOCAL_CODE = re.compile(r"^CW-(\d{6})-[0-9A-Z]{1,20}$")
LEVELS = [DispatchLevel.COUNTY, DispatchLevel.CITY, DispatchLevel.PROVINCE]


def today() -> date:
    return timezone.localdate()


def _decimal(value, field: str, *, allow_none: bool = False) -> Decimal | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise ProjectError(f"{field}：必填 / required")
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ProjectError(f"{field}：“{value}”不是数字 / not a number") from exc
    if not number.is_finite():
        raise ProjectError(f"{field}：“{value}”不是有限数字 / not a finite number")
    if number < 0:
        raise ProjectError(f"{field}：不能为负数（{value}） / must not be negative")
    return number


def _yi(amount) -> str:
    return engine.yi(float(amount))


# --------------------------------------------------------------------------- codes & validation


def code_problem(code: str, region: Region | None = None) -> str | None:
    """Why ``code`` cannot be a project code, or None."""
    if not code:
        return "项目代码：必填 / code is required"
    if NATIONAL_CODE.match(code):
        return None
    local = LOCAL_CODE.match(code)
    if local:
        if region is not None and local.group(1) not in {region.code, *region.ancestor_codes()}:
            return (
                f"项目代码“{code}”：本地代码中的区划“{local.group(1)}”须为项目所在地区{region.code}或其上级 / "
                "the division in a local code must be the project's region or an ancestor"
            )
        return None
    return (
        f"项目代码“{code}”格式错误：应为全国投资项目在线审批监管平台代码 YYYY-XXXXXX-NN-NN-NNNNNN，"
        "或本地代码 CW-<6位区划代码>-<编号> / expected the national project code or CW-<division>-<serial>"
    )


def validate_project(project: Project, *, on: date | None = None) -> None:
    """Investment and date rules; raises ProjectError listing every problem."""
    on = on or today()
    problems: list[str] = []
    total = project.total_investment
    if total is None or total <= 0:
        problems.append("总投资：须大于0 / total investment must be > 0")
    elif project.completed_investment is not None and project.completed_investment > total:
        problems.append(
            f"累计完成投资{_yi(project.completed_investment)}超过总投资{_yi(total)} / "
            "completed investment above the total"
        )
    if total and project.annual_plan is not None and project.annual_plan > total:
        problems.append(
            f"年度计划投资{_yi(project.annual_plan)}超过总投资{_yi(total)} / annual plan above the total"
        )
    if project.planned_start and project.planned_end and project.planned_end < project.planned_start:
        problems.append(
            f"计划竣工{project.planned_end}早于计划开工{project.planned_start} / planned_end before planned_start"
        )
    if project.actual_start and project.actual_start > on:
        problems.append(f"实际开工{project.actual_start}晚于今天{on} / actual_start is in the future")
    if project.actual_end and project.actual_end > on:
        problems.append(f"实际竣工{project.actual_end}晚于今天{on} / actual_end is in the future")
    if project.actual_end and not project.actual_start:
        problems.append("有实际竣工日期而无实际开工日期 / actual_end without actual_start")
    if project.actual_start and project.actual_end and project.actual_end < project.actual_start:
        problems.append(
            f"实际竣工{project.actual_end}早于实际开工{project.actual_start} / actual_end before actual_start"
        )
    stage = project.paused_from if project.stage == Stage.PAUSED else project.stage
    if project.actual_start and stage in (Stage.PIPELINE, Stage.SIGNED):
        problems.append("项目尚未开工，不应有实际开工日期 / actual_start before the project has started")
    if project.actual_end and stage != Stage.OPERATING:
        problems.append("项目尚未竣工投产，不应有实际竣工日期 / actual_end before the project is operating")
    if problems:
        raise ProjectError("；".join(problems))


# --------------------------------------------------------------------------- project lifecycle

PROJECT_FIELDS = (
    "name", "owner", "region", "sector", "total_investment", "annual_plan", "planned_start",
    "planned_end", "actual_start", "actual_end", "leader", "department",
)
_AMOUNT_FIELDS = {"total_investment": "总投资", "annual_plan": "年度计划投资", "completed_investment": "累计完成投资"}


def _capacity_status(stage: str) -> str:
    if stage in (Stage.PIPELINE, Stage.SIGNED):
        return Capacity.Status.PLANNED
    if stage == Stage.OPERATING:
        return Capacity.Status.BUILT
    return Capacity.Status.CONSTRUCTION


@transaction.atomic
def create_project(
    *,
    actor,
    code: str,
    name: str,
    region: Region,
    total_investment,
    stage: str = Stage.PIPELINE,
    completed_investment=0,
    annual_plan=None,
    owner: Enterprise | None = None,
    sector: Sector | None = None,
    nodes: Iterable[ChainNode] = (),
    planned_start: date | None = None,
    planned_end: date | None = None,
    actual_start: date | None = None,
    actual_end: date | None = None,
    leader: str = "",
    department: Department | None = None,
    capacities: Iterable[Mapping[str, Any]] = (),
    origin: str = Origin.USER,
    on: date | None = None,
) -> Project:
    code = (code or "").strip()
    problem = code_problem(code, region)
    if problem:
        raise ProjectError(problem)
    if Project.objects.filter(code=code).exists():
        raise ProjectError(f"项目代码“{code}”已存在：一个项目一个代码 / project code already exists")
    if not (name or "").strip():
        raise ProjectError("项目名称：必填 / name is required")
    if stage not in _RANK:
        raise ProjectError(f"阶段“{stage}”无效：新项目须处于{', '.join(_RANK)}之一 / invalid initial stage")
    project = Project(
        code=code,
        name=name.strip(),
        region=region,
        owner=owner,
        sector=sector,
        total_investment=_decimal(total_investment, "总投资 total_investment"),
        annual_plan=_decimal(annual_plan, "年度计划投资 annual_plan", allow_none=True),
        completed_investment=_decimal(completed_investment or 0, "累计完成投资 completed_investment"),
        stage=stage,
        planned_start=planned_start,
        planned_end=planned_end,
        actual_start=actual_start,
        actual_end=actual_end,
        leader=leader,
        department=department,
        origin=origin,
    )
    validate_project(project, on=on)
    project.save()
    project.nodes.set(list(nodes))
    rows = []
    for index, capacity in enumerate(capacities):
        node = capacity.get("node")
        if isinstance(node, str):
            node = ChainNode.objects.filter(code=node).first()
            if node is None:
                raise ProjectError(f"capacities[{index}].node：未知产业链环节“{capacity.get('node')}”")
        amount = _decimal(capacity.get("amount"), f"capacities[{index}].amount")
        unit = capacity.get("unit") or node.unit
        try:
            convert(1, unit, node.unit)
        except UnitError as exc:
            raise ProjectError(f"capacities[{index}].unit：{exc}") from exc
        rows.append(
            Capacity(
                node=node, region=region, project=project, amount=amount, unit=unit,
                status=_capacity_status(stage), source=capacity.get("source") or f"项目 {code}",
                origin=origin,
            )
        )
    Capacity.objects.bulk_create(rows)
    audit.record(actor, "create", project, after=audit.snapshot(project))
    return project


@transaction.atomic
def update_project(project: Project, *, actor, on: date | None = None, **changes) -> Project:
    """Change descriptive fields. The code never changes; the stage changes through
    transition_stage / pause_project / resume_project; completed investment follows updates."""
    if "code" in changes and changes["code"] != project.code:
        raise ProjectError("项目代码终身不变，不能修改 / the project code never changes")
    changes.pop("code", None)
    if "stage" in changes:
        raise ProjectError("阶段须通过阶段变更办理（transition_stage） / change the stage with transition_stage")
    if "completed_investment" in changes and project.updates.exists():
        raise ProjectError(
            "已有进展报告的项目，累计完成投资以最新进展为准，请报送进展 / completed investment follows the updates"
        )
    unknown = set(changes) - set(PROJECT_FIELDS) - {"completed_investment", "nodes"}
    if unknown:
        raise ProjectError(f"不能修改的字段：{', '.join(sorted(unknown))} / unknown fields")
    project = Project.objects.select_for_update().get(pk=project.pk)
    before = audit.snapshot(project)
    nodes = changes.pop("nodes", None)
    for name, value in changes.items():
        if name in _AMOUNT_FIELDS:
            value = _decimal(value, f"{_AMOUNT_FIELDS[name]} {name}", allow_none=name == "annual_plan")
        if name == "name" and not (value or "").strip():
            raise ProjectError("项目名称：必填 / name is required")
        setattr(project, name, value)
    validate_project(project, on=on)
    project.save()
    if nodes is not None:
        project.nodes.set(list(nodes))
    audit.record(actor, "update", project, before=before, after=audit.snapshot(project))
    return project


def _change_stage(project: Project, to_stage: str, *, actor, on: date, reason: str) -> Project:
    before = audit.snapshot(project)
    from_stage = project.stage
    project.stage = to_stage
    if to_stage in (Stage.STARTED, Stage.CONSTRUCTION, Stage.OPERATING) and not project.actual_start:
        project.actual_start = on
    if to_stage == Stage.OPERATING and not project.actual_end:
        project.actual_end = on
    if _RANK.get(to_stage, 99) < _RANK[Stage.STARTED] and from_stage != Stage.PAUSED:
        project.actual_start = None  # a reasoned step back before 开工
    if to_stage != Stage.OPERATING and to_stage != Stage.PAUSED:
        project.actual_end = None
    validate_project(project, on=on)
    project.save()
    effective = project.paused_from if to_stage == Stage.PAUSED else to_stage
    project.capacities.update(status=_capacity_status(effective))
    StageChange.objects.create(project=project, from_stage=from_stage, to_stage=to_stage, on=on, reason=reason,
                               actor=actor if getattr(actor, "pk", None) else None)
    audit.record(actor, "update", project, before=before, after=audit.snapshot(project),
                 note=f"阶段 {from_stage}→{to_stage} {reason}".strip())
    return project


@transaction.atomic
def transition_stage(project: Project, to_stage: str, *, actor, on: date | None = None, reason: str = "") -> Project:
    """Move a project along 谋划储备 → 签约 → 开工 → 在建 → 竣工投产. Backwards needs a reason."""
    on = on or today()
    reason = (reason or "").strip()
    project = Project.objects.select_for_update().get(pk=project.pk)
    if to_stage == Stage.PAUSED:
        return _pause(project, actor=actor, on=on, reason=reason)
    if to_stage not in _RANK:
        raise ProjectError(f"阶段“{to_stage}”无效 / unknown stage; expected one of {', '.join(_RANK)}")
    if project.stage == Stage.PAUSED:
        raise ProjectError("项目已暂停，请先恢复（resume） / the project is paused: resume it first")
    if to_stage == project.stage:
        raise ProjectError(f"项目已处于“{Stage(to_stage).label}”阶段 / already in that stage")
    if _RANK[to_stage] < _RANK[project.stage] and not reason:
        raise ProjectError(
            f"阶段从“{Stage(project.stage).label}”退回“{Stage(to_stage).label}”须说明原因 / "
            "a stage going backwards needs a reason"
        )
    return _change_stage(project, to_stage, actor=actor, on=on, reason=reason)


def _pause(project: Project, *, actor, on: date, reason: str) -> Project:
    if not reason:
        raise ProjectError("暂停项目须说明原因 / pausing needs a reason")
    if project.stage == Stage.PAUSED:
        raise ProjectError("项目已处于暂停状态 / already paused")
    if project.stage == Stage.OPERATING:
        raise ProjectError("已竣工投产的项目不能暂停 / an operating project cannot be paused")
    project.paused_from = project.stage
    project.pause_reason = reason[:300]
    return _change_stage(project, Stage.PAUSED, actor=actor, on=on, reason=reason)


@transaction.atomic
def pause_project(project: Project, *, actor, reason: str, on: date | None = None) -> Project:
    project = Project.objects.select_for_update().get(pk=project.pk)
    return _pause(project, actor=actor, on=on or today(), reason=(reason or "").strip())


@transaction.atomic
def resume_project(project: Project, *, actor, on: date | None = None, reason: str = "") -> Project:
    """Back to the stage the project was in before the pause."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.stage != Stage.PAUSED:
        raise ProjectError("项目未暂停，无需恢复 / the project is not paused")
    back = project.paused_from or Stage.PIPELINE
    project.paused_from = ""
    project.pause_reason = ""
    return _change_stage(project, back, actor=actor, on=on or today(), reason=reason or "恢复建设 / resumed")


def effective_updates(queryset: QuerySet | None = None) -> QuerySet:
    """Updates not superseded by a correction."""
    queryset = ProjectUpdate.objects.all() if queryset is None else queryset
    return queryset.filter(corrected_by__isnull=True)


@transaction.atomic
def add_update(
    project: Project,
    *,
    actor,
    period: str,
    completed_investment=None,
    month_investment=None,
    narrative: str = "",
    reported_by: str = "",
    corrects: ProjectUpdate | None = None,
) -> ProjectUpdate:
    """Append the monthly report of ``project`` for ``period`` (YYYY-MM).

    ``completed_investment`` is the cumulative figure, ``month_investment`` the month's; give
    either or both (they must agree with the previous period's cumulative figure).
    """
    project = Project.objects.select_for_update().get(pk=project.pk)
    try:
        parsed = parse_period(str(period))
    except PeriodError as exc:
        raise ProjectError(f"期间“{period}”：{exc}") from exc
    if parsed.kind != "month":
        raise ProjectError(f"期间“{period}”：项目进展按月报送，应为 YYYY-MM / updates are monthly (YYYY-MM)")
    label = parsed.label
    current = list(effective_updates(project.updates.all()).order_by("period", "id"))
    latest = current[-1] if current else None
    if corrects is not None:
        if corrects.project_id != project.pk:
            raise ProjectError("更正的进展不属于本项目 / the corrected update belongs to another project")
        if latest is None or corrects.pk != latest.pk:
            raise ProjectError(
                "只能更正最新一期的有效进展；更早的差错在下一期累计数中更正 / "
                "only the latest effective update can be corrected; later periods absorb earlier errors"
            )
        if label != corrects.period:
            raise ProjectError(f"更正须针对同一期间{corrects.period} / a correction keeps the period")
        previous = current[-2] if len(current) > 1 else None
    else:
        if project.updates.filter(period=label).exists():
            raise ProjectError(
                f"{label}的进展已报送；进展只增不改，如需更正请报送更正记录（corrects） / "
                "an update for this period exists: send a correction"
            )
        if latest is not None and label < latest.period:
            raise ProjectError(f"期间{label}早于最近一期{latest.period} / updates are appended in period order")
        previous = latest
    opening = previous.completed_investment if previous else _opening_balance(project, current)
    cumulative = _decimal(completed_investment, "累计完成投资 completed_investment", allow_none=True)
    month = _decimal(month_investment, "当期完成投资 month_investment", allow_none=True)
    if cumulative is None and month is None:
        raise ProjectError("须填报累计完成投资或当期完成投资 / give completed_investment or month_investment")
    if cumulative is None:
        cumulative = opening + month
    elif month is None:
        month = cumulative - opening
        if month < 0:
            raise ProjectError(
                f"累计完成投资{_yi(cumulative)}低于上期累计{_yi(opening)} / cumulative investment cannot fall"
            )
    elif abs(opening + month - cumulative) > Decimal("0.01"):
        raise ProjectError(
            f"上期累计{_yi(opening)}+当期{_yi(month)}≠本期累计{_yi(cumulative)} / "
            "cumulative must equal the previous cumulative plus the month"
        )
    if cumulative > project.total_investment:
        raise ProjectError(
            f"累计完成投资{_yi(cumulative)}超过总投资{_yi(project.total_investment)} / "
            "completed investment above the total"
        )
    update = ProjectUpdate.objects.create(
        project=project, period=label, stage=project.stage, completed_investment=cumulative,
        month_investment=month, narrative=narrative, reported_by=reported_by, corrects=corrects,
    )
    before = audit.snapshot(project)
    project.completed_investment = cumulative
    project.save(update_fields=["completed_investment", "updated_at"])
    audit.record(actor, "create", update, after=audit.snapshot(update),
                 note="更正 / correction" if corrects else "")
    audit.record(actor, "update", project, before=before, after=audit.snapshot(project), note=f"进展 {label}")
    return update


def _opening_balance(project: Project, current: Sequence[ProjectUpdate]) -> Decimal:
    """Cumulative investment before the first update: what the project carried when created."""
    if current:
        first = current[0]
        return first.completed_investment - first.month_investment
    return project.completed_investment or Decimal(0)


def year_to_date_investment(project: Project, on: date) -> Decimal:
    total = (
        effective_updates(project.updates.all())
        .filter(period__gte=f"{on.year}-01", period__lte=f"{on.year}-{on.month:02d}")
        .aggregate(total=Sum("month_investment"))["total"]
    )
    return total or Decimal(0)


# --------------------------------------------------------------------------- rules


def to_engine_rule(row: Rule) -> engine.Rule:
    return engine.Rule(
        key=row.key,
        kind=row.kind,
        jurisdiction=row.jurisdiction.code,
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        params=row.params,
        document=row.document.code if row.document_id else None,
        clause=row.clause.path if row.clause_id else None,
        span=row.span or None,
    )


def load_rules(kind: str | None = None) -> list[engine.Rule]:
    """The rules stored in the database (loaded by load-pack or entered by hand)."""
    rows = Rule.objects.select_related("jurisdiction", "document", "clause")
    if kind:
        rows = rows.filter(kind=kind)
    return [to_engine_rule(row) for row in rows]


def rule_problems(row: Rule) -> list[str]:
    """Params shape and overlaps with stored rules of the same kind and jurisdiction."""
    try:
        candidate = to_engine_rule(row)
    except AttributeError:
        return ["规则须有适用地区 / a rule needs a jurisdiction"]
    problems = engine.check_params(candidate)
    others = [
        to_engine_rule(other)
        for other in Rule.objects.select_related("jurisdiction", "document", "clause")
        .filter(kind=row.kind, jurisdiction_id=row.jurisdiction_id)
        .exclude(pk=row.pk)
    ]
    problems += engine.check_overlaps([*others, candidate])
    return problems


@transaction.atomic
def save_rule(row: Rule, *, actor) -> Rule:
    """Create or change a rule row; refuses bad params and overlapping effective dates."""
    if not row.key:
        raise ProjectError("规则键 key：必填 / key is required")
    if row.kind not in engine.KINDS:
        raise ProjectError(f"规则类别“{row.kind}”无效 / kind must be one of {', '.join(engine.KINDS)}")
    problems = rule_problems(row)
    if problems:
        raise ProjectError("；".join(problems))
    before = audit.snapshot(Rule.objects.get(pk=row.pk)) if row.pk else None
    row.save()
    audit.record(actor, "update" if before else "create", row, before=before, after=audit.snapshot(row))
    return row


def _region(code: str) -> Region:
    region = Region.objects.filter(code=code, valid_to__isnull=True).first()
    if region is None:
        raise ProjectError(f"地区代码“{code}”不存在 / unknown region code")
    return region


def evaluate_jurisdiction(code: str, kind: str, facts: Mapping[str, Any], *, on: date | None = None) -> engine.Decision:
    """The rule of ``kind`` in force for region ``code`` (or its nearest ancestor) applied to
    ``facts`` — what `chainwatch rules evaluate` and POST /api/v1/rules/evaluate/ return."""
    if kind not in engine.KINDS:
        raise ProjectError(f"规则类别“{kind}”无效 / rule must be one of {', '.join(engine.KINDS)}")
    if not isinstance(facts, Mapping):
        raise ProjectError("input 须为 JSON 对象 / input must be a JSON object")
    allowed = set(engine.INPUT_KEYS[kind])
    unknown = sorted(set(facts) - allowed)
    if unknown:
        raise ProjectError(
            f"input 含未知字段 {', '.join(unknown)}；{kind} 可用字段：{', '.join(engine.INPUT_KEYS[kind])} / unknown input keys"
        )
    region = _region(code)
    on = on or today()
    try:
        rule = engine.select_rule(load_rules(kind), kind, region.code, on, region.ancestor_codes())
        return engine.evaluate(rule, facts)
    except engine.RuleError as exc:
        raise ProjectError(str(exc)) from exc


def _colour_facts(project: Project, on: date) -> dict[str, Any]:
    stage = project.paused_from if project.stage == Stage.PAUSED else project.stage
    early = stage in (Stage.PIPELINE, Stage.SIGNED)
    planned = project.planned_start if early else project.planned_end
    actual = project.actual_start if early else project.actual_end
    facts: dict[str, Any] = {"as_of": on.isoformat()}
    if planned:
        facts["planned_date"] = planned.isoformat()
        if actual:
            facts["actual_date"] = actual.isoformat()
    if project.annual_plan:
        facts["annual_plan"] = float(project.annual_plan)
        facts["completed_investment"] = float(year_to_date_investment(project, on))
    return facts


def project_facts(project: Project, kind: str, *, on: date) -> dict[str, Any]:
    if kind == "project-tier":
        return {
            "total_investment": float(project.total_investment),
            "completed_investment": float(project.completed_investment),
        }
    if kind == "colour":
        return _colour_facts(project, on)
    return {}


def evaluate_project(project: Project, kind: str, *, on: date, facts: Mapping[str, Any] | None = None) -> engine.Decision:
    """Select the rule in force for the project's region (nearest ancestor, then national) and
    apply it to the project's facts (``facts`` adds to or overrides them: a subsidy needs
    requested_amount)."""
    if kind not in engine.KINDS:
        raise ProjectError(f"规则类别“{kind}”无效 / rule must be one of {', '.join(engine.KINDS)}")
    merged = {**project_facts(project, kind, on=on), **(facts or {})}
    region = project.region
    try:
        rule = engine.select_rule(load_rules(kind), kind, region.code, on, region.ancestor_codes())
        return engine.evaluate(rule, merged)
    except engine.RuleError as exc:
        raise ProjectError(f"项目{project.code}：{exc}") from exc


def _dates(values: Sequence[str | None]) -> np.ndarray:
    """ISO date strings from the cursor (None → NaT) as datetime64[D], parsed by numpy in C."""
    return np.array([value[:10] if value else "NaT" for value in values], dtype="datetime64[D]")


def _floats(values: Sequence[float | None]) -> np.ndarray:
    """Amounts cast to floats by the database (None → NaN) as float64."""
    return np.array(values, dtype=np.float64)


@dataclass
class RecomputeSummary:
    as_of: date
    projects: int
    changed: int
    tiers: dict[str, int]
    colours: dict[str, int]
    no_tier_rule: int
    unrated: int

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(), "projects": self.projects, "changed": self.changed,
            "tiers": self.tiers, "colours": self.colours, "no_tier_rule": self.no_tier_rule,
            "unrated": self.unrated,
        }


RATING_FIELDS = ("tier", "tier_rule", "colour", "colour_rule", "dispatch_level")
RECOMPUTE_NOTE = "重算分级与预警"  # the note of every audit entry a recompute writes


def _write_ratings(ids: list[int], ratings: dict[str, list[str]], stored: list[bool], *, as_of: date, now) -> None:
    """Write the ratings (``RATING_FIELDS`` → a column of values) of the changed projects into
    ProjectRating, narrow rows apart from the projects (see its docstring): projects rated
    before (``stored``) are upserted, the others inserted (``COPY`` on PostgreSQL, no conflict
    check)."""
    for upsert in (False, True):
        rows = [i for i, was_stored in enumerate(stored) if was_stored is upsert]
        columns = {name: [values[i] for i in rows] for name, values in (("project_id", ids), *ratings.items())}
        insert_columns(ProjectRating, {**columns, "rated_on": Same(as_of), "computed_at": Same(now)}, len(rows),
                       update_on=("project",) if upsert else ())


@transaction.atomic
def recompute_tiers_and_colours(queryset: QuerySet, *, as_of: date, actor) -> RecomputeSummary:
    """Tier and colour of every project in ``queryset`` as of ``as_of``, evaluated in bulk.

    One read: the projects joined to their year-to-date investment (one grouped subquery), into
    numpy columns; projects are grouped by the rule in force for their region; only changed rows
    are written (into ProjectRating) and audited in bulk (audit.record_rows), plus one summary
    entry per run.
    """
    dates = {f"{name}_iso": Cast(name, CharField()) for name in ("planned_start", "planned_end", "actual_start", "actual_end")}
    amounts = {f"{name}_float": Cast(name, FloatField()) for name in ("total_investment", "completed_investment", "annual_plan")}
    query = (
        queryset.order_by()
        .annotate(**amounts, **dates)
        .values_list(
            "id", "code", "name", "region__path", "stage", "paused_from", *amounts, *dates,
            *(f"rating__{name}" for name in RATING_FIELDS),
        )
    )
    ytd = (
        effective_updates()
        .filter(project__in=queryset.order_by().values("pk"), period__gte=f"{as_of.year}-01",
                period__lte=f"{as_of.year}-{as_of.month:02d}")
        .order_by()
        .values("project")
        .annotate(total=Cast(Sum("month_investment"), FloatField()))
        .values_list("project", "total")
    )
    # One query, the projects joined to their grouped year-to-date sums, run on the cursor with
    # amounts as floats and dates as ISO text: the ORM's per-value converters (Decimal
    # quantising, date parsing) would cost more than the whole evaluation.
    projects_sql, projects_params = query.query.sql_with_params()
    ytd_sql, ytd_params = ytd.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.*, y.total FROM ({projects_sql}) p LEFT JOIN ({ytd_sql}) y ON y.project = p.id",
            (*projects_params, *ytd_params),
        )
        rows = cursor.fetchall()
    size = len(rows)
    summary = RecomputeSummary(as_of, size, 0, {}, {}, 0, 0)
    if not size:
        return summary
    columns = list(zip(*rows, strict=True))
    ids, codes, names, paths, stages, paused_from = (columns[i] for i in range(6))
    stage_now = np.array([p if s == Stage.PAUSED and p else s for s, p in zip(stages, paused_from, strict=True)], dtype=object)
    early = np.isin(stage_now, [Stage.PIPELINE.value, Stage.SIGNED.value])
    total = _floats(columns[6])
    completed = _floats(columns[7])
    plan = _floats(columns[8])
    year_done = _floats([total or 0 for total in columns[-1]])
    planned_start, planned_end = _dates(columns[9]), _dates(columns[10])
    actual_start, actual_end = _dates(columns[11]), _dates(columns[12])
    stored = [value is not None for value in columns[13]]  # None: no ProjectRating row yet
    old = {name: [value or "" for value in columns[13 + i]] for i, name in enumerate(RATING_FIELDS)}

    unique_paths = sorted(set(paths))
    path_index = {path: i for i, path in enumerate(unique_paths)}
    row_path = np.fromiter((path_index[p] for p in paths), dtype=np.int32, count=size)
    all_rules = load_rules()

    def rules_by_path(kind: str) -> list[engine.Rule | None]:
        found = []
        for path in unique_paths:
            codes_up = path.strip("/").split("/")[::-1]
            try:
                found.append(engine.select_rule(all_rules, kind, codes_up[0], as_of, codes_up[1:]))
            except engine.RuleError:
                found.append(None)
        return found

    new_tier = np.full(size, "", dtype=object)
    tier_rule = np.full(size, "", dtype=object)
    tier_rules = rules_by_path("project-tier")
    for rule in {r.key: r for r in tier_rules if r is not None}.values():
        mask = np.isin(row_path, [i for i, r in enumerate(tier_rules) if r is not None and r.key == rule.key])
        result = engine.evaluate_bulk(rule, {"total_investment": total[mask], "completed_investment": completed[mask]})
        new_tier[mask] = result.decisions()
        tier_rule[mask] = rule.key

    new_colour = np.full(size, "", dtype=object)
    colour_rule = np.full(size, "", dtype=object)
    dispatch = np.full(size, "", dtype=object)
    planned = np.where(early, planned_start, planned_end)
    actual = np.where(early, actual_start, actual_end)
    colour_rules = rules_by_path("colour")
    for rule in {r.key: r for r in colour_rules if r is not None}.values():
        mask = np.isin(row_path, [i for i, r in enumerate(colour_rules) if r is not None and r.key == rule.key])
        result = engine.evaluate_bulk(rule, {
            "planned_date": planned[mask], "actual_date": actual[mask], "as_of": np.datetime64(as_of, "D"),
            "annual_plan": np.nan_to_num(plan[mask], nan=0.0), "completed_investment": year_done[mask],
        })
        slip = result.details.get("slip_months")
        gap = result.details.get("pace_gap")
        rated = ~np.isnan(slip) | ~np.isnan(gap)
        labels = np.where(rated, result.decisions(), "")
        new_colour[mask] = labels
        colour_rule[mask] = np.where(rated, rule.key, "")
        dispatch[mask] = np.where(rated, result.details["dispatch"], "")

    new = {"tier": new_tier, "tier_rule": tier_rule, "colour": new_colour, "colour_rule": colour_rule, "dispatch_level": dispatch}
    changed_mask = np.zeros(size, dtype=bool)
    for name in RATING_FIELDS:
        changed_mask |= np.asarray(old[name], dtype=object) != new[name]
    changed = np.nonzero(changed_mask)[0].tolist()
    ratings = {field: np.asarray(new[field], dtype=object)[changed].astype(str).tolist() for field in RATING_FIELDS}
    befores = zip(*(np.asarray(old[field], dtype=object)[changed].tolist() for field in RATING_FIELDS), strict=True)
    changed_ids = [ids[i] for i in changed]
    # One before/after dict per distinct outcome, shared by its rows: the audit serialises each once.
    states: dict[tuple, dict] = {}
    changes = []
    for i, before, after in zip(changed, befores, zip(*ratings.values(), strict=True), strict=True):
        for state in (before, after):
            if state not in states:
                states[state] = dict(zip(RATING_FIELDS, state, strict=True))
        changes.append((ids[i], f"{codes[i]} {names[i]}", states[before], states[after]))
    _write_ratings(changed_ids, ratings, [stored[i] for i in changed], as_of=as_of, now=timezone.now())
    audit.record_rows(actor, AuditEntry.Action.UPDATE, Project, changes, note=f"{RECOMPUTE_NOTE} {as_of.isoformat()}")
    tiers, colours = defaultdict(int), defaultdict(int)
    for value in new_tier.tolist():
        tiers[value or "none"] += 1
    for value in new_colour.tolist():
        colours[value or "unrated"] += 1
    summary = RecomputeSummary(
        as_of, size, len(changes), dict(tiers), dict(colours), tiers.get("none", 0), colours.get("unrated", 0)
    )
    audit.record_rows(
        actor, AuditEntry.Action.UPDATE, Project,
        [("recompute", f"重算调度层级与预警颜色 {as_of.isoformat()}", None, summary.as_dict())],
        note=f"{size}个项目，{len(changes)}个变化",
    )
    return summary


# --------------------------------------------------------------------------- dispatch issues


def _default_level(region: Region) -> str:
    if region.level in (Region.Level.COUNTRY, Region.Level.PROVINCE):
        return DispatchLevel.PROVINCE
    if region.level == Region.Level.PREFECTURE:
        return DispatchLevel.CITY
    return DispatchLevel.COUNTY


@transaction.atomic
def raise_issue(
    project: Project, *, actor, description: str, due: date, owner: Department | None = None,
    raised_on: date | None = None, level: str | None = None,
) -> DispatchIssue:
    """Put a problem on the project's 问题清单. The dispatch level defaults to the level of the
    project's region (county, city = prefecture/league, province)."""
    raised_on = raised_on or today()
    if not (description or "").strip():
        raise ProjectError("问题描述：必填 / description is required")
    if due < raised_on:
        raise ProjectError(f"办结时限{due}早于提出日期{raised_on} / due before raised_on")
    if level is not None and level not in DispatchLevel.values:
        raise ProjectError(f"调度层级“{level}”无效 / level must be county, city or province")
    issue = DispatchIssue.objects.create(
        project=project, description=description.strip(), owner=owner, raised_on=raised_on, due=due,
        level=level or _default_level(project.region),
    )
    audit.record(actor, "create", issue, after=audit.snapshot(issue))
    return issue


@transaction.atomic
def assign_issue(issue: DispatchIssue, *, actor, owner: Department, due: date | None = None) -> DispatchIssue:
    """Give the issue an owner department (and optionally a new due date): status 推进中."""
    issue = DispatchIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.status == DispatchIssue.Status.RESOLVED:
        raise ProjectError("问题已解决，不能再交办 / the issue is resolved")
    if owner is None:
        raise ProjectError("责任部门：必填 / owner department is required")
    if due is not None and due < issue.raised_on:
        raise ProjectError(f"办结时限{due}早于提出日期{issue.raised_on} / due before raised_on")
    before = audit.snapshot(issue)
    issue.owner = owner
    if due is not None:
        issue.due = due
    issue.status = DispatchIssue.Status.IN_PROGRESS
    issue.save()
    audit.record(actor, "update", issue, before=before, after=audit.snapshot(issue), note="交办 / assigned")
    return issue


@transaction.atomic
def resolve_issue(issue: DispatchIssue, *, actor, resolution: str, on: date | None = None) -> DispatchIssue:
    issue = DispatchIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.status == DispatchIssue.Status.RESOLVED:
        raise ProjectError("问题已解决 / already resolved")
    if not (resolution or "").strip():
        raise ProjectError("办理情况：必填 / a resolution is required")
    before = audit.snapshot(issue)
    issue.status = DispatchIssue.Status.RESOLVED
    issue.resolution = resolution.strip()
    issue.resolved_on = on or today()
    issue.save()
    audit.record(actor, "update", issue, before=before, after=audit.snapshot(issue), note="办结 / resolved")
    return issue


@transaction.atomic
def escalate_overdue(*, as_of: date, actor, queryset: QuerySet | None = None) -> list[DispatchIssue]:
    """Issues open or in progress past their due date: status 已升级, level one step up
    (county → city → province; province stays). Idempotent: an escalated issue escalates again
    only after it is re-assigned with a new due date and misses that too."""
    issues = list(
        (queryset if queryset is not None else DispatchIssue.objects.all())
        .select_related("project")
        .filter(status__in=[DispatchIssue.Status.OPEN, DispatchIssue.Status.IN_PROGRESS], due__lt=as_of)
        .select_for_update(of=("self",))
    )
    entries = []
    for issue in issues:
        before = audit.snapshot(issue)
        index = LEVELS.index(issue.level) if issue.level in LEVELS else 0
        issue.level = LEVELS[min(index + 1, len(LEVELS) - 1)]
        issue.status = DispatchIssue.Status.ESCALATED
        issue.escalated_on = as_of
        entries.append(audit.entry(actor, "update", issue, before=before, after=audit.snapshot(issue),
                                   note=f"逾期升级 {as_of.isoformat()}"))
    DispatchIssue.objects.bulk_update(issues, ["level", "status", "escalated_on"])
    audit.record_many(entries)
    return issues


# --------------------------------------------------------------------------- cluster mechanisms (七个一)


@transaction.atomic
def ensure_mechanisms(*, actor) -> int:
    """Create the seven checklist items of every cluster that lacks them; 牵头部门 is pre-filled
    from the knowledge pack's lead department (not confirmed: a person confirms with evidence)."""
    clusters = list(Sector.objects.filter(kind=Sector.Kind.CLUSTER).select_related("lead_department", "document"))
    existing = set(ClusterMechanism.objects.values_list("sector_id", "item"))
    rows = []
    for cluster in clusters:
        for item in MechanismItem:
            if (cluster.pk, item.value) in existing:
                continue
            row = ClusterMechanism(sector=cluster, item=item.value)
            if item == MechanismItem.LEAD_DEPARTMENT and cluster.lead_department_id:
                row.department = cluster.lead_department
                row.value = cluster.lead_department.name
                row.source = f"知识包 / knowledge pack: {cluster.document.code if cluster.document_id else cluster.code}"
            rows.append(row)
    created = ClusterMechanism.objects.bulk_create(rows)
    audit.record_many(audit.entry(actor, "create", row, after=audit.snapshot(row)) for row in created)
    return len(created)


@transaction.atomic
def confirm_mechanism(
    mechanism: ClusterMechanism, *, actor, done: bool = True, value: str | None = None,
    evidence_text: str = "", evidence_url: str = "", evidence_file: str = "",
    department: Department | None = None, enterprise: Enterprise | None = None,
) -> ClusterMechanism:
    """Mark an item done (with evidence: text, URL or file name) or not done; records who and when."""
    mechanism = ClusterMechanism.objects.select_for_update().get(pk=mechanism.pk)
    before = audit.snapshot(mechanism)
    if value is not None:
        mechanism.value = value.strip()
    mechanism.evidence_text = evidence_text or mechanism.evidence_text
    mechanism.evidence_url = evidence_url or mechanism.evidence_url
    mechanism.evidence_file = evidence_file or mechanism.evidence_file
    if department is not None:
        mechanism.department = department
    if enterprise is not None:
        mechanism.enterprise = enterprise
    if done and not (mechanism.evidence_text or mechanism.evidence_url or mechanism.evidence_file):
        raise ProjectError(
            f"“{mechanism.get_item_display()}”确认落实须附佐证（说明、链接或文件名） / evidence is required"
        )
    mechanism.done = done
    mechanism.confirmed_by = actor if getattr(actor, "pk", None) else None
    mechanism.confirmed_at = timezone.now()
    mechanism.save()
    audit.record(actor, "update", mechanism, before=before, after=audit.snapshot(mechanism))
    return mechanism


def completeness(items: Iterable[tuple[bool, Decimal | float]]) -> float:
    """Share of the weight that is done (0..1); equal weights give done items / all items."""
    items = list(items)
    weight = sum(float(w) for _, w in items)
    return sum(float(w) for done, w in items if done) / weight if weight else 0.0


def mechanism_scores(clusters: QuerySet) -> list[dict]:
    """Each cluster with its seven items and completeness score (two queries)."""
    clusters = clusters.filter(kind=Sector.Kind.CLUSTER).select_related("region", "lead_department").prefetch_related(
        "mechanisms__department", "mechanisms__confirmed_by"
    ).order_by("code")
    out = []
    order = {item.value: i for i, item in enumerate(MechanismItem)}
    for cluster in clusters:
        items = sorted(cluster.mechanisms.all(), key=lambda m: order.get(m.item, 99))
        out.append({
            "cluster": cluster,
            "items": items,
            "done": sum(1 for m in items if m.done),
            "total": len(items),
            "score": completeness((m.done, m.weight) for m in items),
        })
    return out


# --------------------------------------------------------------------------- projection to targets


def _probability_rows(codes: Iterable[str]) -> list[tuple[str, str, Decimal]]:
    return list(StageProbability.objects.filter(jurisdiction__code__in=set(codes)).values_list(
        "jurisdiction__code", "stage", "probability"
    ))


def _resolve_probabilities(region: Region, rows: Iterable[tuple[str, str, Decimal]]) -> dict[str, float]:
    """Per stage, the probability of the nearest jurisdiction (region, then ancestors) among
    ``rows`` that states one, else the default."""
    chain = [region.code, *region.ancestor_codes()]
    found: dict[str, tuple[int, float]] = {}
    for code, stage, probability in rows:
        if code not in chain:
            continue
        rank = chain.index(code)
        if stage not in found or rank < found[stage][0]:
            found[stage] = (rank, float(probability))
    return {**projections.DEFAULT_PROBABILITIES, **{stage: p for stage, (_, p) in found.items()}}


def capacity_targets(queryset: QuerySet | None = None) -> QuerySet:
    queryset = Target.objects.all() if queryset is None else queryset
    return queryset.filter(indicator__code="CAPACITY", chain_node__isnull=False, year__isnull=False).exclude(
        review=Target.Review.REJECTED
    )


_MAX_SUBTREES = 100


def _in_subtrees(lookup: str, paths: Iterable[str]) -> Q:
    """Rows whose ``lookup`` (a region path) lies under one of ``paths``. Past _MAX_SUBTREES
    subtrees no condition at all (an OR that long costs more than it saves): the callers match
    paths in Python anyway."""
    roots: list[str] = []
    for path in sorted(set(paths)):  # an ancestor sorts before its descendants
        if not roots or not path.startswith(roots[-1]):
            roots.append(path)
    if len(roots) > _MAX_SUBTREES:
        return Q()
    condition = Q()
    for path in roots:
        condition |= Q(**{f"{lookup}__startswith": path})
    return condition


def _by_path(groups: Mapping[int, list[tuple]]) -> dict[int, tuple[list[tuple], list[str]]]:
    """Per key, its rows (path first, then a unique id) sorted, and their paths: a subtree is one
    slice (``_under``)."""
    return {key: (sorted(rows), sorted(row[0] for row in rows)) for key, rows in groups.items()}


def _under(indexed: tuple[list[tuple], list[str]] | None, path: str) -> list[tuple]:
    """The rows whose path starts with ``path``, by id (their second column)."""
    if indexed is None:
        return []
    rows, paths = indexed
    return sorted(rows[bisect_left(paths, path):bisect_left(paths, path + "\U0010ffff")], key=lambda row: row[1])


def project_target(
    target: Target, *, scenario: projections.Scenario | None = None, user=None
) -> projections.Projection:
    """Project a capacity target (indicator CAPACITY with a chain node) to its year.

    Built = the latest approved region-level CAPACITY observation of the target's region and node
    (by the end of the target year) + built capacity rows of enterprises in the region's subtree
    that started after that observation's year (all of them when there is no observation).
    Projects = projects in the subtree carrying capacity at the node, by stage. An operating
    project that commissioned by the observation's period end is already in it and is not added.
    ``user`` scopes the projects (pages and the API pass request.user).
    """
    return project_targets([target], scenario=scenario, user=user)[0]


def project_targets(
    targets: Iterable[Target], *, scenario: projections.Scenario | None = None, user=None
) -> list[projections.Projection]:
    """``project_target`` of each target, in order, in a constant number of queries: the
    observations, built capacities, project capacities and stage probabilities of all the
    targets' regions and nodes are read once and grouped in Python (plus the targets'
    indicators and regions when the caller did not load them)."""
    targets = list(targets)
    prefetch_related_objects(targets, "indicator", "region")
    for target in targets:
        if target.indicator.code != "CAPACITY" or target.chain_node_id is None or target.year is None:
            raise ProjectError(
                f"目标{target.key or target.pk}不是产能目标（须为 CAPACITY 指标且有产业链环节和年份） / not a capacity target"
            )
    if not targets:
        return []
    regions = {target.region_id: target.region for target in targets}
    nodes = {target.chain_node_id for target in targets}
    last_year = max(target.year for target in targets)
    paths = [region.path for region in regions.values()]

    observations: dict[tuple[int, int], list[Observation]] = defaultdict(list)
    for observation in (
        Observation.objects.filter(
            indicator__code="CAPACITY", region_id__in=regions, chain_node_id__in=nodes,
            status=Observation.Status.APPROVED, is_current=True,
        )
        .order_by("-period_end", "-pk")
        .only("id", "key", "region", "chain_node", "indicator_text", "period", "period_end", "value", "unit",
              "source", "reporter_text")
    ):
        observations[observation.region_id, observation.chain_node_id].append(observation)  # latest first

    built: dict[int, list[tuple]] = defaultdict(list)
    for node_id, *row in (
        Capacity.objects.filter(status=Capacity.Status.BUILT, project__isnull=True, node_id__in=nodes)
        .filter(_in_subtrees("region__path", paths))
        .filter(Q(start_year__isnull=True) | Q(start_year__lte=last_year))
        .values_list("node_id", "region__path", "id", "amount", "unit", "start_year", "source", "enterprise_id",
                     "enterprise__name")
    ):
        built[node_id].append(tuple(row))
    projects = Project.objects.filter(_in_subtrees("region__path", paths))
    if user is not None:
        projects = scope(projects, user)
    carried: dict[int, list[tuple]] = defaultdict(list)
    described: dict[int, tuple] = {}
    for node_id, path, capacity_id, project_id, amount, cap_unit, *project in (
        Capacity.objects.filter(node_id__in=nodes, project__in=projects)
        .values_list("node_id", "project__region__path", "id", "project_id", "amount", "unit", "project__code",
                     "project__name", "project__stage", "project__planned_end", "project__actual_end")
    ):
        carried[node_id].append((path, capacity_id, project_id, amount, cap_unit))
        described[project_id] = tuple(project)
    built_under, carried_under = _by_path(built), _by_path(carried)
    probability_rows = _probability_rows(code for path in paths for code in path.strip("/").split("/"))
    probabilities: dict[int, dict[str, float]] = {}

    results = []
    for target in targets:
        region, node, unit, year = target.region, target.chain_node_id, target.unit, target.year

        def to_unit(amount, from_unit: str, what: str, unit=unit) -> float:
            try:
                return convert(amount, from_unit, unit)
            except UnitError as exc:
                raise ProjectError(f"{what}：{exc}") from exc

        baseline: list[projections.BaselineItem] = []
        observation = next(
            (o for o in observations.get((region.pk, node), ()) if o.period_end <= date(year, 12, 31)), None
        )
        if observation is not None:
            baseline.append(projections.BaselineItem(
                label=f"{observation.indicator_text or '已建成产能'}（{observation.period}）",
                amount=to_unit(observation.value, observation.unit, f"观测值{observation.key or observation.pk}"),
                source=observation.key or observation.source or observation.reporter_text,
            ))
        for _, capacity_id, amount, cap_unit, start_year, source, enterprise_id, enterprise_name in _under(
            built_under.get(node), region.path
        ):
            if start_year is not None and start_year > year:
                continue
            if observation is not None and (start_year is None or start_year <= observation.period_end.year):
                continue
            baseline.append(projections.BaselineItem(
                label=f"{enterprise_name if enterprise_id else '已建成产能'}（{start_year or ''}）",
                amount=to_unit(amount, cap_unit, f"产能{capacity_id}"),
                source=source,
            ))
        amounts: dict[int, float] = defaultdict(float)
        for _, _, project_id, amount, cap_unit in _under(carried_under.get(node), region.path):
            amounts[project_id] += to_unit(amount, cap_unit, f"项目产能（项目{project_id}）")
        inputs = []
        cutoff = observation.period_end if observation is not None else None
        for project_id in sorted(amounts, key=lambda pk: described[pk][0]):
            code, name, stage, planned_end, actual_end = described[project_id]
            commissioned = actual_end or planned_end
            if cutoff and stage == Stage.OPERATING and commissioned and commissioned <= cutoff:
                continue  # already in the published built figure
            inputs.append(projections.ProjectInput(
                code=code, name=name, stage=stage, amount=amounts[project_id],
                planned_end=planned_end, actual_end=actual_end,
            ))
        if region.pk not in probabilities:
            probabilities[region.pk] = _resolve_probabilities(region, probability_rows)
        try:
            results.append(projections.project_to_target(
                year=year, target=float(target.value), baseline=baseline, projects=inputs,
                probabilities=probabilities[region.pk], scenario=scenario,
            ))
        except projections.ProjectionError as exc:
            raise ProjectError(str(exc)) from exc
    return results


def scenario_from(slip_months: int | None = None, codes: Iterable[str] | str | None = None) -> projections.Scenario:
    if isinstance(codes, str):
        codes = [c.strip() for c in codes.split(",") if c.strip()]
    chosen = frozenset(codes) if codes else None
    if chosen:
        known = set(Project.objects.filter(code__in=chosen).values_list("code", flat=True))
        missing = sorted(chosen - known)
        if missing:
            raise ProjectError(f"未知项目代码：{', '.join(missing)} / unknown project codes")
    return projections.Scenario(slip_months=int(slip_months or 0), codes=chosen)


# --------------------------------------------------------------------------- investment leads (招商线索)


def _clock_table() -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = defaultdict(dict)
    for code, step, days in LeadClock.objects.values_list("jurisdiction__code", "step", "days"):
        table[code][step] = days
    return table


def _resolve_clocks(region: Region, table: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    clocks = dict(lead_engine.DEFAULT_CLOCKS)
    for code in [*region.ancestor_codes()[::-1], region.code]:  # farthest first, nearest wins
        clocks.update(table.get(code, {}))
    return clocks


def lead_clocks(region: Region) -> dict[str, int]:
    """Per step, the clock of the nearest jurisdiction (region, then ancestors) that states one,
    else the default (respond 1 day, assess 3, report every 7)."""
    return _resolve_clocks(region, _clock_table())


@transaction.atomic
def report_lead(
    *, actor, jurisdiction: Region, region: Region, enterprise_name: str, received_on: date,
    uscc: str = "", node: ChainNode | None = None, title: str = "", intended_investment=None,
    department: Department | None = None, note: str = "",
) -> tuple[Lead, bool]:
    """Report a lead. When the same lead (enterprise, node, landing region) exists — a league
    relaying its county's lead — it is shared with ``jurisdiction`` instead: (lead, created)."""
    if not (enterprise_name or "").strip() and not uscc:
        raise ProjectError("企业名称或统一社会信用代码：必填 / enterprise name or USCC is required")
    if uscc:
        from chainwatch.core.codes import uscc_problem

        problem = uscc_problem(uscc.strip().upper())
        if problem:
            raise ProjectError(f"uscc：{problem}")
    enterprise = Enterprise.objects.filter(uscc=uscc.strip().upper()).first() if uscc else None
    name = (enterprise_name or (enterprise.name if enterprise else "")).strip()
    key = lead_engine.dedup_key(uscc=uscc, enterprise_name=name, node_code=node.code if node else None, region_code=region.code)
    existing = Lead.objects.select_for_update().filter(dedup_key=key).first()
    if existing is not None:
        if existing.jurisdiction_id != jurisdiction.pk:
            share, made = LeadShare.objects.get_or_create(
                lead=existing, region=jurisdiction, defaults={"shared_on": received_on, "note": note[:300]}
            )
            if made:
                audit.record(actor, "update", existing, note=f"转报 / relayed by {jurisdiction.code}")
        return existing, False
    lead = Lead.objects.create(
        dedup_key=key, title=(title or f"{name} {node.name_zh if node else ''}").strip(), jurisdiction=jurisdiction,
        region=region, department=department, enterprise=enterprise, enterprise_name=name,
        uscc=uscc.strip().upper(), node=node,
        intended_investment=_decimal(intended_investment, "意向投资 intended_investment", allow_none=True),
        received_on=received_on, note=note,
    )
    audit.record(actor, "create", lead, after=audit.snapshot(lead))
    return lead, True


LEAD_ORDER = ["clue", "contact", "visit", "signed"]


@transaction.atomic
def advance_lead(
    lead: Lead, stage: str, *, actor, on: date | None = None, reason: str = "", project: Project | None = None
) -> Lead:
    """线索 → 接洽 → 考察 → 签约 → 转项目, or 放弃 (with a reason) from any open stage."""
    on = on or today()
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.stage in (LeadStage.CONVERTED, LeadStage.ABANDONED):
        raise ProjectError("线索已结束 / the lead is closed")
    if stage not in LeadStage.values:
        raise ProjectError(f"线索阶段“{stage}”无效 / unknown lead stage")
    if stage in LEAD_ORDER and LEAD_ORDER.index(stage) <= LEAD_ORDER.index(lead.stage):
        raise ProjectError(
            f"线索阶段只能前进：当前“{LeadStage(lead.stage).label}” / lead stages only move forward"
        )
    if stage == LeadStage.ABANDONED and not reason.strip():
        raise ProjectError("放弃线索须说明原因 / abandoning a lead needs a reason")
    if stage == LeadStage.CONVERTED and project is None:
        raise ProjectError("转项目须关联项目 / converting a lead needs the project")
    before = audit.snapshot(lead)
    lead.stage = stage
    if lead.responded_on is None:
        lead.responded_on = on  # moving a lead on is a response
    if stage in (LeadStage.VISIT, LeadStage.SIGNED, LeadStage.CONVERTED) and lead.assessed_on is None:
        lead.assessed_on = on
    if stage in (LeadStage.CONVERTED, LeadStage.ABANDONED):
        lead.closed_on = on
        lead.close_reason = reason.strip()[:300]
        lead.project = project
    lead.last_reported_on = on
    lead.save()
    audit.record(actor, "update", lead, before=before, after=audit.snapshot(lead))
    return lead


@transaction.atomic
def log_lead(lead: Lead, step: str, *, actor, on: date | None = None, note: str = "") -> Lead:
    """Record a response (respond), an assessment (assess) or a periodic report (report)."""
    if step not in LeadClock.Step.values:
        raise ProjectError(f"环节“{step}”无效：respond / assess / report")
    on = on or today()
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if on < lead.received_on:
        raise ProjectError(f"日期{on}早于线索获取日期{lead.received_on} / date before the lead was received")
    before = audit.snapshot(lead)
    if step == "respond":
        lead.responded_on = lead.responded_on or on
    elif step == "assess":
        lead.assessed_on = lead.assessed_on or on
        lead.responded_on = lead.responded_on or on
    lead.last_reported_on = on
    if note:
        lead.note = f"{lead.note}\n{on.isoformat()} {note}".strip()
    lead.save()
    audit.record(actor, "update", lead, before=before, after=audit.snapshot(lead), note=step)
    return lead


def flags_for(leads: Iterable[Lead], *, as_of: date) -> dict[int, lead_engine.LeadFlags]:
    """Overdue flags for many leads (one query for the clocks; leads need jurisdiction loaded)."""
    table = _clock_table()
    cache: dict[int, dict[str, int]] = {}
    out = {}
    for lead in leads:
        if lead.jurisdiction_id not in cache:
            cache[lead.jurisdiction_id] = _resolve_clocks(lead.jurisdiction, table)
        out[lead.pk] = lead_engine.lead_flags(
            stage=lead.stage, received_on=lead.received_on, responded_on=lead.responded_on,
            assessed_on=lead.assessed_on, last_reported_on=lead.last_reported_on, as_of=as_of,
            clocks=cache[lead.jurisdiction_id],
        )
    return out


def lead_counts(region: Region, queryset: QuerySet | None = None) -> list[dict]:
    """Leads per child region of ``region`` and for ``region`` itself, by landing region: every
    lead is one row whatever the number of levels that reported it, so totals never double."""
    queryset = Lead.objects.all() if queryset is None else queryset
    rows = list(queryset.filter(region__path__startswith=region.path).values_list("region__path", "stage"))
    children = list(Region.objects.filter(parent=region, valid_to__isnull=True).order_by("code"))
    out = [{"region": region.code, "name": region.name_zh, "leads": len(rows),
            "open": sum(1 for _, s in rows if s in lead_engine.OPEN_STAGES)}]
    for child in children:
        mine = [s for p, s in rows if p.startswith(child.path)]
        if mine:
            out.append({"region": child.code, "name": child.name_zh, "leads": len(mine),
                        "open": sum(1 for s in mine if s in lead_engine.OPEN_STAGES)})
    return out


# --------------------------------------------------------------------------- reads


def scoped_projects(user, *, region_code: str | None = None) -> QuerySet:
    projects = Project.objects.select_related("region", "owner", "department", "sector")
    if user is not None:
        projects = scope(projects, user)
    if region_code:
        projects = projects.filter(region__path__startswith=_region(region_code).path)
    return projects
