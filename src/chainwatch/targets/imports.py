"""Import of observations from CSV, XLSX (the reporting template or a plain sheet) and JSON.

Columns: ``indicator_code, region_code, sector_code (optional: a cluster/industry code or a chain
node code), period (2024 | 2024Q3 | 2024-06), value, unit, source (optional)``. Chinese headers
(指标代码, 地区代码, 期间, 数值, 单位, 来源 …) are accepted too.

Parse → validate every row → report EVERY problem with its row, column and reason (Chinese and
English) → commit all-or-nothing in one transaction. Idempotent: a row whose series and period
already hold the same value and unit changes nothing; a changed value becomes a new version
(the old row keeps ``is_current=False``, the new one has version + 1), so nothing is lost.

Units: the value and unit are stored **as entered** (5000 吨 stays 5000 吨); they are converted
with pint to the indicator's unit whenever values are compared (validation rules here, progress
elsewhere). A unit of another dimension (亿元 for a 万头 indicator) is an error.

Row numbers: for CSV and XLSX the row number in the file (the header is row 1 in a file that starts
with it); for JSON the position of the record in the list (1 = first record).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import logging
import math
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from chainwatch.chains.models import ChainNode, Sector
from chainwatch.core import audit
from chainwatch.core.bulk import in_batch, insert_rows
from chainwatch.core.models import AuditEntry
from chainwatch.core.periods import PeriodError, parse_period
from chainwatch.core.units import UnitError, conversion_factor, is_known_unit
from chainwatch.geo.models import Region
from chainwatch.targets import excel, reporting
from chainwatch.targets import validation as engine
from chainwatch.targets.models import Indicator, Observation, ReportingForm, Submission, series_key
from chainwatch.targets.snapshot import refresh_progress_for_series

logger = logging.getLogger(__name__)

MAX_BYTES = 50 * 1024 * 1024
COLUMNS = ("indicator_code", "region_code", "sector_code", "period", "value", "unit", "source")
REQUIRED = ("indicator_code", "region_code", "period", "value")
ALIASES = {
    "指标代码": "indicator_code", "indicator": "indicator_code",
    "地区代码": "region_code", "区划代码": "region_code", "region": "region_code",
    "集群/环节代码": "sector_code", "集群代码": "sector_code", "产业代码": "sector_code", "环节代码": "sector_code",
    "sector": "sector_code", "chain_node_code": "sector_code",
    "期间": "period", "报告期": "period",
    "数值": "value", "值": "value",
    "单位": "unit", "计量单位": "unit",
    "来源": "source", "数据来源": "source",
}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SIX_PLACES = Decimal("0.000001")
_MAX_VALUE = Decimal("1e18")
_CHANGES_SHOWN = 200


class FileRefused(Exception):
    """The whole file is refused before or while reading it (size, type, structure, template)."""


@dataclass(frozen=True)
class Problem:
    row: int | None
    column: str | None
    message: str
    level: str = "error"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "level": self.level, "message": self.message}


@dataclass
class ImportReport:
    filename: str
    dry_run: bool = False
    file_type: str = ""
    rows_read: int = 0
    skipped_blank: int = 0
    created: int = 0
    versioned: int = 0
    unchanged: int = 0
    committed: bool = False
    form: str | None = None
    reporter: str | None = None
    periods: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    converted: dict[int, float] = field(default_factory=dict)
    changes: list[dict] = field(default_factory=list)
    refreshed: int | None = None  # targets whose stored progress was refreshed (None: not asked)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level != "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, row, column, message) -> None:
        self.problems.append(Problem(row, column, message, "error"))

    def warning(self, row, column, message) -> None:
        self.problems.append(Problem(row, column, message, "warning"))

    def summary(self) -> str:
        if self.errors:
            return (
                f"{len(self.errors)} 个错误，未写入任何数据 / {len(self.errors)} error(s): nothing was written"
            )
        verb = "将" if not self.committed else "已"
        text = (
            f"{verb}新增 {self.created} 条，{verb}更新为新版本 {self.versioned} 条，未变 {self.unchanged} 条"
            f" / {'would create' if not self.committed else 'created'} {self.created}, "
            f"{'would version' if not self.committed else 'new versions'} {self.versioned}, unchanged {self.unchanged}"
        )
        if self.dry_run:
            text += "（试运行，未写入 / dry run: nothing written）"
        return text

    def lines(self) -> list[str]:
        out = [f"文件 / file: {self.filename} ({self.file_type or '?'}), 数据行 / rows: {self.rows_read}"]
        if self.form:
            out.append(f"报表 / form: {self.form}  填报单位 / reporter: {self.reporter}  期间 / periods: {', '.join(self.periods)}")
        for p in self.problems:
            where = f"第 {p.row} 行" if p.row else "文件"
            out.append(f"{'错误' if p.level == 'error' else '警告'} {where} [{p.column or '-'}] {p.message}")
        if self.ok:
            for change in self.changes:
                out.append(
                    f"{'新增' if change['old'] is None else '新版本'} 第 {change['row']} 行 "
                    f"{change['indicator']} {change['region']} {change['sector'] or ''} {change['period']}: "
                    f"{change['old'] or '—'} → {change['new']}"
                )
        if self.refreshed is not None:
            out.append(f"进度快照已更新 / progress refreshed: {self.refreshed} 个目标 / targets")
        out.append(self.summary())
        return out


# --- reading ---------------------------------------------------------------------------------


def _read_bytes(source, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray):
        if len(source) > MAX_BYTES:
            raise FileRefused(_too_big(len(source)))
        return bytes(source), filename or "upload"
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise FileRefused(f"找不到文件“{path}” / file not found")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise FileRefused(_too_big(size))
        return path.read_bytes(), filename or path.name
    size = getattr(source, "size", None)
    if size is None:
        source.seek(0, os.SEEK_END)
        size = source.tell()
    if size > MAX_BYTES:
        raise FileRefused(_too_big(size))
    source.seek(0)
    return source.read(), filename or getattr(source, "name", "upload")


def _too_big(size: int) -> str:
    return (
        f"文件 {size / 1024 / 1024:.1f} MB，超过 50 MB 上限，未读取 / file is {size / 1024 / 1024:.1f} MB, "
        "over the 50 MB limit; not read"
    )


_BINARY_KINDS = [
    (b"\x89PNG", "PNG 图片 / a PNG image"),
    (b"\xff\xd8\xff", "JPEG 图片 / a JPEG image"),
    (b"GIF8", "GIF 图片 / a GIF image"),
    (b"%PDF", "PDF 文档 / a PDF document"),
    (b"Rar!", "RAR 压缩包 / a RAR archive"),
    (b"\x1f\x8b", "gzip 压缩包 / a gzip archive"),
]


def _sniff(data: bytes, name: str) -> str:
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused(
            f"“{name}”是旧版 Excel 97-2003（.xls）或其他 Office 文件，请另存为 .xlsx 后上传 / "
            "old .xls format: save as .xlsx"
        )
    for magic, what in _BINARY_KINDS:
        if data.startswith(magic):
            raise FileRefused(
                f"“{name}”不是表格文件（内容是{what.split(' / ')[0]}），请上传 XLSX、CSV 或 JSON / "
                f"not a spreadsheet, CSV or JSON file (it is {what.split(' / ')[1]})"
            )
    if b"\x00" in data[:4096]:
        raise FileRefused(f"“{name}”不是表格文件（二进制内容）/ not a spreadsheet, CSV or JSON file (binary content)")
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return "json" if head[:1] in (b"[", b"{") else "csv"


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(f"“{name}”的文字编码无法识别（应为 UTF-8 或 GB18030）/ unknown text encoding")


def _column_name(raw) -> str:
    text = unicodedata.normalize("NFKC", str(raw or "")).strip()
    lowered = text.lower()
    return ALIASES.get(text, ALIASES.get(lowered, lowered))


def _header(cells) -> dict[str, int]:
    index = {}
    for i, cell in enumerate(cells):
        name = _column_name(cell)
        if name in COLUMNS and name not in index:
            index[name] = i
    return index


def _missing_columns(index: dict[str, int], header_row: int, name: str) -> None:
    missing = [c for c in REQUIRED if c not in index]
    if missing:
        raise FileRefused(
            f"“{name}”第 {header_row} 行的表头缺少列：{', '.join(missing)}（应有 indicator_code, region_code, "
            f"period, value, unit）/ header lacks column(s) {', '.join(missing)}"
        )


def _rows_from_table(table, name: str) -> tuple[list[tuple[int, dict]], dict[str, int]]:
    """``table`` yields (row number, cells); the first non-empty row is the header."""
    index: dict[str, int] | None = None
    rows = []
    for number, cells in table:
        if not any(c not in (None, "") and str(c).strip() for c in cells):
            continue
        if index is None:
            index = _header(cells)
            _missing_columns(index, number, name)
            continue
        rows.append((number, {col: cells[i] if i < len(cells) else None for col, i in index.items()}))
    if index is None:
        raise FileRefused(f"“{name}”是空文件 / the file is empty")
    return rows, index


def _read_csv(data: bytes, name: str):
    text = _decode(data, name)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def table():
        try:
            for cells in reader:
                yield reader.line_num, cells
        except csv.Error as exc:
            raise FileRefused(f"CSV 第 {reader.line_num} 行格式错误：{exc} / malformed CSV") from exc

    return _rows_from_table(table(), name)


def _read_json(data: bytes, name: str):
    try:
        payload = json.loads(_decode(data, name))
    except json.JSONDecodeError as exc:
        raise FileRefused(
            f"JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg} / malformed JSON at line {exc.lineno}"
        ) from exc
    if isinstance(payload, dict):
        payload = payload.get("observations", payload.get("rows"))
    if not isinstance(payload, list):
        raise FileRefused(
            "JSON 应为记录列表，或含 observations 列表的对象 / JSON must be a list of records or {\"observations\": [...]}"
        )
    rows, keys = [], set()
    for number, record in enumerate(payload, start=1):
        if not isinstance(record, dict):
            rows.append((number, None))
            continue
        mapped = {}
        for key, value in record.items():
            column = _column_name(key)
            if column in COLUMNS:
                mapped[column] = value
                keys.add(column)
        rows.append((number, mapped))
    if payload:
        _missing_columns({k: 0 for k in keys}, 1, name)
    return rows


def _read_xlsx(data: bytes, name: str):
    """Rows of the data sheet (数据, else the first sheet) and the template metadata.

    Uses python-calamine (Rust, ~20x faster on large sheets) when installed, openpyxl otherwise."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # the optional fast reader is missing
        return _read_xlsx_openpyxl(data, name)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
        meta_rows = workbook.get_sheet_by_name(excel.META_SHEET).to_python() if excel.META_SHEET in names else None
        sheet = excel.DATA_SHEET if excel.DATA_SHEET in names else names[0]
        cells = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine reports corrupt or foreign zip files with its own errors
        raise FileRefused(f"“{name}”不是有效的 Excel（.xlsx）文件 / not a valid .xlsx workbook") from exc
    try:
        meta = excel.meta_from_rows(meta_rows) if meta_rows is not None else None
    except excel.TemplateError as exc:
        raise FileRefused(str(exc)) from exc
    rows, _ = _rows_from_table(enumerate(cells, start=1), name)
    return rows, meta


