"""Writes of the policy app: import a document as clauses + proposed targets and tasks, and the
review that accepts (after edits) or rejects each proposal. Every function takes the acting user
by keyword, runs in one transaction and leaves audit entries.

Indicators of proposed targets: the extractor names the indicator in the document's words
(锂精矿产能, 5G基站). A proposal is linked to an existing Indicator when one has exactly that
``name_zh`` and a unit that is empty or convertible to the target's unit; otherwise to a
placeholder indicator with code ``PROPOSED.<n>`` (one per distinct name + unit, reused across
documents), kind/direction guessed from the unit and comparator. A reviewer may point the target at
a real indicator when accepting (``indicator_code``); placeholders stay until an administrator
merges or deletes them, so that no audit trail points at a missing row.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction

from chainwatch.core import audit
from chainwatch.core.units import UnitError, compatible, is_known_unit
from chainwatch.geo.models import Department, Region
from chainwatch.policy.extract import COUNTERS, extract_targets, extract_tasks
from chainwatch.policy.models import Clause, PolicyDocument, Task
from chainwatch.policy.segment import clause_at, segment
from chainwatch.policy.textio import PolicyTextError, read_policy_text
from chainwatch.targets.models import Comparator, Indicator, Target

PLACEHOLDER_PREFIX = "PROPOSED."


class PolicyServiceError(ValueError):
    """A refused write; the message names the field and the reason (Chinese / English)."""


@dataclass
class ImportResult:
    document: PolicyDocument
    created: bool
    clauses: int = 0
    targets: int = 0
    tasks: int = 0
    placeholders: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers


def _decimal(value, name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise PolicyServiceError(f"{name}：“{value}”不是数字 / {name}: {value!r} is not a number") from error
    if not number.is_finite():
        raise PolicyServiceError(f"{name}：“{value}”不是有限数字 / {name}: not a finite number")
    return number


def _units_match(indicator_unit: str, unit: str) -> bool:
    if not indicator_unit:
        return True
    if indicator_unit == unit:
        return True
    try:
        return compatible(indicator_unit, unit)
    except UnitError:
        return False


def _guess_kind(unit: str) -> str:
    base = unit.lstrip("万亿")
    if unit in ("%", "‰", "个百分点", "百分点") or unit == "":
        return Indicator.Kind.RATE
    if base in COUNTERS:
        return Indicator.Kind.COUNT
    return Indicator.Kind.FLOW


class _IndicatorMatcher:
    """Existing indicator by name and unit, else a placeholder, with one query per document."""

    def __init__(self, actor, entries: list):
        self.actor = actor
        self.entries = entries
        self.by_name: dict[str, list[Indicator]] = {}
        self.created: list[str] = []
        self._next = None

    def load(self, names: set[str]) -> None:
        for indicator in Indicator.objects.filter(name_zh__in=names):
            self.by_name.setdefault(indicator.name_zh, []).append(indicator)

    def _next_code(self) -> str:
        if self._next is None:
            codes = Indicator.objects.filter(code__startswith=PLACEHOLDER_PREFIX).values_list("code", flat=True)
            numbers = [int(code[len(PLACEHOLDER_PREFIX):]) for code in codes
                       if code[len(PLACEHOLDER_PREFIX):].isdigit()]
            self._next = max(numbers, default=0) + 1
        code = f"{PLACEHOLDER_PREFIX}{self._next}"
        self._next += 1
        return code

    def get(self, name: str, unit: str, comparator: str) -> Indicator:
        name = (name or "未命名指标")[:150]
        candidates = self.by_name.get(name, [])
        real = [i for i in candidates if not i.code.startswith(PLACEHOLDER_PREFIX) and _units_match(i.unit, unit)]
        if real:
            return real[0]
        known_unit = unit if unit and is_known_unit(unit) else ""
        for indicator in candidates:
            if indicator.code.startswith(PLACEHOLDER_PREFIX) and indicator.unit == known_unit:
                return indicator
        indicator = Indicator.objects.create(
            code=self._next_code(), name_zh=name, unit=known_unit, kind=_guess_kind(unit),
            aggregation=Indicator.Aggregation.NONE,
            direction=Indicator.Direction.DECREASE if comparator == "<=" else Indicator.Direction.INCREASE,
            definition="由政策文本抽取自动生成的待定指标，请在审核时改为正式指标。"
                       " / Placeholder created from extracted policy text; replace on review.",
        )
        self.by_name.setdefault(name, []).append(indicator)
        self.created.append(indicator.code)
        self.entries.append(audit.entry(self.actor, "create", indicator, after=audit.snapshot(indicator),
                                        note="policy import: placeholder indicator"))
        return indicator


# --------------------------------------------------------------------------- import


def import_document(source: str | Path, *, actor, code: str, title: str, region_code: str,
                    issued: datetime.date | str | None = None, issuer: str = "", doc_number: str = "",
                    text: str | None = None) -> ImportResult:
    """Create a PolicyDocument from ``source`` (a file read through textio, or ``text`` when given)
    with its clauses, proposed targets and proposed tasks. Idempotent: a document whose text has
    the same SHA-256 is returned unchanged (``created=False``). All or nothing."""
    if text is None:
        text = read_policy_text(source)  # PolicyTextError for an unusable file
    if not text.strip():
        raise PolicyTextError("文件没有文字 / the text is empty")
    if not code or len(code) > 64:
        raise PolicyServiceError("code：文件代码必填，最长64字符 / code is required, at most 64 characters")
    if not title:
        raise PolicyServiceError("title：标题必填 / title is required")
    if isinstance(issued, str) and issued:
        try:
            issued = datetime.date.fromisoformat(issued)
        except ValueError as error:
            raise PolicyServiceError(f"issued：“{issued}”不是日期（YYYY-MM-DD） / not a date") from error
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    existing = PolicyDocument.objects.filter(sha256=sha).first()
    if existing is not None:
        return ImportResult(document=existing, created=False)
    if PolicyDocument.objects.filter(code=code).exists():
        raise PolicyServiceError(
            f"code：文件代码“{code}”已被另一份文本使用 / code {code!r} belongs to a different text"
        )
    region = Region.objects.filter(code=region_code, valid_to__isnull=True).first()
    if region is None:
        raise PolicyServiceError(f"region：地区代码“{region_code}”不存在 / unknown region code")

    segments = segment(text)
    targets = extract_targets(text)
    tasks = extract_tasks(text)
    entries: list = []
    with transaction.atomic():
        document = PolicyDocument.objects.create(
            code=code, title_zh=title[:300], issuer=issuer[:150], doc_number=doc_number[:80],
            region=region, issued_on=issued or None, text=text, sha256=sha,
            source_file=Path(str(source)).name[:200] if source else "",
            period_end=max((t.year for t in targets if t.year), default=None),
        )
        entries.append(audit.entry(actor, "import", document, after={"code": code, "sha256": sha},
                                   note="policy import"))
        rows: list[Clause] = []
        seen: Counter = Counter()
        by_path: dict[str, Clause] = {}
        for ordinal, item in enumerate(segments):
            seen[item.path] += 1
            path = item.path if seen[item.path] == 1 else f"{item.path}#{seen[item.path]}"
            row = Clause(document=document, path=path[:64], level=item.level, ordinal=ordinal,
                         heading=item.heading[:200], start=item.start, end=item.end,
                         parent=by_path.get(item.parent_path) if item.parent_path else None)
            row.save()  # one by one: children point at their saved parent
            by_path.setdefault(item.path, row)
            rows.append(row)
            entries.append(audit.entry(actor, "import", row, after=audit.snapshot(row), note="policy import"))
        index_of = {(item.start, item.level): i for i, item in enumerate(segments)}
        starts = [item.start for item in segments]

        def clause_row(offset: int) -> Clause | None:
            found = clause_at(segments, offset, starts)
            return rows[index_of[(found.start, found.level)]] if found else None

        matcher = _IndicatorMatcher(actor, entries)
        matcher.load({t.indicator[:150] for t in targets if t.indicator})
        new_targets = []
        for item in targets:
            change = item.change or {}
            count_of = item.count_of or {}
            new_targets.append(Target(
                indicator=matcher.get(item.indicator, item.unit, item.comparator),
                indicator_text=(item.indicator or "")[:150], region=region,
                subject=(item.subject or "")[:100], year=item.year,
                value=_decimal(item.value, "value"), value_max=_decimal(item.value_max, "value_max"),
                unit=item.unit[:32], comparator=item.comparator,
                change_kind=change.get("kind", "") if change.get("percent") is not None else "",
                change_base_year=change.get("base_year") if change.get("percent") is not None else None,
                change_percent=_decimal(change.get("percent"), "change.percent"),
                count_threshold=_decimal(count_of.get("threshold"), "count_of.threshold"),
                count_threshold_unit=(count_of.get("threshold_unit") or "")[:32],
                qualifier=(item.qualifier or "")[:100], document=document,
                clause=clause_row(item.start), span=item.span, span_start=item.start,
                span_end=item.end, review=Target.Review.PROPOSED,
            ))
        Target.objects.bulk_create(new_targets, batch_size=500)
        names = {name for task in tasks for name in task.lead + task.cooperating}
        departments = {d.name: d for d in Department.objects.filter(region=region, name__in=names)}
        for item in tasks:
            lead_text = "、".join(item.lead)
            if item.cooperating:
                lead_text += "；配合：" + "、".join(item.cooperating)
            task = Task.objects.create(
                document=document, clause=clause_row(item.start), title=(item.title or item.span)[:300],
                span=item.span, lead_text=lead_text[:500], review=Task.Review.PROPOSED,
            )
            task.lead_departments.set([departments[n] for n in item.lead if n in departments])
            task.cooperating_departments.set([departments[n] for n in item.cooperating if n in departments])
            entries.append(audit.entry(actor, "import", task, after=audit.snapshot(task), note="policy import"))
        created_targets = Target.objects.filter(document=document)
        entries += [audit.entry(actor, "import", t, after=audit.snapshot(t), note="policy import: proposed")
                    for t in created_targets]
        audit.record_many(entries)
    return ImportResult(document=document, created=True, clauses=len(rows), targets=len(new_targets),
                        tasks=len(tasks), placeholders=matcher.created)


# --------------------------------------------------------------------------- review

TARGET_EDITABLE = ("value", "value_max", "year", "unit", "comparator", "subject", "indicator_text", "qualifier")


def _proposed_target(target_id) -> Target:
    target = Target.objects.select_for_update().filter(pk=target_id).first()
    if target is None:
        raise PolicyServiceError(f"目标 {target_id} 不存在 / no target with id {target_id}")
    if target.review != Target.Review.PROPOSED:
        raise PolicyServiceError(
            f"目标 {target_id} 不是待审核状态（{target.get_review_display()}） / target {target_id} is not proposed"
        )
    return target


@transaction.atomic
def accept_target(target_id: int, *, actor, indicator_code: str | None = None, **edits) -> Target:
    """Accept a proposed target, after applying ``edits`` (value, value_max, year, unit, comparator,
    subject, indicator_text, qualifier) and, with ``indicator_code``, linking a real indicator."""
    unknown = set(edits) - set(TARGET_EDITABLE)
    if unknown:
        raise PolicyServiceError(f"不能修改的字段 / fields that cannot be edited: {', '.join(sorted(unknown))}")
    target = _proposed_target(target_id)
    before = audit.snapshot(target)
    if indicator_code:
        indicator = Indicator.objects.filter(code=indicator_code).first()
        if indicator is None:
            raise PolicyServiceError(f"indicator：指标代码“{indicator_code}”不存在 / unknown indicator code")
        target.indicator = indicator
    for name, value in edits.items():
        if value is None:
            continue
        if name in ("value", "value_max"):
            value = _decimal(value, name)
        elif name == "year":
            try:
                value = int(value)
            except (TypeError, ValueError) as error:
                raise PolicyServiceError(f"year：“{value}”不是年份 / not a year") from error
            if not 1949 <= value <= 2100:
                raise PolicyServiceError(f"year：{value} 超出范围（1949–2100） / out of range")
        elif name == "comparator" and value not in Comparator.values:
            raise PolicyServiceError(
                f"comparator：“{value}”无效，应为 {' '.join(Comparator.values)} / invalid comparator"
            )
        elif name == "unit" and value and value != target.unit and not is_known_unit(value):
            raise PolicyServiceError(f"unit：无法识别的单位“{value}” / unknown unit")
        setattr(target, name, value)
    if target.value is None:
        raise PolicyServiceError("value：目标值必填 / value is required")
    if not _units_match(target.indicator.unit, target.unit):
        raise PolicyServiceError(
            f"unit：“{target.unit}”不能换算为指标“{target.indicator.code}”的单位“{target.indicator.unit}” / "
            "the unit does not convert to the indicator's unit"
        )
    target.review = Target.Review.ACCEPTED
    target.save()
    audit.record(actor, "approve", target, before=before, after=audit.snapshot(target), note="policy review: accept")
    return target


@transaction.atomic
def reject_target(target_id: int, *, actor, reason: str = "") -> Target:
    target = _proposed_target(target_id)
    before = audit.snapshot(target)
    target.review = Target.Review.REJECTED
    if reason:
        target.note = f"{target.note}\n驳回：{reason}".strip()
    target.save()
    audit.record(actor, "return", target, before=before, after=audit.snapshot(target),
                 note=f"policy review: reject {reason}".strip())
    return target


def _proposed_task(task_id) -> Task:
    task = Task.objects.select_for_update().filter(pk=task_id).first()
    if task is None:
        raise PolicyServiceError(f"任务 {task_id} 不存在 / no task with id {task_id}")
    if task.review != Task.Review.PROPOSED:
        raise PolicyServiceError(f"任务 {task_id} 不是待审核状态 / task {task_id} is not proposed")
    return task


@transaction.atomic
def accept_task(task_id: int, *, actor, title: str | None = None, lead_text: str | None = None,
                due_date: datetime.date | str | None = None) -> Task:
    task = _proposed_task(task_id)
    before = audit.snapshot(task)
    if title:
        task.title = title[:300]
    if lead_text is not None and lead_text != "":
        task.lead_text = lead_text[:500]
    if due_date:
        if isinstance(due_date, str):
            try:
                due_date = datetime.date.fromisoformat(due_date)
            except ValueError as error:
                raise PolicyServiceError(f"due：“{due_date}”不是日期（YYYY-MM-DD） / not a date") from error
        task.due_date = due_date
    task.review = Task.Review.ACCEPTED
    task.save()
    audit.record(actor, "approve", task, before=before, after=audit.snapshot(task), note="policy review: accept")
    return task


@transaction.atomic
def reject_task(task_id: int, *, actor, reason: str = "") -> Task:
    task = _proposed_task(task_id)
    before = audit.snapshot(task)
    task.review = Task.Review.REJECTED
    task.review_note = reason[:300]
    task.save()
    audit.record(actor, "return", task, before=before, after=audit.snapshot(task),
                 note=f"policy review: reject {reason}".strip())
    return task


def proposed_targets(document: PolicyDocument | None = None):
    queryset = Target.objects.filter(review=Target.Review.PROPOSED).select_related(
        "indicator", "document", "clause", "region")
    if document is not None:
        queryset = queryset.filter(document=document)
    return queryset.order_by("document__code", "span_start", "id")


def proposed_tasks(document: PolicyDocument | None = None):
    queryset = Task.objects.filter(review=Task.Review.PROPOSED).select_related("document", "clause")
    if document is not None:
        queryset = queryset.filter(document=document)
    return queryset.order_by("document__code", "id")

