"""Rules engine for projects: tiering (三级调度), subsidy bands and colour ratings (三色预警).

Rules are data (see knowledge/README.md, ``rules:``). This module selects the rule in force for
a jurisdiction and date, validates rule sets, and evaluates one project (``evaluate``) or many at
once with numpy (``evaluate_bulk``). All amounts are in 元; explanations quote 亿元 or 万元.
Pure: no Django, no database.
"""

from __future__ import annotations

import calendar
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

NATIONAL = "000000"
KINDS = ("project-tier", "subsidy", "colour")
COLOURS = ("green", "yellow", "red")

# Colour thresholds are compared with this tolerance so that a pace gap of 0.4 - 0.5 (which is
# -0.09999999999999998 in binary floating point) counts as reaching a -0.10 threshold.
_TOLERANCE = 1e-9

INPUT_KEYS: dict[str, dict[str, str]] = {
    "project-tier": {
        "total_investment": "计划总投资，元（以上 = ≥）",
        "completed_investment": "累计实际完成固定资产投资，元",
    },
    "subsidy": {
        "requested_amount": "申请（测算）补助金额，元；结果截至规则的[min, max]区间",
        "eligible": "是否符合补助条件（true/false，缺省 true）；false 时不予补助，结果为 0 元",
    },
    "colour": {
        "slip_months": "节点滞后月数（可为小数）；给出时不再由日期计算",
        "planned_date": "当前节点（开工/投产等）计划日期，ISO 日期",
        "actual_date": "该节点实际或预计日期，ISO 日期；缺省时以 as_of 计逾期月数",
        "as_of": "评价日期，ISO 日期；时序进度 = 截至当日（含）已过月数 / 12",
        "completed_investment": "本年度截至 as_of 已完成投资，元",
        "annual_plan": "本年度计划投资，元；缺省或为 0 时不评价投资进度",
    },
}

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}
_OPERATOR_SYMBOLS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}

FIELD_LABELS = {
    "total_investment": "总投资",
    "completed_investment": "已完成固定资产投资",
    "requested_amount": "申请补助",
    "annual_plan": "年度计划投资",
}
DECISION_LABELS = {
    "province": "列为省级调度项目",
    "city": "列为市级调度项目",
    "county": "列为县级调度项目",
    "city_county": "由市、县分级负责",
}
COLOUR_LABELS = {"green": "绿色", "yellow": "黄色", "red": "红色"}
DISPATCH_LABELS = {"county": "县级", "city": "市级", "province": "省级"}


class RuleError(ValueError):
    """A rule set is malformed, no rule applies, or the facts do not fit the rule."""


@dataclass(frozen=True)
class Rule:
    key: str
    kind: str
    jurisdiction: str
    effective_from: date
    effective_to: date | None
    params: dict
    document: str | None = None
    clause: str | None = None
    span: str | None = None

    def in_force(self, on: date) -> bool:
        """effective_to is the last day the rule applies (inclusive)."""
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


