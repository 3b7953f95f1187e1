"""Stored progress (进度快照): one :class:`~chainwatch.targets.models.TargetStatus` row per target,
which the cockpit reads instead of evaluating every target.

:func:`refresh_progress` (``chainwatch refresh-progress``, nightly) evaluates targets with
:func:`~chainwatch.targets.services.evaluate_targets` and stores each one's progress together with
what it was computed from: the engine's spec and facts (:class:`~chainwatch.targets.progress.Facts`:
counts, latest point, baseline, the fit's running moments), keyed by the series, the unit and the
state of the tables a spec is built from (:data:`SPEC_INPUTS`, read before the targets).

:func:`refresh_progress_for_series` (after an import or an approval) refreshes the targets of the
series that changed. A target is *extended* — its stored facts updated with the new points by
:func:`~chainwatch.targets.progress.extend_facts` and assessed, reading neither its series nor
the target again — when its row is of the same date, no target, indicator or document changed
since, and everything that changed in its series since the row was computed is approved, current
points after its latest one. Anything else (a corrected or withdrawn figure, a new baseline, a
count target, a restatement, an edit) is evaluated afresh. Points outside a plan's year change
nothing a row shows: such a target keeps its row.

What changed is read from ``Observation.updated_at`` (indexed), which every write path sets;
what deletes observations (the admin, removing sample or synthetic data) drops the facts of the
targets concerned (:func:`forget_facts`). Rows stamped up to :data:`IN_FLIGHT_MARGIN` before a
row was computed count as changes too, in case a transaction still open then committed them
later; a writer passes its own stamp (``changed_since``), so its rows count however long it took.
"""

from __future__ import annotations

import dataclasses
import json
import struct
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, timedelta

import numpy as np
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from chainwatch.core.bulk import in_batch, insert_rows
from chainwatch.core.fingerprint import digest, table_states
from chainwatch.policy.models import PolicyDocument
from chainwatch.targets import progress as engine
from chainwatch.targets.models import Indicator, Observation, Target, TargetStatus, series_key
from chainwatch.targets.services import (
    MEMBER_INDICATOR,
    TargetProgress,
    evaluate_targets,
    unit_factor,
    with_points,
)

REFRESH_BATCH = 50_000
IN_FLIGHT_MARGIN = timedelta(minutes=1)
# More rows changed since a stored row was computed than this (or 10 per refreshed series) and
# the stored rows are not extended: reading the changes would cost more than the history.
CHANGES_READ = 100_000
FACTS_FORMAT = 3  # bump when engine.Facts or TargetSpec change: stored rows of another format are not extended
# What a target's spec is made of besides the target: its indicator, its document, the other
# targets (milestones). Unchanged since a row was computed, the row's stored spec is still true.
SPEC_INPUTS = ((Target, "updated_at"), (Indicator, "updated_at"), (PolicyDocument, "updated_at"))


# ---------------------------------------------------------------------------------------------
# What a row keeps: the spec (compact JSON) and the facts (float64s)

_FACT_FIELDS = tuple(f.name for f in dataclasses.fields(engine.Facts) if f.name != "conflict_times")
_COUNTS = [_FACT_FIELDS.index(name) for name in (
    "n_points", "n_duplicates", "n_future", "n_missing_values", "n_outside_year", "n_fit", "n_nonpositive",
)]
_SOURCE = _FACT_FIELDS.index("base_source")
_OUTSIDE = _FACT_FIELDS.index("n_outside_year")
_LATEST_IS_BASE = _FACT_FIELDS.index("base_is_latest")
_OPTIONAL = [i for i in range(len(_FACT_FIELDS)) if i not in {*_COUNTS, _SOURCE, _LATEST_IS_BASE}]
_BASE_SOURCES = (None, "stated", "change_base", "before_start", "first", "year_start")
_NAN = float("nan")
_SPEC_FIELDS = tuple(f.name for f in dataclasses.fields(engine.TargetSpec))


def _encode_facts(facts: engine.Facts) -> bytes:
    """The facts as float64s. Points outside a plan's year are not counted (0): only the
    components show them, which a stored row does not keep, and they are met again by each
    extension of the row."""
    values = [getattr(facts, name) for name in _FACT_FIELDS]
    values[_SOURCE] = _BASE_SOURCES.index(facts.base_source)
    values[_OUTSIDE] = 0
    values += facts.conflict_times
    return struct.pack(f"<{len(values)}d", *(_NAN if v is None else v for v in values))


def _decode_facts(data: bytes) -> engine.Facts:
    values = list(struct.unpack(f"<{len(data) // 8}d", data))
    conflict_times = values[len(_FACT_FIELDS):]
    del values[len(_FACT_FIELDS):]
    for i in _COUNTS:
        values[i] = int(values[i])
    for i in _OPTIONAL:
        if values[i] != values[i]:  # NaN: None
            values[i] = None
    values[_SOURCE] = _BASE_SOURCES[int(values[_SOURCE])]
    values[_LATEST_IS_BASE] = bool(values[_LATEST_IS_BASE])
    return engine.Facts(*values, conflict_times=conflict_times)