def _read_xlsx_openpyxl(data: bytes, name: str):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FileRefused(
            f"“{name}”不是有效的 Excel（.xlsx）文件 / not a valid .xlsx workbook"
        ) from exc
    try:
        meta = excel.read_meta(workbook)
    except excel.TemplateError as exc:
        raise FileRefused(str(exc)) from exc
    sheet = workbook[excel.DATA_SHEET] if excel.DATA_SHEET in workbook.sheetnames else workbook.worksheets[0]
    table = enumerate(sheet.iter_rows(values_only=True), start=1)
    rows, _ = _rows_from_table(table, name)
    workbook.close()
    return rows, meta


def read_file(source, filename: str | None = None) -> tuple[str, str, list[tuple[int, dict | None]], dict | None]:
    """(display name, file type, rows as (row number, {column: raw}), template metadata or None)."""
    data, name = _read_bytes(source, filename)
    kind = _sniff(data, name)
    if kind == "xlsx":
        rows, meta = _read_xlsx(data, name)
        return name, kind, rows, meta
    if kind == "json":
        return name, kind, _read_json(data, name), None
    rows, _ = _read_csv(data, name)
    return name, kind, rows, None


# --- cell values -----------------------------------------------------------------------------


def _text(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime.datetime | datetime.date):
        return f"{raw.year}-{raw.month:02d}"  # Excel turns 2024-06 into a date
    return _normalized(str(raw))