@dataclass(frozen=True)
class Decision:
    decision: Any  # tier label (str), subsidy amount in 元 (int/float), or colour (str)
    rule: str
    clause: str | None
    explanation: str
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The shape the CLI prints."""
        return {
            "decision": self.decision,
            "rule": self.rule,
            "clause": self.clause,
            "explanation": self.explanation,
        }


class BulkDecisions(NamedTuple):
    codes: np.ndarray  # int8, an index into labels
    labels: tuple[str, ...]  # tier: (else, then); colour: ("green", "yellow", "red")
    details: dict[str, np.ndarray]

    def decisions(self) -> np.ndarray:
        return np.asarray(self.labels, dtype=object)[self.codes]


# --------------------------------------------------------------------------- construction


def _as_date(value: Any, what: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise RuleError(f"{what}: {value!r} is not an ISO date (YYYY-MM-DD)")


def rule_from_mapping(entry: Mapping[str, Any], document: str | None = None) -> Rule:
    """Build a Rule from one ``rules:`` entry of a pack YAML file (README shape)."""
    key = entry.get("key")
    if not key:
        raise RuleError(f"rule entry without key: {dict(entry)!r}")
    for required in ("kind", "jurisdiction", "effective_from", "params"):
        if entry.get(required) in (None, ""):
            raise RuleError(f"rule {key}: missing {required}")
    effective_to = entry.get("effective_to")
    return Rule(
        key=str(key),
        kind=str(entry["kind"]),
        jurisdiction=str(entry["jurisdiction"]),
        effective_from=_as_date(entry["effective_from"], f"rule {key}: effective_from"),
        effective_to=(
            None if effective_to is None else _as_date(effective_to, f"rule {key}: effective_to")
        ),
        params=dict(entry["params"]),
        document=entry.get("document", document),
        clause=entry.get("clause"),
        span=entry.get("span"),
    )


def load_rules_file(path: str | Path) -> list[Rule]:
    """Read the ``rules:`` list of a YAML file (a pack file or knowledge/rules.yaml)."""
    import yaml

    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    document = data.get("document")
    return [rule_from_mapping(entry, document) for entry in data.get("rules") or []]


# --------------------------------------------------------------------------- selection


def select_rule(
    rules: Iterable[Rule],
    kind: str,
    jurisdiction: str,
    on: date,
    ancestors: Sequence[str] = (),
) -> Rule:
    """The rule of ``kind`` in force on ``on`` for ``jurisdiction``.

    Falls back through ``ancestors`` in order (nearest first), then the national default
    "000000". Raises RuleError when no rule applies or two apply to the same jurisdiction.
    """
    if kind not in KINDS:
        raise RuleError(f"unknown rule kind {kind!r}; expected one of {', '.join(KINDS)}")
    of_kind = [rule for rule in rules if rule.kind == kind]
    chain = [jurisdiction, *ancestors]
    if NATIONAL not in chain:
        chain.append(NATIONAL)
    for code in chain:
        in_force = [r for r in of_kind if r.jurisdiction == code and r.in_force(on)]
        if len(in_force) == 1:
            return in_force[0]
        if len(in_force) > 1:
            keys = ", ".join(sorted(r.key for r in in_force))
            raise RuleError(f"several {kind} rules in force for {code} on {on}: {keys}")
    message = f"no {kind} rule in force for {jurisdiction} on {on.isoformat()}"
    message += f" (searched {' → '.join(chain)})"
    later = sorted(
        (r for r in of_kind if r.jurisdiction in chain and r.effective_from > on),
        key=lambda r: r.effective_from,
    )
    if later:
        message += f"; {later[0].key} takes effect on {later[0].effective_from.isoformat()}"
    raise RuleError(message)


# --------------------------------------------------------------------------- validation


def check_overlaps(rules: Sequence[Rule]) -> list[str]:
    """Duplicate keys, inverted periods, and rules of one kind and jurisdiction that overlap."""
    problems: list[str] = []
    seen: set[str] = set()
    for rule in rules:
        if rule.key in seen:
            problems.append(f"rule {rule.key}: duplicate key")
        seen.add(rule.key)
        if rule.effective_to is not None and rule.effective_to < rule.effective_from:
            problems.append(
                f"rule {rule.key}: effective_to {rule.effective_to} is before "
                f"effective_from {rule.effective_from}"
            )
    ordered = sorted(rules, key=lambda r: (r.kind, r.jurisdiction, r.effective_from, r.key))
    for index, first in enumerate(ordered):
        for second in ordered[index + 1 :]:
            if (second.kind, second.jurisdiction) != (first.kind, first.jurisdiction):
                break
            first_end = first.effective_to or date.max
            if second.effective_from <= first_end:
                problems.append(
                    f"rules {first.key} and {second.key} overlap: both {first.kind} for "
                    f"{first.jurisdiction}, {_period(first)} and {_period(second)}"
                )
    return problems


def _period(rule: Rule) -> str:
    end = rule.effective_to.isoformat() if rule.effective_to else "open"
    return f"{rule.effective_from.isoformat()}..{end}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _unknown(rule: Rule, where: str, mapping: Mapping, allowed: Iterable[str]) -> list[str]:
    allowed = set(allowed)
    return [
        f"rule {rule.key}: unknown field {where}{name!s}" for name in mapping if name not in allowed
    ]


def check_params(rule: Rule) -> list[str]:
    """Problems with the shape of one rule's params; each message names the key and field."""
    if rule.kind not in KINDS:
        return [f"rule {rule.key}: unknown kind {rule.kind!r}; expected one of {', '.join(KINDS)}"]
    if not isinstance(rule.params, Mapping):
        return [f"rule {rule.key}: params must be a mapping"]
    checker = {
        "project-tier": _check_tier,
        "subsidy": _check_subsidy,
        "colour": _check_colour,
    }[rule.kind]
    return checker(rule, rule.params)


