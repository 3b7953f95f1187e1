"""What the 驾驶舱 (cockpit) and the target page show, read through ``scope`` in a fixed number of
queries whatever the size of the region.

Two paths give the same figures:

* the stored progress (进度快照, :class:`~chainwatch.targets.models.TargetStatus`): used when the
  date asked for is today and every target in scope has a row computed for today, not older than
  the target's last edit. One grouped query both checks that and counts the lights per region
  (cached until a target or the snapshot changes, see ``_snapshot_key``);
  the lagging and stale lists are read in the order of TargetStatus's indexes; nothing is
  evaluated. ``Cockpit.computed_at`` says when the oldest of those rows was computed.
* otherwise the progress service evaluates every target at once and the drill-down buckets the
  results by child region in Python (materialised paths).

A whole cockpit from the stored progress is cached per user, region and cluster until one of the
tables it reads (``WATCHED``) changes: a view then costs two small queries."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Case, CharField, Count, F, Func, Q, Value, When
from django.http import Http404

from chainwatch.accounts.models import Role
from chainwatch.chains.models import Enterprise, Sector
from chainwatch.core import audit
from chainwatch.core.fingerprint import digest, table_states
from chainwatch.core.scoping import home_region, is_admin, profile_of, scope
from chainwatch.core.units import factor_or_none
from chainwatch.geo.models import Department, Region
from chainwatch.policy.models import Clause, PolicyDocument, Task
from chainwatch.projects.models import Project, ProjectRating
from chainwatch.targets import models as target_models
from chainwatch.targets.models import (
    Indicator,
    Observation,
    Target,
    TargetStatus,
    lagging_gap,
    series_key,
)
from chainwatch.targets.services import LAGGING_LIGHTS, STATUS_ZH, evaluate_targets

LIGHTS = ("red", "yellow", "green", "grey")
LAGGING_SHOWN = 20
LIST_SHOWN = 20


def allowed_root(user) -> Region | None:
    """The highest region whose cockpit ``user`` may open; None means the whole country."""
    if is_admin(user):
        return None
    profile = profile_of(user)
    if profile is None:
        raise Http404("no role")
    region = home_region(user)
    if region is None:
        raise Http404("no region")
    return region


def cockpit_region(user, code: str | None) -> Region | None:
    """The region asked for, if the user may open it (404 otherwise: never confirm what exists)."""
    root = allowed_root(user)
    if not code:
        return root
    if root is not None and root.code == code and root.valid_to is None:
        return root  # one's own region (codes of current regions are unique)
    region = Region.objects.filter(code=code, valid_to__isnull=True).first()
    if region is None or (root is not None and not region.path.startswith(root.path)):
        raise Http404("region out of scope")
    return region


class Unindexed(Func):
    """A text column's value that no index can serve (``col || ''``): the database filters or sorts
    by it without looking it up through an index on the column."""

    template = "(%(expressions)s || '')"
    output_field = CharField()


class WithoutIndex(Unindexed):
    """:class:`Unindexed` on SQLite only. Without statistics SQLite takes the index of any equality
    it is given — for ``colour = 'red'``, true of half the projects, a scan of every red project
    and a sort, instead of walking the projects in code order (or by region) until 20 are found:
    115 ms against 3 ms for the national cockpit's list. PostgreSQL has statistics and sees the
    plain column."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template=Unindexed.template, **extra_context)


def _subtree(queryset, lookup: str, region: Region | None):
    return queryset if region is None else queryset.filter(**{f"{lookup}__path__startswith": region.path})


@dataclass
class ChildRow:
    region: Region
    lights: Counter = field(default_factory=Counter)
    own: bool = False  # the region's own targets (本级), not a child

    @property
    def total(self) -> int:
        return sum(self.lights.values())


@dataclass
class Cockpit:
    region: Region | None
    ancestors: list[Region]
    cluster: Sector | None
    clusters: list[Sector]
    as_of: datetime.date
    lights: Counter
    lagging: list
    children: list[ChildRow]
    red_projects: list
    red_project_count: int
    overdue_tasks: list
    overdue_task_count: int
    overdue_reports: list
    stale_targets: list
    computed_at: datetime.datetime | None = None  # when the stored progress read was computed

    @property
    def target_count(self) -> int:
        return sum(self.lights.values())

    def chart(self) -> dict:
        """Children × lights for the stacked bar chart."""
        rows = [c for c in self.children if c.total]
        return {
            "regions": [f"{c.region.name_zh}（本级）" if c.own else c.region.name_zh for c in rows],
            "codes": [None if c.own else c.region.code for c in rows],
            "series": {light: [c.lights.get(light, 0) for c in rows] for light in LIGHTS},
        }


