"""The Excel reporting template (openpyxl): one workbook per form, reporter and period.

Sheets
- 数据 (data): one row per value the form asks for; columns indicator_code, 指标名称,
  region_code, 地区, [sector_code, 集群/环节,] period, value, unit, source. Everything is
  locked (sheet protection) except value, unit and source; unit has a drop-down of the units
  compatible with the indicator's unit; value accepts decimals only (≥ 0 for stocks and counts).
- 说明 (instructions, Chinese).
- _meta (very hidden): form code, reporter, period and template version, signed with the
  site's secret key so an upload is matched to the template it came from; another template's
  file, an outdated template or edited metadata is refused on upload.

Building takes plain data (:class:`TemplateSpec`), not model instances; reporting.py assembles it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.core import signing
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from chainwatch.core.units import UnitError, compatible

DATA_SHEET = "数据"
HELP_SHEET = "说明"
META_SHEET = "_meta"
META_SALT = "chainwatch.targets.template"
TEMPLATE_KIND = "chainwatch-observations"
BASE_COLUMNS = ["indicator_code", "指标名称", "region_code", "地区", "period", "value", "unit", "source"]
SECTOR_COLUMNS = ["sector_code", "集群/环节"]
EDITABLE = ("value", "unit", "source")

# Units people write in reports; a row's drop-down offers those compatible with its indicator.
COMMON_UNITS = [
    "亿元", "万元", "元", "吨", "千吨", "万吨", "亿吨", "吨/年", "万吨/年", "万头", "头", "万只", "只",
    "万亩", "亩", "千瓦", "万千瓦", "兆瓦", "GW", "万千瓦时", "亿千瓦时", "千瓦时", "MWh", "GWh", "GWh/年",
    "万人次", "人次", "个", "户", "家", "条", "处", "%", "万台", "亿平方米", "万平方米", "万吨标准煤",
    "立方米/万元", "万辆/年", "亿只/年",
]


class TemplateError(ValueError):
    """A workbook whose template metadata is unreadable or has been altered."""


@dataclass(frozen=True)
class TemplateRow:
    indicator_code: str
    indicator_name: str
    region_code: str
    region_name: str
    period: str
    unit: str
    kind: str = "flow"
    sector_code: str = ""
    sector_name: str = ""
    definition: str = ""
    value: float | None = None
    source: str = ""


@dataclass(frozen=True)
class TemplateSpec:
    form_code: str
    form_name: str
    template_version: int
    reporter_kind: str  # "region" | "department"
    reporter_code: str
    reporter_name: str
    period: str
    period_type_label: str
    deadline: str
    rows: list[TemplateRow] = field(default_factory=list)
    description: str = ""

    @property
    def meta(self) -> dict:
        return {
            "kind": TEMPLATE_KIND,
            "form": self.form_code,
            "version": self.template_version,
            "reporter_kind": self.reporter_kind,
            "reporter": self.reporter_code,
            "period": self.period,
        }


def unit_choices(unit: str) -> list[str]:
    """The expected unit first, then the common units of the same dimension."""
    if not unit:
        return []
    choices = [unit]
    for candidate in COMMON_UNITS:
        if candidate == unit:
            continue
        try:
            if compatible(unit, candidate):
                choices.append(candidate)
        except UnitError:
            continue
    return choices


def build_template(spec: TemplateSpec) -> bytes:
    """The template workbook as .xlsx bytes."""
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    with_sector = any(row.sector_code for row in spec.rows)
    columns = BASE_COLUMNS[:4] + (SECTOR_COLUMNS if with_sector else []) + BASE_COLUMNS[4:]
    ws.append(columns)
    header_fill = PatternFill("solid", fgColor="DDE5F0")
    editable_fill = PatternFill("solid", fgColor="FFF7D6")
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    index = {name: i + 1 for i, name in enumerate(columns)}
    validations: dict[tuple[str, ...], DataValidation] = {}
    value_any = DataValidation(type="decimal", operator="between", formula1="-1E+18", formula2="1E+18",
                               allow_blank=True, showErrorMessage=True,
                               errorTitle="数值", error="请填写数字 / a number")
    value_nonneg = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                                  allow_blank=True, showErrorMessage=True,
                                  errorTitle="数值", error="存量和计数不能为负 / must not be negative")
    ws.add_data_validation(value_any)
    ws.add_data_validation(value_nonneg)
    for number, row in enumerate(spec.rows, start=2):
        values = {
            "indicator_code": row.indicator_code, "指标名称": row.indicator_name,
            "region_code": row.region_code, "地区": row.region_name,
            "sector_code": row.sector_code, "集群/环节": row.sector_name,
            "period": row.period, "value": row.value, "unit": row.unit, "source": row.source,
        }
        for name, col in index.items():
            cell = ws.cell(row=number, column=col, value=values[name])
            if name in EDITABLE:
                cell.protection = Protection(locked=False)
                cell.fill = editable_fill
            if name in ("indicator_code", "region_code", "sector_code", "period"):
                cell.number_format = "@"
        value_ref = f"{get_column_letter(index['value'])}{number}"
        (value_nonneg if row.kind in ("stock", "count") else value_any).add(value_ref)
        choices = tuple(unit_choices(row.unit))
        if choices:
            if choices not in validations:
                dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                                    showErrorMessage=True, errorTitle="单位",
                                    error="请从下拉列表选择兼容的单位 / choose a compatible unit")
                ws.add_data_validation(dv)
                validations[choices] = dv
            validations[choices].add(f"{get_column_letter(index['unit'])}{number}")
    widths = {"indicator_code": 26, "指标名称": 30, "region_code": 12, "地区": 14, "sector_code": 20,
              "集群/环节": 20, "period": 10, "value": 14, "unit": 12, "source": 30}
    for name, col in index.items():
        ws.column_dimensions[get_column_letter(col)].width = widths[name]
    ws.freeze_panes = "A2"
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # let people widen columns

    help_ws = wb.create_sheet(HELP_SHEET)
    lines = [
        f"{spec.form_name}（{spec.form_code}）填报说明",
        "",
        f"填报单位：{spec.reporter_name}（{spec.reporter_code}）",
        f"报告期：{spec.period}（{spec.period_type_label}）",
        f"截止日期：{spec.deadline}",
        f"模板版本：{spec.template_version}",
        "",
        "填写方法：",
        "1. 只在“数据”表的 value（数值）、unit（单位）、source（来源）三列填写，其余单元格已锁定。",
        "2. value 只填数字，不要填写文字、“约”、“左右”或千分位以外的符号；不填表示本期未报。",
        "3. unit 默认为指标的计量单位，可从下拉列表选择同类单位（如 吨 与 万吨），系统会自动换算；"
        "不同类的单位（如 亿元 与 万头）会被拒绝。",
        "4. 存量指标（存栏、产能、装机等）和计数指标不能为负数。",
        "5. source 填写数据来源（统计年报、部门台账等），便于核查。",
        "6. 不要增删行、修改表名或隐藏的元数据；本模板只能用于上述填报单位和报告期，"
        "用于其他单位或期间的上传会被拒绝。",
        "7. 上传后系统先逐行校验并列出全部问题（行号、列、原因），没有错误才会保存；"
        "重复上传同一文件不会产生重复数据，修改后的数值保存为新版本，旧版本保留。",
        "",
        "指标口径：",
    ]
    if spec.description:
        lines[1:1] = [spec.description]
    seen = set()
    for row in spec.rows:
        if row.indicator_code in seen:
            continue
        seen.add(row.indicator_code)
        lines.append(f"· {row.indicator_name}（{row.indicator_code}，{row.unit or '单位见环节'}）：{row.definition or '—'}")
    for line in lines:
        help_ws.append([line])
    help_ws.column_dimensions["A"].width = 120
    help_ws["A1"].font = Font(bold=True, size=14)
    for cell in help_ws["A"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    help_ws.protection.sheet = True

    meta_ws = wb.create_sheet(META_SHEET)
    for key, value in spec.meta.items():
        meta_ws.append([key, value])
    meta_ws.append(["signature", signing.dumps(spec.meta, salt=META_SALT, compress=True)])
    meta_ws.sheet_state = "veryHidden"
    meta_ws.protection.sheet = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read_meta(workbook) -> dict | None:
    """The signed metadata of an openpyxl workbook; None for a plain workbook.

    Raises TemplateError when the metadata sheet is there but its signature does not verify."""
    if META_SHEET not in workbook.sheetnames:
        return None
    ws = workbook[META_SHEET]
    return meta_from_rows(ws.iter_rows(min_row=1, max_row=20, max_col=2, values_only=True))


def meta_from_rows(rows) -> dict:
    """Check and return the metadata from the (key, value) rows of the metadata sheet."""
    pairs = {}
    for row in rows:
        if row and row[0]:
            pairs[str(row[0])] = row[1] if len(row) > 1 else None
    try:
        meta = signing.loads(str(pairs.get("signature") or ""), salt=META_SALT)
    except signing.BadSignature as exc:
        raise TemplateError(
            "模板的隐藏元数据无效或被修改，请重新下载模板 / the template's metadata is invalid or was altered; "
            "download the template again"
        ) from exc

    def same(shown, value) -> bool:
        if isinstance(shown, float) and shown.is_integer():
            shown = int(shown)
        return str(shown) == str(value)

    if not isinstance(meta, dict) or any(not same(pairs.get(key), value) for key, value in meta.items()):
        raise TemplateError(
            "模板的隐藏元数据无效或被修改，请重新下载模板 / the template's metadata is invalid or was altered; "
            "download the template again"
        )
    if meta.get("kind") != TEMPLATE_KIND:
        raise TemplateError("不是本平台生成的填报模板 / not a chainwatch reporting template")
    return meta
