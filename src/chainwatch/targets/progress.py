"""Progress of a target against its observations: pure, no Django.

One engine, two entry points: :func:`evaluate` for one target and :func:`evaluate_bulk` for many
targets over flat numpy arrays (``evaluate_many`` adapts lists of :class:`Point`).  Both reduce
each target's observations to the same few :class:`Facts` with numpy (:func:`collect_facts`) and
then apply the rules below in :func:`assess`, so the scalar and the bulk path cannot disagree.
Facts can be kept and extended with appended points (:func:`extend_facts`) without the points
before them: stored progress is refreshed that way after an import.

Time
    Every period is placed on a decimal-year axis by its *end* date, counting the end of that day:
    ``decimal_year(d) = d.year + day_of_year(d) / days_in_year(d.year)`` — the same convention as
    ``chainwatch.core.periods.Period.decimal_year``.  31 Dec 2023 is 2024.0, 30 Jun 2025 is
    2025.496; annual values are exactly one apart.  The target date is 31 Dec of the target year.

Target value
    ``value`` (the lower end of a range ``value``–``value_max``).  A change target
    (``change={'kind': 'decrease', 'base_year': 2020, 'percent': 13}``) is worth
    base-year value × (1 − 13 %) (× (1 + p) for an increase) and is measured from the base-year
    observation — the one whose period ends 31 Dec of the base year, or the stated
    ``baseline_value`` when ``baseline_year`` is the base year.  Missing → ``no_baseline``.

``met`` (the latest value meets the target), aware of direction; comparisons allow 1e-9 relative
slack for floating-point noise, except the strict ``>``:
    ``>=`` v ≥ V; ``>`` v > V; ``<=`` v ≤ V;
    ``=`` (达到/实现): increase v ≥ V, decrease v ≤ V, neutral |v − V| ≤ tolerance·|V|;
    ``~`` (左右): increase v ≥ V(1 − tol), decrease v ≤ V(1 + tol), neutral within ±tol.
    A range: increase needs the lower end, decrease the upper end, neutral the band.

Baseline (t0, v0), first match wins
    annual flow → 0 at 1 Jan of the target year; change target → the base-year value;
    stated ``baseline_value``/``baseline_year``; else the last observation whose period ends
    before the policy's ``start_year`` (the year before the plan starts); else the first one.

Statistics Canada progress measure (Open SDG), for multi-year targets
    CAGR = (v1/v0)^(1/(t1 − t0)) − 1, observed from the baseline to the latest value and required
    from the baseline to the target value at the target date; ratio = observed ÷ required;
    ratio ≥ 0.95 substantial, ≥ 0.6 moderate, ≥ 0 limited, < 0 deterioration.  For a decrease
    both CAGRs are negative and the ratio is positive when the value falls, so no sign flip is
    needed; a neutral target takes its direction from target − baseline.  When the baseline
    already lay beyond the target in the desired direction the ratio would mislead, and a target
    no longer met is a deterioration.  Guards, each with a reason, never silent:
    zero or negative values and sign flips make the CAGR undefined → the linear 时序进度 measure
    decides the status; a single observation, or none after the baseline, cannot show progress
    (``no_baseline`` / ``no_data`` unless the value already meets the target); several values for
    the same period keep the last one supplied and say so; a baseline not before the target year
    → ``no_baseline``; observations after ``as_of`` are ignored and counted.

时序进度 (keeping pace)
    share_achieved = (latest − baseline) / (target − baseline);
    share_elapsed = (as_of − baseline date) / (target date − baseline date), clamped to [0, 1];
    pace_gap = share_achieved − share_elapsed.  For an annual flow plan (``annual_flow``) the
    observations are year-to-date cumulative values of the target year: share_achieved = YTD ÷
    plan, share_elapsed = months completed by ``as_of`` ÷ 12 (a month counts once its last day
    is reached), and the status comes from this measure: ``on_track`` when share_achieved ≥
    share_elapsed, otherwise share_achieved ÷ share_elapsed against the 0.95/0.6/0 thresholds.

Status
    ``no_data`` (no observation up to ``as_of``), ``no_baseline``, ``stale`` (the latest period
    ended longer ago than the cycle allows — ``STALE_AFTER_MONTHS`` — and does not yet cover the
    target date), ``achieved`` (met), else the measure above.

Traffic light (三色预警)
    grey for no_data / stale / no_baseline;
    green when met, or pace_gap ≥ −0.05, or ratio ≥ 0.95 — but never for a value moving away from
    its target (ratio < 0 or share_achieved < 0), which is at best yellow;
    yellow when pace_gap ≥ −0.15 or ratio ≥ 0.6; red otherwise.

Projection
    A least-squares line through ln(value) against time (log-linear, i.e. constant growth) over
    the positive observations from the baseline on (a stated baseline counts as one), evaluated
    at the target date.  With n ≥ 3 points the interval is the 95 % prediction interval in log
    space, ŷ ± t(0.975, n − 2) · s · √(1 + 1/n + (T − t̄)² / Sxx), s the residual standard
    deviation, exponentiated; with two points only the value.  Annual flow plans project the
    year-to-date run rate: YTD × 12 / months covered.

Trajectory
    Year-end values from the baseline through the milestones (other targets of the same
    indicator, region and sector) to the target year, interpolated linearly or at constant growth
    (``trajectory='compound'``, falling back to linear on a non-positive anchor).
    ``expected_now`` is the trajectory at ``as_of``.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

STALE_AFTER_MONTHS: dict[str, int] = {"annual": 18, "quarterly": 6, "monthly": 3}
SUBSTANTIAL_RATIO = 0.95
MODERATE_RATIO = 0.6
LIMITED_RATIO = 0.0
GREEN_PACE_GAP = -0.05
YELLOW_PACE_GAP = -0.15
DEFAULT_TOLERANCE = 0.05

COMPARATORS = (">=", ">", "~", "<=", "=")
DIRECTIONS = ("increase", "decrease", "neutral")
KINDS = ("stock", "flow", "rate", "count")
TRAJECTORIES = ("linear", "compound")
CYCLES = tuple(STALE_AFTER_MONTHS)
STATUSES = (
    "achieved",
    "on_track",
    "substantial",
    "moderate",
    "limited",
    "deterioration",
    "no_data",
    "stale",
    "no_baseline",
)
GREY_STATUSES = frozenset({"no_data", "stale", "no_baseline"})

STATUS_ZH = {
    "achieved": "已达到目标",
    "on_track": "进度正常",
    "substantial": "进展较大",
    "moderate": "进展一般",
    "limited": "进展有限",
    "deterioration": "倒退",
    "no_data": "无数据",
    "stale": "数据过期",
    "no_baseline": "缺少基期",
}
_CYCLE_ZH = {"annual": "年度", "quarterly": "季度", "monthly": "月度"}
_COMPARATOR_ZH = {">=": "≥", ">": ">", "~": "约", "<=": "≤", "=": ""}

_EPS = 1e-9
_REL_SLACK = 1e-9
# Times are packed with the target index into one sortable float key: index * span + (t - origin).
_TIME_ORIGIN = 1900.0
_TIME_SPAN = 1024.0
_FIT_CENTRE = 2000.0
# Two-sided 95 % Student t quantiles t(0.975, dof) for dof 1..30; beyond, Cornish-Fisher.
_T_975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)


# ---------------------------------------------------------------------------------------------
# Inputs and outputs


@dataclass(frozen=True)
class Point:
    """One observation: the period's end date, its decimal year (see module doc) and the value."""

    period_end: date
    year: float
    value: float

    @classmethod
    def at(cls, period_end: date, value: float) -> Point:
        return cls(period_end, decimal_year(period_end), value)