def _check_tier(rule: Rule, params: Mapping) -> list[str]:
    problems = _unknown(rule, "", params, ("all", "any", "then", "else"))
    combinators = [name for name in ("all", "any") if name in params]
    if len(combinators) != 1:
        problems.append(f"rule {rule.key}: params need exactly one of all / any")
    for name in combinators:
        conditions = params[name]
        if not isinstance(conditions, list) or not conditions:
            problems.append(f"rule {rule.key}: {name} must be a non-empty list of conditions")
            continue
        for index, condition in enumerate(conditions):
            where = f"{name}[{index}]"
            if not isinstance(condition, Mapping):
                problems.append(f"rule {rule.key}: {where} must be a mapping")
                continue
            problems += _unknown(rule, f"{where}.", condition, ("field", "op", "value"))
            if condition.get("field") not in INPUT_KEYS["project-tier"]:
                problems.append(
                    f"rule {rule.key}: {where}.field {condition.get('field')!r} is not one of "
                    f"{', '.join(INPUT_KEYS['project-tier'])}"
                )
            if condition.get("op") not in _OPERATORS:
                problems.append(
                    f"rule {rule.key}: {where}.op {condition.get('op')!r} is not one of "
                    f"{' '.join(_OPERATORS)}"
                )
            if not _is_number(condition.get("value")):
                problems.append(f"rule {rule.key}: {where}.value must be a number (元)")
    for outcome in ("then", "else"):
        if not isinstance(params.get(outcome), str) or not params.get(outcome):
            problems.append(f"rule {rule.key}: {outcome} must name a tier (e.g. province)")
    if params.get("then") is not None and params.get("then") == params.get("else"):
        problems.append(f"rule {rule.key}: then and else name the same tier")
    return problems


def _check_subsidy(rule: Rule, params: Mapping) -> list[str]:
    problems = _unknown(rule, "", params, ("field", "min", "max"))
    if params.get("field", "requested_amount") != "requested_amount":
        problems.append(f"rule {rule.key}: field must be requested_amount")
    for bound in ("min", "max"):
        value = params.get(bound)
        if not _is_number(value) or value < 0:
            problems.append(f"rule {rule.key}: {bound} must be a non-negative number (元)")
    low, high = params.get("min"), params.get("max")
    if _is_number(low) and _is_number(high) and low > high:
        problems.append(f"rule {rule.key}: min {low} is greater than max {high}")
    return problems


def _check_colour(rule: Rule, params: Mapping) -> list[str]:
    problems = _unknown(rule, "", params, ("yellow", "red", "dispatch"))
    levels: dict[str, Mapping] = {}
    for level in ("yellow", "red"):
        thresholds = params.get(level)
        if not isinstance(thresholds, Mapping):
            problems.append(f"rule {rule.key}: {level} must be a mapping of thresholds")
            continue
        levels[level] = thresholds
        problems += _unknown(rule, f"{level}.", thresholds, ("slip_months", "pace_gap"))
        slip = thresholds.get("slip_months")
        gap = thresholds.get("pace_gap")
        if not _is_number(slip) or slip <= 0:
            problems.append(f"rule {rule.key}: {level}.slip_months must be a number > 0")
        if not _is_number(gap) or gap >= 0:
            problems.append(f"rule {rule.key}: {level}.pace_gap must be a number < 0 (a share)")
    if len(levels) == 2:
        yellow, red = levels["yellow"], levels["red"]
        if (
            _is_number(yellow.get("slip_months"))
            and _is_number(red.get("slip_months"))
            and red["slip_months"] < yellow["slip_months"]
        ):
            problems.append(f"rule {rule.key}: red.slip_months is below yellow.slip_months")
        if (
            _is_number(yellow.get("pace_gap"))
            and _is_number(red.get("pace_gap"))
            and red["pace_gap"] > yellow["pace_gap"]
        ):
            problems.append(f"rule {rule.key}: red.pace_gap is above yellow.pace_gap")
    dispatch = params.get("dispatch")
    if not isinstance(dispatch, Mapping):
        problems.append(f"rule {rule.key}: dispatch must map green/yellow/red to a level")
    else:
        problems += _unknown(rule, "dispatch.", dispatch, COLOURS)
        for colour in COLOURS:
            if not isinstance(dispatch.get(colour), str) or not dispatch.get(colour):
                problems.append(f"rule {rule.key}: dispatch.{colour} must name a level")
    return problems