@lru_cache(maxsize=1 << 16)
def _normalized(text: str) -> str:
    """Full-width to half-width (NFKC) and trimmed; memoised — codes, periods and units repeat
    on every row of a large file."""
    return unicodedata.normalize("NFKC", text).strip()


def parse_value(raw) -> tuple[Decimal | None, str]:
    """(number, '') or (None, reason). Accepts numbers, and text with digits and , separators."""
    if isinstance(raw, bool):
        return None, f"数值单元格中是逻辑值“{raw}” / a boolean in a number cell"
    if isinstance(raw, int):
        return Decimal(raw), ""
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return None, "数值不是有限数 / not a finite number"
        return Decimal(repr(raw)), ""
    if isinstance(raw, Decimal):
        return raw, ""
    text = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "").replace(" ", "")
    if _NUMBER.match(text):
        try:
            return Decimal(text), ""
        except InvalidOperation:
            pass
    shown = str(raw).strip()[:30]
    return None, f"数值单元格中是文本“{shown}”，应填数字 / text {shown!r} in a number cell: enter a number"


def _fmt(number: Decimal) -> str:
    text = format(number.normalize(), "f") if number == number.to_integral() else format(number, "f").rstrip("0")
    return text.rstrip(".") if "." in text else text


# --- the import ------------------------------------------------------------------------------


