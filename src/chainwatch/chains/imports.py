"""Enterprise registry import (XLSX or CSV): parse → validate → match → commit.

Layout: **one enterprise per row**; its capacities sit in numbered column groups on the same row,
so a file never needs the same enterprise twice (a second row for it is an error, not a merge).

=================  ======================  ==================================================
column             English alias           content
=================  ======================  ==================================================
统一社会信用代码      uscc                    18 characters, check character verified (optional)
企业名称            name                    required
地区代码            region                  GB/T 2260 code or zone code, required
产业链环节          nodes                   chain node codes, comma-separated (, ， 、 ;)
链主 / 龙头 / 上市    chain_leader / leading / listed   是/否, Y/N, 1/0, true/false; empty = unchanged
专精特新            specialised             national|provincial|国家级|省级|小巨人|否; empty = unchanged
来源               source                  where the row comes from
产能环节N           capacity_nodeN          capacity group N (N empty or 1, 2, 3 …):
产能N              capacityN               amount (number ≥ 0)
产能单位N           capacity_unitN          e.g. 万吨/年, GWh/年 — must fit the node's unit
产能状态N           capacity_statusN        已建成|在建|规划 (built|construction|planned)
投产年份N / 退出年份N  start_yearN / end_yearN
产能来源N           capacity_sourceN
=================  ======================  ==================================================

Validation reports every problem with its row number (as the spreadsheet shows it, header = row
1), column and reason; any problem means nothing is written. Duplicates within the file (same
credit code, or same normalised name in the same region) are problems naming both rows.

Matching, per row: (1) the credit code equals an enterprise's or an alias's (a merged-away code)
→ that enterprise; (2) the normalised name (:func:`chainwatch.core.codes.normalize_enterprise_name`)
equals an enterprise's or an alias's in the same region → that enterprise, unless both carry
different credit codes (→ review); (3) a name in the same region with difflib ratio ≥ 0.8 →
that enterprise (when the codes do not conflict, else review); (4) the same normalised name in
another region, or a ratio in [0.5, 0.8) → an :class:`EnterpriseMatchReview` (not merged, not
created); (5) otherwise a new enterprise. A row already queued (same name, region, code and
candidate, open or rejected) is not queued again.

Commit (one transaction, audited): a matched enterprise takes the row's name (the old name is
kept as an alias), region, credit code when it had none, the flags the row states, and gains the
row's chain nodes (never loses any); a capacity is matched on (enterprise, node, status,
start year) and updated or created — capacities absent from the file are left alone. Re-importing
the same file changes nothing (idempotent).
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO

from django.db import transaction
from django.db.models import Q

from chainwatch.chains.models import (
    Capacity,
    ChainNode,
    Enterprise,
    EnterpriseAlias,
    EnterpriseImport,
    EnterpriseMatchReview,
)
from chainwatch.core import audit
from chainwatch.core.codes import normalize_enterprise_name, uscc_problem
from chainwatch.core.units import UnitError, conversion_factor
from chainwatch.geo.models import Region

AUTO_MATCH = 0.8
REVIEW_FROM = 0.5

COLUMNS = {
    "uscc": ("统一社会信用代码", "uscc", "credit_code"),
    "name": ("企业名称", "name", "名称"),
    "region": ("地区代码", "region", "region_code"),
    "nodes": ("产业链环节", "nodes", "chain_nodes"),
    "is_chain_leader": ("链主", "chain_leader", "链主企业"),
    "is_leading": ("龙头", "leading", "龙头企业"),
    "specialised": ("专精特新", "specialised", "specialized"),
    "is_listed": ("上市", "listed", "上市企业"),
    "source": ("来源", "source"),
}
CAPACITY_COLUMNS = {
    "node": ("产能环节", "capacity_node"),
    "amount": ("产能", "capacity"),
    "unit": ("产能单位", "capacity_unit"),
    "status": ("产能状态", "capacity_status"),
    "start_year": ("投产年份", "start_year"),
    "end_year": ("退出年份", "end_year"),
    "source": ("产能来源", "capacity_source"),
}
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "t"}
_FALSE = {"否", "n", "no", "false", "0", "×", "f"}
_SPECIALISED = {
    "national": "national", "国家级": "national", "小巨人": "national", "国家级专精特新": "national",
    "国家级专精特新“小巨人”": "national",
    "provincial": "provincial", "省级": "provincial", "省级专精特新": "provincial",
    "否": "", "无": "", "no": "", "none": "",
}
_STATUS = {
    "built": "built", "已建成": "built", "建成": "built", "已投产": "built", "投产": "built",
    "construction": "construction", "在建": "construction",
    "planned": "planned", "规划": "planned", "前期": "planned", "拟建": "planned", "规划/前期": "planned",
}
_SPLIT = re.compile(r"[,，、;；\s]+")


class EnterpriseImportError(ValueError):
    """The file cannot be imported; ``problems`` lists every (row, column, reason)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [str(p) for p in problems[:50]]
        if len(problems) > 50:
            lines.append(f"……另有{len(problems) - 50}处问题 / {len(problems) - 50} more")
        super().__init__(f"导入失败，未写入任何数据（{len(problems)}处问题） / import refused, nothing written:\n" + "\n".join(lines))


