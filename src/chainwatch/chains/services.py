"""Chains: material balance from the database, gap analysis, peer comparison, panorama data, and
the writes of the enterprise registry (merge, review decisions).

Supply of a node (:func:`supply_for`) for a region, a year and a basis
    ``built`` = status built; ``construction`` = built + under construction; ``planned`` = + planned;
    ``targets`` = the region's capacity targets (indicator ``CAPACITY`` with a chain node) for that
    exact year (restatements and rejected targets left out; two targets for the same node and year
    are alternatives, the larger counts).

    Two kinds of figures describe capacity: **registry rows** (:class:`Capacity` of enterprises,
    projects or a region) and **published aggregates** (approved, current observations of
    ``CAPACITY`` / ``CAPACITY_UC`` / ``CAPACITY_PLANNED`` with a chain node, the latest period
    ending in or before the year). They describe the same plants, so they are never added:
    per node *and status*, the registry rows are used when the region (its subtree with
    ``subtree=True``) has any for that node and status; otherwise the published aggregate. With
    ``subtree=True`` an aggregate is taken from the highest region of the subtree that publishes
    one (a province's figure covers its leagues; the leagues' own figures are then ignored);
    where the region itself publishes none, the top-most descendants' figures are summed.
    Registry rows count when ``start_year`` is empty or ≤ year and ``end_year`` (exit year) is
    empty or > year; a node and status the registry has rows for is covered by the registry even
    when none of them is active that year (the plant closed, or opens later). Every row is converted into the node's unit with
    :func:`chainwatch.core.units.conversion_factor`; a row in a unit that does not fit its node is
    an error naming the row, never a silent zero.

    Each :class:`~chainwatch.chains.balance.NodeBalance` says where its supply came from in
    ``supply_source`` (``registry``, ``published``, ``target``, joined by ``+``).

Queries: the template (nodes, edges, mixes: 3 small queries), one aggregate over the capacity rows
(grouped by status, region, node and unit: the active rows' sum, None where none is active) and
one over the published aggregates or targets. :func:`balance_all_regions` does the same for every
region at once and runs the engine vectorised over all of them
(:func:`~chainwatch.chains.balance.balance_array`); the statuses of a node, and the units of a
status, are added in the same fixed order on both paths, so the figures are equal to the last bit.

The chemistry mix of a region is its own :class:`ChemistryMix`, else its nearest ancestor's, else
the national one (000000); a template without chemistries needs none.

Every read a user triggers passes ``user=``: the querysets then go through
:func:`chainwatch.core.scoping.scope`. The CLI reads unscoped (operator).
"""

from __future__ import annotations

import dataclasses
import datetime
import gc
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import repeat
from types import MappingProxyType
from typing import Any, NamedTuple

from django.db import connections, transaction
from django.db.models import BigIntegerField, F, Q, QuerySet, Sum
from django.db.models.functions import Cast, Round
from django.utils import timezone

from chainwatch.chains import balance as engine
from chainwatch.chains.models import (
    Capacity,
    ChainEdge,
    ChainNode,
    ChainTemplate,
    ChemistryMix,
    Enterprise,
    EnterpriseAlias,
    EnterpriseMatchReview,
)
from chainwatch.core import audit
from chainwatch.core.scoping import scope
from chainwatch.core.units import UnitError, conversion_factor
from chainwatch.geo.models import Region

BASES = ("built", "construction", "planned", "targets")
STATUSES_FOR_BASIS = {
    "built": ("built",),
    "construction": ("built", "construction"),
    "planned": ("built", "construction", "planned"),
}
AGGREGATE_INDICATORS = {"CAPACITY": "built", "CAPACITY_UC": "construction", "CAPACITY_PLANNED": "planned"}
TARGET_INDICATOR = "CAPACITY"
DEFAULT_TEMPLATE = "LI"
DEFAULT_PEERS = ("150000", "520000", "360000")
NATIONAL = "000000"

VERDICT_COLOURS = {
    "missing": "#8c8c8c",
    "short": "#d4380d",
    "balanced": "#389e0d",
    "surplus": "#1677ff",
    "no_demand": "#d9d9d9",
    "unknown": "#bfbfbf",
}
MISSING_BORDER = "#d4380d"
VERDICT_LABELS = {
    "missing": "缺失",
    "short": "不足",
    "balanced": "基本平衡",
    "surplus": "富余",
    "no_demand": "无下游需求",
    "unknown": "无法核算",
}


_NO_MIX: Mapping[str, float] = MappingProxyType({})


class ChainError(ValueError):
    """Bad input to a chain service: unknown region/template/basis, a broken template, a row whose
    unit does not fit its node. The message names what is wrong (Chinese / English)."""


# --------------------------------------------------------------------------------------------
# Loading


def _region(region: Region | str) -> Region:
    if isinstance(region, Region):
        return region
    found = Region.objects.filter(code=str(region), valid_to__isnull=True).first()
    if found is None:
        raise ChainError(f"地区代码“{region}”不存在 / unknown region code {region!r}")
    return found


def _check_basis(basis: str) -> None:
    if basis not in BASES:
        raise ChainError(f"口径“{basis}”无效，应为 {'|'.join(BASES)} / basis must be one of {BASES}")


def _objects(model, user):
    queryset = model.objects.all()
    return queryset if user is None else scope(queryset, user)


@dataclass(frozen=True)
class LoadedTemplate:
    """A template read from the database: the engine's view plus the row ids the service needs."""

    template: engine.Template
    row: ChainTemplate
    node_ids: Mapping[str, int]  # code -> id
    node_codes: Mapping[int, str]  # id -> code
    units: Mapping[int, str]  # node id -> unit
    mixes: Mapping[tuple[str, str], Mapping[str, float]]  # (region code, scenario) -> shares

    def mix_for(self, region: Region, scenario: str = "base") -> dict[str, float]:
        """The region's mix, else its nearest ancestor's, else the national one; {} when none."""
        return dict(self._shares([region.code, *region.ancestor_codes()], scenario))

    def mix_source(self, path: str, scenario: str = "base") -> Mapping[str, float]:
        """What :meth:`mix_for` copies, for the region with materialised ``path``: one shared,
        read-only object for every region that inherits the same mix."""
        return self._shares(reversed(path.strip("/").split("/")), scenario)

    def _shares(self, codes: Iterable[str], scenario: str) -> Mapping[str, float]:
        for code in [*codes, NATIONAL]:
            shares = self.mixes.get((code, scenario))
            if shares is not None:
                return shares
        return _NO_MIX