def check_rules(rules: Sequence[Rule]) -> list[str]:
    """Every problem in a rule set: params shape per rule, then keys and overlaps."""
    problems: list[str] = []
    for rule in rules:
        problems += check_params(rule)
    return problems + check_overlaps(rules)


def validate_rules(rules: Sequence[Rule]) -> None:
    problems = check_rules(rules)
    if problems:
        raise RuleError("; ".join(problems))


def _require_valid(rule: Rule) -> None:
    problems = check_params(rule)
    if problems:
        raise RuleError("; ".join(problems))


# --------------------------------------------------------------------------- formatting


def _trim(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.0001')).normalize():f}"
    return text


def yi(amount_yuan: float) -> str:
    """Amount in 元 as 亿元 text: 1200000000 -> '12亿元'."""
    return f"{_trim(Decimal(str(amount_yuan)) / Decimal(100_000_000))}亿元"


def wan(amount_yuan: float) -> str:
    """Amount in 元 as 万元 text: 2000000 -> '200万元'."""
    return f"{_trim(Decimal(str(amount_yuan)) / Decimal(10_000))}万元"


def _percent(share: float) -> str:
    return f"{_trim(Decimal(str(round(share * 100, 2))))}%"


def _number(value: float) -> str:
    return _trim(Decimal(str(round(value, 2))))


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --------------------------------------------------------------------------- evaluation


def evaluate(rule: Rule, facts: Mapping[str, Any]) -> Decision:
    """Apply one rule to one project's facts (keys in INPUT_KEYS[rule.kind], amounts in 元)."""
    _require_valid(rule)
    if rule.kind == "project-tier":
        return _evaluate_tier(rule, facts)
    if rule.kind == "subsidy":
        return _evaluate_subsidy(rule, facts)
    return _evaluate_colour(rule, facts)


def _fact_number(rule: Rule, facts: Mapping[str, Any], name: str) -> float:
    if name not in facts or facts[name] is None:
        raise RuleError(f"rule {rule.key}: facts lack {name} ({INPUT_KEYS[rule.kind][name]})")
    value = facts[name]
    if not _is_number(value):
        raise RuleError(f"rule {rule.key}: {name} must be a number, got {value!r}")
    return value


def _evaluate_tier(rule: Rule, facts: Mapping[str, Any]) -> Decision:
    params = rule.params
    combinator = "all" if "all" in params else "any"
    rendered: list[tuple[bool, str]] = []
    compared: list[dict[str, Any]] = []
    for condition in params[combinator]:
        name, op, threshold = condition["field"], condition["op"], condition["value"]
        actual = _fact_number(rule, facts, name)
        holds = bool(_OPERATORS[op](actual, threshold))
        if holds:
            symbol = _OPERATOR_SYMBOLS[op]
        else:
            symbol = "<" if actual < threshold else ">" if actual > threshold else "="
        label = FIELD_LABELS.get(name, name)
        rendered.append((holds, f"{label}{yi(actual)}{symbol}{yi(threshold)}"))
        compared.append(
            {"field": name, "op": op, "value": threshold, "actual": actual, "holds": holds}
        )
    outcomes = [holds for holds, _ in rendered]
    passed = all(outcomes) if combinator == "all" else any(outcomes)
    decision = params["then"] if passed else params["else"]
    outcome_text = DECISION_LABELS.get(decision, f"定为{decision}")
    if combinator == "all" and passed:
        reasoning = "，且".join(text for _, text in rendered)
    elif combinator == "all":
        reasoning = "，".join(text for _, text in rendered) + "，未同时满足全部条件"
    elif passed:
        reasoning = "，".join(text for holds, text in rendered if holds)
    else:
        reasoning = "，".join(text for _, text in rendered) + "，均未达到"
    return Decision(
        decision=decision,
        rule=rule.key,
        clause=rule.clause,
        explanation=f"{reasoning}，{outcome_text}。",
        details={"combinator": combinator, "conditions": compared, "passed": passed},
    )


def _evaluate_subsidy(rule: Rule, facts: Mapping[str, Any]) -> Decision:
    low, high = rule.params["min"], rule.params["max"]
    eligible = facts.get("eligible", True)
    if not isinstance(eligible, bool):
        raise RuleError(f"rule {rule.key}: eligible must be true or false, got {eligible!r}")
    details: dict[str, Any] = {"min": low, "max": high, "eligible": eligible}
    if not eligible:
        return Decision(
            decision=0,
            rule=rule.key,
            clause=rule.clause,
            explanation=f"项目不符合补助条件，不予补助（补助区间{wan(low)}至{wan(high)}）。",
            details={**details, "rejected": True},
        )
    requested = _fact_number(rule, facts, "requested_amount")
    if requested < 0:
        raise RuleError(f"rule {rule.key}: requested_amount must not be negative")
    granted = _plain(min(max(requested, low), high))
    if requested < low:
        reason = f"申请{wan(requested)}低于下限{wan(low)}，按下限补助{wan(granted)}"
    elif requested > high:
        reason = f"申请{wan(requested)}超过上限{wan(high)}，按最高{wan(high)}补助"
    else:
        reason = f"申请{wan(requested)}在{wan(low)}至{wan(high)}之间，补助{wan(granted)}"
    return Decision(
        decision=granted,
        rule=rule.key,
        clause=rule.clause,
        explanation=f"{reason}。",
        details={**details, "requested": requested, "rejected": False},
    )


def _month_position(day: date) -> float:
    """Months since year 0, fractional: the 1st of a month is a whole number."""
    days_in_month = calendar.monthrange(day.year, day.month)[1]
    return day.year * 12 + (day.month - 1) + (day.day - 1) / days_in_month


def months_between(start: date, end: date) -> float:
    """Calendar months from start to end: 2024-03-01 → 2024-06-01 is exactly 3."""
    return _month_position(end) - _month_position(start)


def months_elapsed(as_of: date) -> float:
    """Months of as_of's year that have passed by the end of as_of: 06-30 → 6, 06-15 → 5.5."""
    return _month_position(as_of + timedelta(days=1)) - as_of.year * 12


def _slip_from_facts(rule: Rule, facts: Mapping[str, Any]) -> float | None:
    if facts.get("slip_months") is not None:
        slip = _fact_number(rule, facts, "slip_months")
        return max(float(slip), 0.0)
    if facts.get("planned_date") is None:
        return None
    planned = _as_date(facts["planned_date"], f"rule {rule.key}: planned_date")
    if facts.get("actual_date") is not None:
        reached = _as_date(facts["actual_date"], f"rule {rule.key}: actual_date")
    elif facts.get("as_of") is not None:
        reached = _as_date(facts["as_of"], f"rule {rule.key}: as_of")
    else:
        raise RuleError(f"rule {rule.key}: planned_date needs actual_date or as_of")
    return max(months_between(planned, reached), 0.0)


def _level(value: float | None, yellow: float, red: float, worse_is_higher: bool) -> int:
    if value is None or math.isnan(value):
        return 0
    if worse_is_higher:
        return 2 if value >= red - _TOLERANCE else 1 if value >= yellow - _TOLERANCE else 0
    return 2 if value <= red + _TOLERANCE else 1 if value <= yellow + _TOLERANCE else 0


def _against(level: int, yellow: str, red: str) -> str:
    if level == 2:
        return f"（达到红色阈值{red}）"
    if level == 1:
        return f"（达到黄色阈值{yellow}）"
    return f"（未达黄色阈值{yellow}）"


def _evaluate_colour(rule: Rule, facts: Mapping[str, Any]) -> Decision:
    params = rule.params
    slip = _slip_from_facts(rule, facts)
    pace_gap = completion_share = time_share = None
    plan = facts.get("annual_plan")
    if plan is not None and _fact_number(rule, facts, "annual_plan") > 0:
        completed = _fact_number(rule, facts, "completed_investment")
        if facts.get("as_of") is None:
            raise RuleError(f"rule {rule.key}: the investment pace needs as_of")
        as_of = _as_date(facts["as_of"], f"rule {rule.key}: as_of")
        completion_share = completed / plan
        time_share = months_elapsed(as_of) / 12
        pace_gap = completion_share - time_share
    if slip is None and pace_gap is None:
        raise RuleError(
            f"rule {rule.key}: give slip_months or planned_date, "
            "and/or annual_plan with completed_investment and as_of"
        )
    yellow, red = params["yellow"], params["red"]
    slip_level = _level(slip, yellow["slip_months"], red["slip_months"], worse_is_higher=True)
    pace_level = _level(pace_gap, yellow["pace_gap"], red["pace_gap"], worse_is_higher=False)
    colour = COLOURS[max(slip_level, pace_level)]
    dispatch = params["dispatch"][colour]

    parts = []
    if slip is not None:
        parts.append(
            f"节点滞后{_number(slip)}个月"
            + _against(
                slip_level,
                f"{_number(yellow['slip_months'])}个月",
                f"{_number(red['slip_months'])}个月",
            )
        )
    if pace_gap is not None:
        behind = "落后" if pace_gap < 0 else "超前"
        parts.append(
            f"年度投资完成{_percent(completion_share)}，{behind}时序进度{_percent(time_share)}"
            f"共{_number(abs(pace_gap) * 100)}个百分点"
            + _against(
                pace_level,
                f"{_number(-yellow['pace_gap'] * 100)}个百分点",
                f"{_number(-red['pace_gap'] * 100)}个百分点",
            )
        )
    level_text = DISPATCH_LABELS.get(dispatch, dispatch)
    explanation = "；".join(parts) + f"，判定为{COLOUR_LABELS[colour]}，由{level_text}调度。"
    return Decision(
        decision=colour,
        rule=rule.key,
        clause=rule.clause,
        explanation=explanation,
        details={
            "dispatch": dispatch,
            "slip_months": None if slip is None else round(slip, 4),
            "pace_gap": None if pace_gap is None else round(pace_gap, 4),
            "completion_share": None if completion_share is None else round(completion_share, 4),
            "time_share": None if time_share is None else round(time_share, 4),
            "colour_by_slip": COLOURS[slip_level] if slip is not None else None,
            "colour_by_pace": COLOURS[pace_level] if pace_gap is not None else None,
        },
    )


# --------------------------------------------------------------------------- bulk (numpy)


def evaluate_bulk(rule: Rule, facts_columns: Mapping[str, Any]) -> BulkDecisions:
    """Evaluate a project-tier or colour rule over columns of many projects at once.

    Columns are equal-length arrays named as in INPUT_KEYS (amounts in 元; dates as
    datetime64[D] arrays or ISO strings; ``as_of`` may be one date for all rows). Missing
    values (NaN / NaT) make a condition false and a colour criterion not apply.
    """
    _require_valid(rule)
    if rule.kind == "project-tier":
        return _bulk_tier(rule, facts_columns)
    if rule.kind == "colour":
        return _bulk_colour(rule, facts_columns)
    raise RuleError(f"rule {rule.key}: evaluate_bulk handles project-tier and colour only")


def _column(rule: Rule, columns: Mapping[str, Any], name: str) -> np.ndarray:
    if name not in columns or columns[name] is None:
        raise RuleError(f"rule {rule.key}: columns lack {name} ({INPUT_KEYS[rule.kind][name]})")
    return np.asarray(columns[name], dtype=np.float64)


def _bulk_tier(rule: Rule, columns: Mapping[str, Any]) -> BulkDecisions:
    params = rule.params
    combinator = "all" if "all" in params else "any"
    masks = [
        _OPERATORS[c["op"]](_column(rule, columns, c["field"]), c["value"])
        for c in params[combinator]
    ]
    passed = np.logical_and.reduce(masks) if combinator == "all" else np.logical_or.reduce(masks)
    return BulkDecisions(
        codes=passed.astype(np.int8),
        labels=(params["else"], params["then"]),
        details={},
    )


def _date_column(rule: Rule, value: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype="datetime64[D]")
    except ValueError as error:
        raise RuleError(f"rule {rule.key}: {name} is not a date column: {error}") from error


def _month_positions(days: np.ndarray) -> np.ndarray:
    """Vectorised _month_position: NaT gives NaN."""
    month_start = days.astype("datetime64[M]")
    next_month = (month_start + 1).astype("datetime64[D]")
    days_in_month = (next_month - month_start.astype("datetime64[D]")).astype(np.float64)
    day_index = (days - month_start.astype("datetime64[D]")).astype(np.float64)
    # datetime64[M] counts months from 1970-01.
    position = month_start.astype(np.int64).astype(np.float64) + 1970 * 12
    return np.where(np.isnat(days), np.nan, position + day_index / days_in_month)


def _bulk_slip(rule: Rule, columns: Mapping[str, Any], size: int) -> np.ndarray | None:
    if columns.get("slip_months") is not None:
        return np.maximum(_column(rule, columns, "slip_months"), 0.0)
    if columns.get("planned_date") is None:
        return None
    planned = _date_column(rule, columns["planned_date"], "planned_date")
    if columns.get("actual_date") is not None:
        reached = _date_column(rule, columns["actual_date"], "actual_date")
        if columns.get("as_of") is not None:
            as_of = np.broadcast_to(_date_column(rule, columns["as_of"], "as_of"), (size,))
            reached = np.where(np.isnat(reached), as_of, reached)
    elif columns.get("as_of") is not None:
        reached = np.broadcast_to(_date_column(rule, columns["as_of"], "as_of"), (size,))
    else:
        raise RuleError(f"rule {rule.key}: planned_date needs actual_date or as_of")
    slip = _month_positions(reached) - _month_positions(planned)
    return np.maximum(slip, 0.0)  # NaN stays NaN


def _bulk_colour(rule: Rule, columns: Mapping[str, Any]) -> BulkDecisions:
    params = rule.params
    sizes = {np.size(v) for k, v in columns.items() if v is not None and k != "as_of"}
    if len(sizes) != 1:
        raise RuleError(f"rule {rule.key}: columns differ in length: {sorted(sizes)}")
    size = sizes.pop()
    slip = _bulk_slip(rule, columns, size)
    pace_gap = None
    if columns.get("annual_plan") is not None:
        plan = _column(rule, columns, "annual_plan")
        completed = _column(rule, columns, "completed_investment")
        if columns.get("as_of") is None:
            raise RuleError(f"rule {rule.key}: the investment pace needs as_of")
        as_of = _date_column(rule, columns["as_of"], "as_of")
        years = as_of.astype("datetime64[Y]").astype(np.int64) + 1970
        elapsed = _month_positions(as_of + np.timedelta64(1, "D")) - years * 12
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(plan > 0, completed / plan, np.nan)
        pace_gap = np.broadcast_to(share - elapsed / 12, (size,))
    if slip is None and pace_gap is None:
        raise RuleError(
            f"rule {rule.key}: give slip_months or planned_date, "
            "and/or annual_plan with completed_investment and as_of"
        )
    yellow, red = params["yellow"], params["red"]
    codes = np.zeros(size, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        if slip is not None:
            codes = np.maximum(codes, (slip >= yellow["slip_months"] - _TOLERANCE).astype(np.int8))
            codes = np.maximum(codes, 2 * (slip >= red["slip_months"] - _TOLERANCE))
        if pace_gap is not None:
            codes = np.maximum(codes, (pace_gap <= yellow["pace_gap"] + _TOLERANCE).astype(np.int8))
            codes = np.maximum(codes, 2 * (pace_gap <= red["pace_gap"] + _TOLERANCE))
    codes = codes.astype(np.int8)
    dispatch = np.asarray([params["dispatch"][colour] for colour in COLOURS], dtype=object)
    details: dict[str, np.ndarray] = {"dispatch": dispatch[codes]}
    if slip is not None:
        details["slip_months"] = slip
    if pace_gap is not None:
        details["pace_gap"] = pace_gap
    return BulkDecisions(codes=codes, labels=COLOURS, details=details)
