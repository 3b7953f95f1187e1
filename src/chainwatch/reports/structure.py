"""One report structure that every renderer (HTML, PDF, XLSX, DOCX) reads.

A :class:`Report` is a title, the scope it covers (region and/or cluster, as-of date) and an
ordered list of :class:`Section` tables.  Cells hold raw values (numbers stay numbers, so the
XLSX keeps them numeric); :func:`display` formats a cell for the text renderers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

LIGHT_LABELS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "grey": "灰色"}
LIGHT_COLOURS = {"green": "2E9E44", "yellow": "E8B100", "red": "D43A2F", "grey": "9E9E9E"}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | number | percent | points | light | date
    unit: str = ""  # a fixed unit shown in the header, e.g. 亿元
    width: float = 0  # relative width in print (0: by kind)

    @property
    def weight(self) -> float:
        if self.width:
            return self.width
        return {"number": 1.0, "percent": 0.8, "points": 0.8, "light": 0.8, "date": 1.1}.get(self.kind, 1.2)

    @property
    def header(self) -> str:
        return f"{self.label}（{self.unit}）" if self.unit else self.label


@dataclass
class Section:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    intro: str = ""
    empty: str = "无"


@dataclass
class Report:
    kind: str  # dispatch | meeting
    title: str
    region_name: str
    region_code: str
    cluster_name: str | None
    cluster_code: str | None
    as_of: date
    generated_at: datetime
    sections: list[Section]
    sample: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def scope_name(self) -> str:
        return " · ".join(filter(None, [self.region_name, self.cluster_name]))

    @property
    def header_text(self) -> str:
        return f"{self.title} · {self.scope_name} · 截至{self.as_of.isoformat()}"

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def display(value: Any, kind: str = "text") -> str:
    """A cell as text: numbers without float noise, shares as percentages, lights in Chinese."""
    if value is None or value == "":
        return "—" if kind != "text" else ""
    if kind == "light":
        return LIGHT_LABELS.get(value, str(value))
    if kind == "percent":
        return f"{value:.0%}"
    if kind == "points":
        return f"{value * 100:+.0f}"
    if kind == "date":
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if isinstance(value, float):
        if value != value:
            return "—"
        if abs(value) >= 1000:
            text = f"{value:,.1f}"
            return text[:-2] if text.endswith(".0") else text
        text = f"{value:.4g}"
        return text
    return str(value)
