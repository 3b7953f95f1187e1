"""`chainwatch load-pack`: read the knowledge pack, validate all of it, then write it in one
transaction.

Parse → validate (every problem collected, each naming file, line and field) → write. When any
problem is found nothing is written. Every row has a natural key, and a row is only written when
it differs from what is stored, so loading the same pack twice changes nothing.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import models, transaction

from chainwatch.chains.models import (
    ChainEdge,
    ChainNode,
    ChainTemplate,
    ChemistryMix,
    Sector,
)
from chainwatch.core import audit
from chainwatch.core.codes import region_code_problem
from chainwatch.core.models import AuditEntry, Origin
from chainwatch.core.periods import PeriodError, parse_period
from chainwatch.core.units import UnitError, compatible, parse_unit
from chainwatch.geo.models import Department, Region
from chainwatch.knowledge.yamlfile import PackError, line_of, read_yaml, strip_lines
from chainwatch.policy.models import Clause, Fact, PolicyDocument, Task
from chainwatch.policy.segment import clause_at, segment
from chainwatch.policy.spans import CompactText
from chainwatch.projects import rules as rules_engine
from chainwatch.projects.models import Rule
from chainwatch.targets.models import Comparator, Indicator, Observation, Target

KNOWLEDGE_DIR = Path(__file__).resolve().parent
COMPARATORS = {c.value for c in Comparator}
INDICATOR_FIELDS = ("code", "name_zh", "name_en", "unit", "kind", "aggregation", "direction", "cycle", "definition")
DEPARTMENT_KINDS = [
    ("人民政府", "government"), ("行政公署", "government"), ("行署", "government"),
    ("工业和信息化", "industry"), ("工信", "industry"), ("发展改革", "development"),
    ("发改", "development"), ("能源", "energy"), ("农牧", "agriculture"), ("农业", "agriculture"),
    ("文体旅游", "tourism"), ("文化和旅游", "tourism"), ("商务", "commerce"), ("科技", "science"),
    ("生态环境", "environment"), ("自然资源", "resources"), ("银行", "finance"), ("金融", "finance"),
    ("证监", "finance"),
]


@dataclass
class LoadSummary:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())

    def lines(self) -> list[str]:
        names = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        return [
            f"{name}: 新增 {self.created[name]}，更新 {self.updated[name]}，未变 {self.unchanged[name]}"
            for name in names
        ]


class Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: Path | str, item, where: str, message: str) -> None:
        name = path.name if isinstance(path, Path) else path
        self.items.append(f"{name}:{line_of(item)}: {where}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise PackError(self.items)


def _number(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _same(stored, wanted) -> bool:
    if isinstance(stored, Decimal) or isinstance(wanted, Decimal):
        if stored is None or wanted is None:
            return stored is wanted
        return Decimal(str(stored)) == Decimal(str(wanted))
    if isinstance(stored, float) or isinstance(wanted, float):
        if stored is None or wanted is None:
            return stored is wanted
        return abs(float(stored) - float(wanted)) < 1e-12
    return stored == wanted


class Writer:
    """Writes rows by natural key, only when they differ, auditing every change."""

    def __init__(self, actor, summary: LoadSummary, *, origin: str = Origin.KNOWLEDGE):
        self.actor = actor
        self.summary = summary
        self.origin = origin
        self.audit_entries: list[AuditEntry] = []

    def sync(self, model: type[models.Model], lookup: dict, values: dict, *, existing=None):
        label = model._meta.verbose_name_plural
        obj = existing if existing is not None else model.objects.filter(**lookup).first()
        values = {**values, "origin": self.origin}
        if obj is None:
            obj = model(**lookup, **values)
            obj.save()
            self.summary.created[str(label)] += 1
            self.audit_entries.append(
                audit.entry(self.actor, "import", obj, after=audit.snapshot(obj), note="load-pack")
            )
            return obj
        diff = {name: value for name, value in values.items() if not _same(getattr(obj, name), value)}
        if not diff:
            self.summary.unchanged[str(label)] += 1
            return obj
        before = audit.snapshot(obj)
        for name, value in diff.items():
            setattr(obj, name, value)
        obj.save()
        self.summary.updated[str(label)] += 1
        self.audit_entries.append(
            audit.entry(self.actor, "import", obj, before=before, after=audit.snapshot(obj), note="load-pack")
        )
        return obj

    def flush(self) -> None:
        audit.record_many(self.audit_entries)
        self.audit_entries = []


# --------------------------------------------------------------------------- regions


def load_regions(writer: Writer) -> dict[str, Region]:
    """The national gazetteer plus the zones and parks in regions_extra.yaml, level by level so
    that every parent has its primary key before its children are bulk-created."""
    from chainwatch.geo import gazetteer

    divisions = list(gazetteer.iter_divisions())
    divisions += gazetteer.load_extra(KNOWLEDGE_DIR / "regions_extra.yaml")
    source = f"{gazetteer.DATA_SOURCE}（{gazetteer.DATA_VINTAGE}）"
    parent_of = {d.code: d.parent_code for d in divisions}

    def depth(code: str) -> int:
        steps = 0
        while parent_of.get(code):
            code = parent_of[code]
            steps += 1
        return steps

    by_code = {r.code: r for r in Region.objects.filter(valid_to__isnull=True)}
    summary = writer.summary
    for level_depth in sorted({depth(d.code) for d in divisions}):
        pending: list[Region] = []
        for division in (d for d in divisions if depth(d.code) == level_depth):
            parent = by_code.get(division.parent_code) if division.parent_code else None
            wanted = {
                "name_zh": division.name_zh,
                "name_en": division.name_en,
                "level": division.level,
                "parent_id": parent.pk if parent else None,
                "source": source,
            }
            region = by_code.get(division.code)
            if region is None:
                region = Region(code=division.code, origin=Origin.KNOWLEDGE, **wanted)
                region.parent = parent
                region.compute_path()
                pending.append(region)
                summary.created["地区"] += 1
            elif any(getattr(region, k) != v for k, v in wanted.items()):
                for key, value in wanted.items():
                    setattr(region, key, value)
                region.save()
                summary.updated["地区"] += 1
            else:
                summary.unchanged["地区"] += 1
            by_code[division.code] = region
        Region.objects.bulk_create(pending, batch_size=500)
        if any(r.pk is None for r in pending):  # a backend without RETURNING
            ids = dict(Region.objects.filter(code__in=[r.code for r in pending], valid_to__isnull=True).values_list("code", "pk"))
            for region in pending:
                region.pk = ids[region.code]
    return by_code


# --------------------------------------------------------------------------- the pack


@dataclass
class PackFiles:
    documents: list[dict]
    indicators: list[tuple[Path, dict]]
    chains: list[tuple[Path, dict]]
    packs: list[tuple[Path, dict]]
    rules: list[tuple[Path, dict]]


def read_pack(directory: Path = KNOWLEDGE_DIR) -> PackFiles:
    problems = Problems()

    def as_list(path: Path, data, what: str) -> list:
        if data is None:
            return []
        if not isinstance(data, list):
            problems.add(path, data, what, "应为列表 / must be a list")
            return []
        return data

    documents = as_list(directory / "documents.yaml", read_yaml(directory / "documents.yaml"), "documents")
    indicators = [
        (directory / "indicators.yaml", item)
        for item in as_list(directory / "indicators.yaml", read_yaml(directory / "indicators.yaml"), "indicators")
    ]
    chains = [(path, read_yaml(path)) for path in sorted((directory / "chains").glob("*.yaml"))]
    packs = [(path, read_yaml(path)) for path in sorted((directory / "pack").glob("*.yaml"))]
    rules_path = directory / "rules.yaml"
    rules: list[tuple[Path, dict]] = []
    if rules_path.exists():
        data = read_yaml(rules_path)
        entries = data.get("rules", []) if isinstance(data, dict) else data
        rules = [(rules_path, item) for item in as_list(rules_path, entries, "rules")]
    for path, data in chains + packs:
        if not isinstance(data, dict):
            problems.add(path, data, "(file)", "应为映射 / must be a mapping")
    problems.raise_if_any()
    for path, data in packs:
        for item in data.get("indicators") or []:
            indicators.append((path, item))
        for item in data.get("rules") or []:
            rules.append((path, {**item, "__document__": data.get("document")}))
    return PackFiles(documents, indicators, chains, packs, rules)


def _require(problems: Problems, path: Path, item: dict, names: tuple[str, ...], where: str) -> bool:
    if not isinstance(item, dict):
        problems.add(path, item, where, "应为映射 / must be a mapping")
        return False
    ok = True
    for name in names:
        if item.get(name) in (None, ""):
            problems.add(path, item, f"{where}.{name}", "必填 / required")
            ok = False
    return ok


def _check_unit(problems: Problems, path: Path, item: dict, where: str, unit: str) -> bool:
    try:
        parse_unit(unit)
    except UnitError as exc:
        problems.add(path, item, where, str(exc))
        return False
    return True


class PackLoader:
    def __init__(self, files: PackFiles, known_regions: set[str], *, seeds_dir: Path):
        self.files = files
        self.known_regions = known_regions
        self.seeds_dir = seeds_dir
        self.problems = Problems()
        self.texts: dict[str, str] = {}
        self.compact: dict[str, CompactText] = {}
        self.indicators: dict[str, dict] = {}
        self.nodes: dict[str, dict] = {}
        self.sectors: dict[str, dict] = {}
        self.target_keys: set[str] = set()

    # ---- validation -------------------------------------------------------------------

    def validate(self) -> None:
        self._validate_documents()
        self._validate_indicators()
        self._validate_chains()
        seen_keys: Counter = Counter()
        for path, data in self.files.packs:
            document = data.get("document")
            if document not in self.texts:
                self.problems.add(path, data, "document", f"未知文件代码“{document}” / unknown document")
                continue
            for section in ("targets", "observations", "tasks", "facts"):
                for item in data.get(section) or []:
                    if isinstance(item, dict) and item.get("key"):
                        seen_keys[item["key"]] += 1
            self._validate_sectors(path, data)
        for key, count in seen_keys.items():
            if count > 1:
                self.problems.items.append(f"pack: key “{key}” 重复{count}次 / duplicated key")
        for path, data in self.files.packs:
            document = data.get("document")
            if document not in self.texts:
                continue
            for index, item in enumerate(data.get("targets") or []):
                self._validate_target(path, document, item, f"targets[{index}]")
            for index, item in enumerate(data.get("targets") or []):
                restates = item.get("restates") if isinstance(item, dict) else None
                if restates and restates not in self.target_keys:
                    self.problems.add(path, item, f"targets[{index}].restates", f"未知目标“{restates}”")
            for index, item in enumerate(data.get("observations") or []):
                self._validate_observation(path, document, item, f"observations[{index}]")
            for index, item in enumerate(data.get("tasks") or []):
                if _require(self.problems, path, item, ("key", "title"), f"tasks[{index}]"):
                    self._validate_span(path, document, item, f"tasks[{index}]", required=False)
            for index, item in enumerate(data.get("facts") or []):
                if _require(self.problems, path, item, ("key", "span"), f"facts[{index}]"):
                    self._validate_span(path, document, item, f"facts[{index}]")
                    if item.get("unit"):
                        _check_unit(self.problems, path, item, f"facts[{index}].unit", item["unit"])
        self._validate_rules()
        self.problems.raise_if_any()

    def _validate_documents(self) -> None:
        path = Path("documents.yaml")
        for index, item in enumerate(self.files.documents):
            where = f"documents[{index}]"
            if not _require(self.problems, path, item, ("code", "file", "title_zh", "region"), where):
                continue
            if str(item["region"]) not in self.known_regions:
                self.problems.add(path, item, f"{where}.region", f"地区代码“{item['region']}”不存在")
            seed = self.seeds_dir / item["file"]
            if not seed.exists():
                self.problems.add(path, item, f"{where}.file", f"文件不存在：{seed.name}")
                continue
            text = seed.read_text(encoding="utf-8")
            self.texts[item["code"]] = text
            self.compact[item["code"]] = CompactText.of(text)

    def _validate_indicators(self) -> None:
        for path, item in self.files.indicators:
            where = f"indicators[{item.get('code', '?') if isinstance(item, dict) else '?'}]"
            if not _require(self.problems, path, item, ("code", "name_zh", "kind", "aggregation", "direction"), where):
                continue
            definition = {name: item.get(name) or "" for name in INDICATOR_FIELDS}
            if definition["unit"]:
                _check_unit(self.problems, path, item, f"{where}.unit", definition["unit"])
            for name, allowed in (
                ("kind", Indicator.Kind.values), ("aggregation", Indicator.Aggregation.values),
                ("direction", Indicator.Direction.values), ("cycle", Indicator.Cycle.values),
            ):
                value = definition[name] or ("annual" if name == "cycle" else "")
                definition[name] = value
                if value not in allowed:
                    self.problems.add(path, item, f"{where}.{name}", f"“{value}”不是 {allowed} 之一")
            previous = self.indicators.get(item["code"])
            if previous and {k: v for k, v in previous.items() if k != "_path"} != definition:
                self.problems.add(
                    path, item, where,
                    f"指标“{item['code']}”在 {previous['_path'].name} 中有不同定义 / conflicting definition",
                )
            self.indicators[item["code"]] = {**definition, "_path": path}

    def _validate_chains(self) -> None:
        for path, data in self.files.chains:
            template = data.get("template") or {}
            if not _require(self.problems, path, template, ("code", "name_zh"), "template"):
                continue
            for index, node in enumerate(data.get("nodes") or []):
                where = f"nodes[{index}]"
                if _require(self.problems, path, node, ("code", "name_zh", "stage", "unit"), where):
                    _check_unit(self.problems, path, node, f"{where}.unit", node["unit"])
                    if node["stage"] not in ChainNode.Stage.values:
                        self.problems.add(path, node, f"{where}.stage", f"“{node['stage']}”不是 {ChainNode.Stage.values} 之一")
                    self.nodes[node["code"]] = {**node, "_template": template["code"]}
            for index, edge in enumerate(data.get("edges") or []):
                where = f"edges[{index}]"
                if not _require(self.problems, path, edge, ("from", "to"), where):
                    continue
                for end in ("from", "to"):
                    if edge[end] not in self.nodes:
                        self.problems.add(path, edge, f"{where}.{end}", f"未知环节“{edge[end]}”")
                if edge.get("unit"):
                    _check_unit(self.problems, path, edge, f"{where}.unit", edge["unit"])
            self._check_cycles(path, data)

    def _check_cycles(self, path: Path, data: dict) -> None:
        graph: dict[str, list[str]] = {}
        for edge in data.get("edges") or []:
            if isinstance(edge, dict) and edge.get("from") and edge.get("to"):
                graph.setdefault(edge["from"], []).append(edge["to"])
        state: dict[str, int] = {}

        def visit(node: str, trail: list[str]) -> list[str] | None:
            state[node] = 1
            for nxt in graph.get(node, []):
                if state.get(nxt) == 1:
                    return trail + [node, nxt]
                if state.get(nxt) is None:
                    found = visit(nxt, trail + [node])
                    if found:
                        return found
            state[node] = 2
            return None

        for start in list(graph):
            if state.get(start) is None:
                cycle = visit(start, [])
                if cycle:
                    self.problems.add(path, data, "edges", "产业链存在环 / cycle: " + " → ".join(cycle))
                    return

    def _validate_sectors(self, path: Path, data: dict) -> None:
        for index, item in enumerate(data.get("sectors") or []):
            where = f"sectors[{index}]"
            if not _require(self.problems, path, item, ("code", "kind", "name_zh", "region"), where):
                continue
            if item["kind"] not in Sector.Kind.values:
                self.problems.add(path, item, f"{where}.kind", f"“{item['kind']}”应为 cluster 或 industry")
            if str(item["region"]) not in self.known_regions:
                self.problems.add(path, item, f"{where}.region", f"地区代码“{item['region']}”不存在")
            if item["code"] in self.sectors:
                self.problems.add(path, item, f"{where}.code", f"集群/产业代码“{item['code']}”重复")
            self.sectors[item["code"]] = {**item, "_document": data.get("document")}
        for index, item in enumerate(data.get("sectors") or []):
            parent = item.get("parent") if isinstance(item, dict) else None
            if parent and parent not in self.sectors:
                self.problems.add(path, item, f"sectors[{index}].parent", f"未知集群“{parent}”")

    def _validate_span(self, path: Path, document: str, item: dict, where: str, *, required=True) -> None:
        span = item.get("span")
        if not span:
            if required:
                self.problems.add(path, item, f"{where}.span", "必填 / required")
            return
        if self.compact[document].locate(str(span)) is None:
            self.problems.add(path, item, f"{where}.span", f"原文中找不到“{span}” / span not found in the seed")

    def _validate_series(self, path: Path, item: dict, where: str) -> None:
        indicator = self.indicators.get(item.get("indicator"))
        if indicator is None:
            self.problems.add(path, item, f"{where}.indicator", f"未知指标“{item.get('indicator')}”")
        region = str(item.get("region"))
        problem = region_code_problem(region)
        if problem:
            self.problems.add(path, item, f"{where}.region", problem)
        elif region not in self.known_regions:
            self.problems.add(path, item, f"{where}.region", f"地区代码“{region}”不存在 / unknown region")
        if item.get("sector") and item["sector"] not in self.sectors:
            self.problems.add(path, item, f"{where}.sector", f"未知集群/产业“{item['sector']}”")
        node = self.nodes.get(item.get("chain_node")) if item.get("chain_node") else None
        if item.get("chain_node") and node is None:
            self.problems.add(path, item, f"{where}.chain_node", f"未知产业链环节“{item['chain_node']}”")
        unit = item.get("unit") or ""
        if not _check_unit(self.problems, path, item, f"{where}.unit", unit):
            return
        expected = (indicator or {}).get("unit") or (node or {}).get("unit")
        # A count target's unit counts members; a change target's unit is the change (%).
        if expected and not item.get("count_of") and not item.get("change") and not compatible(unit, expected):
            self.problems.add(
                path, item, f"{where}.unit", f"单位“{unit}”与指标单位“{expected}”量纲不同 / incompatible unit"
            )

    def _validate_target(self, path: Path, document: str, item: dict, where: str) -> None:
        if not _require(self.problems, path, item, ("key", "indicator", "region", "unit", "span"), where):
            return
        self.target_keys.add(item["key"])
        self._validate_series(path, item, where)
        self._validate_span(path, document, item, where)
        value = _number(item.get("value"))
        if value is None:
            self.problems.add(path, item, f"{where}.value", f"“{item.get('value')}”不是数值 / not a number")
        if item.get("value_max") is not None:
            value_max = _number(item["value_max"])
            if value_max is None or (value is not None and value_max < value):
                self.problems.add(path, item, f"{where}.value_max", "应为不小于 value 的数值")
        year = item.get("year")
        if year is not None and not (isinstance(year, int) and 1949 <= year <= 2100):
            self.problems.add(path, item, f"{where}.year", f"“{year}”不是有效年份")
        if item.get("comparator", "=") not in COMPARATORS:
            self.problems.add(path, item, f"{where}.comparator", f"“{item.get('comparator')}”不是 {sorted(COMPARATORS)} 之一")
        change = item.get("change")
        if change is not None and (
            not isinstance(change, dict)
            or change.get("kind") not in ("decrease", "increase")
            or _number(change.get("percent")) is None
            or not isinstance(change.get("base_year"), int)
        ):
            self.problems.add(path, item, f"{where}.change", "应为 {kind: decrease|increase, base_year, percent}")
        count_of = item.get("count_of")
        if count_of is not None and (
            not isinstance(count_of, dict) or _number(count_of.get("threshold")) is None
        ):
            self.problems.add(path, item, f"{where}.count_of", "应为 {threshold, threshold_unit, count}")
        elif count_of and count_of.get("members") not in (None, "industries"):
            self.problems.add(path, item, f"{where}.count_of.members", "只能为 industries（缺省：集群）")
        elif count_of and count_of.get("threshold_unit"):
            _check_unit(self.problems, path, item, f"{where}.count_of.threshold_unit", count_of["threshold_unit"])

    def _validate_observation(self, path: Path, document: str, item: dict, where: str) -> None:
        if not _require(self.problems, path, item, ("key", "indicator", "region", "period", "unit", "span"), where):
            return
        self._validate_series(path, item, where)
        self._validate_span(path, document, item, where)
        if _number(item.get("value")) is None:
            self.problems.add(path, item, f"{where}.value", f"“{item.get('value')}”不是数值 / not a number")
        try:
            parse_period(str(item["period"]))
        except PeriodError as exc:
            self.problems.add(path, item, f"{where}.period", str(exc))

    def _validate_rules(self) -> None:
        parsed = []
        for path, item in self.files.rules:
            where = f"rules[{item.get('key', '?') if isinstance(item, dict) else '?'}]"
            if not _require(self.problems, path, item, ("key", "kind", "jurisdiction", "effective_from", "params"), where):
                continue
            if str(item["jurisdiction"]) not in self.known_regions:
                self.problems.add(path, item, f"{where}.jurisdiction", f"地区代码“{item['jurisdiction']}”不存在")
            document = item.get("__document__")
            if document and item.get("span"):
                self._validate_span(path, document, item, where)
            try:
                rule = rules_engine.rule_from_mapping(strip_lines({k: v for k, v in item.items() if k != "__document__"}), document)
            except (rules_engine.RuleError, ValueError, TypeError) as exc:
                self.problems.add(path, item, where, str(exc))
                continue
            for message in rules_engine.check_params(rule):
                self.problems.add(path, item, f"{where}.params", message)
            parsed.append(rule)
        for message in rules_engine.check_overlaps(parsed):
            self.problems.items.append(f"rules: {message}")

    # ---- writing ----------------------------------------------------------------------

    def write(self, writer: Writer, regions: dict[str, Region]) -> None:
        self.regions = regions
        self.departments: dict[tuple[int, str], Department] = {
            (d.region_id, d.name): d for d in Department.objects.all()
        }
        documents = self._write_documents(writer)
        indicators = {
            code: writer.sync(Indicator, {"code": code}, {k: v for k, v in spec.items() if k not in ("code", "_path")})
            for code, spec in self.indicators.items()
        }
        nodes = self._write_chains(writer)
        sectors = self._write_sectors(writer, documents)
        for _path, data in self.files.packs:
            document = documents[data["document"]]
            targets = {}
            for item in data.get("targets") or []:
                targets[item["key"]] = self._write_target(writer, document, item, indicators, sectors, nodes, targets)
            for item in data.get("targets") or []:  # restatements of a later target
                restated = item.get("restates")
                target = targets[item["key"]]
                if restated and target.restates_id is None:
                    wanted = targets.get(restated) or Target.objects.get(key=restated)
                    writer.sync(Target, {"key": item["key"]}, {"restates": wanted}, existing=target)
            for item in data.get("observations") or []:
                self._write_observation(writer, document, item, indicators, sectors, nodes)
            for item in data.get("tasks") or []:
                self._write_task(writer, document, item)
            for item in data.get("facts") or []:
                self._write_fact(writer, document, item)
        self._write_rules(writer, documents)

    def _span_fields(self, document: PolicyDocument, item: dict) -> dict:
        located = self.compact[document.code].locate(str(item["span"])) if item.get("span") else None
        if located is None:
            return {"span": item.get("span") or "", "span_start": None, "span_end": None, "clause": None}
        start, end = located
        clause = clause_at(self.clauses[document.code], start)
        return {
            "span": item["span"],
            "span_start": start,
            "span_end": end,
            "clause": self.clause_rows[document.code].get(clause.path) if clause else None,
        }

    def _write_documents(self, writer: Writer) -> dict[str, PolicyDocument]:
        documents: dict[str, PolicyDocument] = {}
        self.clauses: dict[str, list] = {}
        self.clause_rows: dict[str, dict[str, Clause]] = {}
        for item in self.files.documents:
            text = self.texts[item["code"]]
            issued = item.get("issued_on")
            document = writer.sync(
                PolicyDocument,
                {"code": item["code"]},
                {
                    "title_zh": item["title_zh"],
                    "title_en": item.get("title_en") or "",
                    "issuer": item.get("issuer") or "",
                    "doc_number": item.get("doc_number") or "",
                    "region": self.regions[str(item["region"])],
                    "issued_on": issued if isinstance(issued, date) else None,
                    "period_start": item.get("period_start"),
                    "period_end": item.get("period_end"),
                    "baseline_year": item.get("baseline_year"),
                    "text": text,
                    "source_file": item["file"],
                    "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                },
            )
            documents[item["code"]] = document
            clauses = segment(text)
            self.clauses[item["code"]] = clauses
            rows: dict[str, Clause] = {}
            existing = {c.path: c for c in Clause.objects.filter(document=document)}
            seen: Counter = Counter()
            for ordinal, clause in enumerate(clauses):
                seen[clause.path] += 1
                path = clause.path if seen[clause.path] == 1 else f"{clause.path}#{seen[clause.path]}"
                parent = rows.get(clause.parent_path) if clause.parent_path else None
                rows[clause.path] = writer.sync(
                    Clause,
                    {"document": document, "path": path},
                    {
                        "parent": parent,
                        "level": clause.level,
                        "ordinal": ordinal,
                        "heading": clause.heading[:200],
                        "start": clause.start,
                        "end": clause.end,
                    },
                    existing=existing.get(path),
                )
            self.clause_rows[item["code"]] = rows
        return documents

    def _write_chains(self, writer: Writer) -> dict[str, ChainNode]:
        nodes: dict[str, ChainNode] = {}
        for _path, data in self.files.chains:
            spec = data["template"]
            template = writer.sync(
                ChainTemplate,
                {"code": spec["code"]},
                {"name_zh": spec["name_zh"], "name_en": spec.get("name_en") or "", "source": spec.get("source") or ""},
            )
            for order, node in enumerate(data.get("nodes") or []):
                nodes[node["code"]] = writer.sync(
                    ChainNode,
                    {"code": node["code"]},
                    {
                        "template": template,
                        "name_zh": node["name_zh"],
                        "name_en": node.get("name_en") or "",
                        "stage": node["stage"],
                        "unit": node["unit"],
                        "qualifier": node.get("qualifier") or "",
                        "order": node.get("order", order),
                    },
                )
            for edge in data.get("edges") or []:
                writer.sync(
                    ChainEdge,
                    {"source": nodes[edge["from"]], "target": nodes[edge["to"]], "chemistry": edge.get("chemistry") or ""},
                    {
                        "template": template,
                        "kind": edge.get("kind") or "input",
                        "central": _float(edge.get("central")),
                        "low": _float(edge.get("low")),
                        "high": _float(edge.get("high")),
                        "unit": edge.get("unit") or "",
                        "confidence": edge.get("confidence") or "D",
                        "reference": edge.get("source") or "",
                    },
                )
            for mix in data.get("mixes") or []:
                writer.sync(
                    ChemistryMix,
                    {"template": template, "region": self.regions[str(mix["region"])], "scenario": mix.get("scenario", "base")},
                    {"shares": strip_lines(mix["shares"]), "reference": mix.get("source") or ""},
                )
        return nodes

    def _department(self, writer: Writer, region: Region, name: str | None) -> Department | None:
        if not name:
            return None
        name = name.strip()
        key = (region.pk, name)
        if key not in self.departments:
            kind = next((k for word, k in DEPARTMENT_KINDS if word in name), "other")
            self.departments[key] = writer.sync(Department, {"region": region, "name": name}, {"kind": kind})
        return self.departments[key]

    def _write_sectors(self, writer: Writer, documents) -> dict[str, Sector]:
        sectors: dict[str, Sector] = {}
        ordered = sorted(self.sectors.values(), key=lambda s: s["kind"] != "cluster")
        for item in ordered:
            region = self.regions[str(item["region"])]
            sectors[item["code"]] = writer.sync(
                Sector,
                {"code": item["code"]},
                {
                    "kind": item["kind"],
                    "name_zh": item["name_zh"],
                    "name_en": item.get("name_en") or "",
                    "parent": sectors.get(item.get("parent")) if item.get("parent") else None,
                    "region": region,
                    "document": documents.get(item.get("_document")),
                    "lead_department": self._department(writer, region, item.get("lead_department")),
                },
            )
        return sectors

    def _series_fields(self, item: dict, indicators, sectors, nodes) -> dict:
        return {
            "indicator": indicators[item["indicator"]],
            "indicator_text": item.get("indicator_text") or "",
            "region": self.regions[str(item["region"])],
            "sector": sectors.get(item.get("sector")) if item.get("sector") else None,
            "chain_node": nodes.get(item.get("chain_node")) if item.get("chain_node") else None,
            "unit": item["unit"],
            "qualifier": item.get("qualifier") or "",
        }

    def _write_target(self, writer, document, item, indicators, sectors, nodes, written) -> Target:
        change = item.get("change") or {}
        count_of = item.get("count_of") or {}
        region = self.regions[str(item["region"])]
        values = {
            **self._series_fields(item, indicators, sectors, nodes),
            **self._span_fields(document, item),
            "subject": item.get("subject") or "",
            "year": item.get("year"),
            "value": _number(item["value"]),
            "value_max": _number(item.get("value_max")),
            "comparator": item.get("comparator") or "=",
            "change_kind": change.get("kind", ""),
            "change_base_year": change.get("base_year"),
            "change_percent": _number(change.get("percent")),
            "count_threshold": _number(count_of.get("threshold")),
            "count_threshold_unit": count_of.get("threshold_unit") or "",
            "count_members": count_of.get("members") or "",
            "document": document,
            "owner": self._department(writer, region, item.get("owner")),
            "owner_text": item.get("owner") or "",
            "note": item.get("note") or "",
        }
        if item.get("restates") in written:
            values["restates"] = written[item["restates"]]
        return writer.sync(Target, {"key": item["key"]}, values)

    def _write_observation(self, writer, document, item, indicators, sectors, nodes) -> None:
        period = parse_period(str(item["period"]))
        values = {
            **self._series_fields(item, indicators, sectors, nodes),
            **self._span_fields(document, item),
            "period": period.label,
            "period_type": period.kind,
            "period_start": period.start,
            "period_end": period.end,
            "value": _number(item["value"]),
            "status": Observation.Status.APPROVED,
            "reporter_text": document.issuer,
            "source": f"{document.title_zh} {item.get('note') or ''}".strip()[:300],
            "document": document,
        }
        writer.sync(Observation, {"key": item["key"]}, values)

    def _write_task(self, writer, document, item) -> None:
        span = self._span_fields(document, item) if item.get("span") else {"span": "", "clause": None}
        task = writer.sync(
            Task,
            {"key": item["key"]},
            {
                "document": document,
                "title": item["title"][:300],
                "span": span["span"] or "",
                "clause": span["clause"],
                "lead_text": "、".join(item.get("lead") or [])[:500],
                "due_date": date(item["due_year"], 12, 31) if item.get("due_year") else None,
            },
        )
        for relation, names in (("lead_departments", item.get("lead")), ("cooperating_departments", item.get("cooperating"))):
            wanted = [self._department(writer, document.region, name) for name in names or []]
            manager = getattr(task, relation)
            if {d.pk for d in manager.all()} != {d.pk for d in wanted}:
                manager.set(wanted)

    def _write_fact(self, writer, document, item) -> None:
        span = self._span_fields(document, item)
        writer.sync(
            Fact,
            {"key": item["key"]},
            {
                "document": document,
                "clause": span["clause"],
                "value": _number(item.get("value")),
                "unit": item.get("unit") or "",
                "year": item.get("year"),
                "span": span["span"],
                "span_start": span["span_start"],
                "span_end": span["span_end"],
                "note": (item.get("note") or "")[:300],
            },
        )

    def _write_rules(self, writer, documents) -> None:
        for _path, item in self.files.rules:
            document = documents.get(item.get("__document__")) if item.get("__document__") else None
            span = self._span_fields(document, item) if document and item.get("span") else {"span": item.get("span") or "", "clause": None}
            writer.sync(
                Rule,
                {"key": item["key"]},
                {
                    "kind": item["kind"],
                    "jurisdiction": self.regions[str(item["jurisdiction"])],
                    "effective_from": item["effective_from"],
                    "effective_to": item.get("effective_to"),
                    "params": strip_lines(item["params"]),
                    "document": document,
                    "clause": span["clause"],
                    "span": span["span"] or "",
                    "note": item.get("note") or "",
                },
            )


def _float(value) -> float | None:
    number = _number(value)
    return float(number) if number is not None else None


def load_pack(*, actor=None, directory: Path = KNOWLEDGE_DIR, with_regions: bool = True) -> LoadSummary:
    """Load the knowledge pack. Raises PackError (nothing written) when any file is malformed."""
    files = read_pack(directory)
    known_regions = set(Region.objects.filter(valid_to__isnull=True).values_list("code", flat=True))
    if with_regions:
        from chainwatch.geo import gazetteer

        known_regions |= {d.code for d in gazetteer.iter_divisions()}
        known_regions |= {d.code for d in gazetteer.load_extra(directory / "regions_extra.yaml")}
    loader = PackLoader(files, known_regions, seeds_dir=directory / "seeds")
    loader.validate()
    summary = LoadSummary()
    with transaction.atomic():
        writer = Writer(actor, summary)
        if with_regions:
            regions = load_regions(writer)
        else:
            regions = {r.code: r for r in Region.objects.filter(valid_to__isnull=True)}
        loader.write(writer, regions)
        writer.flush()
    return summary
