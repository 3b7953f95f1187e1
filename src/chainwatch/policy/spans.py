"""Locate a span in a document regardless of whitespace and line breaks.

The seeds were extracted from PDFs and break lines mid-sentence, so a span is written without
whitespace and found in the document's whitespace-free form, then mapped back to offsets of the
original text.
"""

from __future__ import annotations

from dataclasses import dataclass


def _is_space(ch: str) -> bool:
    return ch.isspace() or ch in "\u3000\u00a0\ufeff"


@dataclass(frozen=True)
class CompactText:
    """The text without whitespace, and for each of its characters the offset in the original."""

    compact: str
    offsets: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> CompactText:
        kept = [(i, ch) for i, ch in enumerate(text) if not _is_space(ch)]
        return cls("".join(ch for _, ch in kept), tuple(i for i, _ in kept))

    def locate(self, span: str, start_at: int = 0) -> tuple[int, int] | None:
        """Original (start, end) of the first occurrence of ``span`` at or after original offset
        ``start_at``, ignoring whitespace on both sides; None when absent."""
        needle = "".join(ch for ch in span if not _is_space(ch))
        if not needle:
            return None
        compact_from = next((k for k, off in enumerate(self.offsets) if off >= start_at), len(self.offsets))
        index = self.compact.find(needle, compact_from)
        if index < 0:
            return None
        return self.offsets[index], self.offsets[index + len(needle) - 1] + 1

    def count(self, span: str) -> int:
        needle = "".join(ch for ch in span if not _is_space(ch))
        return self.compact.count(needle) if needle else 0