def load_template(code: str = DEFAULT_TEMPLATE) -> LoadedTemplate:
    """Build the engine's template from ChainTemplate/ChainNode/ChainEdge/ChemistryMix rows (3
    queries) and validate it: a cycle, an unknown unit or a coefficient unit that does not fit its
    edge is a :class:`ChainError` naming the edge."""
    nodes = list(ChainNode.objects.filter(template__code=code).select_related("template"))
    if not nodes:
        raise ChainError(f"产业链模板“{code}”不存在或没有环节 / unknown chain template {code!r}")
    row = nodes[0].template
    edges = ChainEdge.objects.filter(template=row).values_list(
        "source__code", "target__code", "chemistry", "central", "low", "high", "unit", "reference",
        "confidence", "kind",
    )
    mixes = ChemistryMix.objects.filter(template=row).values_list(
        "region__code", "scenario", "shares", "reference"
    )
    template_mixes = []
    mix_map = {}
    for region_code, scenario, shares, reference in mixes:
        try:
            clean = {str(k): float(v) for k, v in (shares or {}).items()}
        except (TypeError, ValueError, AttributeError) as exc:
            raise ChainError(
                f"产业链模板{code}：地区{region_code}情景{scenario}的技术路线占比不是数字 / "
                f"chemistry mix of {region_code} ({scenario}) is not numeric"
            ) from exc
        mix_map[(region_code, scenario)] = clean
        template_mixes.append(engine.Mix(region_code, scenario, clean, reference))
    template = engine.Template(
        code=row.code,
        name=row.name_zh,
        name_en=row.name_en,
        source=row.source,
        nodes=tuple(
            engine.Node(
                n.code, n.name_zh, n.unit, n.stage, name_en=n.name_en, order=n.order,
                qualifier=n.qualifier or None,
            )
            for n in nodes
        ),
        edges=tuple(
            engine.Edge(
                src, dst, chemistry or None, central, low, high, unit or None, reference or "",
                confidence, kind,
            )
            for src, dst, chemistry, central, low, high, unit, reference, confidence, kind in edges
        ),
        mixes=tuple(template_mixes),
    )
    try:
        engine.validate_template(template)
    except engine.TemplateError as exc:
        raise ChainError(f"产业链模板{code}无法核算 / template {code} cannot be balanced: {exc}") from exc
    return LoadedTemplate(
        template=template,
        row=row,
        node_ids={n.code: n.id for n in nodes},
        node_codes={n.id: n.code for n in nodes},
        units={n.id: n.unit for n in nodes},
        mixes=mix_map,
    )


# --------------------------------------------------------------------------------------------
# Supply


@dataclass
class _Figures:
    """Quantities in node units keyed by (node id, status): lists of (region path, amount).

    ``published`` holds the top-most aggregates only. :meth:`by_status` combines the two sources
    without double counting: each published figure stands for its region's subtree unless the
    registry has rows there (then those rows count instead); registry rows outside every
    published region are added."""

    registry: dict[tuple[int, str], list[tuple[str, float]]] = field(default_factory=lambda: defaultdict(list))
    published: dict[tuple[int, str], list[tuple[str, float]]] = field(default_factory=lambda: defaultdict(list))
    targets: dict[int, float] = field(default_factory=dict)

    def by_status(self) -> dict[tuple[int, str], tuple[float, str]]:
        merged: dict[tuple[int, str], tuple[float, str]] = {}
        for key in set(self.registry) | set(self.published):
            rows = self.registry.get(key, [])
            figures = self.published.get(key, [])
            total, sources = 0.0, set()
            for path, value in figures:
                inside = [amount for row_path, amount in rows if row_path.startswith(path)]
                if inside:
                    total += sum(inside)
                    sources.add("registry")
                else:
                    total += value
                    sources.add("published")
            outside = [
                amount for row_path, amount in rows if not any(row_path.startswith(p) for p, _ in figures)
            ]
            if outside:
                total += sum(outside)
                sources.add("registry")
            merged[key] = (total, "+".join(sorted(sources)))
        return merged


def _factor(unit: str, node_unit: str, *, what: str) -> float:
    try:
        return conversion_factor(unit, node_unit)
    except UnitError as exc:
        raise ChainError(f"{what}：{exc}") from exc


def _active(year: int) -> Q:
    """Capacity rows in operation (or due) in ``year``: started by then, not yet exited."""
    return (Q(start_year__isnull=True) | Q(start_year__lte=year)) & (Q(end_year__isnull=True) | Q(end_year__gt=year))


def _bad_capacity_rows(queryset: QuerySet, node_id: int, unit: str) -> str:
    ids = list(queryset.filter(node_id=node_id, unit=unit).values_list("id", flat=True)[:10])
    return "、".join(f"#{i}" for i in ids)


# Capacity amounts are summed exactly, as integers of their smallest decimal place: a float sum
# would depend on the order the database reads the rows in, which differs between the query of
# one region and that of all regions (SQLite stores the decimals as floats).
_AMOUNT_SCALE = 10 ** Capacity._meta.get_field("amount").decimal_places


def _registry_groups(queryset: QuerySet, year: int, where_field: str) -> QuerySet:
    """One row per (status, region, node, unit) with capacity rows: the exact sum of the rows active
    in ``year`` in units of 1/_AMOUNT_SCALE (see :func:`_amount`), or None when none of them is.
    Ordered, so the units of one (region, node, status) are added in the same order by
    :func:`balance_for` and :func:`balance_all_regions`; on SQLite that is the covering index's
    order (one scan, no sort)."""
    scaled = Cast(Round(F("amount") * _AMOUNT_SCALE), BigIntegerField())
    return (
        queryset.values_list("status", where_field, "node_id", "unit")
        .annotate(total=Cast(Sum(scaled, filter=_active(year)), BigIntegerField()))
        .order_by("status", where_field, "node_id", "unit")
    )


def _amount(total: int, factor: float) -> float:
    """A summed group of :func:`_registry_groups` in the node's unit (the float nearest the exact
    decimal sum, times the unit factor)."""
    return total / _AMOUNT_SCALE * factor


class _UnitFactors(dict):
    """(node id, unit) -> factor into the node's unit, computed once per pair; a unit that does not
    fit the node is a :class:`ChainError` naming the capacity rows."""

    def __init__(self, loaded: LoadedTemplate, queryset: QuerySet):
        super().__init__()
        self.loaded = loaded
        self.queryset = queryset

    def __missing__(self, pair: tuple[int, str]) -> float:
        node_id, unit = pair
        node_unit = self.loaded.units[node_id]
        try:
            factor = self[pair] = conversion_factor(unit, node_unit)
        except UnitError as exc:
            code = self.loaded.node_codes[node_id]
            rows = _bad_capacity_rows(self.queryset, node_id, unit)
            raise ChainError(
                f"产能记录{rows}（环节{code}）的单位“{unit}”无法换算为“{node_unit}”：{exc} / "
                f"capacity row(s) {rows} at {code}: unit {unit!r} does not convert to {node_unit!r}"
            ) from exc
        return factor


