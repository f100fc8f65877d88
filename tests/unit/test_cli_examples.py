"""Every example printed by `chuan-ngheo --help` and by each command's --help runs on the bundled sample.

The examples are read from the parsers themselves, so an example added to a help text is run here too.
They run in order in one temporary folder (the main list first, then each command's own), so an example
may use a file an earlier one wrote (e.g. `transitions` reads the results `classify` wrote); one that fails
is tried again after the others, for an example that needs what a later one creates.
"""

from __future__ import annotations

import argparse
import io
import re
import shlex
import shutil
from pathlib import Path

import pytest

from classifier.cli import build_parser, main

REPO = Path(__file__).resolve().parents[2]


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parser and every sub-command parser under it, depth first."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                found += _parsers(sub)
    return found


def help_examples() -> list[str]:
    """Every `chuan-ngheo ...` line of every help text, in order, each once."""
    lines: dict[str, None] = {}
    for parser in _parsers(build_parser()):
        # A long example continues on the next line after a backslash, as in a shell.
        text = (parser.epilog or "").replace("\\\n", " ")
        variables: dict[str, str] = {}
        for line in text.splitlines():
            # `S=path` sets a shell variable the following examples use as `$S`.
            if assignment := re.fullmatch(r"\s*(\w+)=(\S+)\s*", line):
                variables[assignment[1]] = assignment[2]
                continue
            line = re.sub(r"\$(\w+)", lambda m, known=variables: known.get(m[1], m[0]), line)
            # `a && b` is two commands; `# ...` a comment for the reader.
            for command in line.split("#")[0].split("&&"):
                if command.strip().startswith("chuan-ngheo "):
                    lines.setdefault(" ".join(command.split()), None)
    return list(lines)


def test_the_help_texts_hold_examples() -> None:
    """The main help and the commands' help show examples (so the test below cannot pass vacuously)."""
    examples = help_examples()
    assert len(examples) >= 10
    assert any(e.startswith("chuan-ngheo explain ") for e in examples)


#: Examples that take several seconds each (property search, PDF/HTML rendering, two standards): run by
#: the slow test only, which runs every example; the fast suite runs the others.
HEAVY = ("chuan-ngheo rules verify", "chuan-ngheo report", "chuan-ngheo diff", "chuan-ngheo papers")
#: Examples no test can run to completion: `serve` runs until stopped, and `user add` without
#: --password-stdin/--password-env asks for the password at a terminal (tests/web covers both).
NOT_RUN = ("chuan-ngheo serve", "chuan-ngheo user add")


def _run_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, examples: list[str]) -> None:
    """Run ``examples`` in order from a folder laid out like the repository; each must exit 0."""
    (tmp_path / "classifier").mkdir()
    (tmp_path / "classifier" / "data").symlink_to(REPO / "classifier" / "data")
    # A copy, since `rules new` writes a folder into the rules root.
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    monkeypatch.setenv("CHUAN_NGHEO_RULES", str(tmp_path / "rules"))
    monkeypatch.chdir(tmp_path)
    # In order; an example that needs what a later one creates (a register round) gets a second try.
    todo = [e for e in examples if not e.startswith(NOT_RUN)]
    failures: dict[str, str] = {}
    for _ in range(2):
        failures = {}
        for example in todo:
            out, err = io.StringIO(), io.StringIO()
            code = main(shlex.split(example)[1:], out=out, err=err)
            if code != 0:
                failures[example] = f"{example}\n  exit {code}: {err.getvalue()[-400:]}"
        todo = list(failures)
    assert not failures, "\n".join(failures.values())


def test_the_quick_help_examples_run_on_the_bundled_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every example but the heavy ones exits 0 on the bundled sample."""
    _run_examples(tmp_path, monkeypatch, [e for e in help_examples() if not e.startswith(HEAVY)])


@pytest.mark.slow
def test_every_help_example_runs_on_the_bundled_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every example of every help text exits 0 on the bundled sample."""
    _run_examples(tmp_path, monkeypatch, help_examples())
