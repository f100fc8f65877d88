"""The small public API: load a standard, classify a household, explain the result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

from classifier.engine import get_engine
from classifier.model import Classification, Household
from classifier.rules import load_ruleset
from classifier.rules.ruleset import RuleSet

__all__ = ["DEFAULT_STANDARD", "classify", "classify_many", "load_standard", "resolve_reference_date"]

#: The standard used when none is named (list years 2022–2026).
DEFAULT_STANDARD = "nd-07-2021"


def load_standard(standard: str | RuleSet = DEFAULT_STANDARD, rules_root: Path | None = None) -> RuleSet:
    """A RuleSet by id (``"nd-07-2021"``), loaded and checked; a RuleSet is returned as is."""
    if isinstance(standard, RuleSet):
        return standard
    return load_ruleset(standard, rules_root)


def resolve_reference_date(household: Household, reference_date: dt.date | None) -> dt.date:
    """The record's own reference date, else the run's, else today. Always recorded in the result."""
    return household.reference_date or reference_date or dt.date.today()


def classify(
    household: Household,
    standard: str | RuleSet = DEFAULT_STANDARD,
    *,
    reference_date: dt.date | None = None,
    engine: str = "durable",
    trace: bool = True,
    rules_root: Path | None = None,
    method: str = "auto",
) -> Classification:
    """Classify one household under ``standard``. ``method``: ``income`` (the income lines), ``score``
    (điểm A / điểm B of Thông tư 07/2021/TT-BLĐTBXH) or ``auto`` (score when the record has score_a).

    >>> from classifier import Household, classify
    >>> classify(Household(id="H1", area="rural", income_per_capita_month=2_500_000)).outcome
    'khac'
    """
    ruleset = load_standard(standard, rules_root)
    return get_engine(engine, ruleset).classify(
        household, resolve_reference_date(household, reference_date), trace, method
    )


def classify_many(
    households: Iterable[Household],
    standard: str | RuleSet = DEFAULT_STANDARD,
    *,
    reference_date: dt.date | None = None,
    engine: str = "durable",
    trace: bool = False,
    rules_root: Path | None = None,
    method: str = "auto",
) -> Iterator[Classification]:
    """Classify households one by one, lazily, in input order (``method`` as in :func:`classify`)."""
    ruleset = load_standard(standard, rules_root)
    runner = get_engine(engine, ruleset)
    for household in households:
        yield runner.classify(household, resolve_reference_date(household, reference_date), trace, method)
