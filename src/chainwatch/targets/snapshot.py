"""Stored progress (进度快照): one :class:`~chainwatch.targets.models.TargetStatus` row per target,
which the cockpit reads instead of evaluating every target.

:func:`refresh_progress` (``chainwatch refresh-progress``, nightly) evaluates targets with
:func:`~chainwatch.targets.services.evaluate_targets` and stores each one's progress together with
the engine's facts (:class:`~chainwatch.targets.progress.Facts`: counts, latest point, baseline,
the fit's running moments) and what they depend on (:func:`~chainwatch.targets.services.facts_key`).

:func:`refresh_progress_for_series` (after an import or an approval) refreshes the targets of the
series that changed. A target is *extended* — its stored facts updated with the new points by
:func:`~chainwatch.targets.progress.extend_facts` and assessed, without reading its series again
— when its row is of the same date and holds facts for the same spec, and everything that
changed in its series since the row was computed is approved, current points after its latest
one. Anything else (a corrected or withdrawn figure, a new baseline, a count target, a
restatement, an edited target) is evaluated afresh. Points outside a plan's year change only a
count the stored row does not show: such a target keeps its stored progress.

What changed is read from ``Observation.updated_at`` (indexed), which every write path sets;
what deletes observations (the admin, removing sample or synthetic data) drops the facts of the
targets concerned (:func:`forget_facts`). Rows stamped up to :data:`IN_FLIGHT_MARGIN` before a row was computed
count as changes too: a transaction still open while the row was computed may commit them later.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

import numpy as np
from django.db.models import FloatField, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from chainwatch.core.bulk import in_batch, insert_rows
from chainwatch.targets import progress as engine
from chainwatch.targets.models import Indicator, Observation, Target, TargetStatus, series_key
from chainwatch.targets.services import (
    MEMBER_INDICATOR,
    EpochDays,
    TargetProgress,
    attach_related,
    evaluate_targets,
    evaluation_unit,
    facts_key,
    milestone_finder,
    target_spec,
    target_year,
    unit_factor,
)

REFRESH_BATCH = 50_000
IN_FLIGHT_MARGIN = timedelta(minutes=5)
FACT_FIELDS = tuple(f.name for f in dataclasses.fields(engine.Facts))
SHOWN_FIELDS = (
    "status", "light", "unit", "latest_value", "latest_period", "share_achieved", "share_elapsed",
    "pace_gap", "ratio", "projected_value", "reason",
)


def _facts_state(facts: engine.Facts, key: str) -> dict:
    return {"key": key, "facts": [getattr(facts, name) for name in FACT_FIELDS]}


def _stored_facts(state: dict | None, key: str) -> engine.Facts | None:
    """The facts in a row's ``facts`` if they were computed for ``key``, else None."""
    if not state or state.get("key") != key:
        return None
    values = state.get("facts")
    if not isinstance(values, list) or len(values) != len(FACT_FIELDS):
        return None
    return engine.Facts(**dict(zip(FACT_FIELDS, values, strict=True)))


def _row(target_id: int, progress: engine.Progress, unit: str, latest_period: str | None, state, as_of, now) -> dict:
    return {
        "target_id": target_id, "as_of": as_of, "status": progress.status, "light": progress.light,
        "unit": unit or "", "latest_value": progress.latest_value, "latest_period": latest_period or "",
        "share_achieved": progress.share_achieved, "share_elapsed": progress.share_elapsed,
        "pace_gap": progress.pace_gap, "ratio": progress.ratio, "projected_value": progress.projected_value,
        "reason": " ".join(progress.reason.split()), "facts": state, "computed_at": now,
    }


def _snapshot_rows(results: Iterable[TargetProgress], as_of: date, now) -> list[dict]:
    return [
        _row(
            item.target.pk, item.progress, item.unit, item.latest_period,
            _facts_state(item.facts, item.facts_key) if item.facts is not None else None, as_of, now,
        )
        for item in results
    ]


def _store(targets: QuerySet[Target] | list[Target], as_of: date, *, extend: bool = False, counts: Counter | None = None) -> int:
    now = timezone.now()
    rows: list[dict] = []
    if extend:
        rows, targets = _extended_rows(list(targets), as_of, now)
    if counts is not None:
        counts["extended"] += len(rows)
    evaluated = _snapshot_rows(evaluate_targets(targets, as_of=as_of), as_of, now)
    if counts is not None:
        counts["evaluated"] += len(evaluated)
    rows += evaluated
    insert_rows(TargetStatus, rows, update_on=["target"])
    return len(rows)


