"""Four renderers over one :class:`~chainwatch.reports.structure.Report`: HTML, PDF, XLSX, DOCX.

PDF is the HTML printed by WeasyPrint: A4, a running header with the report, region and date,
page numbers “第 N 页 / 共 M 页” from CSS ``@page`` counters, Chinese text in Noto CJK (Debian
``fonts-noto-cjk``).  XLSX: one sheet per section, header row frozen, units in the headers or a
unit column, numbers kept numeric.  DOCX: a heading per section and a table.
"""

from __future__ import annotations

import io
import re

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from chainwatch.reports.structure import LIGHT_COLOURS, Report, Section, display

FORMATS = ("html", "pdf", "xlsx", "docx")
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
SAMPLE_NOTICE = "示例数据：本报告含示例数据（虚构，仅供演示），标注“示例数据”的数字不是真实统计。"
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal that cannot leave its <style> element."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ")
    return f'"{escaped}"'


# WeasyPrint lays a table that spans pages out again from its first row on every page, so one
# long table costs quadratic time; printed tables are split into blocks of this many rows (each
# with its header), which keeps a 34-page report linear.
PRINT_ROWS_PER_TABLE = 20


def _chunks(rows: list, size: int | None) -> list[list]:
    if not size:
        return [rows]
    return [rows[start:start + size] for start in range(0, len(rows), size)]


def _table(section: Section, *, rows_per_table: int | None = None) -> dict:
    table = {
        "key": section.key,
        "title": section.title,
        "intro": section.intro,
        "empty": section.empty,
        "headers": [column.header for column in section.columns],
        "widths": [
            round(100 * column.weight / sum(c.weight for c in section.columns), 2) for column in section.columns
        ],
        "rows": [
            [
                {
                    "text": display(row.get(column.key), column.kind),
                    "kind": column.kind,
                    "light": row.get(column.key) if column.kind == "light" else "",
                }
                for column in section.columns
            ]
            for row in section.rows
        ],
    }
    table["blocks"] = _chunks(table["rows"], rows_per_table)
    return table


def render_html(report: Report, *, for_print: bool = False) -> str:
    context = {
        "report": report,
        "tables": [
            _table(section, rows_per_table=PRINT_ROWS_PER_TABLE if for_print else None)
            for section in report.sections
        ],
        "for_print": for_print,
        "font_family": mark_safe(FONT_FAMILY),
        "css_header": mark_safe(_css_string(report.header_text)),
    }
    return render_to_string("reports/report.html", context)


def render_pdf(report: Report) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(report, for_print=True)).write_pdf()


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def render_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE7F0")
    used: set[str] = set()
    for section in report.sections:
        name = _SHEET_FORBIDDEN.sub("", section.title)[:31] or section.key
        while name in used:
            name = name[:28] + f"_{len(used)}"
        used.add(name)
        sheet = workbook.create_sheet(name)
        sheet.append([column.header for column in section.columns])
        for cell in sheet[1]:
            cell.font, cell.fill = bold, header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in section.rows:
            values = []
            for column in section.columns:
                value = row.get(column.key)
                if column.kind == "light":
                    value = display(value, "light")
                elif column.kind == "points" and value is not None:
                    value = round(value * 100, 1)
                elif column.kind not in ("number", "percent", "date") and value is not None and not isinstance(value, int | float):
                    value = str(value)
                values.append(value)
            sheet.append(values)
            excel_row = sheet.max_row
            for index, column in enumerate(section.columns, start=1):
                cell = sheet.cell(excel_row, index)
                if column.kind == "percent":
                    cell.number_format = "0.0%"
                elif column.kind == "number":
                    cell.number_format = "#,##0.####"
                elif column.kind == "date":
                    cell.number_format = "yyyy-mm-dd"
                elif column.kind == "light" and row.get(column.key) in LIGHT_COLOURS:
                    cell.fill = PatternFill("solid", fgColor=LIGHT_COLOURS[row[column.key]])
                    cell.font = Font(color="FFFFFF", bold=True)
        if not section.rows:
            sheet.append([section.empty])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(section.columns, start=1):
            longest = max([len(column.header)] + [len(display(r.get(column.key), column.kind)) for r in section.rows[:200]])
            sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, longest * 1.8 + 2))
    workbook.properties.title = f"{report.title} {report.scope_name} {report.as_of.isoformat()}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render_docx(report: Report) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    document = Document()
    page = document.sections[0]
    page.orientation = WD_ORIENT.LANDSCAPE
    page.page_width, page.page_height = Mm(297), Mm(210)
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(page, margin, Mm(15))
    normal = document.styles["Normal"]
    normal.font.size = Pt(9)
    normal.font.name = "Noto Sans CJK SC"
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    page.header.paragraphs[0].text = report.header_text
    document.add_heading(f"{report.title}：{report.scope_name}", level=0)
    document.add_paragraph(f"截至{report.as_of.isoformat()}　生成于{report.generated_at:%Y-%m-%d %H:%M}")
    if report.sample:
        run = document.add_paragraph().add_run(SAMPLE_NOTICE)
        run.bold = True
    for note in report.notes:
        document.add_paragraph(note)
    for section in report.sections:
        document.add_heading(section.title, level=1)
        if section.intro:
            document.add_paragraph(section.intro)
        if not section.rows:
            document.add_paragraph(section.empty)
            continue
        table = document.add_table(rows=1, cols=len(section.columns))
        table.style = "Table Grid"
        for cell, column in zip(table.rows[0].cells, section.columns, strict=True):
            cell.text = column.header
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in section.rows:
            cells = table.add_row().cells
            for cell, column in zip(cells, section.columns, strict=True):
                cell.text = display(row.get(column.key), column.kind)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def render(report: Report, fmt: str) -> bytes:
    """The report in ``fmt`` (html, pdf, xlsx, docx) as bytes."""
    if fmt == "html":
        return render_html(report).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(report)
    if fmt == "xlsx":
        return render_xlsx(report)
    if fmt == "docx":
        return render_docx(report)
    raise ValueError(f"未知格式“{fmt}”，应为 {'、'.join(FORMATS)} / unknown format {fmt!r}")


def filename(report: Report, fmt: str) -> str:
    scope = report.cluster_code or report.region_code
    return f"{report.kind}-{scope}-{report.as_of.isoformat()}.{fmt}"