@dataclass
class _Row:
    row: int
    indicator: Indicator
    region: Region
    sector: Sector | None
    node: ChainNode | None
    period: object
    value: Decimal
    unit: str
    source: str
    converted: float

    @cached_property
    def series(self) -> str:
        return series_key(self.indicator.pk, self.region.pk, self.sector.pk if self.sector else None,
                          self.node.pk if self.node else None)

    @property
    def sector_code(self) -> str | None:
        node = self.sector or self.node
        return node.code if node else None


def import_observations(
    source, *, actor, filename: str | None = None, form: ReportingForm | None = None,
    reporter: reporting.Reporter | None = None, period: str | None = None, dry_run: bool = False,
    status: str = Observation.Status.APPROVED, today: datetime.date | None = None, refresh: bool = True,
) -> ImportReport:
    """Read, check and (unless ``dry_run`` or there are errors) store observations.

    ``source`` is a path, bytes or a file object (an upload). With a reporting ``form`` (given, or
    read from a template's metadata) the rows must belong to the form and the ``reporter``, are
    stored as drafts of the reporter's submission and are refused while it is submitted, approved
    or locked. Without a form only administrators (or the system, ``actor=None``) may import, and
    rows get ``status`` (default: approved — published statistics). Approved rows refresh the
    stored progress of the targets they feed, unless ``refresh`` is false (a bulk load followed
    by one ``chainwatch refresh-progress``).
    """
    report = ImportReport(filename=str(filename or getattr(source, "name", source)), dry_run=dry_run)
    try:
        name, kind, raw_rows, meta = read_file(source, filename)
    except FileRefused as exc:
        report.error(None, None, str(exc))
        return report
    report.filename, report.file_type = name, kind
    try:
        form, reporter, period = _context(form, reporter, period, meta, actor)
    except (FileRefused, reporting.ReportingError) as exc:
        report.error(None, None, str(exc))
        return report
    if form is not None:
        report.form, report.reporter = form.code, reporter.name
    rows = _check_rows(raw_rows, report, form=form, reporter=reporter, period=period, template=meta is not None,
                       today=today or timezone.localdate())
    report.periods = sorted({r.period.label for r in rows})
    if not rows and not report.problems:
        report.error(None, None, "文件中没有可导入的数据行 / no data rows to import")
    if report.errors:
        return report
    submissions = _check_locks(rows, report, form=form, reporter=reporter, actor=actor, today=today)
    _run_rules(rows, report, form)
    plan = _plan(rows, report)
    if report.errors or dry_run:
        return report
    stamped = _commit(plan, report, form=form, reporter=reporter, submissions=submissions, actor=actor, status=status)
    if refresh and report.committed and form is None and status == Observation.Status.APPROVED and plan.create:
        # Keep the stored progress (进度快照) of the affected targets current; drafts of a
        # reporting form change no progress until approved. The rows are committed by now: a
        # failure here is logged and reported, the import stays done.
        try:
            report.refreshed = refresh_progress_for_series({row.series for row, _ in plan.create}, changed_since=stamped)
        except Exception as exc:  # noqa: BLE001 — the data is stored; only the snapshot lags
            logger.exception("refresh_progress_for_series failed after import of %s", report.filename)
            report.warning(None, None, f"进度快照未能更新（{exc}），请运行 chainwatch refresh-progress / progress snapshot not refreshed")
    return report


