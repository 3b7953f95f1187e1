"""Score proposed targets against hand labels: precision, recall, F1, and what was missed.

Pure. A prediction matches a label when value, unit, year and comparator agree and the spans
overlap: by character offsets (``start``/``end``) when both carry them, else by the overlap of
their whitespace-free span texts (one contains the other). Matching is one-to-one (maximum
bipartite matching), so a target stated once cannot be counted twice. Items may carry a
``document`` key; then only items of the same document are compared, which lets a whole labelled
set be scored in one call.

Label files: ``tests/policy/labels/<document stem>.jsonl``, one target per line with the fields of
``ExtractedTarget.to_dict()`` plus ``start``/``end``. The CLI reads each label file, extracts from
``DOCS_DIR/<stem>.txt`` (or .docx/.pdf), tags both sides with ``document=<stem>`` and calls
:func:`evaluate` (or :func:`evaluate` per document and :func:`combine`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field


@dataclass
class Scores:
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    misses: list = field(default_factory=list)  # labels nothing matched
    false_alarms: list = field(default_factory=list)  # predictions that matched no label

    def to_dict(self) -> dict:
        return {
            "tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
            "recall": round(self.recall, 4), "f1": round(self.f1, 4),
        }


def _ratios(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    # Nothing to find and nothing found is a perfect score, not a division by zero.
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _unit(text: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


def _flat(text: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


def _same_number(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False


def _spans_overlap(a: dict, b: dict) -> bool:
    if all(isinstance(item.get(key), int) for item in (a, b) for key in ("start", "end")):
        return a["start"] < b["end"] and b["start"] < a["end"]
    left, right = _flat(a.get("span")), _flat(b.get("span"))
    return bool(left and right) and (left in right or right in left)


def matches(predicted: dict, label: dict) -> bool:
    """Whether one prediction counts as finding one label."""
    if predicted.get("document") != label.get("document"):
        return False
    return (
        _same_number(predicted.get("value"), label.get("value"))
        and _unit(predicted.get("unit")) == _unit(label.get("unit"))
        and predicted.get("year") == label.get("year")
        and predicted.get("comparator") == label.get("comparator")
        and _spans_overlap(predicted, label)
    )


def evaluate(predicted: list[dict], labels: list[dict]) -> Scores:
    """Precision, recall and F1 of ``predicted`` against ``labels`` (one-to-one matching)."""
    candidates = [
        [p for p, prediction in enumerate(predicted) if matches(prediction, label)]
        for label in labels
    ]
    matched_prediction: dict[int, int] = {}  # prediction index -> label index

    def augment(label_index: int, seen: set[int]) -> bool:
        for p in candidates[label_index]:
            if p in seen:
                continue
            seen.add(p)
            if p not in matched_prediction or augment(matched_prediction[p], seen):
                matched_prediction[p] = label_index
                return True
        return False

    for label_index in range(len(labels)):
        augment(label_index, set())
    matched_labels = set(matched_prediction.values())
    tp = len(matched_prediction)
    fp = len(predicted) - tp
    fn = len(labels) - tp
    precision, recall, f1 = _ratios(tp, fp, fn)
    return Scores(
        tp=tp, fp=fp, fn=fn, precision=precision, recall=recall, f1=f1,
        misses=[label for i, label in enumerate(labels) if i not in matched_labels],
        false_alarms=[p for i, p in enumerate(predicted) if i not in matched_prediction],
    )


def combine(parts: list[Scores]) -> Scores:
    """Micro-averaged total over several documents' scores."""
    tp = sum(part.tp for part in parts)
    fp = sum(part.fp for part in parts)
    fn = sum(part.fn for part in parts)
    precision, recall, f1 = _ratios(tp, fp, fn)
    return Scores(
        tp=tp, fp=fp, fn=fn, precision=precision, recall=recall, f1=f1,
        misses=[miss for part in parts for miss in part.misses],
        false_alarms=[alarm for part in parts for alarm in part.false_alarms],
    )
