"""Hostile or broken rule folders are rule problems (exit 3, with file and line), never a hang, a memory
exhaustion or 'a bug in chuan-ngheo' (exit 4): symlink loops, huge integers, deep nesting, pipes, devices."""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from classifier.cli import main
from classifier.data import sample_path
from classifier.rules.yamlload import MAX_DEPTH, MAX_RULE_FILE_BYTES, load_yaml_file
from tests.helpers import copy_rules

STANDARD = "nd-07-2021"
SAMPLE = sample_path("commune.json")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _both_commands(root: Path, tmp_path: Path) -> list[tuple[int, str]]:
    """(exit code, stderr) of `rules check` on the folder and of `classify` with it."""
    results = []
    code, _, err = run("rules", "check", str(root / STANDARD))
    results.append((code, err))
    code, _, err = run(
        "classify",
        str(SAMPLE),
        "-o",
        str(tmp_path / "kq.csv"),
        "--rules-dir",
        str(root),
        "--standard",
        STANDARD,
    )
    results.append((code, err))
    return results


def _loop(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.name)


def _huge_integer(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "1500000" in text
    path.write_text(text.replace("1500000", "1" * 5000, 1), encoding="utf-8")


def _deep(path: Path) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\nghi_chu: " + "[" * 5000 + "]" * 5000 + "\n")


CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # name: (how the file is broken, file, what the message says)
    "symlink loop": (_loop, "indicators.yaml", "symbolic link that loops back on itself"),
    "5,000-digit integer": (_huge_integer, "parameters.yaml", "cannot be read"),
    "deep nesting": (_deep, "parameters.yaml", f"nested more than {MAX_DEPTH} levels"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_broken_rule_files_are_rule_problems_with_file_and_line(tmp_path: Path, case: str) -> None:
    """Each broken file gives exit 3 from `rules check` and `classify`, naming the file (and the line
    where there is one), instead of exit 4 'internal error'."""
    breaker, name, message = CASES[case]
    root = copy_rules(tmp_path)
    breaker(root / STANDARD / name)
    for code, err in _both_commands(root, tmp_path):
        assert code == 3, err
        assert f"{name}" in err and message in err, err
        assert "internal error" not in err
    if case != "symlink loop":  # a loop has no line; the others do
        _, problems = load_yaml_file(root / STANDARD / name)
        assert problems and problems[0].line is not None and problems[0].line > 1


def test_a_rule_folder_that_is_a_symlink_loop_is_a_rule_problem(tmp_path: Path) -> None:
    """A rule folder that is a link to itself: exit 3 naming it, not a RuntimeError."""
    root = copy_rules(tmp_path)
    (root / "vong").symlink_to("vong")
    code, _, err = run("rules", "check", str(root / "vong"))
    assert code == 3, err
    assert "loops back on itself" in err


def test_a_rule_file_that_is_a_named_pipe_does_not_hang(tmp_path: Path) -> None:
    """indicators.yaml as a FIFO: `rules check` and `classify` report it (exit 3) at once instead of
    waiting forever for a writer."""
    root = copy_rules(tmp_path)
    fifo = root / STANDARD / "indicators.yaml"
    fifo.unlink()
    os.mkfifo(fifo)
    finished = threading.Event()

    def unblock() -> None:
        # Would free a reader stuck on the pipe (the old behaviour), so the test fails instead of hanging.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not finished.is_set():
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.5)
                continue
            os.close(fd)

    watchdog = threading.Thread(target=unblock, daemon=True)
    watchdog.start()
    started = time.monotonic()
    try:
        results = _both_commands(root, tmp_path)
    finally:
        finished.set()
        watchdog.join(timeout=30)
    assert time.monotonic() - started < 15
    for code, err in results:
        assert code == 3, err
        assert "indicators.yaml" in err and "named pipe" in err, err


def test_a_rule_file_linked_to_dev_zero_is_refused_without_reading_it(tmp_path: Path) -> None:
    """parameters.yaml -> /dev/zero: refused as a device (exit 3), not read until memory runs out."""
    root = copy_rules(tmp_path)
    target = root / STANDARD / "parameters.yaml"
    target.unlink()
    target.symlink_to("/dev/zero")
    for code, err in _both_commands(root, tmp_path):
        assert code == 3, err
        assert "parameters.yaml" in err and "a device, not a regular file" in err, err


def test_an_oversized_rule_file_is_refused(tmp_path: Path) -> None:
    """A rule file beyond the size limit (a wrong file dropped in the folder) is a rule problem."""
    path = tmp_path / "lon.yaml"
    path.write_bytes(b"# " + b"x" * MAX_RULE_FILE_BYTES + b"\n")
    value, problems = load_yaml_file(path)
    assert value is None
    assert "larger than" in problems[0].message