def _ancestors(region: Region | None, root: Region | None) -> list[Region]:
    if region is None:
        return []
    codes = region.ancestor_codes()
    found = {r.code: r for r in Region.objects.filter(code__in=codes, valid_to__isnull=True)}
    chain = [found[c] for c in reversed(codes) if c in found]
    if root is not None:
        chain = [r for r in chain if r.path.startswith(root.path)]
    return chain


# What a cockpit from the stored progress reads, each with the stamp its writes set: a cockpit is
# cached until one of them changes (core.fingerprint; core migration 0003 counts their deletions).
WATCHED = (
    (Target, "updated_at"), (TargetStatus, "computed_at"), (Indicator, "updated_at"),
    (target_models.Submission, "updated_at"), (target_models.ReportingForm, "updated_at"),
    (Region, "updated_at"), (Department, "updated_at"), (Sector, "updated_at"), (Enterprise, "updated_at"),
    (Project, "updated_at"), (ProjectRating, "computed_at"), (PolicyDocument, "updated_at"),
    (Clause, "updated_at"), (Task, "updated_at"),
)
CACHE_SECONDS = 600


def _cache_key(user, region: Region | None, cluster_code: str | None, as_of: datetime.date, states: tuple) -> str:
    """Who asks (what ``scope`` restricts them to, and drafts are their own), for what, and the
    state of every table the cockpit reads."""
    profile = profile_of(user)
    who = (user.pk, user.is_superuser, profile and (profile.role, profile.region_id, profile.department_id, profile.enterprise_id))
    return "cockpit:" + digest(who, region.pk if region else None, cluster_code, as_of, states)


def build(user, region: Region | None, *, cluster_code: str | None = None, as_of: datetime.date | None = None) -> Cockpit:
    """The cockpit of ``region`` (None: the whole country) for ``user`` as of ``as_of`` (default
    today). Today's cockpit from the stored progress is cached until a table it reads changes."""
    today = datetime.date.today()
    if as_of not in (None, today):
        return _build(user, region, cluster_code=cluster_code, as_of=as_of)
    states = table_states(WATCHED)
    key = _cache_key(user, region, cluster_code, today, states)
    cockpit = cache.get(key)
    if cockpit is None:
        cockpit = _build(user, region, cluster_code=cluster_code, as_of=today, states=states)
        if cockpit.computed_at is not None:  # live evaluations read observations too: not cached
            cache.set(key, cockpit, CACHE_SECONDS)
    return cockpit