def _registry(queryset: QuerySet, loaded: LoadedTemplate, year: int) -> dict:
    """Sum capacity rows per (region path, node id, status) in node units (one query).

    A (region, node, status) whose rows are none of them active in ``year`` is present with 0:
    the registry covers it, and the published aggregate (which counted the plant that has since
    closed, or not yet opened) is not used instead."""
    result: dict = defaultdict(float)
    factors = _UnitFactors(loaded, queryset)
    for status, path, node_id, unit, total in _registry_groups(queryset, year, "region__path"):
        result[(path, node_id, status)] += 0.0 if total is None else _amount(total, factors[(node_id, unit)])
    return result


def _top_most(items: Iterable[tuple[str, Any]]) -> list[Any]:
    """Keep the values whose region path has no ancestor path among the items."""
    items = list(items)
    paths = {path for path, _ in items}
    return [
        value
        for path, value in items
        if not any(other != path and path.startswith(other) for other in paths)
    ]


def _published(queryset: QuerySet, loaded: LoadedTemplate, year: int, statuses: Sequence[str]) -> list[dict]:
    """Latest approved, current aggregate per (region, node, status) up to the end of ``year``."""
    indicators = [code for code, status in AGGREGATE_INDICATORS.items() if status in statuses]
    rows = (
        queryset.filter(
            indicator__code__in=indicators,
            chain_node_id__in=list(loaded.units),
            period_end__lte=datetime.date(year, 12, 31),
            status="approved",
            is_current=True,
        )
        .values(
            "id", "region_id", "region__path", "chain_node_id", "indicator__code", "period_end",
            "period", "value", "unit",
        )
        .order_by("period_end", "id")
    )
    latest: dict[tuple[int, int, str], dict] = {}
    for row in rows:
        latest[(row["region_id"], row["chain_node_id"], AGGREGATE_INDICATORS[row["indicator__code"]])] = row
    out = []
    for (region_id, node_id, status), row in latest.items():
        node_unit = loaded.units[node_id]
        factor = _factor(
            row["unit"], node_unit,
            what=f"观测值#{row['id']}（{loaded.node_codes[node_id]} {row['period']}）单位不符",
        )
        out.append(
            {"region_id": region_id, "path": row["region__path"], "node_id": node_id,
             "status": status, "value": float(row["value"]) * factor}
        )
    return out


def _targets(queryset: QuerySet, loaded: LoadedTemplate, year: int) -> list[dict]:
    rows = (
        queryset.filter(
            indicator__code=TARGET_INDICATOR,
            chain_node_id__in=list(loaded.units),
            year=year,
            restates__isnull=True,
        )
        .exclude(review="rejected")
        .values("id", "key", "region_id", "region__path", "chain_node_id", "value", "unit")
    )
    best: dict[tuple[int, int], dict] = {}
    for row in rows:
        node_unit = loaded.units[row["chain_node_id"]]
        factor = _factor(
            row["unit"], node_unit,
            what=f"目标#{row['id']}（{row['key'] or ''} {loaded.node_codes[row['chain_node_id']]}）单位不符",
        )
        value = float(row["value"]) * factor
        key = (row["region_id"], row["chain_node_id"])
        if key not in best or value > best[key]["value"]:
            best[key] = {"region_id": row["region_id"], "path": row["region__path"],
                         "node_id": row["chain_node_id"], "value": value}
    return list(best.values())


def _region_q(lookup: str, region: Region, subtree: bool) -> Q:
    if subtree:
        return Q(**{f"{lookup}__path__startswith": region.path})
    return Q(**{f"{lookup}_id": region.id})


def _figures(
    loaded: LoadedTemplate, region: Region, year: int, basis: str, *, subtree: bool, user=None
) -> _Figures:
    from chainwatch.targets.models import Observation, Target

    figures = _Figures()
    if basis == "targets":
        rows = _targets(_objects(Target, user).filter(_region_q("region", region, subtree)), loaded, year)
        grouped: dict[int, list[tuple[str, float]]] = defaultdict(list)
        for row in rows:
            grouped[row["node_id"]].append((row["path"], row["value"]))
        for node_id, items in grouped.items():
            figures.targets[node_id] = sum(_top_most(items))
        return figures
    statuses = STATUSES_FOR_BASIS[basis]
    capacities = _objects(Capacity, user).filter(
        _region_q("region", region, subtree), status__in=statuses, node_id__in=list(loaded.units)
    )
    for (path, node_id, status), value in _registry(capacities, loaded, year).items():
        figures.registry[(node_id, status)].append((path, value))
    observations = _objects(Observation, user).filter(_region_q("region", region, subtree))
    grouped_pub: dict[tuple[int, str], list[tuple[str, float]]] = defaultdict(list)
    for row in _published(observations, loaded, year, statuses):
        grouped_pub[(row["node_id"], row["status"])].append((row["path"], row["value"]))
    for key, items in grouped_pub.items():
        figures.published[key] = _top_most((path, (path, value)) for path, value in items)
    return figures


def _supply(loaded: LoadedTemplate, figures: _Figures) -> tuple[dict[str, float], dict[str, str]]:
    supply: dict[str, float] = defaultdict(float)
    sources: dict[str, set[str]] = defaultdict(set)
    for node_id, value in figures.targets.items():
        code = loaded.node_codes[node_id]
        supply[code] += value
        sources[code].add("target")
    # statuses added in a fixed order (built, construction, planned), as balance_all_regions does
    for (node_id, _status), (value, source) in sorted(figures.by_status().items(), key=_status_rank):
        code = loaded.node_codes[node_id]
        supply[code] += value
        sources[code].add(source)
    return dict(supply), {code: "+".join(sorted(found)) for code, found in sources.items()}


STATUS_ORDER = tuple(choice for choice, _label in Capacity.Status.choices)


def _status_rank(item: tuple[tuple[int, str], Any]) -> int:
    return STATUS_ORDER.index(item[0][1])


