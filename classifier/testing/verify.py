"""`rules verify`: property checks of a whole rule set, with minimal counterexamples.

The loader already proves, on an exhaustive threshold grid, that classification rules leave no gap
and no overlap. These checks go further and run households through the real engine: hypothesis
searches for a household that breaks a legal invariant and *shrinks* it to a minimal one, which is
what an official editing a provincial overlay needs to see.

Checked, for complete households (every indicator decided):
- totality: every household gets exactly one class of the standard;
- exclusivity: exactly one classification rule applies;
- monotonicity in income: more income never gives a poorer class;
- monotonicity in deprivations: one more deprivation never gives a richer class;
- no gap between income bands: incomes at and one đồng around every threshold are all classified.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from classifier.engine import get_engine
from classifier.engine.common import classification_facts
from classifier.errors import ChuanNgheoError
from classifier.model import Household
from classifier.rules.conditions import EvalContext
from classifier.rules.plan import plan_for
from classifier.rules.ruleset import RuleSet
from classifier.testing.strategies import households, income_thresholds

__all__ = ["CheckResult", "verify_ruleset"]

REFERENCE_DATE = dt.date(2026, 11, 1)


@attrs.frozen
class CheckResult:
    """One property: whether it held, and the smallest household that breaks it when it did not."""

    name: str
    passed: bool
    description: str
    counterexample: str | None = None


def _outcome(ruleset: RuleSet, household: Household) -> str:
    return get_engine("durable", ruleset).classify(household, REFERENCE_DATE, with_trace=False).outcome


def _rank(ruleset: RuleSet, outcome: str) -> int:
    return ruleset.classes[outcome].rank


def _show(household: Household, extra: str = "") -> str:
    deprived = sorted(k for k, v in household.flags.items() if v)
    text = (
        f"area={household.area}, income_per_capita_month={household.income_per_capita_month:,}, "
        f"deprived={deprived or 'none'} ({len(deprived)})"
    )
    return text + (f"; {extra}" if extra else "")


def _search(strategy: st.SearchStrategy[Any], broken: Callable[[Any], bool], examples: int) -> Any | None:
    try:
        return find(
            strategy,
            broken,
            settings=settings(
                max_examples=examples,
                database=None,
                deadline=None,
                phases=[Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck),
            ),
        )
    except NoSuchExample:
        return None


def verify_ruleset(ruleset: RuleSet, examples: int = 300) -> list[CheckResult]:
    """Run every property on ``ruleset``; each result carries a minimal counterexample if it failed."""
    complete = households(standard=ruleset, flags_only=True)
    rules = [(rule_id, compiled.verdict) for rule_id, compiled in plan_for(ruleset).rules]
    results: list[CheckResult] = []

    def unclassifiable(h: Household) -> bool:
        try:
            return _outcome(ruleset, h) not in ruleset.classes
        except ChuanNgheoError:
            return True

    found = _search(complete, unclassifiable, examples)
    results.append(
        CheckResult(
            "totality",
            found is None,
            "every complete household gets one class",
            _show(found) if found is not None else None,
        )
    )

    def matching(h: Household) -> list[str]:
        count = sum(1 for v in h.flags.values() if v)
        ctx_facts = dict(classification_facts(h, ruleset.facts), deprivation_count=count)
        return [rid for rid, fn in rules if fn(EvalContext(household=ctx_facts), None, "") is True]

    found = _search(complete, lambda h: len(matching(h)) != 1, examples)
    results.append(
        CheckResult(
            "exclusivity",
            found is None,
            "exactly one classification rule applies",
            _show(found, f"rules: {matching(found)}") if found is not None else None,
        )
    )

    pairs = st.tuples(complete, st.integers(1, 2_000_000))

    def poorer_when_richer(pair: tuple[Household, int]) -> bool:
        h, raise_by = pair
        richer = attrs.evolve(h, income_per_capita_month=(h.income_per_capita_month or 0) + raise_by)
        try:
            return _rank(ruleset, _outcome(ruleset, richer)) < _rank(ruleset, _outcome(ruleset, h))
        except (ChuanNgheoError, KeyError):
            return False  # reported by totality

    found = _search(pairs, poorer_when_richer, examples)
    results.append(
        CheckResult(
            "monotone_income",
            found is None,
            "more income never gives a poorer class",
            _show(found[0], f"+{found[1]:,} đồng gives a poorer class") if found is not None else None,
        )
    )

    def richer_when_deprived(h: Household) -> bool:
        off = [k for k, v in h.flags.items() if not v]
        if not off:
            return False
        worse = attrs.evolve(h, flags={**h.flags, off[0]: True})
        try:
            return _rank(ruleset, _outcome(ruleset, worse)) > _rank(ruleset, _outcome(ruleset, h))
        except (ChuanNgheoError, KeyError):
            return False

    found = _search(complete, richer_when_deprived, examples)
    results.append(
        CheckResult(
            "monotone_deprivations",
            found is None,
            "one more deprivation never gives a richer class",
            _show(found, "one more deprivation gives a richer class") if found else None,
        )
    )

    gaps = []
    for area in ruleset.facts.classification["area"].values:
        for threshold in income_thresholds(ruleset):
            for income in (threshold - 1, threshold, threshold + 1):
                if income < 0:
                    continue
                for count in range(len(ruleset.indicators) + 1):
                    flags = {ind: i < count for i, ind in enumerate(ruleset.indicator_ids)}
                    h = Household(
                        id="band-check",
                        area=area,
                        income_per_capita_month=income,
                        flags=flags,
                        member_count=1,
                    )
                    if unclassifiable(h):
                        gaps.append(_show(h))
    results.append(
        CheckResult(
            "no_band_gap",
            not gaps,
            "incomes at and 1 đồng around every threshold are classified",
            gaps[0] if gaps else None,
        )
    )
    return results
