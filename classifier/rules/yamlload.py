"""Strict, safe YAML loading that remembers where every value came from.

PyYAML's SafeLoader never executes code, but it silently keeps the last of two duplicate keys and
forgets line numbers. We compose the node graph with SafeLoader and build the Python values
ourselves, so that duplicate keys become problems and every mapping knows the line of each key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from classifier.errors import RuleProblem

__all__ = ["LocatedDict", "LocatedList", "load_yaml_file", "line_of"]


class LocatedDict(dict[str, Any]):
    """A dict that knows its own line and the line of each key (1-based)."""

    line: int
    key_lines: dict[str, int]
    file: str


class LocatedList(list[Any]):
    """A list that knows its own line and the line of each item (1-based)."""

    line: int
    item_lines: list[int]
    file: str


def line_of(value: Any, key: str | int | None = None) -> int | None:
    """The line of ``value`` (or of ``value[key]``), when it was loaded from YAML."""
    if isinstance(value, LocatedDict):
        if isinstance(key, str) and key in value.key_lines:
            return value.key_lines[key]
        return value.line
    if isinstance(value, LocatedList):
        if isinstance(key, int) and 0 <= key < len(value.item_lines):
            return value.item_lines[key]
        return value.line
    return None


class _Builder:
    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.problems: list[RuleProblem] = []

    def build(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            out = LocatedList()
            out.line = node.start_mark.line + 1
            out.file = self.file
            out.item_lines = []
            for item in node.value:
                out.append(self.build(item))
                out.item_lines.append(item.start_mark.line + 1)
            return out
        # Scalars: let SafeLoader resolve the tag (int, float, bool, date, str); nothing else exists.
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode) -> LocatedDict:
        out = LocatedDict()
        out.line = node.start_mark.line + 1
        out.file = self.file
        out.key_lines = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(
                    RuleProblem(self.file, key_node.start_mark.line + 1, "YAML merge keys (<<) are not allowed")
                )
                continue
            key = self.build(key_node)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                # Dates and numbers as keys are almost always a typo in rule data; keep them as text.
                key = str(key)
            if key in out:
                self.problems.append(
                    RuleProblem(
                        self.file,
                        line,
                        f"duplicate key {key!r} (first defined on line {out.key_lines[key]})",
                        hint="each key may appear once in a mapping",
                    )
                )
                continue
            out[key] = self.build(value_node)
            out.key_lines[key] = line
        return out


def load_yaml_file(path: Path, display_name: str | None = None) -> tuple[Any, list[RuleProblem]]:
    """Load one YAML document safely. Returns (value, problems); value is None when unreadable."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [RuleProblem(name, None, f"cannot read file: {exc}")]
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [RuleProblem(name, 1, "file is empty")]
        builder = _Builder(name, loader)
        value = builder.build(node)
        return value, builder.problems
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [RuleProblem(name, line, f"invalid YAML: {problem}")]
    finally:
        loader.dispose()
