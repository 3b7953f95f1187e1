"""YAML reading that remembers line numbers, so every pack problem names file, line and field."""

from __future__ import annotations

from pathlib import Path

import yaml

LINE = "__line__"


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key_node, deep=deep) for key_node, _ in node.value]
        duplicates = {k for k in keys if keys.count(k) > 1}
        if duplicates:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate field(s) {sorted(map(str, duplicates))}", node.start_mark
            )
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE] = node.start_mark.line + 1
        return mapping


class PackError(Exception):
    """Every problem found in a pack, each as 'file:line: field: message'. Nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def read_yaml(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PackError([f"{path}: 文件不是UTF-8编码 / not UTF-8: {exc}"]) from exc
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise PackError([f"{where}: YAML语法错误 / YAML syntax error: {problem}"]) from exc


def line_of(mapping) -> int | str:
    return mapping.get(LINE, "?") if isinstance(mapping, dict) else "?"


def strip_lines(value):
    """A copy without the line markers (for params stored as JSON)."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != LINE}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value
