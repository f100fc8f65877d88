"""The strict tooling declared in pyproject.toml holds for the whole tree: ruff, and mypy --strict."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
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


# A noqa comment that waives the complexity check: bare (every rule) or naming C901 / C90 among its codes.
_COMPLEXITY_WAIVER = re.compile(r"#\s*noqa\b(?!\s*:)|#\s*noqa\s*:[^#\n]*\bC90", re.IGNORECASE)


def test_no_function_of_the_package_is_exempt_from_the_complexity_ceiling() -> None:
    """No function in classifier/ escapes C901 (mccabe, max-complexity in pyproject.toml): no `noqa`
    waives it and the ruff configuration neither ignores it nor turns it off for some files."""
    waivers = [
        f"{path.relative_to(REPO)}:{line_no}: {line.strip()}"
        for path in sorted((REPO / "classifier").rglob("*.py"))
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _COMPLEXITY_WAIVER.search(line)
    ]
    assert waivers == [], "split these functions instead of waiving the ceiling:\n" + "\n".join(waivers)
    lint = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]["lint"]
    assert any(code == "ALL" or "C901".startswith(code) for code in lint["select"]), lint["select"]
    assert lint["mccabe"]["max-complexity"] <= 15
    ignored = [
        *lint.get("ignore", []),
        *(c for codes in lint.get("per-file-ignores", {}).values() for c in codes),
    ]
    assert not [code for code in ignored if "C901".startswith(code) or code.startswith("C90")], ignored


@pytest.mark.skipif(
    _run("mypy", "--version").returncode != 0,
    reason="mypy is not installed (pip install -e '.[test]' installs it)",
)
def test_mypy_strict_passes_on_the_package() -> None:
    """mypy --strict (configured in pyproject.toml) passes on the classifier package."""
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
