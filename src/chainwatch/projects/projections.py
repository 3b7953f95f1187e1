"""Projection of a capacity target from built capacity plus projects by stage. Pure: no ORM.

    projected = built + Σ amount × p(stage)       for projects commissioning by 31 Dec of the year
    low       = built + Σ amount                  for those in 开工 / 在建 / 竣工投产 only
    high      = built + Σ amount                  for every project commissioning in time

A project counts for year Y when its expected commissioning date (actual_end when it has one,
else planned_end, plus the scenario's slip) falls on or before 31 December Y. A project without
any date cannot be placed in time and counts nowhere (it is listed with the reason). Amounts are
in the target's unit (the service converts them).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

DEFAULT_PROBABILITIES: dict[str, float] = {
    "pipeline": 0.1,  # 谋划储备
    "signed": 0.3,  # 签约
    "started": 0.6,  # 开工
    "construction": 0.8,  # 在建
    "operating": 1.0,  # 竣工投产
    "paused": 0.0,  # 暂停: counted only in the high case
}
LOW_STAGES = frozenset({"started", "construction", "operating"})


class ProjectionError(ValueError):
    """Inputs that cannot be projected (an unknown stage, a probability outside 0..1 …)."""


@dataclass(frozen=True)
class ProjectInput:
    code: str
    name: str
    stage: str
    amount: float  # capacity the project adds, in the target's unit
    planned_end: date | None = None
    actual_end: date | None = None


@dataclass(frozen=True)
class BaselineItem:
    label: str
    amount: float
    source: str = ""


@dataclass(frozen=True)
class Scenario:
    """"These projects slip N months": ``codes`` None means every project."""

    slip_months: int = 0
    codes: frozenset[str] | None = None

    def applies_to(self, code: str) -> bool:
        return self.slip_months != 0 and (self.codes is None or code in self.codes)


@dataclass(frozen=True)
class Contribution:
    code: str
    name: str
    stage: str
    amount: float
    probability: float
    expected_date: date | None
    slipped: bool
    counts: bool
    contribution: float
    in_low: bool
    reason: str

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "stage": self.stage,
            "amount": _round(self.amount),
            "probability": self.probability,
            "expected_date": self.expected_date.isoformat() if self.expected_date else None,
            "slipped": self.slipped,
            "counts": self.counts,
            "contribution": _round(self.contribution),
            "in_low": self.in_low,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Projection:
    year: int
    target: float
    built: float
    projected: float
    low: float
    high: float
    baseline: list[BaselineItem] = field(default_factory=list)
    contributions: list[Contribution] = field(default_factory=list)
    probabilities: dict[str, float] = field(default_factory=dict)
    scenario: Scenario = Scenario()

    @property
    def gap(self) -> float:
        return self.target - self.projected

    @property
    def meets(self) -> bool:
        return self.projected >= self.target - 1e-9

    def as_dict(self) -> dict:
        return {
            "year": self.year,
            "target": _round(self.target),
            "built": _round(self.built),
            "projected": _round(self.projected),
            "low": _round(self.low),
            "high": _round(self.high),
            "gap": _round(self.gap),
            "meets": self.meets,
            "baseline": [
                {"label": b.label, "amount": _round(b.amount), "source": b.source} for b in self.baseline
            ],
            "projects": [c.as_dict() for c in self.contributions],
            "probabilities": dict(self.probabilities),
            "scenario": {
                "slip_months": self.scenario.slip_months,
                "projects": None if self.scenario.codes is None else sorted(self.scenario.codes),
            },
        }


def _round(value: float) -> float:
    rounded = round(value, 6)
    return int(rounded) if float(rounded).is_integer() else rounded


def add_months(day: date, months: int) -> date:
    """2025-08-31 + 1 month = 2025-09-30 (the day is clamped to the month's length)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def check_probabilities(probabilities: Mapping[str, float]) -> dict[str, float]:
    merged = {**DEFAULT_PROBABILITIES, **{k: float(v) for k, v in probabilities.items()}}
    for stage, value in merged.items():
        if stage not in DEFAULT_PROBABILITIES:
            raise ProjectionError(f"unknown stage {stage!r} in stage probabilities")
        if not 0.0 <= value <= 1.0:
            raise ProjectionError(f"probability of {stage} must lie in 0..1, got {value}")
    return merged


def project_to_target(
    *,
    year: int,
    target: float,
    baseline: Iterable[BaselineItem],
    projects: Iterable[ProjectInput],
    probabilities: Mapping[str, float] | None = None,
    scenario: Scenario | None = None,
) -> Projection:
    probabilities = check_probabilities(probabilities or {})
    scenario = scenario or Scenario()
    baseline = list(baseline)
    built = sum(item.amount for item in baseline)
    deadline = date(year, 12, 31)
    contributions: list[Contribution] = []
    for project in projects:
        if project.stage not in probabilities:
            raise ProjectionError(f"project {project.code}: unknown stage {project.stage!r}")
        probability = probabilities[project.stage]
        expected = project.actual_end or project.planned_end
        slipped = False
        if expected is not None and project.actual_end is None and scenario.applies_to(project.code):
            expected = add_months(expected, scenario.slip_months)
            slipped = True
        if expected is None:
            counts, reason = False, "无计划竣工日期，无法判断投产年份"
        elif expected > deadline:
            counts, reason = False, f"预计{expected.isoformat()}投产，晚于{year}年底"
        else:
            counts, reason = True, f"预计{expected.isoformat()}投产，计入{year}年"
        contributions.append(
            Contribution(
                code=project.code,
                name=project.name,
                stage=project.stage,
                amount=project.amount,
                probability=probability,
                expected_date=expected,
                slipped=slipped,
                counts=counts,
                contribution=project.amount * probability if counts else 0.0,
                in_low=counts and project.stage in LOW_STAGES,
                reason=reason,
            )
        )
    contributions.sort(key=lambda c: (-c.contribution, c.code))
    projected = built + sum(c.contribution for c in contributions)
    low = built + sum(c.amount for c in contributions if c.in_low)
    high = built + sum(c.amount for c in contributions if c.counts)
    return Projection(
        year=year,
        target=target,
        built=built,
        projected=projected,
        low=low,
        high=high,
        baseline=baseline,
        contributions=contributions,
        probabilities=probabilities,
        scenario=scenario,
    )