def _build(user, region: Region | None, *, cluster_code: str | None, as_of: datetime.date,
           states: tuple | None = None) -> Cockpit:
    """The cockpit itself; ``states`` (:data:`WATCHED`'s, read once by :func:`build`) is given
    for today's, which may be read from the stored progress."""
    today = states is not None
    clusters = list(
        _subtree(Sector.objects.filter(kind=Sector.Kind.CLUSTER), "region", region).order_by("code")
    )
    cluster = None
    if cluster_code:
        cluster = next((c for c in clusters if c.code == cluster_code), None)
        if cluster is None:
            raise Http404("unknown cluster")

    targets = _subtree(scope(Target.objects.exclude(review=Target.Review.REJECTED), user), "region", region)
    if cluster is not None:
        targets = targets.filter(Q(sector=cluster) | Q(sector__parent=cluster))
    # Drill-down: children of the region (the provinces for the whole country).
    children_qs = Region.objects.current().order_by("path")
    children_qs = children_qs.filter(parent=region) if region is not None else children_qs.filter(parent__isnull=True)
    depth = region.depth + 1 if region is not None else 0
    child_list = list(children_qs)
    children = {child.code: ChildRow(child) for child in child_list}
    own = ChildRow(region, own=True) if region is not None else None

    def row_of(path: str, region_id: int) -> ChildRow | None:
        """The drill-down row a target of this region counts in (None: outside the drill-down)."""
        if own is not None and region_id == region.pk:
            return own
        parts = path.strip("/").split("/")
        return children.get(parts[depth]) if len(parts) > depth else None

    # Another day, or a county (no drill-down, a small scope): evaluate live.
    stored = today and bool(child_list) and not (region is not None and region.level == Region.Level.COUNTY)
    snapshot = _snapshot_counts(targets, as_of, states) if stored else None
    computed_at = None
    if snapshot is not None:
        computed_at, counts = snapshot
        lights = Counter()
        regions = Region.objects.all() if region is None else Region.objects.filter(path__startswith=region.path)
        paths = dict(regions.values_list("id", "path"))
        for region_id, _, _, *per_light in counts:
            child = row_of(paths[region_id], region_id)
            for light, n in zip(LIGHTS, per_light, strict=True):
                if n:
                    lights[light] += n
                    if child is not None:
                        child.lights[light] += n
        lagging, stale = _snapshot_lists(targets)
    else:
        results = evaluate_targets(targets.order_by("region__path", "indicator__code", "year", "id"), as_of=as_of)
        lights = Counter(item.light for item in results)
        order = {"red": 0, "yellow": 1}
        lagging = sorted(
            (item for item in results if item.lagging),
            key=lambda item: (order[item.light], item.progress.pace_gap if item.progress.pace_gap is not None else 0),
        )
        stale = [item for item in results if item.status == "stale"]
        for item in results:
            child = row_of(item.target.region.path, item.target.region_id)
            if child is not None:
                child.lights[item.light] += 1

    projects = scope(Project.objects.alias(rating_colour=WithoutIndex("rating__colour")).filter(rating_colour="red"), user)
    order = "code"
    if region is not None:
        # The subtree's projects are read by region and sorted (a few thousand at most): walking
        # the code index instead, as for the whole country, passes every project whose code sorts
        # before the region's (codes begin with the year and the region code) — 35,000 for 510000.
        projects = projects.filter(region__in=Region.objects.filter(path__startswith=region.path).values("pk"))
        order = Unindexed("code")
    if cluster is not None:
        projects = projects.filter(Q(sector=cluster) | Q(sector__parent=cluster))
    red_projects = list(projects.select_related("region", "owner").order_by(order, "pk")[:LIST_SHOWN])
    red_count = len(red_projects) if len(red_projects) < LIST_SHOWN else projects.count()

    tasks = _subtree(
        scope(Task.objects.filter(due_date__lt=as_of).exclude(status=Task.Status.DONE), user), "document__region", region
    ).exclude(review=Task.Review.REJECTED)
    overdue_tasks = list(tasks.select_related("document", "clause").order_by("due_date", "id")[:LIST_SHOWN])
    task_count = len(overdue_tasks) if len(overdue_tasks) < LIST_SHOWN else tasks.count()

    return Cockpit(
        region=region,
        ancestors=_ancestors(region, allowed_root(user)),
        cluster=cluster,
        clusters=clusters,
        as_of=as_of,
        lights=lights,
        lagging=lagging[:LAGGING_SHOWN],
        children=([own] if own is not None and own.total else []) + list(children.values()),
        red_projects=red_projects,
        red_project_count=red_count,
        overdue_tasks=overdue_tasks,
        overdue_task_count=task_count,
        overdue_reports=overdue_reports(user, region, as_of),
        stale_targets=stale[:LIST_SHOWN],
        computed_at=computed_at,
    )


@dataclass
class SnapshotItem:
    """A lagging or stale target read from the stored progress; quacks like ``TargetProgress``
    for the template (``progress`` is the :class:`TargetStatus` row)."""

    target: Target
    progress: TargetStatus

    @property
    def light(self) -> str:
        return self.progress.light

    @property
    def status(self) -> str:
        return self.progress.status

    @property
    def status_zh(self) -> str:
        return STATUS_ZH.get(self.progress.status, self.progress.status)

    @property
    def unit(self) -> str:
        return self.progress.unit

    @property
    def latest_period(self) -> str:
        return self.progress.latest_period

    @property
    def lagging(self) -> bool:
        return self.progress.light in LAGGING_LIGHTS


def _snapshot_key(grouped, states: tuple) -> str:
    """A cache key for the grouped snapshot query: its SQL (scope, subtree, cluster, date) and the
    state of the tables the cockpit reads (``states``, which include the targets and the stored
    rows). Any edit of a target (``updated_at``), a deletion, a refresh or a new row
    changes it, so a cached answer is never one the query would not give now. The national query
    it saves joins 50,000 targets to their rows (about 75 ms on SQLite); it is shared by every
    user of the same scope, where a whole cockpit is cached per user."""
    sql, params = grouped.query.sql_with_params()
    return "cockpit-snapshot:" + digest(sql, params, states)


