"""Whole-repository invariants of the rule data: every item cited, dated and flagged; no law in Python."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from classifier.rules import default_rules_root, list_standards, load_ruleset

REPO = Path(__file__).resolve().parents[2]
STANDARDS = list_standards()


def test_there_are_standards() -> None:
    """The repository ships at least the Decree 07/2021 standard."""
    assert "nd-07-2021" in STANDARDS


@pytest.mark.parametrize("standard", STANDARDS)
def test_every_item_is_cited_dated_and_flagged(standard: str) -> None:
    """Each parameter, indicator and rule cites instrument and article/appendix, with dates and `verified`."""
    ruleset = load_ruleset(standard)
    items = [*ruleset.parameters.values(), *ruleset.indicators, *ruleset.rules]
    assert items
    for item in items:
        assert item.citation.instrument, item.id
        assert item.citation.article or item.citation.appendix, item.id
        assert item.valid_from is not None, item.id
        assert isinstance(item.verified, bool), item.id


@pytest.mark.parametrize("standard", STANDARDS)
def test_legal_numbers_do_not_appear_in_python(standard: str) -> None:
    """No income line or band edge of any standard is written in the package's Python code."""
    ruleset = load_ruleset(standard)
    numbers = {
        int(p.value)
        for p in ruleset.parameters.values()
        if isinstance(p.value, int | float) and not isinstance(p.value, bool) and p.value >= 100_000
    }
    offenders = []
    for path in (REPO / "classifier").rglob("*.py"):
        if "testing" in path.parts:
            continue  # test-data generators may name boundary incomes they aim at
        text = path.read_text(encoding="utf-8")
        for number in numbers:
            pattern = rf"(?<![\d_.,]){number:_}(?![\d_])|(?<![\d_.,]){number}(?![\d_])|{number:,}"
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(REPO)}: {number}")
    assert offenders == []


def test_rules_root_is_the_repository_folder() -> None:
    """Without CHUAN_NGHEO_RULES the package reads this repository's rules/ folder."""
    assert default_rules_root().resolve() == (REPO / "rules").resolve()
