"""Check a knowledge-pack file against its seed text.

Usage: python tests/knowledge/check_spans.py PACK_YAML SEED_TXT

Prints every `span` (anywhere in the pack: targets, observations, tasks, rules, facts ...) that
does not occur in the seed text with all whitespace removed, every `key` that occurs more than
once, every indicator/sector `code` defined twice, and every YAML mapping that repeats a field
name (PyYAML would silently keep the last one).
Exits 1 if any were found, 0 otherwise. Spans that occur more than once in the seed are reported
as warnings only (the loader takes the first occurrence). Standalone: needs only PyYAML.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml


class _DuplicateFieldLoader(yaml.SafeLoader):
    """SafeLoader that records mapping fields given twice in one mapping."""

    duplicate_fields: list[str]


def _construct_mapping(loader: _DuplicateFieldLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        field = loader.construct_object(key_node, deep=True)
        if field in seen:
            loader.duplicate_fields.append(
                f"line {key_node.start_mark.line + 1}: field {field!r} given twice"
            )
        seen.add(field)
    return loader.construct_mapping(node, deep=True)


_DuplicateFieldLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def strip_whitespace(text: str) -> str:
    return "".join(text.split())


def load_pack(path: Path) -> tuple[Any, list[str]]:
    """Return the parsed YAML and the list of repeated mapping fields."""
    loader = _DuplicateFieldLoader(path.read_text(encoding="utf-8"))
    loader.duplicate_fields = []
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    return data, loader.duplicate_fields


def iter_records(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (location, mapping) for every mapping in the tree."""
    if isinstance(node, dict):
        yield where, node
        for field, value in node.items():
            yield from iter_records(value, f"{where}.{field}" if where else str(field))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from iter_records(item, f"{where}[{index}]")


def check(pack_path: Path, seed_path: Path) -> tuple[list[str], list[str]]:
    """Return (errors, warnings) for one pack file against one seed text."""
    data, errors = load_pack(pack_path)
    seed = strip_whitespace(seed_path.read_text(encoding="utf-8"))
    keys: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    warnings: list[str] = []
    for where, record in iter_records(data):
        label = record.get("key") or record.get("code") or where
        if "key" in record and isinstance(record["key"], str):
            keys[record["key"]] += 1
        if where.startswith(("indicators[", "sectors[")) and isinstance(record.get("code"), str):
            codes[record["code"]] += 1
        if "span" not in record:
            continue
        span = record["span"]
        if not isinstance(span, str) or not span:
            errors.append(f"{label}: span missing or not a string: {span!r}")
        elif span not in seed:
            errors.append(f"{label}: span not in seed: {span}")
        elif seed.count(span) > 1:
            warnings.append(f"{label}: span occurs {seed.count(span)} times in seed: {span}")
    errors.extend(f"duplicate key ({count}x): {key}" for key, count in keys.items() if count > 1)
    errors.extend(
        f"duplicate code ({count}x): {code}" for code, count in codes.items() if count > 1
    )
    return errors, warnings


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: check_spans.py PACK_YAML SEED_TXT", file=sys.stderr)
        return 2
    errors, warnings = check(Path(argv[1]), Path(argv[2]))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in errors:
        print(error)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