def refresh_progress(targets_qs: QuerySet[Target] | None = None, *, as_of: date | None = None) -> int:
    """Evaluate ``targets_qs`` (default: every target not rejected — those the cockpit shows) as of
    ``as_of`` (default ``date.today()``, the date the cockpit evaluates at) with
    :func:`~chainwatch.targets.services.evaluate_targets`, in batches of :data:`REFRESH_BATCH`
    targets (contiguous primary-key ranges, no huge ``IN`` lists), and upsert one
    :class:`~chainwatch.targets.models.TargetStatus` row per target. Returns how many were stored.

    A derived cache, not a user's statement: no audit entries (the observations and targets it is
    computed from carry theirs). Each batch is stored in one statement per backend batch."""
    as_of = as_of or date.today()  # the cockpit's “today” (chainwatch.web.cockpit.build)
    if targets_qs is None:
        targets_qs = Target.objects.exclude(review=Target.Review.REJECTED)
    ids = list(targets_qs.order_by("pk").values_list("pk", flat=True))
    stored = 0
    for start in range(0, len(ids), REFRESH_BATCH):
        batch = ids[start:start + REFRESH_BATCH]
        stored += _store(targets_qs.filter(pk__gte=batch[0], pk__lte=batch[-1]).order_by("pk"), as_of)
    return stored


def _parse_series(key: str) -> tuple[int, int, int | None, int | None] | None:
    parts = key.split(":")
    if len(parts) != 4:
        return None
    try:
        return int(parts[0]), int(parts[1]), int(parts[2]) if parts[2] else None, int(parts[3]) if parts[3] else None
    except ValueError:
        return None


def targets_for_series(series_keys: Iterable[str]) -> set[int]:
    """Ids of the (not rejected) targets whose progress depends on the observations of
    ``series_keys``: the targets of those series, the count targets when a member series
    (indicator ``OUTPUT``) changed (all of them — there are few; finding exactly whose members
    changed would repeat the member rules of :func:`evaluate_targets`), and the restatements of
    any of these (a restatement shows its original's progress)."""
    parsed = {p for p in (_parse_series(k) for k in set(series_keys)) if p is not None}
    if not parsed:
        return set()
    keys = {series_key(*p) for p in parsed}
    live = Target.objects.exclude(review=Target.Review.REJECTED).order_by()  # no join for the default order
    limit = in_batch()
    indicator_ids = {p[0] for p in parsed}
    region_ids = sorted({p[1] for p in parsed})
    found: set[int] = set()
    for start in range(0, len(region_ids), limit):
        # By region only: with the indicators too, SQLite probes the (indicator, region) index
        # for every pair of the two lists, a million probes for 10,000 series.
        rows = live.filter(region_id__in=region_ids[start:start + limit]).values_list(
            "pk", "indicator_id", "region_id", "sector_id", "chain_node_id"
        )
        found.update(pk for pk, *key in rows if key[0] in indicator_ids and series_key(*key) in keys)
    member = Indicator.objects.filter(code=MEMBER_INDICATOR).values_list("pk", flat=True).first()
    if member is not None and member in indicator_ids:
        found.update(live.filter(count_threshold__isnull=False).values_list("pk", flat=True))
    originals = sorted(found)
    for start in range(0, len(originals), limit):
        found.update(live.filter(restates_id__in=originals[start:start + limit]).values_list("pk", flat=True))
    return found


def refresh_progress_for_series(series_keys: Iterable[str], *, as_of: date | None = None, counts: Counter | None = None) -> int:
    """Refresh the stored progress of the targets that depend on ``series_keys`` only (see
    :func:`targets_for_series`), extending stored facts where it may (see the module doc); called
    by the observation import after it commits and by approvals. Returns how many targets were
    refreshed; ``counts``, if given, adds how many were ``extended`` and ``evaluated``. Not covered (run ``chainwatch refresh-progress``, e.g. nightly, or after such
    changes): edits of targets themselves (the cockpit then falls back to live evaluation for that
    scope, see ``chainwatch.web.cockpit``), observations changed outside the import and the
    approvals, and the passing of the date (a snapshot is only used on its own day)."""
    as_of = as_of or date.today()  # the cockpit's “today” (chainwatch.web.cockpit.build)
    ids = sorted(targets_for_series(series_keys))
    limit = in_batch()
    stored = 0
    for batch in range(0, len(ids), REFRESH_BATCH):
        # Loaded in chunks within the parameter limit, evaluated together: the fixed costs of an
        # evaluation (siblings, related rows, unit factors) are paid once per batch.
        targets: list[Target] = []
        for start in range(batch, min(batch + REFRESH_BATCH, len(ids)), limit):
            targets.extend(Target.objects.filter(pk__in=ids[start:start + limit]).order_by("pk"))
        stored += _store(targets, as_of, extend=True, counts=counts)
    return stored


