"""Roll values up a tree and check that stated totals and allocations add up: pure, no Django.

The tree is given as ``children_of`` (parent → children): regions, or industries → clusters.

``rollup`` computes each parent's value from its children, bottom-up:
    ``sum``       sum of the children's values;
    ``mean``      unweighted mean of the children's values (a mean of means up the tree);
    ``weighted``  Σ wᵢvᵢ / Σ wᵢ over children with a value and a weight; a parent's own weight is
                  ``weights[parent]`` when given, else the sum of its counted children's weights;
    ``none``      not additive (rates, ratios): every unit keeps its own reported value.
A leaf's value is its own reported value.  A parent is ``complete`` only when every descendant
leaf has a value (and, for ``weighted``, a weight); ``missing_children`` lists the leaves that
lack one, so the report says who has not reported.  A parent whose children all lack values gets
``None`` (never zero).  The parent's own reported value is kept in ``stated`` and is not mixed
into the aggregate; compare the two with :func:`check_totals`.

``check_totals`` compares stated totals with the sum of their stated parts.  A blank part
(``None``) is not a figure — as in Xilingol's appendix, where 储能产业 is blank and the energy
cluster's total is the sum of the other three — so it is left out of the sum and named in the
inconsistency if one is found.  ``tolerance`` is absolute, in the unit of the values.

``check_allocations`` compares a parent target with the targets allocated to its children:
``under`` when they fall short of the parent (a real gap), ``over`` when they exceed it (层层加码,
often intended, reported for information), ``exact`` within the tolerance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

AGGREGATIONS = ("sum", "mean", "weighted", "none")


@dataclass(frozen=True)
class RollupValue:
    value: float | None
    complete: bool
    missing_children: list[str] = field(default_factory=list)
    stated: float | None = None


@dataclass(frozen=True)
class Inconsistency:
    parent: str
    stated: float
    sum_of_parts: float
    difference: float  # stated − sum_of_parts
    children: dict[str, float | None]
    blank_parts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AllocationCheck:
    status: str  # exact | under | over
    parent_value: float
    sum_of_children: float
    difference: float  # parent_value − sum_of_children; > 0 means under-allocated
    shares: dict[str, float]  # child → share of the parent value
    blank_children: list[str] = field(default_factory=list)


def _post_order(children_of: Mapping[str, Sequence[str]], units: set[str]) -> list[str]:
    """Units ordered children first; raises on a cycle or a unit with two parents."""
    parent_of: dict[str, str] = {}
    for parent, children in children_of.items():
        for child in children:
            if child in parent_of and parent_of[child] != parent:
                raise ValueError(f"{child} has two parents: {parent_of[child]} and {parent}")
            parent_of[child] = parent
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for root in sorted(units):
        if state.get(root) == 2:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        state[root] = 1
        while stack:
            unit, position = stack[-1]
            children = list(children_of.get(unit, ()))
            if position < len(children):
                stack[-1] = (unit, position + 1)
                child = children[position]
                if state.get(child) == 1:
                    raise ValueError(f"cycle in the tree at {child}")
                if state.get(child) != 2:
                    state[child] = 1
                    stack.append((child, 0))
            else:
                stack.pop()
                state[unit] = 2
                order.append(unit)
    return order


def rollup(
    values_by_unit: Mapping[str, float | None],
    children_of: Mapping[str, Sequence[str]],
    aggregation: str,
    weights: Mapping[str, float | None] | None = None,
) -> dict[str, RollupValue]:
    """Aggregate ``values_by_unit`` up the tree ``children_of``; one entry per unit."""
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"aggregation must be one of {AGGREGATIONS}, not {aggregation!r}")
    if aggregation == "weighted" and weights is None:
        raise ValueError("weighted aggregation needs weights")
    units = set(values_by_unit) | set(children_of)
    for children in children_of.values():
        units.update(children)

    result: dict[str, RollupValue] = {}
    weight_of: dict[str, float | None] = {}
    for unit in _post_order(children_of, units):
        own = values_by_unit.get(unit)
        children = list(children_of.get(unit, ()))
        if not children or aggregation == "none":
            missing = [unit] if own is None else []
            if aggregation == "weighted":
                weight_of[unit] = weights.get(unit) if weights else None
            result[unit] = RollupValue(own, own is not None, missing, own)
            continue
        missing = _missing_leaves(children, result)
        available = [(c, result[c].value) for c in children if result[c].value is not None]
        value: float | None
        if aggregation == "sum":
            value = sum(v for _, v in available) if available else None
        elif aggregation == "mean":
            value = sum(v for _, v in available) / len(available) if available else None
        else:
            assert weights is not None
            counted = [(c, v, weight_of.get(c)) for c, v in available]
            unweighted = [c for c, _, w in counted if w is None]
            for child in unweighted:
                if child not in missing:
                    missing.append(child)
            counted = [(c, v, w) for c, v, w in counted if w is not None]
            total_weight = sum(w for _, _, w in counted)
            value = (
                sum(v * w for _, v, w in counted) / total_weight
                if counted and total_weight != 0
                else None
            )
            own_weight = weights.get(unit)
            weight_of[unit] = own_weight if own_weight is not None else total_weight or None
        missing.sort()
        complete = not missing and all(result[c].complete for c in children)
        result[unit] = RollupValue(value, complete, missing, own)
    return result


def _missing_leaves(children: Sequence[str], result: Mapping[str, RollupValue]) -> list[str]:
    missing: list[str] = []
    for child in children:
        missing.extend(result[child].missing_children)
    return sorted(set(missing))


def check_totals(
    stated: Mapping[str, float | None],
    parts: Mapping[str, Mapping[str, float | None]],
    tolerance: float = 1e-6,
) -> list[Inconsistency]:
    """Stated totals that differ from the sum of their stated parts by more than ``tolerance``."""
    found: list[Inconsistency] = []
    for parent in sorted(stated):
        total = stated[parent]
        if total is None or parent not in parts:
            continue
        children = dict(parts[parent])
        blank = sorted(child for child, value in children.items() if value is None)
        sum_of_parts = sum(value for value in children.values() if value is not None)
        difference = total - sum_of_parts
        if abs(difference) > tolerance:
            found.append(Inconsistency(parent, total, sum_of_parts, difference, children, blank))
    return found


def check_allocations(
    parent_value: float,
    child_values: Mapping[str, float | None],
    tolerance: float = 1e-6,
) -> AllocationCheck:
    """Whether targets allocated to children add up to the parent target (absolute tolerance)."""
    blank = sorted(child for child, value in child_values.items() if value is None)
    given = {child: value for child, value in child_values.items() if value is not None}
    total = sum(given.values())
    difference = parent_value - total
    if abs(difference) <= tolerance:
        status = "exact"
    elif difference > 0:
        status = "under"
    else:
        status = "over"
    shares = {child: value / parent_value for child, value in given.items()} if parent_value else {}
    return AllocationCheck(status, parent_value, total, difference, shares, blank)