@dataclass(frozen=True)
class Problem:
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row else "文件"
        column = f"“{self.column}”列" if self.column else ""
        return f"{where}{column}：{self.message}"


@dataclass
class RowResult:
    row: int
    action: str  # create | update | unchanged | review | queued
    name: str
    enterprise_id: int | None = None
    note: str = ""


@dataclass
class ImportResult:
    file_name: str
    sha256: str
    dry_run: bool
    rows: list[RowResult] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    batch_id: int | None = None

    def summary(self) -> dict:
        return {"file": self.file_name, "sha256": self.sha256, "dry_run": self.dry_run,
                "counts": dict(self.counts), "batch": self.batch_id}


# --------------------------------------------------------------------------------------------
# Parse


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, file_name: str) -> list[tuple[int, list[str]]]:
    """Rows of the first sheet (XLSX) or the CSV as (row number, cells), empty rows dropped."""
    suffix = Path(file_name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a damaged file
            raise EnterpriseImportError([Problem(None, "", f"无法读取XLSX文件：{exc} / unreadable XLSX")]) from exc
        sheet = book.worksheets[0]
        rows = [(i, [_cell(v) for v in values]) for i, values in enumerate(sheet.iter_rows(values_only=True), 1)]
        book.close()
    elif suffix in (".csv", ".txt", ""):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes any byte string
            raise EnterpriseImportError([Problem(None, "", "无法识别文件编码 / unknown encoding")])
        rows = [(i, [c.strip() for c in values]) for i, values in enumerate(csv.reader(io.StringIO(text)), 1)]
    else:
        raise EnterpriseImportError([Problem(None, "", f"不支持的文件类型“{suffix}”，请使用XLSX或CSV / use XLSX or CSV")])
    return [(i, cells) for i, cells in rows if any(cells)]


def _header_map(header: list[str]) -> tuple[dict[str, int], dict[int, dict[str, int]], list[Problem]]:
    lookup = {alias.lower(): key for key, aliases in COLUMNS.items() for alias in aliases}
    cap_lookup = {alias.lower(): key for key, aliases in CAPACITY_COLUMNS.items() for alias in aliases}
    columns: dict[str, int] = {}
    groups: dict[int, dict[str, int]] = defaultdict(dict)
    problems = []
    for index, raw in enumerate(header):
        title = raw.strip()
        if not title:
            continue
        key = lookup.get(title.lower())
        if key is not None:
            if key in columns:
                problems.append(Problem(1, title, "列名重复 / duplicate column"))
            columns[key] = index
            continue
        match = re.fullmatch(r"(.+?)(\d*)", title)
        base, number = match.group(1), match.group(2)
        cap_key = cap_lookup.get(base.lower())
        if cap_key is None:
            problems.append(Problem(1, title, "无法识别的列名 / unknown column"))
            continue
        group = int(number) if number else 1
        if cap_key in groups[group]:
            problems.append(Problem(1, title, "列名重复 / duplicate column"))
        groups[group][cap_key] = index
    for key in ("name", "region"):
        if key not in columns:
            problems.append(Problem(1, COLUMNS[key][0], "缺少必填列 / required column missing"))
    return columns, dict(groups), problems


def _flag(value: str, row: int, column: str, problems: list[Problem]) -> bool | None:
    if not value:
        return None
    folded = value.strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    problems.append(Problem(row, column, f"“{value}”应为 是/否 / expected yes or no"))
    return None


def _year(value: str, row: int, column: str, problems: list[Problem]) -> int | None:
    if not value:
        return None
    try:
        year = int(Decimal(value))
    except (InvalidOperation, ValueError):
        problems.append(Problem(row, column, f"年份“{value}”不是整数 / not a year"))
        return None
    if not 1900 <= year <= 2100:
        problems.append(Problem(row, column, f"年份{year}超出1900–2100 / year out of range"))
        return None
    return year


@dataclass
class _Context:
    regions: dict[str, Region]
    nodes: dict[str, ChainNode]


def _parse_row(
    number: int, cells: list[str], columns: dict[str, int], groups: dict[int, dict[str, int]],
    header: list[str], context: _Context, problems: list[Problem],
) -> dict | None:
    def get(key: str) -> str:
        index = columns.get(key)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    start = len(problems)
    name = get("name")
    if not name:
        problems.append(Problem(number, COLUMNS["name"][0], "企业名称不能为空 / name is required"))
    region_code = get("region")
    if not region_code:
        problems.append(Problem(number, COLUMNS["region"][0], "地区代码不能为空 / region is required"))
    elif region_code not in context.regions:
        problems.append(Problem(number, COLUMNS["region"][0], f"地区代码“{region_code}”不存在 / unknown region"))
    uscc = get("uscc").upper().replace(" ", "")
    if uscc:
        problem = uscc_problem(uscc)
        if problem:
            problems.append(Problem(number, COLUMNS["uscc"][0], f"“{uscc}”：{problem}"))
    nodes = [code for code in _SPLIT.split(get("nodes")) if code]
    for code in nodes:
        if code not in context.nodes:
            problems.append(Problem(number, COLUMNS["nodes"][0], f"未知产业链环节“{code}” / unknown chain node"))
    flags: dict[str, Any] = {}
    for key in ("is_chain_leader", "is_leading", "is_listed"):
        flags[key] = _flag(get(key), number, COLUMNS[key][0], problems)
    specialised_text = get("specialised")
    specialised = None
    if specialised_text:
        specialised = _SPECIALISED.get(specialised_text.strip().lower(), _SPECIALISED.get(specialised_text.strip()))
        if specialised is None:
            problems.append(Problem(number, COLUMNS["specialised"][0],
                                    f"“{specialised_text}”应为 national|provincial|国家级|省级|否"))
    flags["specialised"] = specialised
    capacities = []
    for group, cols in sorted(groups.items()):
        def cap(key: str, cols=cols) -> str:
            index = cols.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        def col(key: str, cols=cols, group=group) -> str:
            index = cols.get(key)
            return header[index] if index is not None else CAPACITY_COLUMNS[key][0] + (str(group) if group > 1 else "")

        values = {key: cap(key) for key in CAPACITY_COLUMNS}
        if not any(values.values()):
            continue
        for key in ("node", "amount", "unit", "status"):
            if not values[key]:
                problems.append(Problem(number, col(key), "产能信息不完整：环节、产能、单位、状态均须填写 / capacity needs node, amount, unit and status"))
        node = context.nodes.get(values["node"]) if values["node"] else None
        if values["node"] and node is None:
            problems.append(Problem(number, col("node"), f"未知产业链环节“{values['node']}” / unknown chain node"))
        amount = None
        if values["amount"]:
            try:
                amount = Decimal(values["amount"].replace(",", ""))
                if not amount.is_finite() or amount < 0:
                    raise InvalidOperation
            except InvalidOperation:
                problems.append(Problem(number, col("amount"), f"产能“{values['amount']}”不是非负数 / not a non-negative number"))
                amount = None
        if values["unit"]:
            try:
                if node is not None:
                    conversion_factor(values["unit"], node.unit)
                else:
                    from chainwatch.core.units import parse_unit

                    parse_unit(values["unit"])
            except UnitError as exc:
                problems.append(Problem(number, col("unit"), str(exc)))
        status = _STATUS.get(values["status"].lower()) if values["status"] else None
        if values["status"] and status is None:
            problems.append(Problem(number, col("status"), f"状态“{values['status']}”应为 已建成|在建|规划"))
        start_year = _year(values["start_year"], number, col("start_year"), problems)
        end_year = _year(values["end_year"], number, col("end_year"), problems)
        if start_year and end_year and end_year <= start_year:
            problems.append(Problem(number, col("end_year"), "退出年份应晚于投产年份 / end year must follow start year"))
        capacities.append(
            {"node": values["node"], "amount": str(amount) if amount is not None else None, "unit": values["unit"],
             "status": status, "start_year": start_year, "end_year": end_year, "source": values["source"]}
        )
    if len(problems) > start:
        return None
    return {
        "row": number, "uscc": uscc, "name": name, "normalized_name": normalize_enterprise_name(name),
        "region": region_code, "nodes": nodes, "flags": flags, "source": get("source"), "capacities": capacities,
    }


def parse(data: bytes, file_name: str) -> list[dict]:
    """Parse and validate every row; raise :class:`EnterpriseImportError` listing all problems."""
    table = read_table(data, file_name)
    if not table:
        raise EnterpriseImportError([Problem(None, "", "文件为空 / empty file")])
    header_row, header = table[0]
    columns, groups, problems = _header_map(header)
    if problems:
        raise EnterpriseImportError(problems)
    context = _Context(
        regions={r.code: r for r in Region.objects.filter(valid_to__isnull=True).only("id", "code", "path", "name_zh")},
        nodes={n.code: n for n in ChainNode.objects.all()},
    )
    rows = []
    seen_codes: dict[str, int] = {}
    seen_names: dict[tuple[str, str], int] = {}
    for number, cells in table[1:]:
        row = _parse_row(number, cells, columns, groups, header, context, problems)
        if row is None:
            continue
        if row["uscc"]:
            if row["uscc"] in seen_codes:
                problems.append(Problem(number, COLUMNS["uscc"][0],
                                        f"与第{seen_codes[row['uscc']]}行统一社会信用代码重复 / duplicate of row {seen_codes[row['uscc']]}"))
                continue
            seen_codes[row["uscc"]] = number
        key = (row["normalized_name"], row["region"])
        if key in seen_names:
            problems.append(Problem(number, COLUMNS["name"][0],
                                    f"与第{seen_names[key]}行为同一地区同名企业 / same enterprise as row {seen_names[key]}"))
            continue
        seen_names[key] = number
        rows.append(row)
    if problems:
        raise EnterpriseImportError(problems)
    if not rows:
        raise EnterpriseImportError([Problem(None, "", "文件没有数据行 / no data rows")])
    return rows


# --------------------------------------------------------------------------------------------
# Match


@dataclass
class Decision:
    row: dict
    action: str  # update | create | review
    enterprise_id: int | None = None
    score: float = 1.0
    reason: str = ""


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def match(rows: list[dict], regions: dict[str, Region]) -> list[Decision]:
    """Decide for each row: update an existing enterprise, create one, or queue it for review."""
    codes = [r["uscc"] for r in rows if r["uscc"]]
    by_code = dict(Enterprise.objects.filter(uscc__in=codes).values_list("uscc", "id"))
    for uscc, enterprise_id in EnterpriseAlias.objects.filter(uscc__in=codes).exclude(uscc="").values_list("uscc", "enterprise_id"):
        by_code.setdefault(uscc, enterprise_id)
    names = {r["normalized_name"] for r in rows}
    region_ids = {regions[r["region"]].id for r in rows}
    known: dict[int, dict] = {}
    for item in Enterprise.objects.filter(Q(normalized_name__in=list(names)) | Q(region_id__in=list(region_ids))).values(
        "id", "normalized_name", "region_id", "uscc", "name"
    ):
        known[item["id"]] = item
    same_name: dict[str, list[dict]] = defaultdict(list)
    for item in known.values():
        same_name[item["normalized_name"]].append(item)
    for alias in EnterpriseAlias.objects.filter(normalized_name__in=names).values(
        "enterprise_id", "normalized_name", "enterprise__region_id", "enterprise__uscc", "enterprise__name"
    ):
        same_name[alias["normalized_name"]].append(
            {"id": alias["enterprise_id"], "normalized_name": alias["normalized_name"],
             "region_id": alias["enterprise__region_id"], "uscc": alias["enterprise__uscc"],
             "name": alias["enterprise__name"]}
        )
    by_region: dict[int, list[dict]] = defaultdict(list)
    for item in known.values():
        by_region[item["region_id"]].append(item)

    decisions = []
    for row in rows:
        region_id = regions[row["region"]].id
        code = row["uscc"]
        if code and code in by_code:
            decisions.append(Decision(row, "update", by_code[code], 1.0, "统一社会信用代码一致"))
            continue
        exact = [e for e in same_name.get(row["normalized_name"], []) if e["region_id"] == region_id]
        if exact:
            hit = exact[0]
            if code and hit["uscc"] and hit["uscc"] != code:
                decisions.append(Decision(row, "review", hit["id"], 1.0,
                                          f"同地区同名企业“{hit['name']}”的信用代码不同（{hit['uscc']}）"))
            else:
                decisions.append(Decision(row, "update", hit["id"], 1.0, "规范化名称与地区一致"))
            continue
        best, best_ratio = None, 0.0
        for item in by_region.get(region_id, []):
            if abs(len(item["normalized_name"]) - len(row["normalized_name"])) > max(len(row["normalized_name"]), 4):
                continue
            matcher = difflib.SequenceMatcher(None, row["normalized_name"], item["normalized_name"])
            if matcher.quick_ratio() < REVIEW_FROM:
                continue
            ratio = matcher.ratio()
            if ratio > best_ratio:
                best, best_ratio = item, ratio
        conflict = bool(best and code and best["uscc"] and best["uscc"] != code)
        if best is not None and best_ratio >= AUTO_MATCH and not conflict:
            decisions.append(Decision(row, "update", best["id"], best_ratio,
                                      f"名称相似度{best_ratio:.2f}（≥{AUTO_MATCH}）且同地区：“{best['name']}”"))
            continue
        elsewhere = [e for e in same_name.get(row["normalized_name"], []) if e["region_id"] != region_id]
        if elsewhere:
            hit = elsewhere[0]
            decisions.append(Decision(row, "review", hit["id"], 1.0, f"其他地区有同名企业“{hit['name']}”"))
            continue
        if best is not None and best_ratio >= REVIEW_FROM:
            reason = f"名称相似度{best_ratio:.2f}：“{best['name']}”"
            if conflict:
                reason += f"，但信用代码不同（{best['uscc']}）"
            decisions.append(Decision(row, "review", best["id"], best_ratio, reason))
            continue
        decisions.append(Decision(row, "create", None, best_ratio, "名录中无匹配企业"))
    return decisions


# --------------------------------------------------------------------------------------------
# Commit


def _apply_capacities(enterprise: Enterprise, data: dict, nodes: dict[str, ChainNode], entries: list, actor, note: str) -> tuple[int, int]:
    created = updated = 0
    existing = {
        (c.node_id, c.status, c.start_year): c
        for c in Capacity.objects.filter(enterprise=enterprise, project__isnull=True)
    }
    for item in data["capacities"]:
        node = nodes[item["node"]]
        values = {
            "amount": Decimal(item["amount"]), "unit": item["unit"], "end_year": item["end_year"],
            "source": item["source"] or data.get("source") or "", "region_id": enterprise.region_id,
        }
        found = existing.get((node.id, item["status"], item["start_year"]))
        if found is None:
            capacity = Capacity.objects.create(
                enterprise=enterprise, node=node, status=item["status"], start_year=item["start_year"], **values
            )
            entries.append(audit.entry(actor, "import", capacity, after=audit.snapshot(capacity), note=note))
            created += 1
            continue
        diff = {k: v for k, v in values.items() if getattr(found, k) != v}
        if diff:
            before = audit.snapshot(found)
            for key, value in diff.items():
                setattr(found, key, value)
            found.save()
            entries.append(audit.entry(actor, "import", found, before=before, after=audit.snapshot(found), note=note))
            updated += 1
    return created, updated


def _context_nodes(data: dict) -> dict[str, ChainNode]:
    codes = set(data["nodes"]) | {c["node"] for c in data["capacities"]}
    return {n.code: n for n in ChainNode.objects.filter(code__in=codes)}


def create_enterprise_from_row(data: dict, *, actor, note: str = "", entries: list | None = None,
                               nodes: dict | None = None, regions: dict | None = None) -> Enterprise:
    """Create an enterprise (with nodes and capacities) from a parsed row; audited."""
    own_entries = entries is None
    entries = [] if entries is None else entries
    nodes = nodes if nodes is not None else _context_nodes(data)
    region = (regions or {}).get(data["region"]) or Region.objects.get(code=data["region"], valid_to__isnull=True)
    flags = data["flags"]
    enterprise = Enterprise.objects.create(
        uscc=data["uscc"] or None, name=data["name"], region=region,
        is_chain_leader=bool(flags.get("is_chain_leader")), is_leading=bool(flags.get("is_leading")),
        is_listed=bool(flags.get("is_listed")), specialised=flags.get("specialised") or "",
        source=data.get("source") or "",
    )
    if data["nodes"]:
        enterprise.nodes.add(*[nodes[c] for c in data["nodes"]])
    entries.append(audit.entry(actor, "import", enterprise, after={**audit.snapshot(enterprise), "nodes": data["nodes"]}, note=note))
    _apply_capacities(enterprise, data, nodes, entries, actor, note)
    if own_entries:
        audit.record_many(entries)
    return enterprise


def apply_row_to_enterprise(enterprise: Enterprise, data: dict, *, actor, note: str = "", entries: list | None = None,
                            nodes: dict | None = None, regions: dict | None = None) -> Enterprise:
    """Update ``enterprise`` from a parsed row (see the module docstring); returns it."""
    own_entries = entries is None
    entries = [] if entries is None else entries
    nodes = nodes if nodes is not None else _context_nodes(data)
    region = (regions or {}).get(data["region"]) or Region.objects.get(code=data["region"], valid_to__isnull=True)
    before = audit.snapshot(enterprise)
    changes: dict[str, Any] = {}
    if data["name"] != enterprise.name:
        if not EnterpriseAlias.objects.filter(enterprise=enterprise, name=enterprise.name).exists():
            alias = EnterpriseAlias.objects.create(enterprise=enterprise, name=enterprise.name, uscc="",
                                                   note=f"导入前名称 / name before import {note}".strip())
            entries.append(audit.entry(actor, "create", alias, after=audit.snapshot(alias), note=note))
        changes["name"] = data["name"]
    if region.id != enterprise.region_id:
        changes["region_id"] = region.id
    if data["uscc"] and not enterprise.uscc:
        changes["uscc"] = data["uscc"]
    for key, value in data["flags"].items():
        if value is not None and getattr(enterprise, key) != value:
            changes[key] = value
    if data.get("source") and data["source"] != enterprise.source:
        changes["source"] = data["source"]
    present = set(enterprise.nodes.values_list("code", flat=True))
    added = [c for c in data["nodes"] if c not in present]
    if changes:
        for key, value in changes.items():
            setattr(enterprise, key, value)
        enterprise.save()
    if added:
        enterprise.nodes.add(*[nodes[c] for c in added])
    if changes or added:
        entries.append(audit.entry(actor, "import", enterprise, before=before,
                                   after={**audit.snapshot(enterprise), "nodes_added": added}, note=note))
    created, updated = _apply_capacities(enterprise, data, nodes, entries, actor, note)
    enterprise._import_changed = bool(changes or added or created or updated)
    if own_entries:
        audit.record_many(entries)
    return enterprise


def _queued(decision: Decision, region: Region) -> bool:
    row = decision.row
    return EnterpriseMatchReview.objects.filter(
        normalized_name=row["normalized_name"], region=region, uscc=row["uscc"],
        candidate_id=decision.enterprise_id,
        status__in=[EnterpriseMatchReview.Status.OPEN, EnterpriseMatchReview.Status.REJECTED],
    ).exists()


def import_enterprises(
    source: str | Path | bytes | BinaryIO, *, actor, dry_run: bool = False, file_name: str | None = None
) -> ImportResult:
    """Import an enterprise registry file. ``dry_run`` parses, validates and matches, and reports
    what would happen without writing. Raises :class:`EnterpriseImportError` (nothing written)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise EnterpriseImportError([Problem(None, "", f"无法读取文件{path}：{exc.strerror} / cannot read file")]) from exc
        file_name = file_name or path.name
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
        file_name = file_name or getattr(source, "name", "upload")
    file_name = file_name or "upload.csv"
    rows = parse(data, file_name)
    regions = {r.code: r for r in Region.objects.filter(code__in={r["region"] for r in rows}, valid_to__isnull=True)}
    decisions = match(rows, regions)
    result = ImportResult(file_name=Path(file_name).name, sha256=hashlib.sha256(data).hexdigest(), dry_run=dry_run)
    if dry_run:
        for d in decisions:
            result.rows.append(RowResult(d.row["row"], d.action, d.row["name"], d.enterprise_id, d.reason))
            result.counts[d.action] += 1
        return result
    with transaction.atomic():
        batch = EnterpriseImport.objects.create(
            file_name=result.file_name, sha256=result.sha256, rows=len(rows),
            actor=actor if getattr(actor, "pk", None) else None, actor_name=audit.actor_name(actor),
        )
        note = f"enterprise import #{batch.pk} {result.file_name}"
        nodes = {n.code: n for n in ChainNode.objects.all()}
        targets = Enterprise.objects.in_bulk([d.enterprise_id for d in decisions if d.action == "update"])
        entries: list = []
        for d in decisions:
            row = d.row
            region = regions[row["region"]]
            if d.action == "update":
                enterprise = apply_row_to_enterprise(targets[d.enterprise_id], row, actor=actor, note=note,
                                                     entries=entries, nodes=nodes, regions=regions)
                action = "update" if enterprise._import_changed else "unchanged"
                result.rows.append(RowResult(row["row"], action, row["name"], enterprise.pk, d.reason))
            elif d.action == "create":
                enterprise = create_enterprise_from_row(row, actor=actor, note=note, entries=entries,
                                                        nodes=nodes, regions=regions)
                action = "create"
                result.rows.append(RowResult(row["row"], action, row["name"], enterprise.pk, d.reason))
            else:
                if _queued(d, region):
                    action = "queued"
                else:
                    review = EnterpriseMatchReview.objects.create(
                        batch=batch, row_number=row["row"], data=row, name=row["name"],
                        normalized_name=row["normalized_name"], uscc=row["uscc"], region=region,
                        candidate_id=d.enterprise_id, score=d.score, reason=d.reason[:300],
                    )
                    entries.append(audit.entry(actor, "create", review, after=audit.snapshot(review), note=note))
                    action = "review"
                result.rows.append(RowResult(row["row"], action, row["name"], d.enterprise_id, d.reason))
            result.counts[action] += 1
        batch.summary = dict(result.counts)
        batch.save(update_fields=["summary"])
        entries.append(audit.entry(actor, "import", batch, after=audit.snapshot(batch), note=note))
        audit.record_many(entries)
        result.batch_id = batch.pk
    return result
