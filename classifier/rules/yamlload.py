"""Strict, safe YAML loading that remembers where every value came from.

PyYAML's SafeLoader never executes code, but it silently keeps the last of two duplicate keys and
forgets line numbers. We compose the node graph with SafeLoader and build the Python values
ourselves, so that duplicate keys become problems and every mapping knows the line of each key.

The text is scanned and parsed by libyaml (PyYAML's C parser, when PyYAML was built with it) and
composed in Python by the same composer either way; a file libyaml refuses is read again with the
pure-Python parser, so every problem is reported in that parser's words. Scanning and parsing were
about four fifths of loading a rule set.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any, cast

import yaml
import yaml.composer

from classifier.errors import RuleProblem

__all__ = [
    "MAX_DEPTH",
    "MAX_RULE_FILE_BYTES",
    "LocatedDict",
    "LocatedList",
    "display_path",
    "line_of",
    "load_yaml_file",
    "read_rule_file",
    "safe_load_text",
]


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


#: Rule files are a few kilobytes; this is far beyond any real one and far below harm.
MAX_RULE_FILE_BYTES = 4 << 20
#: Rule data nests a dozen levels at most; deeper input would exhaust Python's recursion limit.
MAX_DEPTH = 100

_CORE = "tag:yaml.org,2002:"
#: The only tags rule data may carry. The builder below builds mappings and sequences itself, so an
#: explicit tag such as ``!!python/object/apply:os.system [..]`` on a sequence would otherwise be
#: silently dropped (and the payload accepted as a plain list); ``!!binary``, ``!!set`` and custom
#: ``!tags`` have no meaning in rule data either.
_ALLOWED_TAGS = {
    yaml.MappingNode: {_CORE + "map"},
    yaml.SequenceNode: {_CORE + "seq"},
    yaml.ScalarNode: {_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp")},
}


class _Locating(yaml.composer.Composer):
    """A composer that remembers where each alias (``*name``) is written: the composer hands back the
    anchored node itself, whose position is the anchor's, so a problem could not point at the alias.
    It also refuses nesting deeper than :data:`MAX_DEPTH`."""

    # (id of the parent node, id of the key node or the item index) -> line of the alias
    alias_lines: dict[tuple[int, Any], int]
    depth: int

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                events: Any = self  # the parser's methods come from the other base (Python or libyaml)
                mark = events.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep (rule data needs a few)", mark
                )
            return self._compose(parent, index)
        finally:
            self.depth -= 1

    def _compose(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        events: Any = self
        if events.check_event(yaml.AliasEvent):
            where = id(index) if isinstance(index, yaml.Node) else index
            event = events.peek_event()
            self.alias_lines[(id(parent), where)] = event.start_mark.line + 1
        # Only None at the end of the stream, which a node inside a document never is.
        return cast(yaml.Node, super().compose_node(parent, index))


class _Loader(_Locating, yaml.SafeLoader):
    """The pure-Python SafeLoader with the locating composer."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_lines = {}
        self.depth = 0


try:  # PyYAML built without libyaml has no C parser: every file then takes the pure-Python one
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover
    _FAST = False