def supply_for(
    region: Region | str,
    year: int,
    basis: str,
    *,
    subtree: bool = False,
    template: str | LoadedTemplate = DEFAULT_TEMPLATE,
    user=None,
) -> dict[str, dict]:
    """Per node code: ``{"supply", "source", "by_status": {status: (value, source)}}`` in the
    node's unit (see the module docstring for the double-counting rule)."""
    _check_basis(basis)
    region = _region(region)
    loaded = template if isinstance(template, LoadedTemplate) else load_template(template)
    figures = _figures(loaded, region, year, basis, subtree=subtree, user=user)
    supply, sources = _supply(loaded, figures)
    out: dict[str, dict] = {}
    for (node_id, status), (value, source) in figures.by_status().items():
        code = loaded.node_codes[node_id]
        out.setdefault(code, {"supply": supply[code], "source": sources[code], "by_status": {}})
        out[code]["by_status"][status] = (value, source)
    for node_id, value in figures.targets.items():
        code = loaded.node_codes[node_id]
        out[code] = {"supply": value, "source": "target", "by_status": {"target": (value, "target")}}
    return out


# --------------------------------------------------------------------------------------------
# Balance


def _national(loaded: LoadedTemplate, year: int, basis: str, user) -> dict[str, float]:
    root = Region.objects.filter(code=NATIONAL, valid_to__isnull=True).first()
    if root is None:
        raise ChainError("缺少全国（000000）地区，无法以全国需求为参照 / no national region 000000")
    supply, _ = _supply(loaded, _figures(loaded, root, year, basis, subtree=True, user=user))
    return supply


def _engine_error(exc: ValueError, region: Region) -> ChainError:
    return ChainError(f"{region.name_zh}（{region.code}）无法核算 / cannot balance: {exc}")


def balance_for(
    region: Region | str,
    year: int,
    basis: str,
    *,
    subtree: bool = False,
    scenario: str = "base",
    reference: str = "local",
    template: str | LoadedTemplate = DEFAULT_TEMPLATE,
    overrides: Mapping[str, Any] | None = None,
    user=None,
) -> list[engine.NodeBalance]:
    """Material balance of ``region`` for ``year`` on ``basis`` (built | construction | planned |
    targets), every node of the template in template order. ``reference='national'`` balances the
    local supply against national downstream demand (the country's supply on the same basis)."""
    _check_basis(basis)
    if reference not in engine.REFERENCES:
        raise ChainError(f"参照“{reference}”无效，应为 local|national / reference must be local or national")
    region = _region(region)
    loaded = template if isinstance(template, LoadedTemplate) else load_template(template)
    figures = _figures(loaded, region, year, basis, subtree=subtree, user=user)
    supply, sources = _supply(loaded, figures)
    national = _national(loaded, year, basis, user) if reference == "national" else None
    try:
        return engine.balance(
            loaded.template, supply, mix=loaded.mix_for(region, scenario), overrides=overrides,
            reference=reference, national=national, sources=sources,
        )
    except ValueError as exc:
        raise _engine_error(exc, region) from exc


class NodeSummary(NamedTuple):
    """One node of one region in :func:`balance_all_regions` (the numbers of a NodeBalance)."""

    node: str
    name: str
    unit: str
    supply: float
    demand: float
    demand_low: float
    demand_high: float
    ratio: float | None
    surplus: float | None
    verdict: str
    reference: str
    low: float | None
    high: float | None
    complete: bool
    supply_source: str


class RegionBalances(Mapping):
    """Region code -> list of :class:`NodeSummary` (built on access from the engine's arrays);
    ``matrix`` holds the arrays themselves for map colouring and counts."""

    def __init__(self, matrix: engine.BalanceMatrix, template: engine.Template, sources: Sequence[Sequence[str]]):
        """``sources[i][j]``: where the supply of region ``matrix.keys[i]`` at node ``matrix.nodes[j]``
        came from ('' when it has none)."""
        self.matrix = matrix
        self._rows = {key: i for i, key in enumerate(matrix.keys)}
        nodes = {n.code: n for n in template.nodes}
        self._nodes = [nodes[code] for code in matrix.nodes]
        self._labels = ([n.code for n in self._nodes], [n.name for n in self._nodes], [n.unit for n in self._nodes])
        self._sources = sources
        self._summaries: dict[str, list[NodeSummary]] | None = None

    def _build(self) -> dict[str, list[NodeSummary]]:
        """Every region's summaries at once (~70,000 tuples nationally): the arrays become plain
        Python values (None for NaN) in one conversion each."""
        import numpy as np

        def nullable(array):
            out = array.astype(object)
            out[np.isnan(array)] = None
            return out.tolist()

        m = self.matrix
        columns = [
            m.supply.tolist(), m.demand.tolist(), m.demand_low.tolist(), m.demand_high.tolist(),
            nullable(m.ratio), nullable(m.surplus), m.verdict.tolist(), None, nullable(m.low),
            nullable(m.high), m.complete.tolist(), self._sources,
        ]
        make = partial(tuple.__new__, NodeSummary)  # NodeSummary._make without its Python frame
        return {
            key: list(
                map(
                    make,
                    # strict=False: ``reference`` repeats without end, every other field has one
                    # value per node
                    zip(
                        *self._labels,
                        *(repeat(m.reference) if column is None else column[i] for column in columns),
                        strict=False,
                    ),
                )
            )
            for i, key in enumerate(m.keys)
        }

    def __getitem__(self, code: str) -> list[NodeSummary]:
        if self._summaries is None:
            with _gc_paused():  # the intermediate lists are gone again before the collector resumes
                self._summaries = self._build()
        return list(self._summaries[code])

    def __iter__(self):
        return iter(self.matrix.keys)

    def __len__(self) -> int:
        return len(self.matrix.keys)

    def verdict_counts(self) -> dict[str, dict[str, int]]:
        """Node code -> verdict -> number of regions."""
        import numpy as np

        out = {}
        for j, node in enumerate(self._nodes):
            values, counts = np.unique(self.matrix.verdict[:, j], return_counts=True)
            out[node.code] = {str(v): int(c) for v, c in zip(values, counts, strict=True)}
        return out


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while building many small acyclic objects (query rows,
    result tuples): otherwise it traverses them again and again, a third of
    :func:`balance_all_regions`' time at national scale."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Where a region's figure for a node came from, as bits (OR-ed over the statuses of the basis).
_PUBLISHED, _REGISTRY, _TARGET = 1, 2, 4
_SOURCE_LABELS = ("", "published", "registry", "published+registry", "target")