def forget_facts(series_keys: Iterable[str] | None = None) -> None:
    """Drop the stored facts of the targets of ``series_keys`` (default: of every target): called
    where observations are deleted, which ``updated_at`` cannot show. Their next refresh
    evaluates them afresh."""
    if series_keys is None:
        TargetStatus.objects.filter(facts__isnull=False).update(facts=None)
        return
    ids = sorted(targets_for_series(series_keys))
    limit = in_batch()
    for start in range(0, len(ids), limit):
        TargetStatus.objects.filter(target_id__in=ids[start:start + limit]).update(facts=None)


# ---------------------------------------------------------------------------------------------
# Extending stored facts


class _Appended:
    """The points appended to each series since ``since`` (approved, current, up to ``as_of``,
    ordered by period end), and the series where anything else changed (``None``)."""

    def __init__(self, since, as_of: date) -> None:
        # Sorted here: asked to order them, SQLite (without statistics) walks the (series,
        # period_end) index through every observation instead of the few recent ones.
        rows = sorted(
            Observation.objects.filter(updated_at__gt=since)
            .annotate(value_float=Cast("value", FloatField()), end_day=EpochDays("period_end"))
            .order_by()
            .values_list("series", "end_day", "pk", "period", "value_float", "unit", "status", "is_current", "period_end")
        )
        kept = [row for row in rows if row[8] <= as_of]
        years = engine.decimal_years(np.array([row[1] for row in kept], dtype="datetime64[D]")).tolist()
        self.points: dict[str, list[tuple[float, float, str, str]] | None] = defaultdict(list)
        for (series, _, _, period, value, unit, status, is_current, _), year in zip(kept, years, strict=True):
            points = self.points[series]
            if points is None:
                continue
            if status != Observation.Status.APPROVED or not is_current:
                self.points[series] = None
                continue
            points.append((year, value, unit, period))

    def of(self, series: str) -> list[tuple[float, float, str, str]] | None:
        return self.points.get(series, [])


def _extended_rows(targets: list[Target], as_of: date, now) -> tuple[list[dict], list[Target]]:
    """Rows for the targets whose stored facts can be extended (see the module doc), and the
    targets that must be evaluated afresh."""
    limit = in_batch()
    previous: dict[int, dict] = {}
    ids = [t.pk for t in targets]
    for start in range(0, len(ids), limit):
        for row in TargetStatus.objects.filter(
            target_id__in=ids[start:start + limit], as_of=as_of, facts__isnull=False
        ).values("target_id", "computed_at", "facts", *SHOWN_FIELDS):
            previous[row["target_id"]] = row
    candidates = [
        t for t in targets
        if t.pk in previous and not t.restates_id and t.count_threshold is None and target_year(t) is not None
    ]
    if not candidates:
        return [], targets
    attach_related(candidates)
    candidates = [t for t in candidates if not (t.change_kind and not t.indicator.unit)]
    appended = _Appended(min(previous[t.pk]["computed_at"] for t in candidates) - IN_FLIGHT_MARGIN, as_of)
    milestones_of = milestone_finder(candidates)
    as_of_t = engine.decimal_year(as_of)
    factors: dict[tuple[str, str], float] = {}
    rows: list[dict] = []
    extended: set[int] = set()
    for target in candidates:
        series = series_key(target.indicator_id, target.region_id, target.sector_id, target.chain_node_id)
        points = appended.of(series)
        if points is None:
            continue
        unit = evaluation_unit(target, None, series)
        spec = target_spec(target, target_year(target), milestones_of(target))
        key = facts_key(spec, series, unit)
        stored = previous[target.pk]
        facts = _stored_facts(stored["facts"], key)
        if facts is None:
            continue
        values = []
        for _, value, point_unit, _ in points:
            factor = factors.get((point_unit, unit))
            if factor is None:
                factor = factors[(point_unit, unit)] = unit_factor(point_unit, unit)
            values.append(value * factor)
        if any(v != v for v in values):  # a unit that does not convert: evaluated afresh, with its reason
            continue
        new = engine.extend_facts(spec, facts, [p[0] for p in points], values, as_of_t)
        if new is None:
            continue
        extended.add(target.pk)
        state = _facts_state(new, key)
        if (new.n_points, new.n_future, new.n_missing_values) == (facts.n_points, facts.n_future, facts.n_missing_values):
            # Nothing appended but points outside a plan's year: only their count changed.
            rows.append({
                "target_id": target.pk, "as_of": as_of, **{name: stored[name] for name in SHOWN_FIELDS},
                "facts": state, "computed_at": now,
            })
            continue
        latest_period = stored["latest_period"]
        if new.latest_t != facts.latest_t:
            latest_period = next(p[3] for p in reversed(points) if p[0] == new.latest_t)
        progress = engine.assess(spec, new, as_of, as_of_t)
        rows.append(_row(target.pk, progress, unit, latest_period, state, as_of, now))
    return rows, [t for t in targets if t.pk not in extended]