@dataclass(frozen=True, kw_only=True)
class TargetSpec:
    id: str
    comparator: str
    value: float
    year: int
    value_max: float | None = None
    direction: str = "increase"
    kind: str = "stock"
    tolerance: float = DEFAULT_TOLERANCE
    change: Mapping[str, Any] | None = (
        None  # {'kind': 'decrease', 'base_year': 2020, 'percent': 13}
    )
    baseline_value: float | None = None
    baseline_year: int | None = None
    start_year: int | None = None
    milestones: tuple[tuple[int, float], ...] = ()
    trajectory: str = "linear"
    cycle: str = "annual"
    annual_flow: bool = False

    def __post_init__(self) -> None:
        def check(name: str, allowed: Sequence[str]) -> None:
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"target {self.id}: {name} {getattr(self, name)!r} not in {allowed}"
                )

        check("comparator", COMPARATORS)
        check("direction", DIRECTIONS)
        check("kind", KINDS)
        check("trajectory", TRAJECTORIES)
        check("cycle", CYCLES)
        if self.tolerance < 0:
            raise ValueError(f"target {self.id}: tolerance must be ≥ 0")
        if (self.baseline_value is None) != (self.baseline_year is None):
            raise ValueError(f"target {self.id}: baseline_value and baseline_year go together")
        if self.change is not None:
            if set(self.change) != {"kind", "base_year", "percent"}:
                raise ValueError(f"target {self.id}: change needs kind, base_year and percent")
            if self.change["kind"] not in ("increase", "decrease"):
                raise ValueError(f"target {self.id}: change kind must be increase or decrease")
            if self.annual_flow:
                raise ValueError(f"target {self.id}: a change target cannot be an annual flow")


@dataclass(frozen=True)
class Progress:
    target_id: str
    status: str
    light: str
    latest_value: float | None
    latest_period_end: date | None
    baseline_value: float | None
    baseline_year: int | None
    baseline_period_end: date | None
    target_value: float | None
    target_year: int
    met: bool | None
    observed_cagr: float | None
    required_cagr: float | None
    ratio: float | None
    share_achieved: float | None
    share_elapsed: float | None
    pace_gap: float | None
    trajectory: list[tuple[int, float]]
    expected_now: float | None
    projected_value: float | None
    projected_low: float | None
    projected_high: float | None
    reason: str
    components: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CountSpec:
    """“count clusters with value comparator threshold”, e.g. 2 clusters ≥ 200 亿元."""

    threshold: float
    count: int
    comparator: str = ">="


@dataclass(frozen=True)
class CountResult:
    met: bool
    qualifying: list[str]
    explanation: str
    spec: CountSpec | None = None
    missing: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Time helpers


def _days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def decimal_year(day: date) -> float:
    """End of ``day`` as a decimal year: 31 Dec 2023 → 2024.0, 31 Mar 2025 → 2025 + 90/365."""
    return day.year + day.timetuple().tm_yday / _days_in_year(day.year)


def decimal_years(period_ends: np.ndarray) -> np.ndarray:
    """Vectorised :func:`decimal_year` for an array of ``datetime64[D]`` period ends."""
    days = np.asarray(period_ends, dtype="datetime64[D]")
    year_start = days.astype("datetime64[Y]")
    years = year_start.astype(np.int64) + 1970
    day_of_year = (days - year_start.astype("datetime64[D]")).astype(np.int64) + 1
    leap = ((years % 4 == 0) & (years % 100 != 0)) | (years % 400 == 0)
    return years + day_of_year / np.where(leap, 366.0, 365.0)


@lru_cache(maxsize=4096)
def date_from_decimal_year(value: float) -> date:
    """Inverse of :func:`decimal_year` for values it produced."""
    year = math.floor(value + _EPS)
    fraction = value - year
    if fraction < 1e-7:
        return date(year - 1, 12, 31)
    return date(year, 1, 1) + timedelta(days=round(fraction * _days_in_year(year)) - 1)


@lru_cache(maxsize=4096)
def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_completed(as_of: date, year: int) -> int:
    """Months of ``year`` whose last day has been reached by ``as_of`` (0–12)."""
    if as_of.year < year:
        return 0
    if as_of.year > year:
        return 12
    month_ended = as_of.day == calendar.monthrange(as_of.year, as_of.month)[1]
    return as_of.month - 1 + (1 if month_ended else 0)


@lru_cache(maxsize=4096)
def _period_zh(day: date) -> str:
    if day.month == 12 and day.day == 31:
        return f"{day.year}年"
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        return f"{day.year}年{day.month}月"
    return day.isoformat()


def _num(value: float) -> str:
    return f"{value:.6g}"


def _pct(value: float) -> int:
    return round(value * 100)


def t_quantile_975(dof: int) -> float:
    """Two-sided 95 % Student t quantile; table up to 30 degrees of freedom, then Cornish-Fisher."""
    if dof < 1:
        raise ValueError("dof must be ≥ 1")
    if dof <= len(_T_975):
        return _T_975[dof - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * dof) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * dof**2)


# ---------------------------------------------------------------------------------------------
# Count targets ("1 cluster ≥ 500 亿元, 2 ≥ 200 …")


