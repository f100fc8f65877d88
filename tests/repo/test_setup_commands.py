"""The README's two set-up commands stay true to what CI runs (the product brief's contract)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _setup_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set-up: two commands", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_readme_has_exactly_two_setup_commands_and_the_second_is_ci() -> None:
    """One command installs and runs the main job on the sample; the other is exactly `.ci/run`."""
    commands = _setup_commands()
    assert len(commands) == 2, commands
    assert "classifier/data/sample/" in commands[0] and "chuan-ngheo classify" in commands[0]
    assert commands[1] == "bash .ci/run"


def test_every_marker_ci_selects_is_declared() -> None:
    """The markers .ci/run stages select on exist in pyproject (a typo would silently select nothing)."""
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    expressions = " ".join(re.findall(r'-m "([^"]+)"', ci))
    selected = set(re.findall(r"[A-Za-z_]\w*", expressions)) - {"not", "and", "or"}
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {m.split(":", 1)[0].strip() for m in config["tool"]["pytest"]["ini_options"]["markers"]}
    assert selected, "no marker expression found in .ci/run"
    assert selected <= declared, selected - declared