def _snapshot_counts(targets, as_of: datetime.date, states: tuple):
    """``(oldest computed_at, rows)`` from the stored progress of ``targets`` — a row per region:
    ``(region_id, targets, targets without a usable row, *counts of LIGHTS)`` — or None when it may
    not be used: no targets, or a target without a row for ``as_of`` computed after its last edit
    (or with a light the cockpit does not know). One grouped query does both — per region: how
    many targets, how many of each light, how many without a usable row — so the check costs no
    scan of its own; the oldest ``computed_at`` is the first row of the ``computed_at`` index."""
    unusable = ~Q(snapshot__as_of=as_of) | Q(snapshot__isnull=True) | Q(snapshot__computed_at__lt=F("updated_at"))
    per_light = {light: Count(Case(When(snapshot__light=light, then=Value(1)))) for light in LIGHTS}
    grouped = (
        targets.order_by()
        .values("region_id")
        .annotate(n=Count("pk"), unusable=Count(Case(When(unusable, then=Value(1)))), **per_light)
        .values_list("region_id", "n", "unusable", *LIGHTS)
    )
    key = _snapshot_key(grouped, states)
    rows = cache.get(key)
    if rows is None:
        rows = list(grouped)
        cache.set(key, rows, CACHE_SECONDS)
    if not rows or any(unusable or n != sum(counts) for _, n, unusable, *counts in rows):
        return None
    oldest = (
        targets.filter(snapshot__computed_at__isnull=False)
        .order_by("snapshot__computed_at")
        .values_list("snapshot__computed_at", flat=True)
        .first()
    )
    return oldest, rows


def _snapshot_lists(targets) -> tuple[list, list]:
    """The lagging and stale targets from the stored progress, ordered as the live path orders
    them: a few queries of at most ``LAGGING_SHOWN``/``LIST_SHOWN`` rows whatever the number of
    targets.

    The lagging list is read in two steps. The first walks the (light, gap) index of
    TargetStatus to the ``LAGGING_SHOWN``-th lagging target in scope and reads only its
    (light, gap); the second joins and orders only the targets at or before it (ties included,
    so the order by region, indicator and year stays exact). One query ordered by the joined
    columns made PostgreSQL sort every red and yellow target of the scope before taking 20."""
    order = ("region__path", "indicator__code", "year", "pk")
    related = ("snapshot", "indicator", "region")
    lagging = targets.filter(snapshot__light__in=LAGGING_LIGHTS).annotate(gap=lagging_gap("snapshot__pace_gap"))
    cut = next(iter(
        lagging.order_by("snapshot__light", "gap").values_list("snapshot__light", "gap")[LAGGING_SHOWN - 1:LAGGING_SHOWN]
    ), None)
    if cut is not None:
        light, limit = cut
        lagging = lagging.filter(Q(snapshot__light__lt=light) | Q(snapshot__light=light, gap__lte=limit))
    lagging = lagging.select_related(*related).order_by(
        "snapshot__light", lagging_gap("snapshot__pace_gap"), *order
    )[:LAGGING_SHOWN]
    stale = targets.filter(snapshot__status="stale").select_related(*related).order_by(*order)[:LIST_SHOWN]
    return (
        [SnapshotItem(target, target.snapshot) for target in lagging],
        [SnapshotItem(target, target.snapshot) for target in stale],
    )


def overdue_reports(user, region: Region | None, as_of: datetime.date) -> list:
    """Submissions still in draft or returned after their form's deadline (reporting forms)."""
    Submission = getattr(target_models, "Submission", None)
    if Submission is None:
        return []
    pending = _subtree(
        scope(Submission.objects.filter(status__in=["draft", "returned"], period_end__lt=as_of), user), "region", region
    ).select_related("form", "region", "department").order_by("period_end", "id")[:200]
    late = []
    for submission in pending:
        due = submission.period_end + datetime.timedelta(days=submission.form.deadline_days)
        if due < as_of:
            submission.due = due
            late.append(submission)
    return late[:LIST_SHOWN]


# ---------------------------------------------------------------------------------------------
# One target