def evaluate_count(spec_count: CountSpec, member_values: Mapping[str, float | None]) -> CountResult:
    """Members meeting the threshold, cumulatively: a member ≥ 500 also counts toward ≥ 200."""
    if spec_count.comparator not in (">=", ">"):
        raise ValueError(f"count comparator must be >= or >, not {spec_count.comparator!r}")
    missing = sorted(name for name, value in member_values.items() if value is None)
    known = {name: value for name, value in member_values.items() if value is not None}
    if spec_count.comparator == ">=":
        qualifying_items = [(n, v) for n, v in known.items() if v >= spec_count.threshold]
    else:
        qualifying_items = [(n, v) for n, v in known.items() if v > spec_count.threshold]
    qualifying_items.sort(key=lambda item: (-item[1], item[0]))
    qualifying = [name for name, _ in qualifying_items]
    met = len(qualifying) >= spec_count.count
    symbol = _COMPARATOR_ZH[spec_count.comparator]
    listed = "、".join(f"{name} {_num(value)}" for name, value in qualifying_items) or "无"
    explanation = (
        f"{symbol}{_num(spec_count.threshold)}：需{spec_count.count}个，"
        f"达到{len(qualifying)}个（{listed}）——{'满足' if met else '未满足'}"
    )
    if missing:
        explanation += f"；缺少数值：{'、'.join(missing)}"
    return CountResult(met, qualifying, explanation, spec_count, missing)


def check_count_ladder(
    ladder: Sequence[CountSpec], member_values: Mapping[str, float | None]
) -> list[CountResult]:
    return [evaluate_count(spec_count, member_values) for spec_count in ladder]


# ---------------------------------------------------------------------------------------------
# Facts: what the observations say about one target, reduced with numpy


@dataclass(slots=True)
class Facts:
    """What :func:`assess` needs to know about a target's observations, reduced by
    :func:`collect_facts` (and kept up to date by :func:`extend_facts` when points are appended).

    ``m_*`` are the fit's running moments over its ``n_fit`` points (x = time − 2000,
    y = ln value): the means and the centred sums of squares and products, from which the
    ``fit_*`` fields follow."""

    n_points: int = 0
    latest_t: float | None = None
    latest_v: float | None = None
    base_t: float | None = None
    base_v: float | None = None
    base_source: str | None = None  # stated | change_base | before_start | first | year_start
    base_is_latest: bool = False
    n_duplicates: int = 0
    n_future: int = 0
    n_missing_values: int = 0
    n_outside_year: int = 0
    n_fit: int = 0
    n_nonpositive: int = 0
    fit_intercept: float | None = None
    fit_slope: float | None = None
    fit_resid_sd: float | None = None
    m_x: float | None = None
    m_y: float | None = None
    m_xx: float | None = None
    m_xy: float | None = None
    m_yy: float | None = None
    conflict_times: list[float] = field(default_factory=list)  # last: stored facts append them


def _lookup(keys: np.ndarray, wanted: np.ndarray, side: str) -> np.ndarray:
    return np.searchsorted(keys, wanted, side=side)