def _context(form, reporter, period, meta, actor):
    if meta is not None:
        meta_form = ReportingForm.objects.filter(code=meta.get("form")).first()
        if meta_form is None:
            raise FileRefused(f"模板所属报表“{meta.get('form')}”不存在 / the template's form does not exist")
        if form is not None and meta_form.pk != form.pk:
            raise FileRefused(
                f"这是报表“{meta_form.code}”的模板，不能上传到报表“{form.code}” / "
                f"this file is the template of form {meta_form.code}, not {form.code}"
            )
        form = meta_form
        if reporter is not None and reporter.code != meta.get("reporter"):
            raise FileRefused(
                f"这是填报单位“{meta.get('reporter')}”的模板，不是“{reporter.code}”的 / "
                f"this template belongs to reporter {meta.get('reporter')}, not {reporter.code}"
            )
        if period is not None and str(period) != meta.get("period"):
            raise FileRefused(
                f"这是 {meta.get('period')} 期的模板，不是 {period} 期的 / "
                f"this template is for period {meta.get('period')}, not {period}"
            )
        if int(meta.get("version") or 0) != form.template_version:
            raise FileRefused(
                f"模板版本 {meta.get('version')} 已过期（当前为 {form.template_version}），请重新下载 / "
                "outdated template version: download it again"
            )
        reporter = reporting.resolve_reporter(form, str(meta.get("reporter")))
        period = meta.get("period")
    if form is None:
        if actor is not None and not reporting.is_admin(actor):
            raise reporting.ReportingError(
                "不指定报表时只有管理员可以导入 / only administrators may import without a reporting form"
            )
        return None, None, period
    if not form.active:
        raise reporting.ReportingError(f"报表 {form.code} 已停用 / form {form.code} is not active")
    if reporter is None:
        reporter = reporting.reporter_for_user(actor)
        if reporter is None:
            raise reporting.ReportingError("请指定填报单位 / give the reporter")
        reporter = reporting.resolve_reporter(form, reporter.code)
    if not reporting.may_report(actor, reporter):
        raise reporting.ReportingError(
            f"您不能代表“{reporter.name}”填报 / you may not report for {reporter.name}"
        )
    if period is not None:
        reporting.check_period(form, str(period))
    return form, reporter, period