def balance_all_regions(
    year: int,
    basis: str,
    *,
    scenario: str = "base",
    template: str | LoadedTemplate = DEFAULT_TEMPLATE,
    user=None,
) -> RegionBalances:
    """The balance of every region that has any figure for the template (each region on its own
    rows, not its subtree), keyed by region code, in a constant number of queries: the template
    (3), the capacity rows summed by region, node and unit (1 per status of the basis), the
    published aggregates or the targets (1), the regions (1). The engine runs vectorised over all
    regions (:func:`~chainwatch.chains.balance.balance_array`); the numbers equal
    :func:`balance_for` region by region (the same sums in the same order)."""
    _check_basis(basis)
    loaded = template if isinstance(template, LoadedTemplate) else load_template(template)
    with _gc_paused():
        region_ids, supply, sources = _all_supplies(loaded, year, basis, user)
    wanted = set(region_ids)
    regions = {
        region_id: (code, path)
        for region_id, code, path in Region.objects.order_by().values_list("id", "code", "path")
        if region_id in wanted
    }
    codes = [regions[region_id][0] for region_id in region_ids]
    mixes = [loaded.mix_source(regions[region_id][1], scenario) for region_id in region_ids]
    try:
        matrix = engine.balance_array(loaded.template, codes, supply, mixes)
    except ValueError as exc:
        raise ChainError(f"无法核算 / cannot balance: {exc}") from exc
    return RegionBalances(matrix, loaded.template, sources)


def _all_supplies(loaded: LoadedTemplate, year: int, basis: str, user) -> tuple[list[int], Any, list[list[str]]]:
    """Every region's supply as :func:`balance_for` computes it for the region alone: the region
    ids that have any figure, the supply array (region × node in :func:`engine.node_order`) and
    where each figure came from (region × node, '' for none)."""
    import numpy as np

    from chainwatch.targets.models import Observation, Target

    statuses = ("target",) if basis == "targets" else STATUSES_FOR_BASIS[basis]
    order = engine.node_order(loaded.template)
    column_of = {loaded.node_ids[code]: j for j, code in enumerate(order)}
    status_of = {status: k for k, status in enumerate(statuses)}  # STATUS_ORDER, as _supply adds them

    # registry groups: (status, region id, node id, unit, active total or None), see _registry;
    # one query per status, each an ordered range of the covering index (asked for all statuses at
    # once, PostgreSQL hashes and then sorts 300,000 rows nationally: 0.5 s instead of 0.2 s)
    groups: list[tuple] = []
    capacities = None
    if basis != "targets":
        template_rows = _objects(Capacity, user).filter(node_id__in=list(loaded.units))
        capacities = template_rows.filter(status__in=statuses)
        for status in statuses:
            groups += _fetch_all(_registry_groups(template_rows.filter(status=status), year, "region_id"))
    # the figures that count where the registry has no rows: published aggregates or targets
    if basis == "targets":
        others = [
            (row["region_id"], row["node_id"], "target", row["value"])
            for row in _targets(_objects(Target, user), loaded, year)
        ]
    else:
        others = [
            (row["region_id"], row["node_id"], row["status"], row["value"])
            for row in _published(_objects(Observation, user), loaded, year, statuses)
        ]

    group_status, group_region, group_node, group_unit, group_total = (
        zip(*groups, strict=True) if groups else ((), (), (), (), ())
    )
    region_ids, rows = np.unique(
        np.fromiter([*group_region, *(row[0] for row in others)], dtype=np.int64), return_inverse=True
    )
    # amount and source bits per (region, node, status); the statuses are added up afterwards
    amount = np.zeros((len(region_ids), len(order), len(statuses)))
    flags = np.zeros(amount.shape, dtype=np.int64)
    if groups:
        cells = (
            rows[: len(groups)],
            np.fromiter(map(column_of.__getitem__, group_node), dtype=np.int64, count=len(groups)),
            np.fromiter(map(status_of.__getitem__, group_status), dtype=np.int64, count=len(groups)),
        )
        factors = _UnitFactors(loaded, capacities)
        values = np.fromiter(
            (
                math.nan if total is None else _amount(total, factors[(node_id, unit)])
                for node_id, unit, total in zip(group_node, group_unit, group_total, strict=True)
            ),
            dtype=float, count=len(groups),
        )
        active = ~np.isnan(values)  # groups without an active row count as 0 (but are covered)
        # ufunc.at adds in index order: a cell's units in the query's order, as _registry does
        np.add.at(amount, tuple(axis[active] for axis in cells), values[active])
        flags[cells] = _REGISTRY
    bit = _TARGET if basis == "targets" else _PUBLISHED
    for row, (_region_id, node_id, status, value) in zip(rows[len(groups):].tolist(), others, strict=True):
        cell = (row, column_of[node_id], status_of[status])
        if not flags[cell]:  # registry rows, active or not, replace the published figure
            amount[cell] = value
            flags[cell] = bit
    # statuses in a fixed order, as _supply adds them (x + 0.0 == x for a status without figure)
    supply = amount[:, :, 0].copy()
    for k in range(1, len(statuses)):
        supply += amount[:, :, k]
    sources = np.array(_SOURCE_LABELS, dtype=object)[np.bitwise_or.reduce(flags, axis=2)].tolist()
    return region_ids.tolist(), supply, sources


def _fetch_all(queryset: QuerySet) -> list[tuple]:
    """The rows of a ``values_list`` queryset as the database cursor returns them, without the
    ORM's per-row converters (for columns that need none: integers and text)."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def balance_row(result: engine.NodeBalance) -> dict:
    """One node's balance as JSON-ready data (CLI ``--format json`` and the API)."""
    return {
        "node": result.node,
        "name": result.name,
        "unit": result.unit,
        "supply": result.supply,
        "supply_source": result.supply_source,
        "demand": result.demand,
        "demand_low": result.demand_low,
        "demand_high": result.demand_high,
        "ratio": result.ratio,
        "surplus": result.surplus,
        "verdict": result.verdict,
        "reference": result.reference,
        "low": result.low,
        "high": result.high,
        "complete": result.complete,
        "reason": result.reason,
        "supports": result.supports,
        "supports_unit": result.supports_unit,
        "consumers": list(result.consumers),
        "drivers": [
            {
                "edge": d.edge,
                "consumer": d.consumer,
                "chemistry": d.chemistry,
                "share": d.share,
                "activity": d.activity,
                "activity_unit": d.activity_unit,
                "activity_basis": d.activity_basis,
                "coefficient": d.coefficient,
                "coefficient_low": d.coefficient_low,
                "coefficient_high": d.coefficient_high,
                "coefficient_unit": d.coefficient_unit,
                "demand": d.demand,
                "confidence": d.confidence,
                "source": d.source,
                "problem": d.problem,
            }
            for d in result.drivers
        ],
    }


# --------------------------------------------------------------------------------------------
# Gaps