def collect_facts(
    specs: Sequence[TargetSpec],
    target_index: np.ndarray,
    years: np.ndarray,
    values: np.ndarray,
    as_of_t: float,
) -> list[Facts]:
    n_targets = len(specs)
    ti = np.asarray(target_index, dtype=np.int64).ravel()
    t = np.asarray(years, dtype=np.float64).ravel()
    v = np.asarray(values, dtype=np.float64).ravel()
    if not (ti.size == t.size == v.size):
        raise ValueError("target_index, years and values must have the same length")
    if ti.size:
        if ti.min() < 0 or ti.max() >= n_targets:
            raise ValueError("target_index out of range of specs")
        if not np.all(np.isfinite(t)) or t.min() <= _TIME_ORIGIN or t.max() >= _TIME_ORIGIN + 1000:
            raise ValueError("years must be finite decimal years between 1900 and 2900")
        same_target = ti[1:] == ti[:-1]
        if np.any(ti[1:] < ti[:-1]) or np.any(same_target & (t[1:] < t[:-1])):
            # stable: equal periods keep the order supplied
            order = np.argsort(ti * _TIME_SPAN + (t - _TIME_ORIGIN), kind="stable")
            ti, t, v = ti[order], t[order], v[order]

    flow = np.array([s.annual_flow for s in specs], dtype=bool)
    flow_year = np.array([s.year if s.annual_flow else 0 for s in specs], dtype=np.float64)
    lower = np.where(flow, flow_year, -np.inf)
    upper = np.where(flow, np.minimum(flow_year + 1.0, as_of_t), as_of_t) + _EPS

    missing = np.isnan(v)
    future = (t > as_of_t + _EPS) & ~missing
    outside = ~missing & ~future & ((t <= lower[ti] + _EPS) | (t > upper[ti]))
    keep = ~missing & ~future & ~outside
    n_missing = np.bincount(ti[missing], minlength=n_targets)
    n_future = np.bincount(ti[future], minlength=n_targets)
    n_outside = np.bincount(ti[outside], minlength=n_targets)
    ti, t, v = ti[keep], t[keep], v[keep]

    # Several values for one period: keep the last supplied, count them, remember conflicts.
    same_next = (ti[1:] == ti[:-1]) & (np.abs(t[1:] - t[:-1]) < _EPS)
    drop = np.append(same_next, False)[: ti.size]
    conflict = drop & np.append(v[1:] != v[:-1], False)[: ti.size]
    n_duplicates = np.bincount(ti[drop], minlength=n_targets)
    conflict_times: dict[int, list[float]] = {}
    for index, time in zip(ti[conflict].tolist(), t[conflict].tolist(), strict=True):
        times = conflict_times.setdefault(index, [])
        if not times or abs(times[-1] - time) > _EPS:
            times.append(time)
    ti, t, v = ti[~drop], t[~drop], v[~drop]

    targets = np.arange(n_targets)
    starts = np.searchsorted(ti, targets, side="left")
    ends = np.searchsorted(ti, targets, side="right")
    counts = ends - starts
    keys = ti * _TIME_SPAN + (t - _TIME_ORIGIN)

    base_t = np.full(n_targets, np.nan)
    base_v = np.full(n_targets, np.nan)
    base_index = np.full(n_targets, -1, dtype=np.int64)
    source: list[str | None] = [None] * n_targets
    exact_wanted: list[tuple[int, float]] = []  # (target, time) needing the observation at time
    before_wanted: list[tuple[int, float]] = []
    for i, spec in enumerate(specs):
        if spec.annual_flow:
            base_t[i], base_v[i], source[i] = float(spec.year), 0.0, "year_start"
        elif spec.change is not None:
            base_year = int(spec.change["base_year"])
            if spec.baseline_value is not None and spec.baseline_year == base_year:
                base_t[i], base_v[i], source[i] = base_year + 1.0, spec.baseline_value, "stated"
            else:
                exact_wanted.append((i, base_year + 1.0))
        elif spec.baseline_value is not None and spec.baseline_year is not None:
            base_t[i], base_v[i], source[i] = (
                spec.baseline_year + 1.0,
                spec.baseline_value,
                "stated",
            )
        elif spec.start_year is not None:
            before_wanted.append((i, float(spec.start_year)))
        else:
            before_wanted.append((i, -np.inf))

    if exact_wanted:
        which = np.array([i for i, _ in exact_wanted], dtype=np.int64)
        wanted = np.array([w for _, w in exact_wanted])
        position = _lookup(keys, which * _TIME_SPAN + (wanted - _TIME_ORIGIN) - 1e-6, "left")
        position_ok = position < ends[which]
        clipped = np.minimum(position, max(len(keys) - 1, 0))
        found = position_ok & (np.abs(t[clipped] - wanted) < 1e-6) if len(keys) else position_ok
        for i, pos, ok in zip(which.tolist(), clipped.tolist(), found.tolist(), strict=True):
            if ok:
                base_t[i], base_v[i], base_index[i], source[i] = t[pos], v[pos], pos, "change_base"
    if before_wanted:
        which = np.array([i for i, _ in before_wanted], dtype=np.int64)
        wanted = np.array([w for _, w in before_wanted])
        finite = np.isfinite(wanted)
        position = np.full(which.size, -1, dtype=np.int64)
        if finite.any():
            query = which[finite] * _TIME_SPAN + (wanted[finite] - _TIME_ORIGIN) + 1e-6
            position[finite] = _lookup(keys, query, "right") - 1
        use_first = position < starts[which]
        position = np.where(use_first, starts[which], position)
        has_points = counts[which] > 0
        for i, pos, first, ok in zip(
            which.tolist(), position.tolist(), use_first.tolist(), has_points.tolist(), strict=True
        ):
            if ok:
                base_t[i], base_v[i], base_index[i] = t[pos], v[pos], pos
                source[i] = "first" if first else "before_start"

    # Log-linear least squares over positive values from the baseline on.
    not_flow_point = ~flow[ti]
    from_base = t >= base_t[ti] - _EPS  # NaN baseline compares False
    positive = v > 0
    fit = not_flow_point & from_base & positive
    n_nonpositive = np.bincount(ti[not_flow_point & from_base & ~positive], minlength=n_targets)
    x = t[fit] - _FIT_CENTRE
    y = np.log(v[fit])
    fit_ti = ti[fit]
    # A stated baseline enters the fit as one more point unless an observation has that period.
    stated = np.array([src == "stated" for src in source], dtype=bool) & (base_v > 0)
    extra = np.flatnonzero(stated)
    if extra.size and len(keys):
        position = _lookup(keys, extra * _TIME_SPAN + (base_t[extra] - _TIME_ORIGIN) - 1e-6, "left")
        clipped = np.minimum(position, len(keys) - 1)
        observed = (position < ends[extra]) & (np.abs(t[clipped] - base_t[extra]) < 1e-6)
        extra = extra[~observed]
    x_all = np.concatenate([x, base_t[extra] - _FIT_CENTRE])
    y_all = np.concatenate([y, np.log(base_v[extra])])
    ti_all = np.concatenate([fit_ti, extra])
    n_fit = np.bincount(ti_all, minlength=n_targets).astype(np.float64)
    sum_x = np.bincount(ti_all, weights=x_all, minlength=n_targets)
    sum_y = np.bincount(ti_all, weights=y_all, minlength=n_targets)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_x = sum_x / n_fit
        mean_y = sum_y / n_fit
        dx = x_all - mean_x[ti_all]
        sxx = np.bincount(ti_all, weights=dx * dx, minlength=n_targets)
        dy = y_all - mean_y[ti_all]
        sxy = np.bincount(ti_all, weights=dx * dy, minlength=n_targets)
        syy = np.bincount(ti_all, weights=dy * dy, minlength=n_targets)
        fitted = (n_fit >= 2) & (sxx > 1e-12)
        slope = np.where(fitted, sxy / sxx, np.nan)
        intercept = mean_y - slope * mean_x
        residual = y_all - intercept[ti_all] - slope[ti_all] * x_all
        ssr = np.bincount(ti_all, weights=residual * residual, minlength=n_targets)
        resid_sd = np.where(fitted & (n_fit >= 3), np.sqrt(ssr / (n_fit - 2)), np.nan)

    lists = {
        name: array.tolist()
        for name, array in {
            "counts": counts,
            "ends": ends,
            "base_t": base_t,
            "base_v": base_v,
            "base_index": base_index,
            "n_duplicates": n_duplicates,
            "n_future": n_future,
            "n_missing": n_missing,
            "n_outside": n_outside,
            "n_fit": n_fit,
            "n_nonpositive": n_nonpositive,
            "fitted": fitted,
            "slope": slope,
            "intercept": intercept,
            "resid_sd": resid_sd,
            "mean_x": mean_x,
            "mean_y": mean_y,
            "sxx": sxx,
            "sxy": sxy,
            "syy": syy,
        }.items()
    }
    has_points = counts > 0
    last_index = np.where(has_points, ends - 1, 0)
    latest_t = np.where(has_points, t[last_index] if t.size else 0.0, np.nan).tolist()
    latest_v = np.where(has_points, v[last_index] if v.size else 0.0, np.nan).tolist()
    facts: list[Facts] = []
    for i in range(n_targets):
        fact = Facts(
            n_points=lists["counts"][i],
            n_duplicates=lists["n_duplicates"][i],
            conflict_times=conflict_times.get(i, []),
            n_future=lists["n_future"][i],
            n_missing_values=lists["n_missing"][i],
            n_outside_year=lists["n_outside"][i],
            n_fit=int(lists["n_fit"][i]),
            n_nonpositive=lists["n_nonpositive"][i],
            base_source=source[i],
        )
        if fact.n_points:
            fact.latest_t, fact.latest_v = latest_t[i], latest_v[i]
            fact.base_is_latest = lists["base_index"][i] == lists["ends"][i] - 1
        if source[i] is not None:
            fact.base_t, fact.base_v = lists["base_t"][i], lists["base_v"][i]
        if fact.n_fit:
            fact.m_x, fact.m_y = lists["mean_x"][i], lists["mean_y"][i]
            fact.m_xx, fact.m_xy, fact.m_yy = lists["sxx"][i], lists["sxy"][i], lists["syy"][i]
        if lists["fitted"][i]:
            fact.fit_slope = lists["slope"][i]
            fact.fit_intercept = lists["intercept"][i]
            if not math.isnan(lists["resid_sd"][i]):
                fact.fit_resid_sd = lists["resid_sd"][i]
        facts.append(fact)
    return facts


