"""Clause segmentation of Chinese policy text: 一、 → （一） → 1. / 一是 → the clause tree.

Pure: text in, clauses out. Each clause knows its path (``三(四)``, ``二(一)一是``), its level, its
parent and its character range in the original text, so any span can be mapped to the deepest
clause that contains it. Markers count only at the start of a line (after any indentation), which
is how the documents lay them out; a numeral inside a sentence is never a clause.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

CN_DIGITS = "一二三四五六七八九十"

# (level, regex). The regex must match at a line start (after indentation) and capture the label.
_MARKERS: list[tuple[int, re.Pattern[str]]] = [
    (1, re.compile(rf"(?P<label>[{CN_DIGITS}]{{1,3}})、")),
    (1, re.compile(r"(?P<label>附件)\s*$|(?P<label2>附件)[：:\s]")),
    (2, re.compile(rf"[（(]\s*(?P<label>[{CN_DIGITS}]{{1,3}})\s*[）)]")),
    (3, re.compile(r"(?P<label>\d{1,2})\s*[.．、](?!\d)")),
    (3, re.compile(rf"(?P<label>[{CN_DIGITS}]{{1,3}}是)")),
]
_INDENT = re.compile(r"[ \t\u3000\u00a0]*")


@dataclass(frozen=True)
class Clause:
    path: str
    level: int
    label: str
    parent_path: str | None
    heading: str
    start: int
    end: int

    def text(self, document: str) -> str:
        return document[self.start:self.end]


def _format_label(level: int, label: str) -> str:
    return f"({label})" if level == 2 else label


def _heading(text: str, start: int, end: int) -> str:
    body = text[start:end].strip()
    first_line = body.split("\n", 1)[0].strip()
    cut = re.search(r"[。：:]", first_line)
    heading = first_line[: cut.start()] if cut else first_line
    return heading[:80]


def segment(text: str) -> list[Clause]:
    """The clauses of ``text`` in document order. A preamble before the first marker is omitted."""
    found: list[tuple[int, int, str]] = []  # (offset, level, label)
    offset = 0
    for line in text.splitlines(keepends=True):
        indent = _INDENT.match(line).end()
        rest = line[indent:]
        for level, pattern in _MARKERS:
            match = pattern.match(rest)
            if match:
                label = match.group("label") or match.groupdict().get("label2")
                found.append((offset + indent, level, label))
                break
        offset += len(line)

    clauses: list[Clause] = []
    stack: list[Clause] = []  # open ancestors
    for index, (start, level, label) in enumerate(found):
        end = len(text)
        for later_start, later_level, _ in found[index + 1:]:
            if later_level <= level:
                end = later_start
                break
        while stack and stack[-1].level >= level:
            stack.pop()
        parent = stack[-1] if stack else None
        path = (parent.path if parent else "") + _format_label(level, label)
        clause = Clause(
            path=path,
            level=level,
            label=label,
            parent_path=parent.path if parent else None,
            heading=_heading(text, start, end),
            start=start,
            end=end,
        )
        clauses.append(clause)
        stack.append(clause)
    return clauses


def clause_at(clauses: list[Clause], offset: int, starts: list[int] | None = None) -> Clause | None:
    """The deepest clause containing character ``offset``. Pass ``starts`` (the clauses' start
    offsets, computed once) when looking up many offsets in one document."""
    if starts is None:
        starts = [clause.start for clause in clauses]
    index = bisect.bisect_right(starts, offset) - 1
    while index >= 0:
        clause = clauses[index]
        if clause.start <= offset < clause.end:
            return clause
        index -= 1
    return None