@dataclass(frozen=True)
class GapItem:
    node: str
    name: str
    kind: str  # missing (补链) | short (强链) | extend (延链) | unregistered (名录缺企业)
    score: float
    reason: str
    has_enterprises: bool
    verdict: str
    candidates: tuple[dict, ...] = ()

    def as_dict(self) -> dict:
        return {**dataclasses.asdict(self), "candidates": list(self.candidates)}


_FLAG_WEIGHTS = (("is_chain_leader", 8), ("is_leading", 4), ("is_listed", 2))


def _candidate_score(row: dict) -> int:
    score = sum(weight for flag, weight in _FLAG_WEIGHTS if row[flag])
    return score + {"national": 2, "provincial": 1}.get(row["specialised"], 0)


def _local_enterprise_nodes(region: Region, node_ids: Iterable[int], user) -> set[int]:
    """Node ids at which the region's subtree has an enterprise (listed node or capacity)."""
    through = Enterprise.nodes.through
    enterprises = _objects(Enterprise, user).filter(region__path__startswith=region.path)
    listed = set(
        through.objects.filter(chainnode_id__in=list(node_ids), enterprise__in=enterprises)
        .values_list("chainnode_id", flat=True)
        .distinct()
    )
    with_capacity = set(
        _objects(Capacity, user)
        .filter(region__path__startswith=region.path, node_id__in=list(node_ids), enterprise__isnull=False)
        .values_list("node_id", flat=True)
        .distinct()
    )
    return listed | with_capacity


def recruitment_candidates(
    region: Region | str, node_codes: Iterable[str], *, user=None, limit: int = 5
) -> dict[str, list[dict]]:
    """招商 candidates: enterprises outside the region's subtree that operate at each node (listed
    node), strongest flags first; one query; scoped when ``user`` is given."""
    region = _region(region)
    codes = list(node_codes)
    if not codes:
        return {}
    through = Enterprise.nodes.through
    enterprises = _objects(Enterprise, user).exclude(region__path__startswith=region.path)
    rows = (
        through.objects.filter(chainnode__code__in=codes, enterprise__in=enterprises)
        .values(
            "chainnode__code", "enterprise_id", "enterprise__name", "enterprise__uscc",
            "enterprise__region__code", "enterprise__region__name_zh", "enterprise__is_chain_leader",
            "enterprise__is_leading", "enterprise__is_listed", "enterprise__specialised",
            "enterprise__origin",
        )
    )
    found: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        item = {
            "id": row["enterprise_id"],
            "name": row["enterprise__name"],
            "uscc": row["enterprise__uscc"],
            "region": row["enterprise__region__code"],
            "region_name": row["enterprise__region__name_zh"],
            "is_chain_leader": row["enterprise__is_chain_leader"],
            "is_leading": row["enterprise__is_leading"],
            "is_listed": row["enterprise__is_listed"],
            "specialised": row["enterprise__specialised"],
            "origin": row["enterprise__origin"],
        }
        found[row["chainnode__code"]].append(item)
    return {
        code: sorted(items, key=lambda i: (-_candidate_score(i), i["name"]))[:limit]
        for code, items in found.items()
    }


def gaps_for(
    region: Region | str,
    year: int,
    basis: str,
    *,
    subtree: bool = False,
    scenario: str = "base",
    template: str = DEFAULT_TEMPLATE,
    user=None,
    candidates: int = 5,
) -> list[GapItem]:
    """Ranked gaps of the region's chain: missing links (补链), short links (强链, by shortfall),
    absent downstream links (延链), then links with local capacity but no enterprise in the
    registry; a missing or extension link lists 招商 candidates from elsewhere in the registry.
    Enterprise presence is always looked up in the region's subtree."""
    region = _region(region)
    loaded = load_template(template)
    results = balance_for(
        region, year, basis, subtree=subtree, scenario=scenario, template=loaded, user=user
    )
    with_enterprises = {
        loaded.node_codes[i] for i in _local_enterprise_nodes(region, loaded.units, user)
    }
    found = engine.gaps(results, with_enterprises)
    flagged = {g.node for g in found}
    by_node = {r.node: r for r in results}
    items = [
        GapItem(g.node, g.name, g.kind, g.score, g.reason, g.has_enterprises, by_node[g.node].verdict)
        for g in found
    ]
    for r in results:
        if r.node not in flagged and r.supply > 0 and r.node not in with_enterprises:
            items.append(
                GapItem(
                    r.node, r.name, "unregistered", 0.0,
                    f"{r.name}有产能数据（{r.supply_source or '—'}）但本地企业名录中无该环节企业，请补充名录。",
                    False, r.verdict,
                )
            )
    wanted = [i.node for i in items if i.kind in ("missing", "extend")]
    pool = recruitment_candidates(region, wanted, user=user, limit=candidates) if candidates else {}
    return [
        dataclasses.replace(i, candidates=tuple(pool.get(i.node, ()))) if i.node in pool else i
        for i in items
    ]


# --------------------------------------------------------------------------------------------
# Peer comparison


def _name_variants(name: str) -> list[str]:
    import re

    base = re.sub(r"[（(].*?[）)]", "", name)
    variants = {name, base, *[p for p in re.split(r"[/／]", base) if p]}
    for suffix in ("正极材料", "材料"):
        for item in list(variants):
            if item.endswith(suffix) and len(item) - len(suffix) >= 2:
                variants.add(item[: -len(suffix)])
    return sorted((v for v in variants if len(v) >= 2), key=len, reverse=True)


def _mentions(regions: Sequence[Region], nodes: Sequence[ChainNode]) -> dict[tuple[str, str], list[str]]:
    """(region code, node code) -> clause paths of that region's documents that name the node."""
    from chainwatch.policy.models import Clause, PolicyDocument

    condition = Q()
    for region in regions:
        condition |= Q(region__path__startswith=region.path)
    documents = list(PolicyDocument.objects.filter(condition).only("id", "code", "text", "region__path").select_related("region"))
    clauses = defaultdict(list)
    for row in Clause.objects.filter(document__in=documents).values("document_id", "path", "start", "end"):
        clauses[row["document_id"]].append(row)
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    variants = {node.code: _name_variants(node.name_zh) for node in nodes}
    for document in documents:
        owners = [r for r in regions if document.region.path.startswith(r.path)]
        text = document.text
        for code, names in variants.items():
            positions = set()
            for name in names:
                start = text.find(name)
                while start != -1:
                    positions.add(start)
                    start = text.find(name, start + 1)
            if not positions:
                continue
            paths = []
            for position in sorted(positions):
                inside = [c for c in clauses[document.id] if c["start"] <= position < c["end"]]
                if inside:
                    innermost = min(inside, key=lambda c: c["end"] - c["start"])
                    label = f"{document.code} {innermost['path']}"
                    if label not in paths:
                        paths.append(label)
            for region in owners:
                found[(region.code, code)].extend(p for p in paths if p not in found[(region.code, code)])
    return found