_FACT_FIELDS = tuple(f.name for f in fields(Facts))


def _copy(facts: Facts) -> Facts:
    """A copy of ``facts`` (``dataclasses.replace`` costs ten times as much)."""
    out = Facts.__new__(Facts)
    for name in _FACT_FIELDS:
        setattr(out, name, getattr(facts, name))
    out.conflict_times = list(facts.conflict_times)
    return out


def extend_facts(
    spec: TargetSpec, facts: Facts, years: Sequence[float], values: Sequence[float], as_of_t: float
) -> Facts | None:
    """The facts of ``spec`` once the points ``years``/``values`` (ascending) are appended to the
    observations ``facts`` were collected from at the same ``as_of_t``, without reading those
    observations again — or None when the new points could change more than the tail, and the
    caller must collect afresh: no baseline yet (it would come from the points), a point at or
    before the latest one (a restatement, a duplicate, a late figure), or a point that would
    become the baseline (up to the policy's start year, or at a stated baseline's period).

    The result equals :func:`collect_facts` over all the points but for rounding: the fit's
    moments are updated one point at a time (Welford), not recomputed in two passes."""
    if facts.base_source is None or facts.base_t is None:
        return None
    out = _copy(facts)
    upper = as_of_t + _EPS
    if spec.annual_flow:
        upper = min(spec.year + 1.0, as_of_t) + _EPS
    for t, v in zip(years, values, strict=True):
        if v != v:  # NaN
            out.n_missing_values += 1
            continue
        if t > as_of_t + _EPS:
            out.n_future += 1
            continue
        if spec.annual_flow and (t <= spec.year + _EPS or t > upper):
            out.n_outside_year += 1
            continue
        if out.latest_t is not None and t <= out.latest_t + _EPS:
            return None
        if out.base_source == "before_start" and spec.start_year is not None and t <= spec.start_year + 1e-6:
            return None
        if out.base_source == "stated" and abs(t - out.base_t) < 1e-6:
            return None
        out.n_points += 1
        out.latest_t, out.latest_v, out.base_is_latest = t, v, False
        if spec.annual_flow or t < out.base_t - _EPS:
            continue
        if v <= 0:
            out.n_nonpositive += 1
            continue
        x, y = t - _FIT_CENTRE, math.log(v)
        if not out.n_fit:
            out.m_x, out.m_y, out.m_xx, out.m_xy, out.m_yy = x, y, 0.0, 0.0, 0.0
            out.n_fit = 1
            continue
        out.n_fit += 1
        dx, dy = x - out.m_x, y - out.m_y
        out.m_x += dx / out.n_fit
        out.m_y += dy / out.n_fit
        out.m_xx += dx * (x - out.m_x)
        out.m_xy += dx * (y - out.m_y)
        out.m_yy += dy * (y - out.m_y)
    out.fit_slope = out.fit_intercept = out.fit_resid_sd = None
    if out.n_fit >= 2 and out.m_xx > 1e-12:
        out.fit_slope = out.m_xy / out.m_xx
        out.fit_intercept = out.m_y - out.fit_slope * out.m_x
        if out.n_fit >= 3:
            out.fit_resid_sd = math.sqrt(max(out.m_yy - out.fit_slope * out.m_xy, 0.0) / (out.n_fit - 2))
    return out


# ---------------------------------------------------------------------------------------------
# Rules


def _slack(reference: float) -> float:
    return _REL_SLACK * max(1.0, abs(reference))


def _bounds(spec: TargetSpec, target_value: float) -> tuple[float, float]:
    if spec.change is None and spec.value_max is not None:
        return spec.value, spec.value_max
    return target_value, target_value


def meets(value: float, spec: TargetSpec, target_value: float) -> bool:
    """Whether ``value`` meets the target under its comparator and direction (see module doc)."""
    low, high = _bounds(spec, target_value)
    tol = spec.tolerance
    comparator, direction = spec.comparator, spec.direction
    if comparator == ">=":
        return value >= low - _slack(low)
    if comparator == ">":
        return value > low
    if comparator == "<=":
        return value <= high + _slack(high)
    widen = tol if comparator == "~" else 0.0
    if direction == "increase":
        floor_ = low - widen * abs(low)
        return value >= floor_ - _slack(floor_)
    if direction == "decrease":
        ceiling = high + widen * abs(high)
        return value <= ceiling + _slack(ceiling)
    floor_, ceiling = low - tol * abs(low), high + tol * abs(high)
    return floor_ - _slack(floor_) <= value <= ceiling + _slack(ceiling)


def _binding_value(spec: TargetSpec, target_value: float) -> float:
    low, high = _bounds(spec, target_value)
    if spec.direction == "increase":
        return low
    if spec.direction == "decrease":
        return high
    return (low + high) / 2


def cagr(first: float, last: float, years: float) -> float:
    """Compound annual growth rate (v1/v0)^(1/(t1 − t0)) − 1; both values > 0 and years > 0."""
    if first <= 0 or last <= 0 or years <= 0:
        raise ValueError("CAGR needs positive values and a positive time span")
    return (last / first) ** (1.0 / years) - 1.0


def classify_ratio(ratio: float) -> str:
    if ratio >= SUBSTANTIAL_RATIO:
        return "substantial"
    if ratio >= MODERATE_RATIO:
        return "moderate"
    if ratio >= LIMITED_RATIO:
        return "limited"
    return "deterioration"


def classify_pace(share_achieved: float, share_elapsed: float) -> str:
    if share_achieved >= share_elapsed - _EPS:
        return "on_track"
    if share_elapsed <= 0:
        return "deterioration"
    return classify_ratio(share_achieved / share_elapsed)


