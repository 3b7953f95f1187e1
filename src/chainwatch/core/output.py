"""Rows out of the CLI as an aligned table, JSON lines or CSV."""

from __future__ import annotations

import csv
import json
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TextIO

from django.core.management.base import CommandError

FORMATS = ("table", "jsonl", "csv")


def plain_number(value):
    """A Decimal as the CLI and JSON show it: 52 not 52.000000, 176.4 not Decimal('176.4')."""
    if value is None:
        return None
    return int(value) if value == value.to_integral() else float(value)


def parse_date_option(text: str | None, *, option: str = "--as-of") -> date | None:
    """A command's ISO date option; a clear CommandError instead of a traceback."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise CommandError(
            f"{option} 日期“{text}”无效，应为 YYYY-MM-DD / invalid date, use YYYY-MM-DD"
        ) from None


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_rows(rows: Iterable[dict], fields: Sequence[str], fmt: str, stream: TextIO, *, table_fields: Sequence[str] | None = None) -> int:
    count = 0
    if fmt == "jsonl":
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count
    if fmt == "csv":
        writer = csv.DictWriter(stream, fieldnames=list(fields), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in fields})
            count += 1
        return count
    columns = list(table_fields or fields)
    cells = [[_cell(row.get(k)) for k in columns] for row in rows]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(columns)]
    widths = [min(w, 48) for w in widths]

    def fit(text: str, width: int) -> str:
        out, used = "", 0
        for ch in text:
            w = _width(ch)
            if used + w > width:
                return out[:-1] + "…" if out else ""
            out += ch
            used += w
        return out + " " * (width - used)

    stream.write("  ".join(fit(c, w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n")
    for row in cells:
        stream.write("  ".join(fit(c, w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
    return len(cells)