def peers(
    regions: Sequence[str] = DEFAULT_PEERS,
    *,
    template: str = DEFAULT_TEMPLATE,
    year: int | None = None,
    user=None,
) -> dict:
    """Chain nodes × regions: whether each region's policy targets the node (a capacity target with
    that chain node; ``mentioned`` lists the clauses that name it) and its capacity by status
    (subtree, registry rows or else published aggregates, at ``year``, default this year)."""
    from chainwatch.targets.models import Target

    year = year or timezone.localdate().year
    found_regions = [_region(code) for code in regions]
    loaded = load_template(template)
    nodes = list(ChainNode.objects.filter(template=loaded.row).order_by("order", "code"))
    condition = Q()
    for region in found_regions:
        condition |= Q(region__path__startswith=region.path)
    targets = (
        _objects(Target, user)
        .filter(condition, chain_node__template=loaded.row)
        .exclude(review="rejected")
        .values("key", "region__path", "chain_node__code", "year", "value", "unit", "indicator__code", "document__code")
        .order_by("year", "id")
    )
    targeted: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in targets:
        for region in found_regions:
            if row["region__path"].startswith(region.path):
                targeted[(region.code, row["chain_node__code"])].append(
                    {"key": row["key"], "year": row["year"], "value": float(row["value"]),
                     "unit": row["unit"], "indicator": row["indicator__code"], "document": row["document__code"]}
                )
    mentions = _mentions(found_regions, nodes)
    capacity: dict[str, dict[str, dict]] = {}
    for region in found_regions:
        capacity[region.code] = supply_for(region, year, "planned", subtree=True, template=loaded, user=user)
    rows = []
    for node in nodes:
        cells = []
        for region in found_regions:
            figures = capacity[region.code].get(node.code, {"by_status": {}})
            by_status = {s: round(v, 6) for s, (v, _src) in figures["by_status"].items()}
            cell_targets = targeted.get((region.code, node.code), [])
            cells.append(
                {
                    "region": region.code,
                    "targeted": bool(cell_targets),
                    "targets": cell_targets,
                    "mentioned": mentions.get((region.code, node.code), []),
                    "capacity": {status: by_status.get(status, 0.0) for status in ("built", "construction", "planned")},
                    "source": "+".join(sorted({src for _v, src in figures["by_status"].values()})),
                }
            )
        rows.append({"node": node.code, "name": node.name_zh, "name_en": node.name_en, "unit": node.unit,
                     "stage": node.stage, "cells": cells})
    return {
        "template": loaded.row.code,
        "year": year,
        "regions": [{"code": r.code, "name": r.name_zh, "name_en": r.name_en} for r in found_regions],
        "nodes": rows,
    }


# --------------------------------------------------------------------------------------------
# Panorama (ECharts graph / Sankey)


STAGE_ORDER = [choice for choice, _label in ChainNode.Stage.choices]


def panorama(
    region: Region | str,
    year: int,
    basis: str,
    *,
    subtree: bool = False,
    scenario: str = "base",
    reference: str = "local",
    template: str = DEFAULT_TEMPLATE,
    user=None,
) -> dict:
    """Nodes with supply and verdict colour, links with the flow each edge carries (demand of the
    upstream node caused by the downstream one, in the upstream node's unit), categories = stages.
    ECharts draws it as ``series: [{type: 'graph' | 'sankey', data: nodes, links, categories}]``."""
    loaded = load_template(template)
    results = balance_for(
        region, year, basis, subtree=subtree, scenario=scenario, reference=reference,
        template=loaded, user=user,
    )
    stage_labels = dict(ChainNode.Stage.choices)
    categories = [{"name": str(stage_labels[s]), "key": s} for s in STAGE_ORDER]
    stage_index = {s: i for i, s in enumerate(STAGE_ORDER)}
    nodes_by_code = {n.code: n for n in loaded.template.nodes}
    out_nodes = []
    for r in results:
        node = nodes_by_code[r.node]
        item = {
            "id": r.node,
            "name": r.name,
            "name_en": node.name_en,
            "value": r.supply,
            "unit": r.unit,
            "verdict": r.verdict,
            "verdict_label": VERDICT_LABELS[r.verdict],
            "color": VERDICT_COLOURS[r.verdict],
            "category": stage_index[node.stage],
            "demand": r.demand,
            "ratio": r.ratio,
            "reason": r.reason,
            "source": r.supply_source,
            "itemStyle": {"color": VERDICT_COLOURS[r.verdict]},
        }
        if r.verdict == "missing":
            item["itemStyle"] = {"color": VERDICT_COLOURS["missing"], "borderColor": MISSING_BORDER, "borderWidth": 2}
        out_nodes.append(item)
    flows: dict[tuple[str, str], float] = defaultdict(float)
    for r in results:
        for d in r.drivers:
            if d.demand is not None:
                flows[(r.node, d.consumer)] += d.demand
    coefficients: dict[tuple[str, str], list[engine.Edge]] = defaultdict(list)
    for edge in loaded.template.edges:
        if edge.kind in ("input", "link"):
            coefficients[(edge.src, edge.dst)].append(edge)
    drivers_by_pair = {
        (r.node, d.consumer): d for r in results for d in r.drivers if d.coefficient is not None
    }
    links = []
    for (src, dst), edges in coefficients.items():
        kind = "link" if all(e.kind == "link" for e in edges) else "input"
        coefficient = None
        unit = next((e.unit for e in edges if e.unit), None)
        pair_drivers = [d for r in results if r.node == src for d in r.drivers if d.consumer == dst]
        if pair_drivers and all(d.share is not None and d.coefficient is not None for d in pair_drivers):
            coefficient = sum(d.share * d.coefficient for d in pair_drivers)
        elif len(edges) == 1 and edges[0].central is not None:
            coefficient = edges[0].central
        elif (src, dst) in drivers_by_pair:
            coefficient = drivers_by_pair[(src, dst)].coefficient
        links.append(
            {
                "source": src,
                "target": dst,
                "value": flows.get((src, dst), 0.0),
                "coefficient": coefficient,
                "unit": unit,
                "kind": kind,
                "flow_unit": nodes_by_code[src].unit,
            }
        )
    return {
        "template": loaded.row.code,
        "region": _region(region).code,
        "year": year,
        "basis": basis,
        "nodes": out_nodes,
        "links": links,
        "categories": categories,
        "legend": [{"verdict": v, "label": VERDICT_LABELS[v], "color": c} for v, c in VERDICT_COLOURS.items()],
    }