def traffic_light(
    status: str,
    met: bool | None,
    pace_gap: float | None,
    ratio: float | None,
    share_achieved: float | None,
) -> str:
    if status in GREY_STATUSES:
        return "grey"
    if met:
        return "green"
    moving_away = (ratio is not None and ratio < 0) or (
        share_achieved is not None and share_achieved < 0
    )
    green = (pace_gap is not None and pace_gap >= GREEN_PACE_GAP - _EPS) or (
        ratio is not None and ratio >= SUBSTANTIAL_RATIO
    )
    if green and not moving_away:
        return "green"
    if (pace_gap is not None and pace_gap >= YELLOW_PACE_GAP - _EPS) or (
        ratio is not None and ratio >= MODERATE_RATIO
    ):
        return "yellow"
    return "red"


def _interpolate(
    anchors: list[tuple[float, float]], at: float, compound: bool
) -> tuple[float, bool]:
    """Value of the piecewise path at time ``at``; also whether compound fell back to linear."""
    if at <= anchors[0][0]:
        return anchors[0][1], False
    for (t_a, v_a), (t_b, v_b) in zip(anchors, anchors[1:], strict=False):
        if at <= t_b + _EPS:
            share = (at - t_a) / (t_b - t_a)
            if compound and v_a > 0 and v_b > 0:
                return v_a * (v_b / v_a) ** share, False
            return v_a + (v_b - v_a) * share, compound
    return anchors[-1][1], False


def _trajectory(
    spec: TargetSpec, t0: float, v0: float, target_t: float, target_value: float, as_of_t: float,
    with_path: bool = True,
) -> tuple[list[tuple[int, float]], float, bool]:
    anchors = [(t0, v0)]
    for year, value in sorted(spec.milestones):
        if t0 + _EPS < year + 1.0 < target_t - _EPS:
            anchors.append((year + 1.0, float(value)))
    anchors.append((target_t, target_value))
    compound = spec.trajectory == "compound"
    if not with_path:
        # Each segment ends at a year end the path would pass, so the path would fall back on
        # exactly the segments with a non-positive end.
        fell_back = compound and any(v_a <= 0 or v_b <= 0 for (_, v_a), (_, v_b) in zip(anchors, anchors[1:], strict=False))
        expected, fallback = _interpolate(anchors, as_of_t, compound)
        return [], expected, fell_back or fallback
    fell_back = False
    path: list[tuple[int, float]] = []
    segment = 0
    last_segment = len(anchors) - 2
    for year in range(math.ceil(t0 - _EPS) - 1, spec.year + 1):
        time = year + 1.0
        if time < t0 - _EPS:
            continue
        while segment < last_segment and time > anchors[segment + 1][0] + _EPS:
            segment += 1
        (t_a, v_a), (t_b, v_b) = anchors[segment], anchors[segment + 1]
        share = min(1.0, max(0.0, (time - t_a) / (t_b - t_a)))
        if compound and v_a > 0 and v_b > 0:
            path.append((year, v_a * (v_b / v_a) ** share))
        else:
            fell_back |= compound
            path.append((year, v_a + (v_b - v_a) * share))
    expected, fallback = _interpolate(anchors, as_of_t, compound)
    return path, expected, fell_back | fallback


