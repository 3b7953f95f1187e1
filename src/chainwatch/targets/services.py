"""Reads and writes of targets and observations. All writes take the acting user by keyword.

Progress (:func:`evaluate_targets`) loads targets and their observations in a constant number of
queries and hands flat numpy arrays to the pure engine :mod:`chainwatch.targets.progress`.
Roll-ups and consistency checks (:func:`rollup_observations`, :func:`consistency_report`,
:func:`count_ladder_against_targets`) load data and call :mod:`chainwatch.targets.rollup`.

How a :class:`~chainwatch.targets.models.Target` becomes an engine ``TargetSpec``
    comparator, value, value_max, year, tolerance, change, trajectory from the target; direction,
    kind and cycle from its indicator; ``annual_flow`` for a flow indicator reported monthly or
    quarterly (year-to-date values of the target year); an explicit ``baseline_value`` /
    ``baseline_year`` on the target is the baseline, otherwise the engine's rule with
    ``start_year`` = the document's ``period_start`` (or its ``baseline_year`` + 1);
    milestones = the other accepted targets of the same indicator, region, sector, chain node and
    qualifier whose comparator points the same way (``<=`` against the rest), restatements,
    change and count targets left out, one per year, converted to the target's unit.

Observations
    approved, current versions (``is_current``) of the target's series
    (:func:`~chainwatch.targets.models.series_key`) with ``period_end <= as_of``, converted into
    the target's unit with :func:`chainwatch.core.units.factor_or_none` (吨 → 万吨 × 0.0001).
    An observation whose unit cannot be converted gives the status ``unit_mismatch`` (grey) with
    the reason — never a wrong number.  A change target (−13 % versus 2020) is measured in the
    indicator's unit, not in its own ``%``.

Restatements (``Target.restates``) get the progress of the target they restate.

Count targets (``count_threshold`` set: “1 cluster ≥ 500亿元, 2 ≥ 200 …”)
    are checked with ``check_count_ladder`` against the members' latest values:
    members are the clusters of the target's region (no sector on the target), the industries of
    its sector when the count form says ``members: industries``, or the target's own sector; a member's value is
    its latest approved ``OUTPUT`` observation up to ``as_of`` in the threshold unit, and a member
    without one has no value (never zero, never invented).  Status: ``achieved`` (green) when the
    ladder rung is met; ``no_data`` (grey) when no member has a value; otherwise ``limited`` —
    yellow while the target year has not ended, red after.
"""

from __future__ import annotations

import calendar
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

import numpy as np
from django.db import connection
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
)
from django.db.models.functions import Cast

from chainwatch.chains.models import Sector
from chainwatch.core.bulk import in_batch
from chainwatch.core.output import plain_number
from chainwatch.core.units import compatible, factor_or_none
from chainwatch.geo.models import Region
from chainwatch.policy.models import PolicyDocument
from chainwatch.targets import progress as engine
from chainwatch.targets import rollup as rollup_engine
from chainwatch.targets.models import Indicator, Observation, Target, series_key

logger = logging.getLogger(__name__)

MEMBER_INDICATOR = "OUTPUT"
UNIT_MISMATCH = "unit_mismatch"
STATUS_ZH = {**engine.STATUS_ZH, UNIT_MISMATCH: "单位不符"}
LAGGING_LIGHTS = ("red", "yellow")  # the lights of a target behind its pace
LIGHT_ZH = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "grey": "灰色（无法评价）"}
ADMINISTRATIVE_LEVELS = (
    Region.Level.COUNTRY, Region.Level.PROVINCE, Region.Level.PREFECTURE, Region.Level.COUNTY,
)
TARGET_RELATED = ("indicator", "region", "sector", "chain_node", "document", "clause", "owner")



def target_row(target: Target) -> dict:
    """A target as the CLI and exports show it, with its provenance."""
    sector = target.sector_or_node
    return {
        "id": target.pk,
        "key": target.key,
        "indicator": target.indicator_text or target.indicator.name_zh,
        "indicator_code": target.indicator.code,
        "sector": sector.name_zh if sector else None,
        "sector_code": sector.code if sector else None,
        "region_code": target.region.code,
        "region": target.region.name_zh,
        "year": target.year,
        "value": plain_number(target.value),
        "value_max": plain_number(target.value_max),
        "unit": target.unit,
        "comparator": target.comparator,
        "change": target.change,
        "count_of": target.count_of,
        "qualifier": target.qualifier or None,
        "document": target.document.code if target.document else None,
        "clause": target.clause.path if target.clause else None,
        "span": target.span,
    }


# ---------------------------------------------------------------------------------------------
# Progress