def node_detail(region: Region | str, node_code: str, *, year: int, user=None) -> dict:
    """What sits at one node in the region's subtree: capacity rows, enterprises, projects (scoped)."""
    region = _region(region)
    node = ChainNode.objects.filter(code=node_code).first()
    if node is None:
        raise ChainError(f"产业链环节“{node_code}”不存在 / unknown chain node {node_code!r}")
    capacities = list(
        _objects(Capacity, user)
        .filter(node=node, region__path__startswith=region.path)
        .select_related("enterprise", "project", "region")
        .order_by("status", "-amount")
    )
    enterprises = list(
        _objects(Enterprise, user)
        .filter(nodes=node, region__path__startswith=region.path)
        .select_related("region")
        .order_by("name")
    )
    from chainwatch.projects.models import Project

    projects = list(
        _objects(Project, user)
        .filter(nodes=node, region__path__startswith=region.path)
        .select_related("region", "owner")
        .order_by("code")
    )
    return {"region": region, "node": node, "year": year, "capacities": capacities,
            "enterprises": enterprises, "projects": projects}


# --------------------------------------------------------------------------------------------
# Writes: merge, review decisions


@transaction.atomic
def merge_enterprises(keep: Enterprise | int, drop: Enterprise | int, *, actor, note: str = "") -> Enterprise:
    """Merge ``drop`` into ``keep``: drop's name and credit code become aliases of keep, its
    aliases, capacities, chain nodes, projects and review references move to keep, flags are
    combined (a flag set on either stays set), and drop is deleted. Audited (update of keep,
    delete of drop with its full snapshot)."""
    from chainwatch.projects.models import Project

    keep_obj = Enterprise.objects.select_for_update().filter(pk=getattr(keep, "pk", keep)).first()
    drop_obj = Enterprise.objects.select_for_update().filter(pk=getattr(drop, "pk", drop)).first()
    if keep_obj is None or drop_obj is None:
        missing = getattr(keep, "pk", keep) if keep_obj is None else getattr(drop, "pk", drop)
        raise ChainError(f"企业#{missing}不存在 / no enterprise #{missing}")
    if keep_obj.pk == drop_obj.pk:
        raise ChainError("不能将企业合并到其自身 / cannot merge an enterprise into itself")
    before_keep = audit.snapshot(keep_obj)
    before_drop = audit.snapshot(drop_obj)
    moved = {
        "capacities": Capacity.objects.filter(enterprise=drop_obj).update(enterprise=keep_obj),
        "aliases": EnterpriseAlias.objects.filter(enterprise=drop_obj).update(enterprise=keep_obj),
        "projects": Project.objects.filter(owner=drop_obj).update(owner=keep_obj),
        "reviews": EnterpriseMatchReview.objects.filter(candidate=drop_obj).update(candidate=keep_obj),
    }
    try:
        from chainwatch.accounts.models import Profile

        moved["profiles"] = Profile.objects.filter(enterprise=drop_obj).update(enterprise=keep_obj)
    except ImportError:  # pragma: no cover - accounts is always installed
        pass
    keep_obj.nodes.add(*drop_obj.nodes.all())
    EnterpriseAlias.objects.create(
        enterprise=keep_obj, name=drop_obj.name, uscc=drop_obj.uscc or "",
        note=f"合并自企业#{drop_obj.pk} / merged from #{drop_obj.pk}" + (f"：{note}" if note else ""),
        origin=drop_obj.origin,
    )
    keep_obj.is_chain_leader |= drop_obj.is_chain_leader
    keep_obj.is_leading |= drop_obj.is_leading
    keep_obj.is_listed |= drop_obj.is_listed
    rank = {"": 0, "provincial": 1, "national": 2}
    if rank.get(drop_obj.specialised, 0) > rank.get(keep_obj.specialised, 0):
        keep_obj.specialised = drop_obj.specialised
    if not keep_obj.uscc and drop_obj.uscc:
        drop_code = drop_obj.uscc
        Enterprise.objects.filter(pk=drop_obj.pk).update(uscc=None)
        keep_obj.uscc = drop_code
    keep_obj.save()
    summary = f"合并企业#{drop_obj.pk}“{drop_obj.name}”→#{keep_obj.pk}：" + "，".join(
        f"{k} {v}" for k, v in moved.items()
    )
    audit.record(actor, "update", keep_obj, before=before_keep, after=audit.snapshot(keep_obj), note=summary)
    audit.record(actor, "delete", drop_obj, before=before_drop, note=summary)
    drop_obj.delete()
    return keep_obj


@transaction.atomic
def resolve_review(review: EnterpriseMatchReview | int, decision: str, *, actor) -> EnterpriseMatchReview:
    """Decide a queued match: ``match`` applies the row to the candidate (its name becomes an alias
    when it differs), ``create`` creates a new enterprise from the row, ``reject`` drops the row."""
    from chainwatch.chains.imports import apply_row_to_enterprise, create_enterprise_from_row

    obj = EnterpriseMatchReview.objects.select_for_update().filter(pk=getattr(review, "pk", review)).first()
    if obj is None:
        raise ChainError(f"待审核记录#{getattr(review, 'pk', review)}不存在 / no review")
    if obj.status != EnterpriseMatchReview.Status.OPEN:
        raise ChainError(f"待审核记录#{obj.pk}已处理（{obj.get_status_display()}） / already resolved")
    before = audit.snapshot(obj)
    if decision == "match":
        if obj.candidate_id is None:
            raise ChainError(f"待审核记录#{obj.pk}没有候选企业 / no candidate to match")
        obj.result = apply_row_to_enterprise(obj.candidate, obj.data, actor=actor, note=f"review #{obj.pk}")
        obj.status = EnterpriseMatchReview.Status.MATCHED
    elif decision == "create":
        obj.result = create_enterprise_from_row(obj.data, actor=actor, note=f"review #{obj.pk}")
        obj.status = EnterpriseMatchReview.Status.CREATED
    elif decision == "reject":
        obj.status = EnterpriseMatchReview.Status.REJECTED
    else:
        raise ChainError(f"处理方式“{decision}”无效，应为 match|create|reject / decision must be match, create or reject")
    obj.resolved_by = audit.actor_name(actor)
    obj.resolved_at = timezone.now()
    obj.save()
    audit.record(actor, "update", obj, before=before, after=audit.snapshot(obj), note=f"review {decision}")
    return obj