def assess(spec: TargetSpec, facts: Facts, as_of: date, as_of_t: float, with_path: bool = True) -> Progress:
    """The rules above applied to ``facts``. ``with_path=False`` skips a multi-year target's
    year-by-year trajectory (a third of the cost; stored progress does not keep it)."""
    warnings: list[str] = []
    target_t = spec.year + 1.0
    components: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "as_of_time": as_of_t,
        "target_time": target_t,
        "comparator": spec.comparator,
        "direction": spec.direction,
        "kind": spec.kind,
        "tolerance": spec.tolerance,
        "cycle": spec.cycle,
        "annual_flow": spec.annual_flow,
        "n_points": facts.n_points,
        "n_duplicates": facts.n_duplicates,
        "n_future_ignored": facts.n_future,
        "n_missing_values_ignored": facts.n_missing_values,
        "thresholds": {
            "substantial": SUBSTANTIAL_RATIO,
            "moderate": MODERATE_RATIO,
            "limited": LIMITED_RATIO,
            "green_pace_gap": GREEN_PACE_GAP,
            "yellow_pace_gap": YELLOW_PACE_GAP,
        },
    }
    if spec.annual_flow:
        components["n_outside_target_year_ignored"] = facts.n_outside_year
    if facts.n_future:
        warnings.append(f"{facts.n_future}个观测值晚于评估日，已忽略")
    if facts.n_missing_values:
        warnings.append(f"{facts.n_missing_values}个观测值为空，已忽略")
    for time in facts.conflict_times:
        warnings.append(
            f"{_period_zh(date_from_decimal_year(time))}有多个不同的观测值，取最后提交的值"
        )
    if facts.n_duplicates and not facts.conflict_times:
        warnings.append(f"{facts.n_duplicates}个重复观测值（数值相同）已合并")

    latest_end = date_from_decimal_year(facts.latest_t) if facts.latest_t is not None else None
    result: dict[str, Any] = {
        **empty_fields(),
        "target_id": spec.id,
        "latest_value": facts.latest_v,
        "latest_period_end": latest_end,
        "target_year": spec.year,
    }

    def finish(status: str, reason: str) -> Progress:
        light = traffic_light(
            status, result["met"], result["pace_gap"], result["ratio"], result["share_achieved"]
        )
        components["status"] = status
        full_reason = "；".join([reason, *warnings])
        return Progress(
            **result,
            status=status,
            light=light,
            reason=full_reason,
            components=components,
            warnings=tuple(warnings),
        )

    if facts.n_points == 0 or facts.latest_t is None or facts.latest_v is None:
        if spec.annual_flow:
            return finish("no_data", f"{spec.year}年尚无年度计划完成情况的观测数据")
        return finish("no_data", "无观测数据")

    latest_t, latest_v = facts.latest_t, facts.latest_v
    components.update(latest_time=latest_t, latest_value=latest_v)

    # Target value (a change target needs its base-year observation first).
    if spec.change is not None:
        base_year = int(spec.change["base_year"])
        percent = float(spec.change["percent"])
        verb = "下降" if spec.change["kind"] == "decrease" else "增长"
        if facts.base_v is None or facts.base_t is None:
            return finish(
                "no_baseline",
                f"缺少{base_year}年基期值，无法确定“较{base_year}年{verb}{_num(percent)}%”的目标值",
            )
        factor = 1 - percent / 100 if spec.change["kind"] == "decrease" else 1 + percent / 100
        target_value = facts.base_v * factor
        components.update(change_base_year=base_year, change_percent=percent, change_factor=factor)
    else:
        target_value = float(spec.value)
    binding = _binding_value(spec, target_value)
    result["target_value"] = binding
    components["target_value"] = binding
    met = meets(latest_v, spec, target_value)
    result["met"] = met

    if facts.base_t is not None and facts.base_v is not None:
        t0, v0 = facts.base_t, facts.base_v
        base_end = date_from_decimal_year(t0)
        result.update(baseline_value=v0, baseline_period_end=base_end, baseline_year=base_end.year)
        components.update(baseline_time=t0, baseline_value=v0, baseline_source=facts.base_source)
        if facts.base_source == "first" and spec.start_year is not None:
            warnings.append(f"无{spec.start_year}年之前的观测值，以最早观测值为基期")
    else:  # cannot happen with observations present, kept explicit
        return finish("no_baseline", "缺少基期值")

    # Stale: the latest period ended too long ago and does not yet cover the target date.
    stale_months = STALE_AFTER_MONTHS[spec.cycle]
    stale_deadline = add_months(latest_end, stale_months)
    components.update(stale_after_months=stale_months, stale_deadline=stale_deadline.isoformat())
    is_stale = as_of > stale_deadline and latest_t < target_t - _EPS

    # 时序进度
    if spec.annual_flow:
        months = months_completed(as_of, spec.year)
        share_elapsed = months / 12
        components["months_elapsed"] = months
    elif target_t > t0 + _EPS:
        share_elapsed = min(1.0, max(0.0, (as_of_t - t0) / (target_t - t0)))
    else:
        share_elapsed = None
    result["share_elapsed"] = share_elapsed
    share_achieved = None
    if abs(binding - v0) > _slack(binding):
        share_achieved = (latest_v - v0) / (binding - v0)
    else:
        warnings.append("目标值等于基期值，无法计算完成比例")
    result["share_achieved"] = share_achieved
    pace_gap = None
    if share_achieved is not None and share_elapsed is not None:
        pace_gap = share_achieved - share_elapsed
    result["pace_gap"] = pace_gap

    # Trajectory, expected value now, projection.
    if target_t > t0 + _EPS:
        if spec.annual_flow:
            result["trajectory"] = [(spec.year, binding)]
            result["expected_now"] = binding * share_elapsed if share_elapsed is not None else None
        else:
            path, expected, fell_back = _trajectory(spec, t0, v0, target_t, binding, as_of_t, with_path)
            result["trajectory"], result["expected_now"] = path, expected
            if fell_back:
                warnings.append("轨迹含非正值，复合增长轨迹改为线性")
    if spec.annual_flow:
        covered = months_completed(latest_end, spec.year)
        components["months_covered_by_latest"] = covered
        if covered > 0:
            result["projected_value"] = latest_v * 12 / covered
            components["projection"] = "run_rate"
    elif facts.fit_slope is not None and facts.fit_intercept is not None:
        centred = target_t - _FIT_CENTRE
        log_projection = facts.fit_intercept + facts.fit_slope * centred
        result["projected_value"] = math.exp(log_projection)
        components.update(
            projection="log_linear",
            n_fit=facts.n_fit,
            fit_slope=facts.fit_slope,
            fit_intercept_at_2000=facts.fit_intercept,
            fit_growth=math.exp(facts.fit_slope) - 1,
            n_nonpositive_excluded_from_fit=facts.n_nonpositive,
        )
        if facts.fit_resid_sd is not None:  # fitted (m_xx > 0) over three points or more
            quantile = t_quantile_975(facts.n_fit - 2)
            spread = (
                quantile
                * facts.fit_resid_sd
                * math.sqrt(
                    1 + 1 / facts.n_fit + (target_t - _FIT_CENTRE - facts.m_x) ** 2 / facts.m_xx
                )
            )
            result["projected_low"] = math.exp(log_projection - spread)
            result["projected_high"] = math.exp(log_projection + spread)
            components.update(fit_resid_sd=facts.fit_resid_sd, t_quantile=quantile)
        if facts.n_nonpositive:
            warnings.append(f"{facts.n_nonpositive}个非正观测值未参与对数线性预测")
    else:
        components.update(projection=None, n_fit=facts.n_fit)

    # Statistics Canada measure.
    direction_sign = {"increase": 1, "decrease": -1}.get(spec.direction)
    if direction_sign is None:
        direction_sign = 1 if binding >= v0 else -1
    components["direction_sign"] = direction_sign
    cagr_note = None
    if not spec.annual_flow and latest_t > t0 + _EPS and target_t > t0 + _EPS:
        if v0 == 0:
            cagr_note = "基期值为0，无法计算复合增速，改用线性时序进度"
        elif latest_v == 0:
            cagr_note = "最新值为0，无法计算复合增速，改用线性时序进度"
        elif (v0 > 0) != (latest_v > 0):
            cagr_note = "基期值与最新值符号不同，无法计算复合增速，改用线性时序进度"
        elif v0 < 0 or binding <= 0:
            cagr_note = "基期值为负或目标值非正，无法计算复合增速，改用线性时序进度"
        else:
            observed = cagr(v0, latest_v, latest_t - t0)
            required = cagr(v0, binding, target_t - t0)
            result.update(observed_cagr=observed, required_cagr=required)
            components.update(observed_cagr=observed, required_cagr=required)
            if abs(required) > 1e-12:
                result["ratio"] = observed / required
                components["ratio"] = result["ratio"]
    if cagr_note:
        warnings.append(cagr_note)
    if share_achieved is not None and share_elapsed is not None and share_elapsed > 0:
        components["pace_ratio"] = share_achieved / share_elapsed

    period = _period_zh(latest_end)
    if is_stale and not met:
        return finish(
            "stale",
            f"数据已过期：最新数据为{period}（{_num(latest_v)}），{_CYCLE_ZH[spec.cycle]}数据超过"
            f"{stale_months}个月未更新",
        )
    if is_stale:
        warnings.append(f"最新数据为{period}，已超过{stale_months}个月未更新")
    if met:
        symbol = _COMPARATOR_ZH[spec.comparator]
        return finish(
            "achieved",
            f"已达到目标：最新值{_num(latest_v)}（{period}），目标{symbol}{_num(binding)}",
        )
    if not spec.annual_flow:
        if facts.base_is_latest and facts.n_points == 1 and facts.base_source != "change_base":
            return finish("no_baseline", f"仅有1个观测值（{period}），无基期，无法计算进度")
        if latest_t <= t0 + _EPS:
            return finish("no_data", f"基期（{_period_zh(base_end)}）之后尚无观测值")
        if target_t <= t0 + _EPS:
            return finish(
                "no_baseline",
                f"基期（{_period_zh(base_end)}）不早于目标年（{spec.year}年），无法计算进度",
            )

    pace_text = _pace_text(share_achieved, share_elapsed)
    beyond_at_base = (binding - v0) * direction_sign < 0
    if spec.annual_flow:
        components["measure"] = "pace"
        assert share_elapsed is not None
        if share_achieved is None:
            return finish("limited", "年度计划为0，无法计算完成比例")
        status = classify_pace(share_achieved, share_elapsed)
        return finish(status, pace_text + f"（{STATUS_ZH[status]}）")
    if beyond_at_base:
        components["measure"] = "baseline_beyond_target"
        return finish(
            "deterioration",
            f"基期值{_num(v0)}已优于目标{_num(binding)}，最新值{_num(latest_v)}（{period}）已不满足目标",
        )
    if result["ratio"] is not None:
        components["measure"] = "cagr"
        status = classify_ratio(result["ratio"])
        text = (
            f"年均增速{result['observed_cagr']:.1%}，所需{result['required_cagr']:.1%}，"
            f"比值{result['ratio']:.2f}（{STATUS_ZH[status]}）"
        )
        return finish(status, "；".join(filter(None, [text, pace_text])))
    if share_achieved is not None and share_elapsed is not None:
        components["measure"] = "pace"
        status = classify_pace(share_achieved, share_elapsed)
        return finish(status, pace_text + f"（{STATUS_ZH[status]}）")
    components["measure"] = "direction"
    moved = (latest_v - v0) * direction_sign
    status = "deterioration" if moved < 0 else "limited"
    return finish(
        status, f"最新值{_num(latest_v)}（{period}），基期值{_num(v0)}，目标{_num(binding)}"
    )


