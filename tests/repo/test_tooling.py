"""The strict tooling declared in pyproject.toml holds for the whole tree: ruff, and mypy --strict."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, check=False
    )


@pytest.mark.skipif(
    shutil.which("ruff") is None and _run("ruff", "--version").returncode != 0,
    reason="ruff is not installed (pip install -e '.[test]' installs it)",
)
def test_ruff_finds_nothing() -> None:
    """ruff check (rules chosen in pyproject.toml, every ignore commented) passes on code and tests."""
    result = _run("ruff", "check", "classifier", "tests", "cases", "benchmarks", "tools")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(
    shutil.which("ruff") is None and _run("ruff", "--version").returncode != 0,
    reason="ruff is not installed (pip install -e '.[test]' installs it)",
)
def test_ruff_format_leaves_every_file_unchanged() -> None:
    """Code and tests keep `ruff format` style (`ruff format classifier tests cases benchmarks tools`)."""
    result = _run("ruff", "format", "--check", "classifier", "tests", "cases", "benchmarks", "tools")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(
    _run("mypy", "--version").returncode != 0,
    reason="mypy is not installed (pip install -e '.[test]' installs it)",
)
def test_mypy_strict_passes_on_the_package() -> None:
    """mypy --strict (configured in pyproject.toml) passes on the classifier package."""
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