def _encode_spec(spec: engine.TargetSpec) -> str:
    return json.dumps([getattr(spec, name) for name in _SPEC_FIELDS], ensure_ascii=False, separators=(",", ":"))


def _decode_spec(text: str) -> engine.TargetSpec:
    values = dict(zip(_SPEC_FIELDS, json.loads(text), strict=True))
    values["milestones"] = tuple(tuple(m) for m in values["milestones"])
    return engine.TargetSpec(**values)


def _key(inputs: str, series: str, unit: str) -> str:
    """What a row's spec and facts hold for: the format, the state of the spec's inputs
    (:data:`SPEC_INPUTS`), the series and the unit its values were converted to."""
    return f"{FACTS_FORMAT}|{inputs}|{series}|{unit}"


def _spec_inputs() -> str:
    return digest(table_states(SPEC_INPUTS))[:16]


def _row(target_id: int, progress: engine.Progress, unit: str, latest_period: str | None, as_of, now,
         kept: tuple[str, str, bytes] | None) -> dict:
    key, spec, facts = kept or ("", "", None)
    return {
        "target_id": target_id, "as_of": as_of, "status": progress.status, "light": progress.light,
        "unit": unit or "", "latest_value": progress.latest_value, "latest_period": latest_period or "",
        "share_achieved": progress.share_achieved, "share_elapsed": progress.share_elapsed,
        "pace_gap": progress.pace_gap, "ratio": progress.ratio, "projected_value": progress.projected_value,
        "reason": " ".join(progress.reason.split()), "facts_key": key, "spec": spec, "facts": facts,
        "computed_at": now,
    }


def _snapshot_rows(results: Iterable[TargetProgress], as_of: date, now, inputs: str) -> list[dict]:
    return [
        _row(
            item.target.pk, item.progress, item.unit, item.latest_period, as_of, now,
            (_key(inputs, item.series, item.unit), _encode_spec(item.spec), _encode_facts(item.facts))
            if item.facts is not None else None,
        )
        for item in results
    ]


def _store(targets: QuerySet[Target] | list[Target], as_of: date, now, inputs: str, rows: list[dict]) -> int:
    """Evaluate ``targets`` and upsert their rows with ``rows`` (already computed)."""
    rows = rows + _snapshot_rows(evaluate_targets(targets, as_of=as_of, with_path=False), as_of, now, inputs)
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
        # The inputs' state is read before anything else: an edit meanwhile makes rows stale, never wrong.
        now, inputs = timezone.now(), _spec_inputs()
        stored += _store(targets_qs.filter(pk__gte=batch[0], pk__lte=batch[-1]).order_by("pk"), as_of, now, inputs, [])
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


def refresh_progress_for_series(series_keys: Iterable[str], *, as_of: date | None = None, changed_since=None,
                                counts: Counter | None = None) -> int:
    """Refresh the stored progress of the targets that depend on ``series_keys`` only (see
    :func:`targets_for_series`), extending stored facts where it may (see the module doc); called
    by the observation import after it commits and by approvals. Returns how many targets were
    refreshed; ``counts``, if given, adds how many were ``extended`` and ``evaluated``. The caller
    that wrote the changes passes the time it stamped them (``changed_since``): its rows are read
    as changes however long its transaction took. Not covered (run ``chainwatch refresh-progress``, e.g. nightly, or after such
    changes): edits of targets themselves (the cockpit then falls back to live evaluation for that
    scope, see ``chainwatch.web.cockpit``), observations changed outside the import and the
    approvals, and the passing of the date (a snapshot is only used on its own day)."""
    as_of = as_of or date.today()  # the cockpit's “today” (chainwatch.web.cockpit.build)
    series_keys = set(series_keys)
    ids = sorted(targets_for_series(series_keys))
    limit = in_batch()
    stored = 0
    for batch_start in range(0, len(ids), REFRESH_BATCH):
        batch = ids[batch_start:batch_start + REFRESH_BATCH]
        now, inputs = timezone.now(), _spec_inputs()
        rows, rest = _extended_rows(batch, as_of, now, inputs, changed_since, len(series_keys))
        # The rest loaded in chunks within the parameter limit, evaluated together: the fixed
        # costs of an evaluation (siblings, related rows, unit factors) are paid once per batch.
        targets: list[Target] = []
        for start in range(0, len(rest), limit):
            targets.extend(Target.objects.filter(pk__in=rest[start:start + limit]).order_by("pk"))
        if counts is not None:
            counts["extended"] += len(batch) - len(rest)
            counts["evaluated"] += len(targets)
        _store(targets, as_of, now, inputs, rows)
        stored += len(batch) - len(rest) + len(targets)
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


