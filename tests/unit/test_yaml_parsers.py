"""Rule files are parsed by libyaml when PyYAML has it, else by the pure-Python parser
(classifier/rules/yamlload.py); a file libyaml refuses is read again by the Python parser. Either
way a file must give the same values, the same line of every key and item, and the same problems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import classifier.rules.yamlload as yamlload
from classifier.rules.yamlload import LocatedDict, LocatedList, load_yaml_file, safe_load_text

REPO = Path(__file__).resolve().parents[2]

#: Texts at the edges of YAML and of what rule data may hold (each is read by both parsers).
TEXTS = {
    "plain": "a: 1\nb: [x, 'y', \"z\\u00e9\"]\nc:\n  - d: 2025-01-31\n    e: 1.5e3\n  - ~\n",
    "vietnamese and line breaks": "tên: Hộ nghèo\r\nghi_chú: |\r\n  dòng một\r\n  dòng hai\r\n",
    "nel and line separator": "a: x\x85b: y\u2028c: z\n",
    "bom": "\ufeffa: 1\n",
    "folded and quoted": "a: >\n  one\n  two\n\nb: 'it''s'\nc: \"tab\\there\"\nd: =\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "alias": "a: &x [1, 2]\nb: *x\n",
    "merge key": "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n",
    "tag": "a: !!python/object/apply:os.system [ls]\n",
    "custom tag": "a: !mine 1\n",
    "deep flow": "a: " + "[" * 150 + "]" * 150 + "\n",
    "deep block": "".join("  " * i + f"k{i}:\n" for i in range(120)) + "  " * 120 + "v: 1\n",
    "tab indent": "a:\n\tb: 1\n",
    "bad indent": "a:\n  b: 1\n c: 2\n",
    "unclosed quote": 'a: "open\nb: 2\n',
    "unclosed flow": "a: [1, 2\nb: 3\n",
    "control character": "a: \x07\n",
    "nul": "a: \x00\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "empty": "",
    "only a comment": "# nothing\n",
    "huge integer": "a: " + "9" * 5000 + "\n",
    "impossible date": "a: 2025-02-30\n",
    "keys of other types": "1: a\n2025-01-01: b\ntrue: c\n",
    "colon in plain scalar": "a: x: y\n",
    "question key": "? a\n: 1\n",
    "duplicate anchor": "a: &x 1\nb: &x 2\nc: *x\n",
    "undefined alias": "a: *nowhere\n",
    "directive": "%YAML 1.1\n---\na: 1\n",
    "unknown directive": "%FOO bar\n---\na: 1\n",
}


def _shape(value: Any) -> Any:
    """A value with the lines it carries, for comparison."""
    if isinstance(value, LocatedDict):
        lines = tuple(sorted(value.key_lines.items()))
        return ("map", value.line, lines, tuple((k, _shape(v)) for k, v in value.items()))
    if isinstance(value, LocatedList):
        return ("seq", value.line, tuple(value.item_lines), tuple(_shape(v) for v in value))
    return (type(value).__name__, repr(value))


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    fast = load_yaml_file(path)
    with monkeypatch.context() as patch:
        patch.setattr(yamlload, "_FAST", False)
        python = load_yaml_file(path)
    return (_shape(fast[0]), [str(p) for p in fast[1]]), (_shape(python[0]), [str(p) for p in python[1]])


def test_libyaml_is_used_here() -> None:
    """The fast parser is present on this machine, so the comparisons below compare two parsers."""
    assert yamlload._FAST


def test_every_yaml_file_of_the_repository_reads_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rule files, golden cases, report templates, sample data and test data: same values and lines."""
    files = [p for p in REPO.rglob("*.y*ml") if ".venv" not in p.parts and p.suffix in (".yaml", ".yml")]
    assert len(files) > 50
    for path in files:
        fast, python = _both(path, monkeypatch)
        assert fast == python, path


@pytest.mark.parametrize("name", list(TEXTS))
def test_edge_texts_read_alike(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Valid, refused and malformed texts: same values, lines and problems (worded alike)."""
    path = tmp_path / "rules.yaml"
    path.write_text(TEXTS[name], encoding="utf-8", newline="")
    fast, python = _both(path, monkeypatch)
    assert fast == python


def _safe_load(text: str, loader: Any) -> Any:
    try:
        return ("value", repr(loader(text)))
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a huge integer, 2025-02-30
        return ("error", type(exc).__name__, str(exc))


@pytest.mark.parametrize("name", ["repository files", *TEXTS])
def test_safe_load_text_is_yaml_safe_load(name: str) -> None:
    """``safe_load_text`` (the package's own data files) gives yaml.safe_load's value or its error."""
    if name == "repository files":
        texts = [p.read_text(encoding="utf-8") for p in REPO.rglob("*.yaml") if ".venv" not in p.parts]
    else:
        texts = [TEXTS[name]]
    for text in texts:
        assert _safe_load(text, safe_load_text) == _safe_load(text, yaml.safe_load)