@dataclass
class TargetProgress:
    """A target and the engine's :class:`~chainwatch.targets.progress.Progress` for it."""

    target: Target
    progress: engine.Progress
    unit: str  # the unit of latest_value, baseline_value, projected_value
    latest_period: str | None = None
    baseline_period: str | None = None
    sample: bool = False  # some figure behind this progress comes from 示例数据 (origin=sample)
    restated: Target | None = None  # the target whose progress this restatement shows
    count: list[engine.CountResult] = field(default_factory=list)
    # What the progress was computed from (regular targets only), kept by chainwatch.targets.snapshot
    spec: engine.TargetSpec | None = None
    facts: engine.Facts | None = None
    series: str | None = None

    @property
    def status(self) -> str:
        return self.progress.status

    @property
    def light(self) -> str:
        return self.progress.light

    @property
    def status_zh(self) -> str:
        return STATUS_ZH.get(self.progress.status, self.progress.status)

    @property
    def lagging(self) -> bool:
        return self.progress.light in LAGGING_LIGHTS

    def row(self) -> dict:
        """The JSONL fields of ``chainwatch progress``."""
        t, p = self.target, self.progress
        sector = t.sector_or_node
        return {
            "target_id": t.pk,
            "key": t.key,
            "indicator": t.indicator_text or t.indicator.name_zh,
            "indicator_code": t.indicator.code,
            "region_code": t.region.code,
            "region": t.region.name_zh,
            "sector_code": sector.code if sector else None,
            "year": t.year,
            "value": plain_number(t.value),
            "unit": t.unit,
            "comparator": t.comparator,
            "clause": t.clause.path if t.clause_id else None,
            "document": t.document.code if t.document_id else None,
            "status": p.status,
            "light": p.light,
            "latest_value": p.latest_value,
            "latest_period": self.latest_period,
            "baseline_value": p.baseline_value,
            "baseline_period": self.baseline_period,
            "observed_cagr": p.observed_cagr,
            "required_cagr": p.required_cagr,
            "ratio": p.ratio,
            "share_achieved": p.share_achieved,
            "share_elapsed": p.share_elapsed,
            "pace_gap": p.pace_gap,
            "projected_value": p.projected_value,
            "value_unit": self.unit,
            "restates": self.restated.pk if self.restated else None,
            "sample": self.sample,
            "reason": " ".join(p.reason.split()),
        }


def _period_label(day: date | None, cycle: str = "annual") -> str | None:
    if day is None:
        return None
    last = calendar.monthrange(day.year, day.month)[1]
    if day.day != last:
        return day.isoformat()
    if day.month == 12 and cycle == "annual":
        return str(day.year)
    if cycle == "quarterly" and day.month % 3 == 0:
        return f"{day.year}Q{day.month // 3}"
    return f"{day.year}-{day.month:02d}"


def _family(comparator: str) -> str:
    return "down" if comparator == "<=" else "up"


def _float(value) -> float | None:
    return None if value is None else float(value)


def unit_factor(source: str, target: str) -> float:
    """Conversion factor between unit texts; NaN (not a number, never a guess) when incompatible."""
    factor = factor_or_none(source, target)
    return float("nan") if factor is None else factor


def _member_sectors(target: Target, clusters_by_region, industries_by_cluster) -> list[Sector]:
    if target.sector_id is None:
        return clusters_by_region.get(target.region_id, [])
    sector = target.sector
    if target.count_members == "industries":
        return industries_by_cluster.get(sector.pk, [])
    return [sector]