def target_for(user, pk: int) -> Target:
    target = (
        scope(Target.objects.filter(pk=pk), user)
        .select_related("indicator", "region", "sector", "chain_node", "document", "clause", "owner", "parent")
        .first()
    )
    if target is None:
        raise Http404("target out of scope")
    return target


def _year_point(year: int) -> str:
    """Where a year's figure sits on the chart's time axis: on that year's tick, so the 2024 value
    and the 2025 target appear at the ticks labelled 2024 and 2025 (the engine measures time at
    period ends, which would put each annual point on the next year's tick)."""
    return f"{year}-01-01"


def _chart_date(period: str | None, period_end: datetime.date) -> str:
    """An annual period (``2024``) on its year's tick; a month or quarter at its end."""
    if period and len(period) == 4 and period.isdigit():
        return _year_point(int(period))
    return period_end.isoformat()


def target_page(user, target: Target, *, as_of: datetime.date | None = None) -> dict:
    as_of = as_of or datetime.date.today()
    result = evaluate_targets(Target.objects.filter(pk=target.pk), as_of=as_of)[0]
    progress = result.progress
    unit = result.unit or target.unit
    series = series_key(target.indicator_id, target.region_id, target.sector_id, target.chain_node_id)
    observations = list(
        scope(Observation.objects.filter(series=series), user)
        .select_related("reporter")
        .order_by("period_end", "-version", "id")
    )
    actuals = []
    for obs in observations:
        factor = factor_or_none(obs.unit, unit)
        if obs.status == Observation.Status.APPROVED and obs.is_current and factor is not None and obs.period_end <= as_of:
            actuals.append([_chart_date(obs.period, obs.period_end), float(obs.value) * factor, obs.period])
    siblings = (
        scope(Target.objects.filter(indicator=target.indicator_id, region=target.region_id, sector=target.sector_id,
                                    chain_node=target.chain_node_id), user)
        .exclude(review=Target.Review.REJECTED)
        .exclude(year__isnull=True)
        .filter(change_kind="", count_threshold__isnull=True)
        .order_by("year", "id")
    )
    milestones = []
    for sibling in siblings:
        factor = factor_or_none(sibling.unit, unit)
        if factor is not None:
            milestones.append([_year_point(sibling.year), float(sibling.value) * factor, sibling.pk, sibling.comparator])
    target_value = progress.target_value
    if target_value is None and not target.change_kind and target.count_threshold is None:
        factor = factor_or_none(target.unit, unit)
        target_value = float(target.value) * factor if factor is not None else None
    chart = {
        "unit": unit,
        "as_of": as_of.isoformat(),
        "actuals": actuals,
        "trajectory": [[_year_point(year), value] for year, value in progress.trajectory],
        "milestones": milestones,
        "expected_now": progress.expected_now,
        "target": {"date": _year_point(target.year) if target.year else None, "value": target_value},
        "projection": None,
        "light": progress.light,
    }
    if progress.projected_value is not None and progress.latest_period_end and target.year:
        chart["projection"] = {
            "from": _chart_date(result.latest_period, progress.latest_period_end),
            "from_value": progress.latest_value,
            "to": _year_point(target.year),
            "value": progress.projected_value,
            "low": progress.projected_low if progress.projected_low is not None else progress.projected_value,
            "high": progress.projected_high if progress.projected_high is not None else progress.projected_value,
        }
    return {
        "result": result,
        "progress": progress,
        "unit": unit,
        "observations": observations,
        "chart": chart,
        "clause_text": clause_parts(target),
        "history": list(audit.history(target).select_related("content_type")[:50]),
    }


def clause_parts(target: Target) -> tuple[str, str, str] | None:
    """The clause text split around the target's span: (before, span, after)."""
    clause, document = target.clause, target.document
    if document is None:
        return None
    text = document.text
    if target.span_start is None or target.span_end is None:
        if clause is not None:
            return (text[clause.start:clause.end], "", "")
        return None
    start, end = target.span_start, target.span_end
    if clause is not None and clause.start <= start and end <= clause.end:
        lo, hi = clause.start, clause.end
    else:
        lo, hi = max(0, start - 120), min(len(text), end + 120)
    return (text[lo:start], text[start:end], text[end:hi])


def role_label(user) -> str:
    if getattr(user, "is_superuser", False):
        return str(Role.ADMIN.label)
    profile = profile_of(user)
    return str(profile.get_role_display()) if profile else ""