def _check_rows(raw_rows, report: ImportReport, *, form, reporter, period, template: bool, today) -> list[_Row]:
    report.rows_read = len(raw_rows)
    texts = {col: set() for col in ("indicator_code", "region_code", "sector_code")}
    for _, cells in raw_rows:
        if cells:
            for col, bucket in texts.items():
                value = _text(cells.get(col))
                if value:
                    bucket.add(value)
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=texts["indicator_code"])}
    regions = {r.code: r for r in Region.objects.current().filter(code__in=texts["region_code"])}
    sectors = {s.code: s for s in Sector.objects.filter(code__in=texts["sector_code"])}
    nodes = {n.code: n for n in ChainNode.objects.filter(code__in=texts["sector_code"] - set(sectors))}
    allowed = None
    if form is not None:
        allowed = {(i.indicator_id, i.sector_id, i.chain_node_id) for i in form.items.all()}
    periods: dict[str, object] = {}
    factors: dict[tuple[str, str], float | str] = {}
    seen: dict[tuple, int] = {}
    parsed: list[_Row] = []
    for number, cells in raw_rows:
        if cells is None:
            report.error(number, None, "记录不是对象 / the record is not an object")
            continue
        errors_before = len(report.problems)

        def err(column, message, number=number):
            report.error(number, column, message)

        raw_value = cells.get("value")
        value_text = _text(raw_value) if not isinstance(raw_value, int | float | Decimal) else "x"
        if template and not value_text:
            report.skipped_blank += 1
            continue
        code = _text(cells.get("indicator_code"))
        indicator = indicators.get(code)
        if not code:
            err("indicator_code", "缺少指标代码 / indicator_code is empty")
        elif indicator is None:
            err("indicator_code", f"指标代码“{code}”不存在 / unknown indicator code {code!r}")
        code = _text(cells.get("region_code"))
        region = regions.get(code)
        if not code:
            err("region_code", "缺少地区代码 / region_code is empty")
        elif region is None:
            err("region_code", f"地区代码“{code}”不存在或已撤销 / unknown or retired region code {code!r}")
        elif reporter is not None and region.pk != reporter.region.pk:
            err("region_code", f"只能填报{reporter.name}（{reporter.region.code}）的数据，不能填报“{code}” / "
                               f"this reporter may only report region {reporter.region.code}")
        code = _text(cells.get("sector_code"))
        sector = node = None
        if code:
            sector = sectors.get(code)
            node = nodes.get(code) if sector is None else None
            if sector is None and node is None:
                err("sector_code", f"集群/产业或产业链环节代码“{code}”不存在 / unknown sector or chain node code {code!r}")
        text = _text(cells.get("period"))
        found = periods.get(text)
        if found is None:
            try:
                found = parse_period(text) if text else "缺少期间 / period is empty"
            except PeriodError as exc:
                found = str(exc)
            periods[text] = found
        if isinstance(found, str):
            err("period", found)
            found = None
        elif form is not None and found.kind != form.period_type:
            err("period", f"期间“{text}”不是报表 {form.code} 的{form.get_period_type_display()}期间 / "
                          f"period {text!r} is outside the form's period type ({form.period_type})")
        elif period is not None and found.label != str(period):
            err("period", f"期间“{text}”与模板的报告期 {period} 不符 / period differs from the template's period {period}")
        elif found.start > today:
            err("period", f"期间“{text}”尚未开始 / period {text!r} has not started yet")
        value, reason = parse_value(raw_value) if value_text else (None, "缺少数值 / value is empty")
        if value is None:
            err("value", reason)
        else:
            if abs(value) >= _MAX_VALUE:
                err("value", "数值过大 / value too large")
                value = None
            elif value != value.quantize(_SIX_PLACES):
                value = value.quantize(_SIX_PLACES)
                report.warning(number, "value", f"保留 6 位小数：{_fmt(value)} / rounded to 6 decimal places")
        if value is not None and value < 0 and indicator is not None and indicator.kind in (Indicator.Kind.STOCK, Indicator.Kind.COUNT):
            err("value", f"{indicator.get_kind_display()}指标“{indicator.name_zh}”不能为负数（{_fmt(value)}）/ "
                         f"a {indicator.kind} indicator cannot be negative")
        expected = ""
        if indicator is not None:
            expected = indicator.unit or (node.unit if node else "")
        unit = _text(cells.get("unit")) or expected
        converted = None
        if indicator is not None:
            if not unit:
                err("unit", "缺少单位（该指标的单位取决于产业链环节）/ unit is empty and the indicator has no unit of its own")
            else:
                key = (unit, expected)
                if key not in factors:
                    try:
                        factors[key] = conversion_factor(unit, expected) if expected else (
                            1.0 if is_known_unit(unit) else f"无法识别的单位“{unit}” / unknown unit {unit!r}")
                    except UnitError as exc:
                        factors[key] = str(exc)
                factor = factors[key]
                if isinstance(factor, str):
                    if expected and is_known_unit(unit):
                        err("unit", f"单位“{unit}”与指标“{indicator.name_zh}”的单位“{expected}”量纲不同，不能换算 / "
                                    f"unit {unit!r} cannot be converted to the indicator's unit {expected!r}")
                    else:
                        err("unit", factor)
                elif value is not None:
                    converted = float(value) * factor
        source = _text(cells.get("source"))
        if len(source) > 300:
            err("source", "来源超过 300 字 / source longer than 300 characters")
        row_has_errors = any(p.level == "error" for p in report.problems[errors_before:])
        if (
            allowed is not None and indicator is not None and not row_has_errors
            and (indicator.pk, sector.pk if sector else None, node.pk if node else None) not in allowed
        ):
            extra = f" · {(sector or node).code}" if (sector or node) else ""
            err("indicator_code", f"报表 {form.code} 不含指标“{indicator.code}{extra}” / "
                                  f"form {form.code} does not ask for {indicator.code}{extra}")
            row_has_errors = True
        if row_has_errors:
            continue
        row = _Row(number, indicator, region, sector, node, found, value, unit, source, converted)
        key = (row.series, found.label)
        if key in seen:
            err(None, f"与第 {seen[key]} 行重复（同一指标、地区、集群/环节和期间）/ duplicate of row {seen[key]}")
            continue
        seen[key] = number
        parsed.append(row)
        report.converted[number] = converted
    return parsed