class _Changes:
    """The observations changed since a time, per series in period order: each one's stamp and,
    if it is an approved current figure up to ``as_of``, the point it adds."""

    def __init__(self, rows: list[tuple], as_of: date) -> None:
        kept = sorted(row for row in rows if row[8] <= as_of)
        years = engine.decimal_years(np.array([row[1] for row in kept], dtype="datetime64[D]")).tolist()
        self.by_series: dict[str, list[tuple]] = defaultdict(list)
        for (series, _, _, period, value, unit, status, is_current, _, stamped), year in zip(kept, years, strict=True):
            ok = status == Observation.Status.APPROVED and is_current
            self.by_series[series].append((stamped, ok, (year, value, unit, period)))

    @classmethod
    def read(cls, since, as_of: date, most: int) -> _Changes | None:
        """The changes since ``since``; None if there are more than ``most`` rows. Not ordered by
        the database: asked to, SQLite (without statistics) walks the (series, period_end) index
        through every observation instead of the few recent ones."""
        rows = list(
            with_points(Observation.objects.filter(updated_at__gte=since))
            .order_by()
            .values_list(
                "series", "end_day", "pk", "period", "value_float", "unit", "status", "is_current", "period_end",
                "updated_at",
            )[:most + 1]
        )
        return None if len(rows) > most else cls(rows, as_of)

    def appended(self, series: str, since) -> list[tuple[float, float, str, str]] | None:
        """The points appended to ``series`` since ``since``; None if anything else changed."""
        points = []
        for stamped, ok, point in self.by_series.get(series, ()):
            if stamped < since:
                continue
            if not ok:
                return None
            points.append(point)
        return points


def _extended_rows(ids: list[int], as_of: date, now, inputs: str, changed_since, n_series: int) -> tuple[list[dict], list[int]]:
    """Rows for the targets of ``ids`` whose stored row can be extended (see the module doc), read
    from those rows alone — none for a target whose progress does not change —; and the ids of the
    targets to evaluate afresh."""
    prefix = f"{FACTS_FORMAT}|{inputs}|"
    stored: list[tuple] = []
    fields = ("target_id", "computed_at", "facts_key", "spec", "facts", "latest_period")
    limit = in_batch()
    queryset = TargetStatus.objects.filter(as_of=as_of, facts__isnull=False, facts_key__startswith=prefix)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), limit):
            cursor.execute(*queryset.filter(target_id__in=ids[start:start + limit]).values_list(*fields).query.sql_with_params())
            stored.extend(cursor.fetchall())
    if not stored:
        return [], ids
    naive = timezone.is_naive(stored[0][1])  # SQLite's UTC, read past the ORM's converters

    def since(computed_at):
        """Changes stamped from then on may be missing from a row computed at ``computed_at``."""
        at = (computed_at.replace(tzinfo=UTC) if naive else computed_at) - IN_FLIGHT_MARGIN
        return min(at, changed_since) if changed_since else at

    changes = _Changes.read(since(min(row[1] for row in stored)), as_of, max(CHANGES_READ, 10 * n_series))
    if changes is None:
        return [], ids
    as_of_t = engine.decimal_year(as_of)
    factors: dict[tuple[str, str], float] = {}
    rows: list[dict] = []
    extended: set[int] = set()
    for target_id, computed_at, key, spec_text, facts_data, latest_period in stored:
        _, _, series, unit = key.split("|", 3)
        points = changes.appended(series, since(computed_at))
        if points is None:
            continue
        values = []
        for _, value, point_unit, _ in points:
            factor = factors.get((point_unit, unit))
            if factor is None:
                factor = factors[(point_unit, unit)] = unit_factor(point_unit, unit)
            values.append(value * factor)
        if any(v != v for v in values):  # a unit that does not convert: evaluated afresh, with its reason
            continue
        spec, facts = _decode_spec(spec_text), _decode_facts(bytes(facts_data))
        new = engine.extend_facts(spec, facts, [p[0] for p in points], values, as_of_t)
        if new is None:
            continue
        extended.add(target_id)
        if (new.n_points, new.n_future, new.n_missing_values) == (facts.n_points, facts.n_future, facts.n_missing_values):
            continue  # nothing appended but points outside a plan's year, which stored rows do not count
        if new.latest_t != facts.latest_t:
            latest_period = next(p[3] for p in reversed(points) if p[0] == new.latest_t)
        progress = engine.assess(spec, new, as_of, as_of_t, with_path=False)
        rows.append(_row(target_id, progress, unit, latest_period, as_of, now, (key, spec_text, _encode_facts(new))))
    return rows, [pk for pk in ids if pk not in extended]
