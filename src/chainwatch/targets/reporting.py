"""Reporting workflow: forms, templates, submission, approval up the hierarchy, completeness.

All writes take the acting user by keyword (``*, actor``), run in one transaction and leave audit
entries. Approval follows DHIS2: a submission is approved by the level above the reporter
(a county's submission by users of its league; a department's by users of the department's
region), a level approves only when every reporter below it has been approved, approval locks
the data, and a reviewer can return a submission for revision with a comment.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chainwatch.accounts.models import Role
from chainwatch.core import audit
from chainwatch.core.models import AuditEntry
from chainwatch.core.periods import parse_period
from chainwatch.core.scoping import scope
from chainwatch.core.units import UnitError, conversion_factor
from chainwatch.geo.models import Department, Region
from chainwatch.targets import excel
from chainwatch.targets import validation as engine
from chainwatch.targets.models import (
    Observation,
    PeriodType,
    ReportingForm,
    ReportingFormItem,
    Submission,
    ValidationRule,
    series_key,
)


class ReportingError(Exception):
    """A workflow step that is not allowed, with a message in Chinese and English."""


@dataclass(frozen=True)
class Reporter:
    """Who reports: a region (its users) or a department."""

    region: Region
    department: Department | None = None

    @property
    def code(self) -> str:
        return f"dept:{self.department.pk}" if self.department else self.region.code

    @property
    def name(self) -> str:
        return self.department.name if self.department else self.region.name_zh

    @property
    def kind(self) -> str:
        return "department" if self.department else "region"


def _profile(user):
    return getattr(user, "profile", None) if getattr(user, "is_authenticated", False) else None


def is_admin(user) -> bool:
    if user is None:
        return False
    if getattr(user, "is_superuser", False):
        return True
    profile = _profile(user)
    return profile is not None and profile.role == Role.ADMIN


def reporter_for_user(user) -> Reporter | None:
    """The reporting unit a user acts for: their department, else their region."""
    profile = _profile(user)
    if profile is None:
        return None
    if profile.role == Role.DEPARTMENT and profile.department_id:
        return Reporter(profile.department.region, profile.department)
    if profile.region_id and profile.role in (Role.PROVINCE, Role.PREFECTURE, Role.COUNTY):
        return Reporter(profile.region)
    return None


def may_report(user, reporter: Reporter) -> bool:
    """Admins; the reporter's own users (region users for a region, department users for a
    department). ``user=None`` is the system (CLI without --reporter)."""
    if user is None or is_admin(user):
        return True
    profile = _profile(user)
    if profile is None or profile.role in (Role.LEADER, Role.ENTERPRISE):
        return False
    if reporter.department is not None:
        return profile.department_id == reporter.department.pk
    return profile.role != Role.DEPARTMENT and profile.region_id == reporter.region.pk


def form_reporters(form: ReportingForm) -> list[Reporter]:
    """Every reporter of a form, regions first (tree order), then departments."""
    regions = [Reporter(r) for r in form.regions.all().order_by("path")]
    departments = [
        Reporter(d.region, d) for d in form.departments.select_related("region").order_by("region__path", "name")
    ]
    return regions + departments


def resolve_reporter(form: ReportingForm, code: str) -> Reporter:
    """A reporter of ``form`` by region code or ``dept:<id>``; ReportingError if it is not one."""
    for reporter in form_reporters(form):
        if reporter.code == code:
            return reporter
    raise ReportingError(
        f"“{code}”不是报表 {form.code} 的填报单位 / {code!r} does not report form {form.code}"
    )


def check_period(form: ReportingForm, period_text: str):
    period = parse_period(period_text)
    if period.kind != form.period_type:
        raise ReportingError(
            f"期间“{period_text}”不是{PeriodType(form.period_type).label}期间（报表 {form.code}）/ "
            f"period {period_text!r} is not a {form.period_type} period of form {form.code}"
        )
    return period


def deadline_of(form: ReportingForm, period_end: datetime.date) -> datetime.date:
    return period_end + datetime.timedelta(days=form.deadline_days)


def lock_date_of(form: ReportingForm, period_end: datetime.date) -> datetime.date | None:
    if form.lock_after_days is None:
        return None
    return period_end + datetime.timedelta(days=form.lock_after_days)


def find_submission(form: ReportingForm, reporter: Reporter, period: str) -> Submission | None:
    queryset = Submission.objects.filter(form=form, period=period)
    if reporter.department is not None:
        return queryset.filter(department=reporter.department).first()
    return queryset.filter(region=reporter.region, department__isnull=True).first()


def lock_reason(form: ReportingForm, submission: Submission | None, period_end: datetime.date, *, user,
                today: datetime.date | None = None) -> str:
    """Why the data of a submission cannot be changed now ('' when it can)."""
    if submission is not None and submission.status == Submission.Status.APPROVED:
        return "已审核通过，数据已锁定 / approved: the data is locked"
    if submission is not None and submission.status == Submission.Status.SUBMITTED:
        return "已提交待审核；如需修改，请审核人先退回 / submitted for review: ask the reviewer to return it first"
    lock_date = lock_date_of(form, period_end)
    today = today or timezone.localdate()
    if lock_date is not None and today > lock_date and not is_admin(user):
        return (
            f"已过锁定日期 {lock_date.isoformat()}，请联系管理员 / locked since {lock_date.isoformat()}; "
            "ask an administrator"
        )
    return ""


# --- templates -------------------------------------------------------------------------------


def form_items(form: ReportingForm) -> list[ReportingFormItem]:
    return list(form.items.select_related("indicator", "sector", "chain_node").order_by("order", "id"))


def template_spec(form: ReportingForm, reporter: Reporter, period_text: str) -> excel.TemplateSpec:
    period = check_period(form, period_text)
    items = form_items(form)
    current = {
        obs.series: obs
        for obs in Observation.objects.filter(
            region=reporter.region, period=period.label, is_current=True,
            indicator_id__in=[item.indicator_id for item in items],
        ).only("series", "value", "unit", "source")
    }
    rows = []
    for item in items:
        node = item.sector or item.chain_node
        obs = current.get(series_key(item.indicator_id, reporter.region.pk, item.sector_id, item.chain_node_id))
        rows.append(excel.TemplateRow(
            indicator_code=item.indicator.code,
            indicator_name=item.indicator.name_zh,
            region_code=reporter.region.code,
            region_name=reporter.region.name_zh,
            period=period.label,
            unit=obs.unit if obs else item.expected_unit,
            kind=item.indicator.kind,
            sector_code=node.code if node else "",
            sector_name=node.name_zh if node else "",
            definition=item.indicator.definition,
            value=float(obs.value) if obs else None,
            source=obs.source if obs else "",
        ))
    return excel.TemplateSpec(
        form_code=form.code, form_name=form.name_zh, template_version=form.template_version,
        reporter_kind=reporter.kind, reporter_code=reporter.code, reporter_name=reporter.name,
        period=period.label, period_type_label=str(PeriodType(form.period_type).label),
        deadline=deadline_of(form, period.end).isoformat(), rows=rows, description=form.description,
    )


def template_bytes(form: ReportingForm, reporter: Reporter, period_text: str) -> bytes:
    return excel.build_template(template_spec(form, reporter, period_text))


def template_filename(form: ReportingForm, reporter: Reporter, period_text: str) -> str:
    return f"{form.code}_{reporter.code.replace(':', '-')}_{period_text}.xlsx"


# --- validation rules ----------------------------------------------------------------------


def load_rules(form: ReportingForm | None, indicator_codes: set[str]) -> list[engine.Rule]:
    """Active rules that apply (global ones and the form's own) and name one of the indicators."""
    rows = ValidationRule.objects.filter(active=True).select_related("indicator")
    rows = rows.filter(Q(form__isnull=True) | Q(form=form)) if form else rows.filter(form__isnull=True)
    rules = []
    for row in rows.order_by("code"):
        try:
            rule = engine.rule_from_row(row.as_row())
        except engine.RuleError:
            continue  # a broken rule is reported by the admin's clean(), never blocks reporting
        if rule.codes() & indicator_codes:
            rules.append(rule)
    return rules


class _Converter:
    """Values into the indicator's unit, with the conversion factor cached per unit pair."""

    def __init__(self):
        self.factors: dict[tuple[str, str], float] = {}

    def __call__(self, value, unit: str, target_unit: str) -> float:
        if not target_unit or unit == target_unit:
            return float(value)
        key = (unit, target_unit)
        if key not in self.factors:
            self.factors[key] = conversion_factor(unit, target_unit)
        return float(value) * self.factors[key]


def stored_values(observations, *, with_rows: dict | None = None) -> list[engine.Value]:
    """Observations (with indicator, region, sector, chain_node loaded) as engine values."""
    convert = _Converter()
    values = []
    for obs in observations:
        target_unit = obs.indicator.unit or (obs.chain_node.unit if obs.chain_node_id else "")
        try:
            number = convert(obs.value, obs.unit, target_unit)
        except UnitError:
            continue
        node = obs.sector or obs.chain_node
        values.append(engine.Value(
            indicator=obs.indicator.code, region=obs.region.code, period=obs.period, value=number,
            sector=node.code if node else None,
        ))
    return values


def previous_period_label(period_text: str) -> str:
    period = parse_period(period_text)
    before = period.start - datetime.timedelta(days=1)
    if period.kind == "year":
        return str(before.year)
    if period.kind == "quarter":
        return f"{before.year}Q{(before.month - 1) // 3 + 1}"
    return f"{before.year}-{before.month:02d}"


def previous_values(region_ids: set[int], indicator_ids: set[int], periods: set[str]) -> dict:
    """{(indicator code, region code, sector code): value in the indicator's unit, period label}
    for the period before each of ``periods`` (one query)."""
    previous_of = {previous_period_label(p): p for p in periods}
    observations = Observation.objects.filter(
        is_current=True, period__in=list(previous_of), region_id__in=region_ids, indicator_id__in=indicator_ids,
    ).select_related("indicator", "region", "sector", "chain_node")
    result = {}
    for value in stored_values(observations):
        result[(value.indicator, value.region, value.sector, previous_of[value.period])] = value.value
    return result


def validate_submission(submission: Submission) -> list[engine.Finding]:
    """Run the rules over a submission's current values."""
    items = form_items(submission.form)
    observations = list(submission_observations(submission, items).select_related(
        "indicator", "region", "sector", "chain_node"))
    values = stored_values(observations)
    rules = load_rules(submission.form, {v.indicator for v in values})
    previous = previous_values({submission.region_id}, {i.indicator_id for i in items}, {submission.period})
    return engine.evaluate(rules, values, previous)


def submission_observations(submission: Submission, items=None):
    items = items if items is not None else form_items(submission.form)
    keys = [series_key(i.indicator_id, submission.region_id, i.sector_id, i.chain_node_id) for i in items]
    return Observation.objects.filter(series__in=keys, period=submission.period, is_current=True)


# --- workflow --------------------------------------------------------------------------------


def ensure_submission(form: ReportingForm, reporter: Reporter, period_text: str, *, actor) -> Submission:
    """The submission of a reporter for a period, created as a draft when missing."""
    period = check_period(form, period_text)
    found = find_submission(form, reporter, period.label)
    if found is not None:
        return found
    with transaction.atomic():
        submission = Submission.objects.create(
            form=form, region=reporter.region, department=reporter.department, period=period.label,
            period_end=period.end,
        )
        audit.record(actor, AuditEntry.Action.CREATE, submission, after=audit.snapshot(submission))
    return submission


def _set_status(submission: Submission, status: str, *, actor, action: str, note: str = "", **fields) -> Submission:
    before = audit.snapshot(submission)
    submission.status = status
    for name, value in fields.items():
        setattr(submission, name, value)
    submission.save()
    observations = submission_observations(submission)
    stamped = timezone.now()
    observations.update(status=status, updated_at=stamped)
    if Submission.Status.APPROVED in (status, before.get("status")):
        # Approved figures are what progress reads: keep the stored snapshot in step.
        from chainwatch.targets.snapshot import refresh_progress_for_series

        refresh_progress_for_series(set(observations.values_list("series", flat=True)), changed_since=stamped)
    audit.record(actor, action, submission, before=before, after=audit.snapshot(submission), note=note)
    return submission


def submit(submission: Submission, *, actor) -> list[engine.Finding]:
    """Submit for review. Validation errors block (ReportingError); warnings are returned."""
    if not may_report(actor, Reporter(submission.region, submission.department)):
        raise ReportingError("您不是该报表的填报单位 / you do not report for this reporter")
    if submission.status not in (Submission.Status.DRAFT, Submission.Status.RETURNED):
        raise ReportingError(
            f"当前状态为“{submission.get_status_display()}”，不能提交 / cannot submit in status {submission.status}"
        )
    if not submission_observations(submission).exists():
        raise ReportingError("尚未填报任何数据 / nothing has been reported yet")
    findings = validate_submission(submission)
    errors = [f for f in findings if f.is_error]
    if errors:
        raise ReportingError("校验未通过，不能提交 / validation errors block submission: " + "；".join(f.message for f in errors))
    now = timezone.now()
    with transaction.atomic():
        _set_status(
            submission, Submission.Status.SUBMITTED, actor=actor, action=AuditEntry.Action.SUBMIT,
            submitted_at=now, first_submitted_at=submission.first_submitted_at or now,
            submitted_by=actor if getattr(actor, "pk", None) else None,
        )
    return findings


def approver_region(submission: Submission) -> Region | None:
    """The region whose users review: the parent of a reporting region; a department's own region."""
    if submission.department_id:
        return submission.department.region
    return submission.region.parent


def _pending_below(submissions: list[Submission]) -> dict[int, list[str]]:
    """For each submission, the reporters strictly below its region that are not yet approved
    for the same form and period (DHIS2: a level approves only when all levels below have)."""
    result: dict[int, list[str]] = {}
    if not submissions:
        return result
    forms = {s.form_id for s in submissions}
    periods = {s.period for s in submissions}
    reporters: dict[int, list[Reporter]] = defaultdict(list)
    for form in ReportingForm.objects.filter(pk__in=forms).prefetch_related("regions", "departments__region"):
        reporters[form.pk] = [Reporter(r) for r in form.regions.all()] + [
            Reporter(d.region, d) for d in form.departments.all()
        ]
    approved = set()
    for form_id, period, region_id, department_id in Submission.objects.filter(
        form_id__in=forms, period__in=periods, status=Submission.Status.APPROVED
    ).values_list("form_id", "period", "region_id", "department_id"):
        approved.add((form_id, period, department_id and f"d{department_id}" or f"r{region_id}"))
    for submission in submissions:
        path = submission.region.path
        pending = []
        for reporter in reporters[submission.form_id]:
            below = reporter.region.path.startswith(path) and reporter.region.path != path
            if not below:
                continue
            key = f"d{reporter.department.pk}" if reporter.department else f"r{reporter.region.pk}"
            if (submission.form_id, submission.period, key) not in approved:
                pending.append(reporter.name)
        result[submission.pk] = pending
    return result


def approval_block(user, submission: Submission, pending: list[str] | None = None) -> str:
    """Why ``user`` may not approve or return ``submission`` ('' when they may)."""
    if submission.status != Submission.Status.SUBMITTED:
        return f"状态为“{submission.get_status_display()}”，不在待审核中 / not awaiting review"
    if not is_admin(user):
        profile = _profile(user)
        reviewer = approver_region(submission)
        if (
            profile is None or profile.role in (Role.LEADER, Role.ENTERPRISE, Role.DEPARTMENT)
            or reviewer is None or profile.region_id != reviewer.pk
        ):
            name = reviewer.name_zh if reviewer else "—"
            return f"应由{name}的用户审核 / to be reviewed by users of {reviewer.code if reviewer else '—'}"
    if pending is None:
        pending = _pending_below([submission]).get(submission.pk, [])
    if pending:
        return "下级尚未全部审核通过：" + "、".join(pending[:10]) + " / reporters below are not all approved yet"
    return ""


def approve(submission: Submission, *, actor) -> Submission:
    reason = approval_block(actor, submission)
    if reason:
        raise ReportingError(reason)
    findings = [f for f in validate_submission(submission) if f.is_error]
    if findings:
        raise ReportingError("校验未通过 / validation errors: " + "；".join(f.message for f in findings))
    with transaction.atomic():
        return _set_status(
            submission, Submission.Status.APPROVED, actor=actor, action=AuditEntry.Action.APPROVE,
            reviewed_at=timezone.now(), reviewed_by=actor if getattr(actor, "pk", None) else None,
        )


def return_for_revision(submission: Submission, *, actor, comment: str) -> Submission:
    comment = (comment or "").strip()
    if not comment:
        raise ReportingError("退回须填写意见 / a return needs a comment")
    reason = approval_block(actor, submission, pending=[])
    if reason:
        raise ReportingError(reason)
    with transaction.atomic():
        return _set_status(
            submission, Submission.Status.RETURNED, actor=actor, action=AuditEntry.Action.RETURN, note=comment,
            comment=comment, reviewed_at=timezone.now(), reviewed_by=actor if getattr(actor, "pk", None) else None,
        )


def approval_queue(user) -> list[tuple[Submission, str]]:
    """Submitted items in the user's scope that the user reviews, each with the reason approval is
    blocked ('' when it can be approved now). A constant number of queries."""
    submissions = list(
        scope(Submission.objects.filter(status=Submission.Status.SUBMITTED), user)
        .select_related("form", "region", "region__parent", "department", "department__region", "submitted_by")
        .order_by("form__code", "-period_end", "region__path")
    )
    pending = _pending_below(submissions)
    queue = []
    for submission in submissions:
        reason = approval_block(user, submission, pending.get(submission.pk, []))
        if reason and not reason.startswith("下级"):
            continue  # not this user's to review
        queue.append((submission, reason))
    return queue


# --- completeness and timeliness ---------------------------------------------------------------


def completeness(form: ReportingForm, period_text: str, *, as_of: datetime.date | None = None) -> list[dict]:
    """Per reporter: expected and present values, completeness, status, deadline, timeliness.

    completeness = values present ÷ values expected (reporter × period × form item); timely is
    True when first submitted on or before the deadline, False when submitted late or not submitted
    after the deadline, None while the deadline has not passed."""
    period = check_period(form, period_text)
    as_of = as_of or timezone.localdate()
    items = form_items(form)
    reporters = form_reporters(form)
    present = set(
        Observation.objects.filter(
            is_current=True, period=period.label,
            region_id__in={r.region.pk for r in reporters}, indicator_id__in={i.indicator_id for i in items},
        ).values_list("series", flat=True)
    )
    submissions = {
        (s.region_id, s.department_id): s for s in Submission.objects.filter(form=form, period=period.label)
    }
    deadline = deadline_of(form, period.end)
    rows = []
    for reporter in reporters:
        count = sum(
            1 for i in items
            if series_key(i.indicator_id, reporter.region.pk, i.sector_id, i.chain_node_id) in present
        )
        submission = submissions.get((reporter.region.pk, reporter.department.pk if reporter.department else None))
        first = submission.first_submitted_at if submission else None
        if first is not None:
            timely = timezone.localtime(first).date() <= deadline
        else:
            timely = False if as_of > deadline else None
        rows.append({
            "form": form.code,
            "reporter_code": reporter.code,
            "reporter": reporter.name,
            "period": period.label,
            "expected": len(items),
            "present": count,
            "completeness": round(count / len(items), 4) if items else None,
            "status": submission.status if submission else "missing",
            "first_submitted_at": timezone.localtime(first).isoformat(timespec="minutes") if first else None,
            "deadline": deadline.isoformat(),
            "timely": timely,
        })
    return rows


def completeness_summary(rows: list[dict]) -> dict:
    expected = sum(r["expected"] for r in rows)
    present = sum(r["present"] for r in rows)
    decided = [r for r in rows if r["timely"] is not None]
    return {
        "reporters": len(rows),
        "expected": expected,
        "present": present,
        "completeness": round(present / expected, 4) if expected else None,
        "submitted": sum(1 for r in rows if r["first_submitted_at"]),
        "timely": sum(1 for r in rows if r["timely"]),
        "timeliness": round(sum(1 for r in decided if r["timely"]) / len(decided), 4) if decided else None,
    }


# --- forms -----------------------------------------------------------------------------------


def create_form(
    *, actor, code: str, name_zh: str, period_type: str = PeriodType.YEAR,
    items: list[tuple[str, str | None]], region_codes: list[str] = (), departments: list[Department] = (),
    deadline_days: int = 15, lock_after_days: int | None = None, description: str = "",
) -> ReportingForm:
    """A reporting form with its items ``(indicator_code, sector_or_node_code | None)``."""
    from chainwatch.chains.models import ChainNode, Sector
    from chainwatch.targets.models import Indicator

    with transaction.atomic():
        form = ReportingForm.objects.create(
            code=code, name_zh=name_zh, period_type=period_type, deadline_days=deadline_days,
            lock_after_days=lock_after_days, description=description,
        )
        indicators = {i.code: i for i in Indicator.objects.filter(code__in=[c for c, _ in items])}
        codes = [s for _, s in items if s]
        sectors = {s.code: s for s in Sector.objects.filter(code__in=codes)}
        nodes = {n.code: n for n in ChainNode.objects.filter(code__in=codes)}
        rows = []
        for order, (indicator_code, extra) in enumerate(items):
            if indicator_code not in indicators:
                raise ReportingError(f"指标代码“{indicator_code}”不存在 / unknown indicator")
            if extra and extra not in sectors and extra not in nodes:
                raise ReportingError(f"集群/环节代码“{extra}”不存在 / unknown sector or chain node")
            rows.append(ReportingFormItem(
                form=form, indicator=indicators[indicator_code], sector=sectors.get(extra) if extra else None,
                chain_node=nodes.get(extra) if extra and extra not in sectors else None, order=order,
            ))
        ReportingFormItem.objects.bulk_create(rows)
        regions = list(Region.objects.current().filter(code__in=list(region_codes)))
        if len(regions) != len(set(region_codes)):
            missing = set(region_codes) - {r.code for r in regions}
            raise ReportingError(f"地区代码不存在：{'、'.join(sorted(missing))} / unknown region codes")
        form.regions.set(regions)
        form.departments.set(list(departments))
        audit.record(actor, AuditEntry.Action.CREATE, form, after={
            **audit.snapshot(form), "items": [list(i) for i in items], "regions": list(region_codes),
        })
    return form