def _check_locks(rows: list[_Row], report: ImportReport, *, form, reporter, actor, today) -> dict[str, Submission]:
    if form is None:
        return {}
    submissions = {}
    labels = sorted({r.period.label for r in rows})
    found = {s.period: s for s in Submission.objects.filter(form=form, period__in=labels).filter(
        **({"department": reporter.department} if reporter.department else
           {"region": reporter.region, "department__isnull": True}))}
    ends = {r.period.label: r.period.end for r in rows}
    for label in labels:
        submission = found.get(label)
        reason = reporting.lock_reason(form, submission, ends[label], user=actor, today=today)
        if reason:
            report.error(None, "period", f"{label}：{reason}")
        if submission is not None:
            submissions[label] = submission
    return submissions


def _run_rules(rows: list[_Row], report: ImportReport, form) -> None:
    codes = {r.indicator.code for r in rows}
    rules = reporting.load_rules(form, codes)
    if not rules:
        return
    values = [
        engine.Value(r.indicator.code, r.region.code, r.period.label, r.converted, r.sector_code, r.row) for r in rows
    ]
    in_file = {(r.series, r.period.label) for r in rows}
    region_ids = {r.region.pk for r in rows}
    labels = {r.period.label for r in rows}
    compare_codes = set().union(*[rule.codes() for rule in rules if rule.kind == "compare"])
    if compare_codes:
        stored = Observation.objects.filter(
            is_current=True, region_id__in=region_ids, period__in=labels, indicator__code__in=compare_codes,
        ).select_related("indicator", "region", "sector", "chain_node")
        values += reporting.stored_values(o for o in stored if (o.series, o.period) not in in_file)
    change_codes = {rule.indicator for rule in rules if rule.kind == "change"}
    previous = {}
    if change_codes:
        indicator_ids = {r.indicator.pk for r in rows if r.indicator.code in change_codes}
        previous = reporting.previous_values(region_ids, indicator_ids, labels)
        by_key = {(r.indicator.code, r.region.code, r.sector_code, r.period.label): r.converted for r in rows}
        for (ind, region, sector, label), value in by_key.items():
            try:
                following = _next_label(label)
            except PeriodError:
                continue
            previous[(ind, region, sector, following)] = value
    for finding in engine.evaluate(rules, values, previous):
        rows_text = "、".join(str(n) for n in finding.rows[1:])
        message = finding.message + (f"（另见第 {rows_text} 行）" if rows_text else "")
        (report.error if finding.is_error else report.warning)(finding.rows[0] if finding.rows else None, "value", message)


def _next_label(label: str) -> str:
    period = parse_period(label)
    after = period.end + datetime.timedelta(days=1)
    if period.kind == "year":
        return str(after.year)
    if period.kind == "quarter":
        return f"{after.year}Q{(after.month - 1) // 3 + 1}"
    return f"{after.year}-{after.month:02d}"


@dataclass
class _Plan:
    create: list[tuple[_Row, dict | None]]  # (row, the current row it replaces or None)


def _current(series: set[str], periods: set, *fields: str):
    """The current observations of ``series`` × ``periods`` (parsed periods; ``series``,
    ``period`` and ``fields`` of each), asked for in batches of series within the parameter
    limit, each batch a few lookups on the (series, period_end) index per series, whatever the
    size of the table."""
    limit = in_batch(reserved=2 * len(periods))
    ordered = sorted(series)
    current = Observation.objects.filter(
        is_current=True, period__in={p.label for p in periods}, period_end__in={p.end for p in periods},
    )
    for start in range(0, len(ordered), max(limit, 1)):
        yield from current.filter(series__in=ordered[start:start + limit]).values_list("series", "period", *fields)