else:
    _FAST = True

    class _FastLoader(_Locating, CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """libyaml's scanner and parser under the same locating composer (the composer's own
        ``get_single_node`` comes first in the method order, so composing stays in Python)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self.alias_lines = {}
            self.depth = 0


class _Builder:
    def __init__(self, file: str, loader: Any) -> None:
        self.file = file
        self.loader = loader
        self.problems: list[RuleProblem] = []
        # Set by constructs that rule data must not use (tags, aliases, merge keys): the file is then
        # refused as a whole, like a syntax error, instead of being read with holes in it.
        self.fatal = False
        # Nodes already built: the composer hands back the SAME node for every ``*alias``.
        self._seen: set[int] = set()

    def _where(self, path: tuple[str, ...]) -> str:
        return f" at {'.'.join(path)}" if path else ""

    def build(self, node: yaml.Node, path: tuple[str, ...] = (), alias_line: int | None = None) -> Any:
        line = node.start_mark.line + 1
        if alias_line is not None or id(node) in self._seen:
            self.fatal = True
            # Aliases hide a value far from where it is used (and nested ones grow exponentially).
            self.problems.append(
                RuleProblem(
                    self.file,
                    alias_line or line,
                    f"YAML aliases (*name) are not allowed{self._where(path)}",
                    hint="write the value out in full where it is used",
                )
            )
            return None
        self._seen.add(id(node))
        if node.tag not in _ALLOWED_TAGS[type(node)]:
            if isinstance(node, yaml.ScalarNode) and node.tag == _CORE + "value":
                # A plain ``=`` resolves to the obscure YAML 1.1 "value" type: it is just text here.
                return node.value
            self.fatal = True
            shown = "!!" + node.tag[len(_CORE) :] if node.tag.startswith(_CORE) else node.tag
            self.problems.append(
                RuleProblem(
                    self.file,
                    line,
                    f"YAML tag {shown!r} is not allowed{self._where(path)}",
                    hint="rule data holds only text, numbers, booleans, dates, lists and mappings",
                )
            )
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            out = LocatedList()
            out.line = line
            out.file = self.file
            out.item_lines = []
            for i, item in enumerate(node.value):
                out.append(self.build(item, (*path, str(i)), self.loader.alias_lines.get((id(node), i))))
                out.item_lines.append(item.start_mark.line + 1)
            return out
        # Scalars: SafeLoader resolves the (allowed) tag to int, float, bool, None, date or str.
        try:
            return self.loader.construct_object(node, deep=True)
        except ValueError as exc:  # an integer of thousands of digits, a date like 2025-02-30
            self.fatal = True
            shown = (
                node.value if len(node.value) <= 40 else f"{node.value[:20]}…({len(node.value)} characters)"
            )
            self.problems.append(
                RuleProblem(
                    self.file,
                    line,
                    f"value {shown} cannot be read{self._where(path)}: {str(exc).split(';')[0]}",
                    hint="write a number of ordinary size, or a real date",
                )
            )
            return None

    def _mapping(self, node: yaml.MappingNode, path: tuple[str, ...]) -> LocatedDict:
        out = LocatedDict()
        out.line = node.start_mark.line + 1
        out.file = self.file
        out.key_lines = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.fatal = True
                self.problems.append(
                    RuleProblem(
                        self.file,
                        key_node.start_mark.line + 1,
                        f"YAML merge keys (<<) are not allowed{self._where(path)}",
                        hint="write every key out in full",
                    )
                )
                continue
            key = self.build(key_node, path)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                # Dates and numbers as keys are almost always a typo in rule data; keep them as text.
                key = str(key)
            if key in out:
                self.problems.append(
                    RuleProblem(
                        self.file,
                        line,
                        f"duplicate key {key!r}{self._where(path)}"
                        f" (first defined on line {out.key_lines[key]})",
                        hint="each key may appear once in a mapping",
                    )
                )
                continue
            alias_line = self.loader.alias_lines.get((id(node), id(key_node)))
            out[key] = self.build(value_node, (*path, key), alias_line)
            out.key_lines[key] = line
        return out


def read_rule_file(path: Path) -> tuple[bytes | None, str | None]:
    """The bytes of a rule file, or (None, why not): read only regular files, and at most
    :data:`MAX_RULE_FILE_BYTES` of them.

    A named pipe would block a plain read forever and ``/dev/zero`` would fill the memory; a symbolic
    link loop fails to open. Opening with O_NONBLOCK makes opening a pipe return at once, and the
    file type is checked on the open descriptor, so a file swapped in between cannot slip through.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "cannot read file: it is a symbolic link that loops back on itself"
        return None, f"cannot read file: {exc.strerror or exc}"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a named pipe"
                if stat.S_ISFIFO(info.st_mode)
                else "a folder"
                if stat.S_ISDIR(info.st_mode)
                else "a device"
                if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "a socket"
                if stat.S_ISSOCK(info.st_mode)
                else "not a plain file"
            )
            return (
                None,
                f"cannot read file: it is {kind}, not a regular file; a rule file is a plain YAML file",
            )
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_RULE_FILE_BYTES:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_RULE_FILE_BYTES:
            return None, (
                f"file is larger than {MAX_RULE_FILE_BYTES:,} bytes, far more than any rule file needs: "
                "is it the right file?"
            )
        return b"".join(chunks), None
    except OSError as exc:
        return None, f"cannot read file: {exc.strerror or exc}"
    finally:
        os.close(fd)


def display_path(path: Path) -> str:
    """A rule file's path as messages name it: relative to the working directory when possible
    (clickable in editors), else as given. Shared by the loader and the whole-set checks."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symbolic link loop (Python 3.11)
        return str(path)


def load_yaml_file(path: Path, display_name: str | None = None) -> tuple[Any, list[RuleProblem]]:
    """Load one YAML document safely. Returns (value, problems); value is None when unreadable.

    Unreadable means not a regular file or too large (see :func:`read_rule_file`), not UTF-8, a syntax
    error, an empty file, nesting deeper than :data:`MAX_DEPTH`, a number too long to convert, or a
    construct rule data must not use (an explicit tag such as ``!!python/object``, an alias, a merge
    key): every such construct is reported.
    """
    name = display_name or str(path)
    data, why = read_rule_file(path)
    if data is None:
        return None, [RuleProblem(name, None, why or "cannot read file")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = data[: exc.start].count(b"\n") + 1
        not_utf8 = RuleProblem(name, bad_line, "cannot read file: not UTF-8 text", hint="save it as UTF-8")
        return None, [not_utf8]
    if _FAST:
        try:
            return _load_text(name, _FastLoader(text))
        except yaml.YAMLError:
            pass  # read again below, so the problem is worded and placed as the Python parser does
    try:
        return _load_text(name, _Loader(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [RuleProblem(name, line, f"invalid YAML: {problem}")]


def _load_text(name: str, loader: _Locating) -> tuple[Any, list[RuleProblem]]:
    """Compose and build one document with ``loader`` (a YAMLError propagates)."""
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [RuleProblem(name, 1, "file is empty")]
        builder = _Builder(name, loader)
        value = builder.build(node)
        return (None if builder.fatal else value), builder.problems
    finally:
        loader.dispose()  # type: ignore[attr-defined]  # both parsers have it


def safe_load_text(text: str) -> Any:
    """``yaml.safe_load(text)`` through libyaml when PyYAML has it (the same values: the same safe
    constructor and resolver); a text libyaml refuses is parsed again by the Python parser, so the
    error raised is the one ``yaml.safe_load`` raises. For the package's own data files (report
    templates, golden cases read for the rules document, procedure facts)."""
    if _FAST:
        try:
            return yaml.load(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)