def _pace_text(share_achieved: float | None, share_elapsed: float | None) -> str:
    if share_achieved is None or share_elapsed is None:
        return ""
    achieved, elapsed = _pct(share_achieved), _pct(share_elapsed)
    tail = f"已完成目标的{achieved}%，时间已过{elapsed}%"
    if achieved < elapsed:
        return f"时序进度落后{elapsed - achieved}个百分点：{tail}"
    if achieved > elapsed:
        return f"时序进度超前{achieved - elapsed}个百分点：{tail}"
    return f"时序进度持平：{tail}"


# ---------------------------------------------------------------------------------------------
# Entry points


def _points_to_arrays(points: Sequence[Point]) -> tuple[np.ndarray, np.ndarray]:
    if not points:
        return np.empty(0), np.empty(0)
    years = np.fromiter((p.year for p in points), dtype=np.float64, count=len(points))
    values = np.fromiter((p.value for p in points), dtype=np.float64, count=len(points))
    ends = np.array([p.period_end for p in points], dtype="datetime64[D]")
    mismatch = np.abs(decimal_years(ends) - years) > 1e-6
    if mismatch.any():
        bad = points[int(np.flatnonzero(mismatch)[0])]
        raise ValueError(
            f"Point.year {bad.year} does not match decimal_year({bad.period_end}) = "
            f"{decimal_year(bad.period_end)}; build points with Point.at()"
        )
    return years, values


def empty_fields() -> dict[str, Any]:
    """The measured fields of a :class:`Progress` with nothing measured: None, never a number."""
    return {
        "latest_value": None,
        "latest_period_end": None,
        "baseline_value": None,
        "baseline_year": None,
        "baseline_period_end": None,
        "target_value": None,
        "met": None,
        "observed_cagr": None,
        "required_cagr": None,
        "ratio": None,
        "share_achieved": None,
        "share_elapsed": None,
        "pace_gap": None,
        "trajectory": [],
        "expected_now": None,
        "projected_value": None,
        "projected_low": None,
        "projected_high": None,
    }


def evaluate(spec: TargetSpec, points: Sequence[Point], *, as_of: date) -> Progress:
    """Progress of one target given its observations (any order) as of a date."""
    years, values = _points_to_arrays(points)
    return evaluate_bulk([spec], np.zeros(len(years), dtype=np.int64), years, values, as_of=as_of)[
        0
    ]


def evaluate_many(
    specs: Sequence[TargetSpec],
    points_by_target: Mapping[str, Sequence[Point]],
    *,
    as_of: date,
) -> list[Progress]:
    """Progress of many targets; ``points_by_target`` is keyed by ``TargetSpec.id``."""
    index_parts, year_parts, value_parts = [], [], []
    for i, spec in enumerate(specs):
        years, values = _points_to_arrays(points_by_target.get(spec.id, ()))
        index_parts.append(np.full(len(years), i, dtype=np.int64))
        year_parts.append(years)
        value_parts.append(values)
    if not specs:
        return []
    return evaluate_bulk(
        specs,
        np.concatenate(index_parts),
        np.concatenate(year_parts),
        np.concatenate(value_parts),
        as_of=as_of,
    )


def evaluate_bulk(
    specs: Sequence[TargetSpec],
    target_index: np.ndarray,
    years: np.ndarray,
    values: np.ndarray,
    *,
    as_of: date,
) -> list[Progress]:
    """Progress of ``specs`` over flat arrays, one row per observation.

    ``target_index[k]`` is the position in ``specs`` of observation k, ``years[k]`` its period end
    as a decimal year (:func:`decimal_year` / :func:`decimal_years`), ``values[k]`` its value
    (NaN = missing, counted and ignored).  Rows sorted by (target_index, years) are used as they
    are; otherwise they are sorted stably, so for repeated periods the last row supplied wins.
    Returns one :class:`Progress` per spec, in the order of ``specs``.
    """
    as_of_t = decimal_year(as_of)
    facts = collect_facts(specs, target_index, years, values, as_of_t)
    return [assess(spec, fact, as_of, as_of_t) for spec, fact in zip(specs, facts, strict=True)]