def _plan(rows: list[_Row], report: ImportReport) -> _Plan:
    existing = {}
    for series, label, pk, value, unit, version in _current(
        {r.series for r in rows}, {r.period for r in rows}, "pk", "value", "unit", "version",
    ):
        existing[(series, label)] = {"pk": pk, "value": value, "unit": unit, "version": version}
    plan = _Plan(create=[])
    for row in rows:
        old = existing.get((row.series, row.period.label))
        if old is not None and old["value"] == row.value and old["unit"] == row.unit:
            report.unchanged += 1
            continue
        plan.create.append((row, old))
        if old is None:
            report.created += 1
        else:
            report.versioned += 1
        if len(report.changes) < _CHANGES_SHOWN:
            report.changes.append({
                "row": row.row, "indicator": row.indicator.code, "region": row.region.code,
                "sector": row.sector_code, "period": row.period.label,
                "old": f"{_fmt(old['value'])} {old['unit']} (v{old['version']})" if old else None,
                "new": f"{_fmt(row.value)} {row.unit}" + (f" (v{old['version'] + 1})" if old else ""),
            })
    return plan


def _commit(plan: _Plan, report: ImportReport, *, form, reporter, submissions, actor, status) -> datetime.datetime:
    """Write the plan in one transaction; returns the time its rows are stamped with."""
    user_id = actor.pk if getattr(actor, "pk", None) else None
    reporter_text = (reporter.name if reporter else (audit.actor_name(actor) if actor else ""))[:200]
    observation_status = Observation.Status.DRAFT if form is not None else status
    replaced = [old["pk"] for _, old in plan.create if old is not None]
    now = timezone.now()
    rows = []
    for row, old in plan.create:
        rows.append({
            "created_at": now, "updated_at": now, "indicator_id": row.indicator.pk, "region_id": row.region.pk,
            "sector_id": row.sector.pk if row.sector else None, "chain_node_id": row.node.pk if row.node else None,
            "series": row.series, "period": row.period.label, "period_type": row.period.kind,
            "period_start": row.period.start, "period_end": row.period.end, "value": row.value, "unit": row.unit,
            "status": observation_status, "reporter_id": user_id, "reporter_text": reporter_text,
            "source": (row.source or f"导入 {report.filename}")[:300], "form_id": form.pk if form else None,
            "version": old["version"] + 1 if old else 1, "is_current": True,
        })
    content_type = ContentType.objects.get_for_model(Observation)
    with transaction.atomic():
        for start in range(0, len(replaced), 5000):
            Observation.objects.filter(pk__in=replaced[start:start + 5000]).update(is_current=False, updated_at=now)
        insert_rows(Observation, rows)
        new_ids = {
            (series, label): pk for series, label, pk in _current(
                {r.series for r, _ in plan.create}, {r.period for r, _ in plan.create}, "pk",
            )
        }
        actor_name = audit.actor_name(actor)
        entries = []
        for values, (row, old) in zip(rows, plan.create, strict=True):
            entries.append({
                "at": now, "actor_id": user_id, "actor_name": actor_name, "action": AuditEntry.Action.IMPORT,
                "content_type_id": content_type.pk, "object_id": str(new_ids[(values["series"], values["period"])]),
                "object_repr": f"{row.indicator.code} {row.region.code} {values['period']} {_fmt(row.value)}{row.unit}"[:300],
                "before": {"id": old["pk"], "value": _fmt(old["value"]), "unit": old["unit"], "version": old["version"]} if old else None,
                "after": {"value": _fmt(row.value), "unit": row.unit, "period": values["period"], "version": values["version"],
                          "row": row.row, "form": form.code if form else None},
                "note": f"导入 {report.filename} 第 {row.row} 行"[:300],
            })
        insert_rows(AuditEntry, entries)
        if form is not None:
            for label in report.periods:
                if label not in submissions:
                    period = parse_period(label)
                    submission = Submission.objects.create(
                        form=form, region=reporter.region, department=reporter.department, period=label,
                        period_end=period.end,
                    )
                    audit.record(actor, AuditEntry.Action.CREATE, submission, after=audit.snapshot(submission))
                    submissions[label] = submission
    report.committed = True
    return now