class EpochDays(Func):
    """A date as the number of days since 1970-01-01 (an integer numpy reads as datetime64[D])."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)")

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="(%(expressions)s - DATE '1970-01-01')")


class _ObservationTable:
    """Observation rows grouped by series, ordered by period end, as numpy columns."""

    def __init__(self, rows: list[tuple]) -> None:
        columns = list(zip(*rows, strict=True)) if rows else [(), (), (), (), (), ()]
        series, self.periods, days, values, units, sample = columns
        self.ends = np.array(days, dtype="datetime64[D]")
        self.values = np.array(values, dtype=np.float64)
        codes: dict[str, int] = {}
        self.unit_index = np.fromiter((codes.setdefault(u, len(codes)) for u in units), np.int64, len(units))
        self.unit_names = list(codes)
        self.sample = np.array(sample, dtype=bool)
        keys = np.array(series, dtype=object)
        self.series: dict[str, tuple[int, int]] = {}
        if len(keys):
            starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))).tolist()
            stops = [*starts[1:], len(keys)]
            self.series = {keys[a]: (a, b) for a, b in zip(starts, stops, strict=True)}

    def block(self, series: str) -> tuple[int, int]:
        return self.series.get(series, (0, 0))

    def unit(self, position: int) -> str:
        return self.unit_names[self.unit_index[position]]

    def end(self, position: int) -> date:
        return self.ends[position].item()

    def any_sample(self, start: int, end: int) -> bool:
        return bool(self.sample[start:end].any())

    def label_at(self, series: str, day: date | None) -> str | None:
        if day is None:
            return None
        start, end = self.block(series)
        wanted = np.datetime64(day, "D")
        position = start + int(np.searchsorted(self.ends[start:end], wanted, side="right")) - 1
        if position >= start and self.ends[position] == wanted:
            return self.periods[position]
        return None


def with_points(observations: QuerySet[Observation]) -> QuerySet[Observation]:
    """``observations`` with each one's value as a float (``value_float``) and period end as a
    day number (``end_day``), cast by the database: no Python converter runs per row."""
    return observations.annotate(value_float=Cast("value", FloatField()), end_day=EpochDays("period_end"))


def _load_observations(series_keys: set[str], as_of: date):
    """The approved current observations of ``series_keys`` up to ``as_of``, ordered by series and
    period. Series are asked for in batches within the backend's parameter limit, each batch an
    index range scan on (series, period_end): only the rows the targets need are read, however
    many series there are. The rows are read through the cursor, not the ORM: values cast to
    floats, dates to day numbers and the origin to a flag by the database, so no Python converter
    runs per row (about a million rows for a national recompute)."""
    if not series_keys:
        return _ObservationTable([])
    queryset = with_points(
        Observation.objects.filter(status=Observation.Status.APPROVED, is_current=True, period_end__lte=as_of)
    ).annotate(is_sample=ExpressionWrapper(Q(origin="sample"), output_field=BooleanField()))
    limit = in_batch()
    ordered = sorted(series_keys)
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), limit):
            batch = queryset.filter(series__in=ordered[start:start + limit]).order_by(
                "series", "period_end", "version", "id"
            ).values_list("series", "period", "end_day", "value_float", "unit", "is_sample")
            cursor.execute(*batch.query.sql_with_params())
            rows.extend(cursor.fetchall())
    return _ObservationTable(rows)


def _start_year(target: Target) -> int | None:
    document = target.document
    if document is None:
        return None
    if document.period_start:
        return document.period_start
    return document.baseline_year + 1 if document.baseline_year else None


def _target_year(target: Target) -> int | None:
    if target.year:
        return target.year
    return target.document.period_end if target.document_id and target.document.period_end else None


def _evaluation_unit(target: Target, table: _ObservationTable, series: str) -> str:
    if target.change_kind:
        if target.indicator.unit:
            return target.indicator.unit
        start, end = table.block(series)
        return table.unit(start) if end > start else target.unit
    return target.unit


def _spec(target: Target, year: int, milestones: tuple[tuple[int, float], ...]) -> engine.TargetSpec:
    indicator = target.indicator
    baseline_value = baseline_year = None
    if target.baseline_value is not None and target.baseline_year is not None:
        baseline_value, baseline_year = float(target.baseline_value), target.baseline_year
    annual_flow = indicator.kind == Indicator.Kind.FLOW and indicator.cycle != Indicator.Cycle.ANNUAL
    return engine.TargetSpec(
        id=str(target.pk),
        comparator=target.comparator,
        value=float(target.value),
        value_max=_float(target.value_max),
        year=year,
        direction=indicator.direction,
        kind=indicator.kind,
        tolerance=float(target.tolerance),
        change=target.change,
        baseline_value=baseline_value,
        baseline_year=baseline_year,
        start_year=_start_year(target),
        milestones=milestones,
        trajectory=target.trajectory,
        cycle=indicator.cycle,
        annual_flow=annual_flow and not target.change_kind,
    )


def _blank_progress(target: Target, year: int | None, status: str, light: str, reason: str, **extra) -> engine.Progress:
    values: dict[str, Any] = {
        **engine.empty_fields(),
        "target_id": str(target.pk),
        "status": status,
        "light": light,
        "target_value": _float(target.value),
        "target_year": year or 0,
        "reason": reason,
        "components": {"status": status},
    }
    values.update(extra)
    return engine.Progress(**values)


def _attach_related(targets: list[Target]) -> None:
    """Load the related rows of ``targets`` (:data:`TARGET_RELATED`) with ``in_bulk`` — a query
    per relation and one instance per distinct row (a few thousand regions and indicators for
    50,000 targets), not one per target as a join would build — and cache them on the targets."""
    for name in TARGET_RELATED:
        field = Target._meta.get_field(name)
        ids = {getattr(t, field.attname) for t in targets} - {None}
        rows = field.related_model._base_manager.in_bulk(ids) if ids else {}
        for target in targets:
            field.set_cached_value(target, rows.get(getattr(target, field.attname)))


def _milestone_finder(targets: list[Target]) -> Callable[[Target], tuple[tuple[int, float], ...]]:
    """The milestones of each of ``targets`` (see the module doc), from one query of the targets
    that share their indicators and regions."""
    live = Target.objects.exclude(review=Target.Review.REJECTED)
    indicators = {t.indicator_id for t in targets}
    regions = sorted({t.region_id for t in targets})
    limit = in_batch()
    rows = []
    for start in range(0, len(regions), limit):
        # By region only (the indicators filtered here): with both lists SQLite probes the
        # (indicator, region) index for every pair of them.
        rows += live.filter(region_id__in=regions[start:start + limit]).order_by().values_list(*_Sibling._fields)
    siblings = sorted(
        (s for s in map(_Sibling._make, rows) if s.indicator_id in indicators and s.year and not (
            s.restates_id or s.change_kind or s.count_threshold is not None
        )),
        key=lambda s: (s.year, s.pk),
    )
    groups: dict[tuple, list[_Sibling]] = defaultdict(list)
    for sibling in siblings:
        groups[_group_key(sibling)].append(sibling)

    def milestones_of(target: Target) -> tuple[tuple[int, float], ...]:
        found: dict[int, float] = {}
        for sibling in groups.get(_group_key(target), ()):
            if sibling.pk == target.pk or sibling.year in found or sibling.year == target.year:
                continue
            factor = unit_factor(sibling.unit, target.unit)
            if factor == factor:  # not NaN
                found[sibling.year] = float(sibling.value) * factor
        return tuple(sorted(found.items()))

    return milestones_of


def evaluate_targets(targets: QuerySet[Target] | list[Target], *, as_of: date, with_path: bool = True) -> list[TargetProgress]:
    """Progress of every target in ``targets`` (a queryset, or targets already loaded) as of a
    date, in their order (``with_path=False``: without the year-by-year trajectories).

    A constant number of queries, whatever the number of targets: the targets (with their
    indicator, region, sector, chain node, document, clause and owner), their milestone siblings
    (one query per 900 regions) and restated originals, the sectors and member indicator when
    count targets are present, and the observations of every series needed (one query per 900
    series).
    """
    target_list = list(targets)
    if not target_list:
        return []
    _attach_related(target_list)
    by_id = {t.pk: t for t in target_list}

    # Restated originals (full targets): one query (the milestone siblings are read further on).
    restated_ids = {t.restates_id for t in target_list if t.restates_id and t.restates_id not in by_id}
    live = Target.objects.exclude(review=Target.Review.REJECTED)
    originals = dict(by_id)
    if restated_ids:
        restated = list(live.filter(pk__in=restated_ids))
        _attach_related(restated)
        originals.update((t.pk, t) for t in restated)

    # Count targets need their member sectors and the member indicator.
    count_targets = [t for t in target_list if t.count_threshold is not None]
    clusters_by_region: dict[int, list[Sector]] = defaultdict(list)
    industries_by_cluster: dict[int, list[Sector]] = defaultdict(list)
    member_indicator: Indicator | None = None
    if count_targets:
        region_ids = {t.region_id for t in count_targets}
        sector_ids = {t.sector_id for t in count_targets if t.sector_id}
        for sector in Sector.objects.filter(
            Q(kind=Sector.Kind.CLUSTER, region_id__in=region_ids) | Q(parent_id__in=sector_ids)
        ).order_by("code"):
            if sector.kind == Sector.Kind.CLUSTER and sector.region_id in region_ids:
                clusters_by_region[sector.region_id].append(sector)
            if sector.parent_id in sector_ids:
                industries_by_cluster[sector.parent_id].append(sector)
        member_indicator = Indicator.objects.filter(code=MEMBER_INDICATOR).first()

    # Which target is evaluated for which (restatements evaluate their original).
    def evaluated(target: Target) -> Target:
        if target.restates_id and target.restates_id in originals:
            return originals[target.restates_id]
        return target

    series_keys: set[str] = set()
    members: dict[int, list[Sector]] = {}
    for target in target_list:
        subject = evaluated(target)
        if subject.count_threshold is not None:
            if subject.pk not in members:
                member_list = _member_sectors(subject, clusters_by_region, industries_by_cluster)
                members[subject.pk] = member_list
                if member_indicator is not None:
                    for member in member_list:
                        series_keys.add(series_key(member_indicator.pk, member.region_id, member.pk, None))
            continue
        series_keys.add(series_key(subject.indicator_id, subject.region_id, subject.sector_id, subject.chain_node_id))
    table = _load_observations(series_keys, as_of)

    milestones_of = _milestone_finder(list(originals.values()))

    # Build specs and arrays for the regular targets.
    results: dict[int, TargetProgress] = {}
    specs: list[engine.TargetSpec] = []
    spec_targets: list[tuple[Target, str, str]] = []  # (evaluated target, series, unit)
    index_parts: list[np.ndarray] = []
    row_parts: list[np.ndarray] = []
    factor_parts: list[np.ndarray] = []
    factors_by_unit: dict[str, np.ndarray] = {}  # target unit → factor of every observation unit
    for target in target_list:
        subject = evaluated(target)
        if subject.pk in results or subject.count_threshold is not None:
            continue
        year = _target_year(subject)
        series = series_key(subject.indicator_id, subject.region_id, subject.sector_id, subject.chain_node_id)
        unit = _evaluation_unit(subject, table, series)
        start, end = table.block(series)
        if year is None:
            results[subject.pk] = TargetProgress(
                subject, _blank_progress(subject, None, "no_data", "grey", "目标未注明年份，无法评价"), unit
            )
            continue
        factors = factors_by_unit.get(unit)
        if factors is None:
            factors = factors_by_unit[unit] = np.array([unit_factor(name, unit) for name in table.unit_names])
        row_factors = factors[table.unit_index[start:end]] if end > start else np.empty(0)
        bad = np.isnan(row_factors)
        if bad.any():
            wrong = sorted({table.unit(start + i) for i in np.flatnonzero(bad).tolist()})
            reason = (
                f"观测值单位“{'、'.join(wrong)}”不能换算为目标单位“{unit}”，未计算进度 / "
                f"observation unit cannot be converted to the target unit"
            )
            results[subject.pk] = TargetProgress(
                subject, _blank_progress(subject, year, UNIT_MISMATCH, "grey", reason), unit,
                sample=table.any_sample(start, end),
            )
            continue
        specs.append(_spec(subject, year, milestones_of(subject)))
        spec_targets.append((subject, series, unit))
        index_parts.append(np.full(end - start, len(specs) - 1, dtype=np.int64))
        row_parts.append(np.arange(start, end, dtype=np.int64))
        factor_parts.append(row_factors)
    if specs:
        rows = np.concatenate(row_parts) if row_parts else np.empty(0, dtype=np.int64)
        years = engine.decimal_years(table.ends[rows]) if rows.size else np.empty(0)
        converted = table.values[rows] * np.concatenate(factor_parts) if rows.size else np.empty(0)
        as_of_t = engine.decimal_year(as_of)
        facts = engine.collect_facts(specs, np.concatenate(index_parts), years, converted, as_of_t)
        for (subject, series, unit), spec, fact in zip(spec_targets, specs, facts, strict=True):
            result = engine.assess(spec, fact, as_of, as_of_t, with_path)
            start, end = table.block(series)
            cycle = subject.indicator.cycle
            latest = table.label_at(series, result.latest_period_end) or _period_label(result.latest_period_end, cycle)
            if result.baseline_period_end is None:
                baseline = None
            elif result.components.get("baseline_source") == "stated":
                baseline = str(result.baseline_year)
            else:
                baseline = table.label_at(series, result.baseline_period_end) or _period_label(
                    result.baseline_period_end, cycle
                )
            results[subject.pk] = TargetProgress(
                subject, result, unit, latest, baseline, sample=table.any_sample(start, end),
                spec=spec, facts=fact, series=series,
            )

    # Count targets.
    for target in target_list:
        subject = evaluated(target)
        if subject.count_threshold is None or subject.pk in results:
            continue
        results[subject.pk] = _count_progress(
            subject, members.get(subject.pk, []), member_indicator, table, as_of
        )

    out: list[TargetProgress] = []
    for target in target_list:
        subject = evaluated(target)
        result = results[subject.pk]
        if subject.pk == target.pk:
            out.append(result)
        else:
            out.append(
                TargetProgress(
                    target, result.progress, result.unit, result.latest_period, result.baseline_period,
                    result.sample, subject, result.count,
                )
            )
    return out


class _Sibling(NamedTuple):
    """What the milestones of a target need from another target of its group."""

    pk: int
    indicator_id: int
    region_id: int
    sector_id: int | None
    chain_node_id: int | None
    qualifier: str
    comparator: str
    year: int | None
    value: Any
    unit: str
    restates_id: int | None
    change_kind: str
    count_threshold: Any


def _group_key(target: Target | _Sibling) -> tuple:
    return (
        target.indicator_id, target.region_id, target.sector_id, target.chain_node_id,
        target.qualifier, _family(target.comparator),
    )


def _count_spec(target: Target) -> engine.CountSpec:
    return engine.CountSpec(threshold=float(target.count_threshold), count=int(target.value), comparator=">=")


def _count_progress(
    target: Target,
    member_list: list[Sector],
    member_indicator: Indicator | None,
    table: _ObservationTable,
    as_of: date,
) -> TargetProgress:
    year = _target_year(target) or 0
    threshold_unit = target.count_threshold_unit or (member_indicator.unit if member_indicator else "")
    if not member_list:
        reason = "无可计数的成员（该地区未登记产业集群或产业），无法评价计数目标"
        return TargetProgress(target, _blank_progress(target, year, "no_data", "grey", reason), target.unit)
    if member_indicator is None or not compatible(member_indicator.unit or "", threshold_unit):
        reason = f"门槛单位“{threshold_unit}”没有对应的成员指标，无法评价计数目标"
        return TargetProgress(target, _blank_progress(target, year, "no_data", "grey", reason), target.unit)
    values: dict[str, float | None] = {}
    latest_end: date | None = None
    sample = False
    for member in member_list:
        series = series_key(member_indicator.pk, member.region_id, member.pk, None)
        start, end = table.block(series)
        if end == start:
            values[member.name_zh] = None
            continue
        factor = unit_factor(table.unit(end - 1), threshold_unit)
        if factor != factor:
            values[member.name_zh] = None
            continue
        values[member.name_zh] = float(table.values[end - 1]) * factor
        sample = sample or table.any_sample(end - 1, end)
        if latest_end is None or table.end(end - 1) > latest_end:
            latest_end = table.end(end - 1)
    result = engine.check_count_ladder([_count_spec(target)], values)[0]
    components = {
        "measure": "count",
        "threshold": float(target.count_threshold),
        "threshold_unit": threshold_unit,
        "count": int(target.value),
        "member_values": values,
        "qualifying": result.qualifying,
        "semantics": "cumulative",
    }
    common = {
        "latest_value": float(len(result.qualifying)),
        "latest_period_end": latest_end,
        "target_value": float(target.value),
        "met": result.met,
        "share_achieved": len(result.qualifying) / int(target.value) if int(target.value) else None,
        "components": components,
    }
    if all(value is None for value in values.values()):
        reason = "各成员均无产值观测值：" + "、".join(values)
        progress = _blank_progress(target, year, "no_data", "grey", reason, **{**common, "latest_value": None, "met": None, "share_achieved": None})
    elif result.met:
        progress = _blank_progress(target, year, "achieved", "green", "已达到目标：" + result.explanation, **common)
    else:
        light = "red" if year and as_of > date(year, 12, 31) else "yellow"
        progress = _blank_progress(target, year, "limited", light, "尚未达到：" + result.explanation, **common)
    components["status"] = progress.status
    return TargetProgress(
        target, progress, target.unit, _period_label(latest_end), None, sample=sample, count=[result]
    )


# ---------------------------------------------------------------------------------------------
# Count ladders against the stated cluster totals


@dataclass
class LadderCheck:
    target: Target
    result: engine.CountResult
    member_values: dict[str, float | None]

    @property
    def met(self) -> bool:
        return self.result.met

    @property
    def exact(self) -> bool:
        """The number of qualifying members equals the count the target names."""
        return len(self.result.qualifying) == int(self.target.value)


def _sector_target_values(year: int, region_ids: set[int], indicator: Indicator, unit: str) -> dict[int, float]:
    """The stated target value of each sector for a year (one per sector; appendix rows first)."""
    chosen: dict[int, tuple[int, float]] = {}
    for target in Target.objects.filter(
        indicator=indicator, year=year, region_id__in=region_ids, sector__isnull=False,
        change_kind="", count_threshold__isnull=True,
    ).exclude(review=Target.Review.REJECTED).order_by("pk"):
        factor = unit_factor(target.unit, unit)
        if factor != factor:
            continue
        rank = 0 if target.restates_id else 1  # appendix rows (restatements) are the table's figures
        if target.sector_id not in chosen or rank < chosen[target.sector_id][0]:
            chosen[target.sector_id] = (rank, float(target.value) * factor)
    return {sector_id: value for sector_id, (_, value) in chosen.items()}


def count_ladder_against_targets(year: int, *, region: Region | str | None = None) -> list[LadderCheck]:
    """Check each count target of ``year`` against the members' *target* values.

    A cluster's value is its stated total (the appendix 合计 row, a target on the cluster),
    else the sum of its industries' targets (rolled up with :func:`rollup.rollup`), else none.
    Cumulative semantics: a cluster ≥ 500 also counts toward ≥ 200.
    """
    targets = Target.objects.filter(year=year, count_threshold__isnull=False).exclude(
        review=Target.Review.REJECTED
    ).select_related("indicator", "region", "sector")
    if region is not None:
        region_obj = _region(region)
        targets = targets.filter(region=region_obj)
    targets = list(targets.order_by("-count_threshold", "pk"))
    indicator = Indicator.objects.filter(code=MEMBER_INDICATOR).first()
    if not targets or indicator is None:
        return []
    region_ids = {t.region_id for t in targets}
    sectors = list(Sector.objects.filter(region_id__in=region_ids).order_by("code"))
    clusters_by_region: dict[int, list[Sector]] = defaultdict(list)
    industries_by_cluster: dict[int, list[Sector]] = defaultdict(list)
    for sector in sectors:
        if sector.kind == Sector.Kind.CLUSTER:
            clusters_by_region[sector.region_id].append(sector)
        elif sector.parent_id:
            industries_by_cluster[sector.parent_id].append(sector)
    checks: list[LadderCheck] = []
    value_cache: dict[str, dict[int, float]] = {}
    for target in targets:
        unit = target.count_threshold_unit or indicator.unit
        if unit not in value_cache:
            value_cache[unit] = _sector_target_values(year, region_ids, indicator, unit)
        stated = value_cache[unit]
        member_values: dict[str, float | None] = {}
        for member in _member_sectors(target, clusters_by_region, industries_by_cluster):
            children = industries_by_cluster.get(member.pk, []) if member.kind == Sector.Kind.CLUSTER else []
            values = {str(member.pk): stated.get(member.pk)}
            values.update({str(child.pk): stated.get(child.pk) for child in children})
            rolled = rollup_engine.rollup(values, {str(member.pk): [str(c.pk) for c in children]}, "sum")
            entry = rolled[str(member.pk)]
            member_values[member.name_zh] = entry.stated if entry.stated is not None else entry.value
        result = engine.check_count_ladder([_count_spec(target)], member_values)[0]
        checks.append(LadderCheck(target, result, member_values))
    return checks


# ---------------------------------------------------------------------------------------------
# Roll-ups


def _region(value: Region | str) -> Region:
    if isinstance(value, Region):
        return value
    found = Region.objects.filter(code=value, valid_to__isnull=True).first()
    if found is None:
        raise ValueError(f"地区代码“{value}”不存在 / unknown region code {value!r}")
    return found


def _sector(value: Sector | str) -> Sector:
    if isinstance(value, Sector):
        return value
    found = Sector.objects.filter(code=value).first()
    if found is None:
        raise ValueError(f"集群/产业代码“{value}”不存在 / unknown cluster or industry code {value!r}")
    return found


def _indicator(value: Indicator | str) -> Indicator:
    if isinstance(value, Indicator):
        return value
    found = Indicator.objects.filter(code=value).first()
    if found is None:
        raise ValueError(f"指标代码“{value}”不存在 / unknown indicator code {value!r}")
    return found


def _entry(result: rollup_engine.RollupValue, name: str) -> dict:
    return {
        "name": name,
        "value": result.value,
        "complete": result.complete,
        "missing": result.missing_children,
        "stated": result.stated,
    }


def rollup_observations(
    indicator: Indicator | str,
    period: str,
    *,
    root_region: Region | str,
    sector: Sector | str | None = None,
) -> dict:
    """Roll up approved current observations of ``indicator`` for ``period``.

    ``regions``: over the current administrative divisions below ``root_region`` (Region.path;
    development zones and parks are counted in the division they lie in, not added again), using the
    indicator's aggregation (sum, mean, weighted by its weight indicator, none), for the series
    without sector (or of ``sector`` when given).  ``sectors``: when ``sector`` is a cluster,
    its industries rolled up to the cluster in ``root_region``.  Values are in the indicator's
    unit; observations whose unit cannot be converted are listed in ``problems`` and left out.
    """
    indicator = _indicator(indicator)
    root = _region(root_region)
    sector_obj = _sector(sector) if sector is not None else None
    aggregation = indicator.aggregation
    regions = list(
        Region.objects.current()
        .subtree(root)
        .filter(Q(pk=root.pk) | Q(level__in=ADMINISTRATIVE_LEVELS))
        .only("id", "code", "name_zh", "parent_id", "path")
    )
    by_id = {r.pk: r for r in regions}
    children_of: dict[str, list[str]] = defaultdict(list)
    for region in regions:
        if region.pk != root.pk and region.parent_id in by_id:
            children_of[by_id[region.parent_id].code].append(region.code)
    industries = []
    if sector_obj is not None and sector_obj.kind == Sector.Kind.CLUSTER:
        industries = list(Sector.objects.filter(parent=sector_obj).order_by("code"))
    indicator_ids = [indicator.pk]
    if aggregation == Indicator.Aggregation.WEIGHTED and indicator.weight_indicator_id:
        indicator_ids.append(indicator.weight_indicator_id)
    sector_ids = [s.pk for s in industries] + ([sector_obj.pk] if sector_obj else [])
    observations = Observation.objects.filter(
        indicator_id__in=indicator_ids, period=period, status=Observation.Status.APPROVED,
        is_current=True, region__path__startswith=root.path, chain_node__isnull=True,
    ).filter(Q(sector__isnull=True) | Q(sector_id__in=sector_ids)).values_list(
        "indicator_id", "region_id", "sector_id", "value", "unit", "origin"
    )
    unit = indicator.unit
    weight_unit = indicator.weight_indicator.unit if indicator_ids[1:] else ""
    region_values: dict[str, float | None] = {}
    region_weights: dict[str, float | None] = {}
    sector_values: dict[str, float | None] = {}
    problems: list[str] = []
    sample = False
    wanted_sector = sector_obj.pk if sector_obj else None
    for indicator_id, region_id, sector_id, value, obs_unit, origin in observations:
        region = by_id.get(region_id)
        if region is None:
            continue
        is_weight = indicator_id != indicator.pk
        to_unit = (weight_unit if is_weight else unit) or obs_unit
        factor = unit_factor(obs_unit, to_unit)
        if factor != factor:
            problems.append(f"{region.name_zh}：单位“{obs_unit}”不能换算为“{to_unit}”")
            continue
        converted = float(value) * factor
        sample = sample or origin == "sample"
        if is_weight:
            if sector_id == wanted_sector:
                region_weights[region.code] = converted
            continue
        if sector_id == wanted_sector:
            region_values[region.code] = converted
        if region_id == root.pk and sector_id is not None and sector_id in sector_ids:
            sector_values[str(sector_id)] = converted
    weights = region_weights if aggregation == Indicator.Aggregation.WEIGHTED else None
    if aggregation == Indicator.Aggregation.WEIGHTED and not indicator_ids[1:]:
        problems.append("加权平均指标未设权重指标，按简单平均汇总")
        aggregation, weights = Indicator.Aggregation.MEAN, None
    rolled = rollup_engine.rollup(region_values, children_of, aggregation, weights)
    names = {r.code: r.name_zh for r in regions}
    result = {
        "indicator": indicator.code,
        "period": period,
        "unit": unit,
        "aggregation": aggregation,
        "root": root.code,
        "sector": sector_obj.code if sector_obj else None,
        "regions": {code: _entry(value, names.get(code, code)) for code, value in rolled.items()},
        "sectors": {},
        "problems": problems,
        "sample": sample,
    }
    result["value"] = result["regions"][root.code]["value"] if root.code in result["regions"] else None
    if industries:
        sector_aggregation = aggregation if aggregation != Indicator.Aggregation.WEIGHTED else Indicator.Aggregation.MEAN
        tree = {str(sector_obj.pk): [str(s.pk) for s in industries]}
        sector_rolled = rollup_engine.rollup(sector_values, tree, sector_aggregation)
        codes = {str(s.pk): s for s in [sector_obj, *industries]}
        result["sectors"] = {
            codes[key].code: _entry(value, codes[key].name_zh)
            for key, value in sector_rolled.items()
        }
        for entry in result["sectors"].values():
            entry["missing"] = [codes[m].code for m in entry["missing"] if m in codes]
    return result


# ---------------------------------------------------------------------------------------------
# Consistency


@dataclass
class ConsistencyIssue:
    kind: str  # total | allocation | restatement
    status: str  # inconsistent | under | over
    target: Target
    stated: float
    sum_of_parts: float
    difference: float  # stated − sum_of_parts
    unit: str
    parts: dict[str, float | None]
    blank_parts: list[str]
    message: str

    def row(self) -> dict:
        return {
            "kind": self.kind,
            "status": self.status,
            "target_id": self.target.pk,
            "key": self.target.key,
            "document": self.target.document.code if self.target.document_id else None,
            "stated": self.stated,
            "sum_of_parts": self.sum_of_parts,
            "difference": self.difference,
            "unit": self.unit,
            "parts": self.parts,
            "blank_parts": self.blank_parts,
            "message": self.message,
        }


def _num(value: float) -> str:
    return f"{value:.6g}"


def consistency_report(document: PolicyDocument | str | None = None, *, tolerance: float = 1e-6) -> list[ConsistencyIssue]:
    """Stated totals that differ from the sum of their parts, allocations that do not add up.

    (a) ``total``: a target on a cluster against the targets of the same indicator, region and
        year on the cluster's industries (Xilingol's appendix 合计 rows); a blank industry is
        left out of the sum and named; (b) ``allocation``: a target against the targets
        allocated from it (``Target.parent``) — ``under`` or ``over``; (c) ``restatement``: a
        restatement whose value differs from the target it restates.  Values are compared in
        the stated target's unit.
    """
    queryset = Target.objects.exclude(review=Target.Review.REJECTED).select_related(
        "indicator", "region", "sector", "document", "restates", "parent"
    )
    if document is not None:
        if isinstance(document, str):
            code = document
            document = PolicyDocument.objects.filter(code=code).first()
            if document is None:
                raise ValueError(f"政策文件“{code}”不存在 / unknown document {code!r}")
        queryset = queryset.filter(Q(document=document) | Q(parent__document=document))
    targets = list(queryset.order_by("pk"))
    issues: list[ConsistencyIssue] = []
    industries_of: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for sector_id, parent_id, name in Sector.objects.filter(
        kind=Sector.Kind.INDUSTRY, parent__isnull=False
    ).order_by("code").values_list("id", "parent_id", "name_zh"):
        industries_of[parent_id].append((sector_id, name))

    # (a) stated totals on clusters against their industries.
    plain = [t for t in targets if not t.change_kind and t.count_threshold is None and t.sector_id]
    parts_index: dict[tuple, list[Target]] = defaultdict(list)
    for target in plain:
        parts_index[(target.indicator_id, target.region_id, target.year, target.sector_id)].append(target)
    for total in plain:
        if total.sector.kind != Sector.Kind.CLUSTER or total.restates_id or total.sector_id not in industries_of:
            continue
        parts: dict[str, float | None] = {}
        for industry_id, name in industries_of[total.sector_id]:
            candidates = parts_index.get((total.indicator_id, total.region_id, total.year, industry_id), [])
            candidates = sorted(candidates, key=lambda t: (0 if t.restates_id else 1, t.pk))
            value = None
            for candidate in candidates:
                factor = unit_factor(candidate.unit, total.unit)
                if factor == factor:
                    value = float(candidate.value) * factor
                    break
            parts[name] = value
        if all(value is None for value in parts.values()):
            continue
        for found in rollup_engine.check_totals({"total": float(total.value)}, {"total": parts}, tolerance):
            blank = f"（空白：{'、'.join(found.blank_parts)}）" if found.blank_parts else ""
            message = (
                f"{total.sector.name_zh}{total.year}年{total.indicator_text or total.indicator.name_zh}"
                f"合计{_num(found.stated)}{total.unit}，各产业之和{_num(found.sum_of_parts)}{total.unit}，"
                f"相差{_num(found.difference)}{blank}"
            )
            issues.append(ConsistencyIssue(
                "total", "inconsistent", total, found.stated, found.sum_of_parts, found.difference,
                total.unit, found.children, found.blank_parts, message,
            ))

    # (b) allocations: children (Target.parent) against their parent.
    children_of: dict[int, list[Target]] = defaultdict(list)
    by_id = {t.pk: t for t in targets}
    for target in targets:
        if target.parent_id:
            children_of[target.parent_id].append(target)
    for parent_id, children in children_of.items():
        parent = by_id.get(parent_id) or children[0].parent
        values: dict[str, float | None] = {}
        for child in children:
            factor = unit_factor(child.unit, parent.unit)
            label = f"{child.region.name_zh}{('·' + child.sector.name_zh) if child.sector_id else ''}#{child.pk}"
            values[label] = float(child.value) * factor if factor == factor else None
        check = rollup_engine.check_allocations(float(parent.value), values, tolerance)
        if check.status == "exact":
            continue
        word = "不足" if check.status == "under" else "超出"
        message = (
            f"{parent.region.name_zh}{parent.year}年{parent.indicator_text or parent.indicator.name_zh}"
            f"目标{_num(check.parent_value)}{parent.unit}，分解到下级合计{_num(check.sum_of_children)}"
            f"{parent.unit}，{word}{_num(abs(check.difference))}"
        )
        issues.append(ConsistencyIssue(
            "allocation", check.status, parent, check.parent_value, check.sum_of_children,
            check.difference, parent.unit, values, check.blank_children, message,
        ))

    # (c) restatements that do not state the same figure.
    for target in targets:
        original = target.restates
        if original is None:
            continue
        factor = unit_factor(target.unit, original.unit)
        if factor != factor:
            continue
        restated = float(target.value) * factor
        if abs(restated - float(original.value)) > tolerance:
            message = (
                f"{target.key or target.pk}重述{original.key or original.pk}：{_num(restated)}{original.unit}"
                f"与原值{_num(float(original.value))}{original.unit}不一致"
            )
            issues.append(ConsistencyIssue(
                "restatement", "inconsistent", target, float(original.value), restated,
                float(original.value) - restated, original.unit, {str(target.key or target.pk): restated}, [],
                message,
            ))
    return issues


def progress_rows(results: Iterable[TargetProgress]) -> list[dict]:
    return [result.row() for result in results]


def light_counts(results: Iterable[TargetProgress]) -> Mapping[str, int]:
    counts = {"green": 0, "yellow": 0, "red": 0, "grey": 0}
    for result in results:
        counts[result.light] = counts.get(result.light, 0) + 1
    return counts
