"""Validation rules as data, evaluated by one pure engine (DHIS2's validation rules).

No ORM here. Services turn ``ValidationRule`` rows into :class:`Rule` (``rule_from_row``), the
reported values into :class:`Value` (already converted to each indicator's unit), and the
previous period's values into a dict; :func:`evaluate` returns :class:`Finding` rows.

Rule kinds
- ``range``: min <= value <= max for one indicator (either bound optional);
- ``change``: |value / previous - 1| <= max_change_percent / 100 against the previous period of
  the same series (skipped when there is no previous value or it is zero);
- ``compare``: ``left operator right`` where each side is an expression over indicator codes and
  numbers with + - * / and parentheses. ``CODE`` stands for the sum of the indicator over its
  sectors in the region and period, ``CODE@SECTOR`` for one sector or chain node. A compare rule
  is skipped (DHIS2: "skip if any value is missing") when a code it names has no value.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

OPERATORS = {
    "<": lambda a, b: a < b - _eps(a, b),
    "<=": lambda a, b: a <= b + _eps(a, b),
    "==": lambda a, b: abs(a - b) <= _eps(a, b),
    ">=": lambda a, b: a >= b - _eps(a, b),
    ">": lambda a, b: a > b + _eps(a, b),
    "!=": lambda a, b: abs(a - b) > _eps(a, b),
}
OPERATOR_TEXT = {"<": "<", "<=": "≤", "==": "=", ">=": "≥", ">": ">", "!=": "≠"}
KINDS = ("range", "change", "compare")
IMPORTANCES = ("warning", "error")


def _eps(a: float, b: float) -> float:
    """Tolerance for float comparisons of converted values (1e-9 relative)."""
    return 1e-9 * max(1.0, abs(a), abs(b))


class RuleError(ValueError):
    """A rule definition that cannot be evaluated (bad expression, missing bound …)."""


# --- expressions ---------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<code>[A-Za-z_][A-Za-z0-9_.]*(?:@[A-Za-z_][A-Za-z0-9_.]*)?)"
    r"|(?P<op>[-+*/()]))"
)


@dataclass(frozen=True)
class Expr:
    """A parsed expression: a tree of ('num', x) | ('ref', code, sector) | (op, left, right) | ('neg', e)."""

    tree: tuple
    text: str

    def refs(self) -> set[tuple[str, str | None]]:
        found: set[tuple[str, str | None]] = set()

        def walk(node):
            if node[0] == "ref":
                found.add((node[1], node[2]))
            elif node[0] == "neg":
                walk(node[1])
            elif node[0] != "num":
                walk(node[1])
                walk(node[2])

        walk(self.tree)
        return found


def parse_expression(text: str) -> Expr:
    tokens: list[tuple[str, str]] = []
    pos, source = 0, text.strip()
    if not source:
        raise RuleError("表达式为空 / empty expression")
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if not match or match.end() == pos:
            rest = source[pos:].strip()
            if not rest:
                break
            raise RuleError(f"表达式“{text}”在“{rest[:10]}”处无法解析 / cannot parse expression at {rest[:10]!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    index = 0

    def peek():
        return tokens[index] if index < len(tokens) else (None, None)

    def take():
        nonlocal index
        index += 1
        return tokens[index - 1]

    def primary():
        kind, value = peek()
        if kind == "number":
            take()
            return ("num", float(value))
        if kind == "code":
            take()
            code, _, sector = value.partition("@")
            return ("ref", code, sector or None)
        if value == "(":
            take()
            node = additive()
            if peek()[1] != ")":
                raise RuleError(f"表达式“{text}”缺少右括号 / missing ')'")
            take()
            return node
        if value == "-":
            take()
            return ("neg", primary())
        raise RuleError(f"表达式“{text}”不完整 / incomplete expression")

    def multiplicative():
        node = primary()
        while peek()[1] in ("*", "/"):
            op = take()[1]
            node = (op, node, primary())
        return node

    def additive():
        node = multiplicative()
        while peek()[1] in ("+", "-"):
            op = take()[1]
            node = (op, node, multiplicative())
        return node

    tree = additive()
    if index != len(tokens):
        raise RuleError(f"表达式“{text}”有多余内容 / trailing input")
    return Expr(tree, text.strip())


class _Missing(Exception):
    def __init__(self, ref):
        self.ref = ref


def evaluate_expression(expr: Expr, lookup: Mapping[tuple[str, str | None], float]) -> float:
    """Evaluate with ``lookup[(code, sector)]`` (sector None = the indicator's sum); KeyError → missing."""

    def ev(node) -> float:
        head = node[0]
        if head == "num":
            return node[1]
        if head == "ref":
            key = (node[1], node[2])
            if key not in lookup:
                raise _Missing(key)
            return lookup[key]
        if head == "neg":
            return -ev(node[1])
        left, right = ev(node[1]), ev(node[2])
        if head == "+":
            return left + right
        if head == "-":
            return left - right
        if head == "*":
            return left * right
        if right == 0:
            raise ZeroDivisionError
        return left / right

    return ev(expr.tree)


# --- rules and values ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    kind: str
    importance: str
    indicator: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    max_change: float | None = None  # a fraction: 0.5 for ±50 %
    left: Expr | None = None
    operator: str | None = None
    right: Expr | None = None

    def codes(self) -> set[str]:
        if self.kind == "compare":
            return {code for code, _ in (self.left.refs() | self.right.refs())}
        return {self.indicator} if self.indicator else set()


def _float(value) -> float | None:
    if value is None or value == "":
        return None
    return float(value) if not isinstance(value, Decimal) else float(value)


def rule_from_row(row: Mapping) -> Rule:
    """Build a checked :class:`Rule` from a mapping (a model's ``as_row()``)."""
    kind, importance = row.get("kind"), row.get("importance") or "error"
    code = row.get("code") or "?"
    if kind not in KINDS:
        raise RuleError(f"规则 {code}：未知类型“{kind}” / unknown rule kind")
    if importance not in IMPORTANCES:
        raise RuleError(f"规则 {code}：重要性应为 warning 或 error / importance must be warning or error")
    base = {"code": code, "name": row.get("name") or code, "kind": kind, "importance": importance}
    if kind == "range":
        low, high = _float(row.get("min_value")), _float(row.get("max_value"))
        if not row.get("indicator"):
            raise RuleError(f"规则 {code}：取值范围规则需要指标 / a range rule needs an indicator")
        if low is None and high is None:
            raise RuleError(f"规则 {code}：至少填写上限或下限之一 / give a minimum or a maximum")
        if low is not None and high is not None and low > high:
            raise RuleError(f"规则 {code}：下限大于上限 / minimum above maximum")
        return Rule(**base, indicator=row["indicator"], min_value=low, max_value=high)
    if kind == "change":
        limit = _float(row.get("max_change_percent"))
        if not row.get("indicator") or limit is None or limit < 0:
            raise RuleError(f"规则 {code}：变化规则需要指标和非负的最大变化幅度 / a change rule needs an indicator and a non-negative limit")
        return Rule(**base, indicator=row["indicator"], max_change=limit / 100)
    operator = row.get("operator")
    if operator not in OPERATORS:
        raise RuleError(f"规则 {code}：运算符应为 < <= == >= > != 之一 / operator must be one of < <= == >= > !=")
    return Rule(
        **base, left=parse_expression(row.get("left") or ""), operator=operator,
        right=parse_expression(row.get("right") or ""),
    )


@dataclass(frozen=True)
class Value:
    """A reported value in the indicator's own unit. ``row`` is the file row (None: stored data)."""

    indicator: str
    region: str
    period: str
    value: float
    sector: str | None = None
    row: int | None = None


@dataclass(frozen=True)
class Finding:
    rule: str
    importance: str
    region: str
    period: str
    message: str
    indicator: str | None = None
    sector: str | None = None
    rows: tuple[int, ...] = field(default_factory=tuple)

    @property
    def is_error(self) -> bool:
        return self.importance == "error"


def _fmt(number: float) -> str:
    return f"{number:.6g}"


def evaluate(
    rules: Iterable[Rule],
    values: Iterable[Value],
    previous: Mapping[tuple[str, str, str | None, str], float] | None = None,
) -> list[Finding]:
    """Check every rule against ``values``; ``previous[(indicator, region, sector, period)]`` is the
    value of the period before ``period`` (in the indicator's unit). Findings come back in rule, region, period order."""
    previous = previous or {}
    values = list(values)
    groups: dict[tuple[str, str], list[Value]] = defaultdict(list)
    for value in values:
        groups[(value.region, value.period)].append(value)
    findings: list[Finding] = []
    for rule in rules:
        for (region, period), members in sorted(groups.items()):
            if rule.kind == "compare":
                findings.extend(_compare(rule, region, period, members))
                continue
            for value in members:
                if value.indicator != rule.indicator:
                    continue
                finding = _single(rule, value, previous)
                if finding is not None:
                    findings.append(finding)
    return findings


def _single(rule: Rule, value: Value, previous) -> Finding | None:
    where = dict(
        rule=rule.code, importance=rule.importance, region=value.region, period=value.period,
        indicator=value.indicator, sector=value.sector, rows=(value.row,) if value.row else (),
    )
    if rule.kind == "range":
        if rule.min_value is not None and value.value < rule.min_value - _eps(value.value, rule.min_value):
            return Finding(**where, message=(
                f"{rule.name}：{_fmt(value.value)} 低于下限 {_fmt(rule.min_value)} / "
                f"{_fmt(value.value)} is below the minimum {_fmt(rule.min_value)}"
            ))
        if rule.max_value is not None and value.value > rule.max_value + _eps(value.value, rule.max_value):
            return Finding(**where, message=(
                f"{rule.name}：{_fmt(value.value)} 高于上限 {_fmt(rule.max_value)} / "
                f"{_fmt(value.value)} is above the maximum {_fmt(rule.max_value)}"
            ))
        return None
    before = previous.get((value.indicator, value.region, value.sector, value.period))
    if before is None or before == 0 or not math.isfinite(before):
        return None
    change = value.value / before - 1
    if abs(change) > rule.max_change + 1e-12:
        return Finding(**where, message=(
            f"{rule.name}：较上期 {_fmt(before)} 变化 {change:+.1%}，超过 ±{rule.max_change:.0%} / "
            f"changed {change:+.1%} against the previous period ({_fmt(before)}), beyond ±{rule.max_change:.0%}"
        ))
    return None


def _compare(rule: Rule, region: str, period: str, members: list[Value]) -> list[Finding]:
    lookup: dict[tuple[str, str | None], float] = {}
    rows: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for value in members:
        total = (value.indicator, None)
        lookup[total] = lookup.get(total, 0.0) + value.value
        if value.row:
            rows[total].append(value.row)
        if value.sector is not None:
            lookup[(value.indicator, value.sector)] = value.value
            if value.row:
                rows[(value.indicator, value.sector)].append(value.row)
    refs = rule.left.refs() | rule.right.refs()
    if not any(ref in lookup for ref in refs):
        return []
    try:
        left = evaluate_expression(rule.left, lookup)
        right = evaluate_expression(rule.right, lookup)
    except _Missing:
        return []
    except ZeroDivisionError:
        return []
    if OPERATORS[rule.operator](left, right):
        return []
    involved = sorted({row for ref in refs for row in rows.get(ref, [])})
    op = OPERATOR_TEXT[rule.operator]
    return [Finding(
        rule=rule.code, importance=rule.importance, region=region, period=period, rows=tuple(involved),
        message=(
            f"{rule.name}：{rule.left.text} = {_fmt(left)}，{rule.right.text} = {_fmt(right)}，"
            f"不满足 {op} / {rule.left.text} = {_fmt(left)} is not {op} {rule.right.text} = {_fmt(right)}"
        ),
    )]
