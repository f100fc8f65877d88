"""The score method of Thông tư 07/2021/TT-BLĐTBXH, shared by both engines.

In the yearly review a commune does not measure income: it fills in form B1 (điểm A, an income proxy)
and form B2 (điểm B, a fixed number of points per deprived indicator) and classifies by the score
cut-offs. A standard whose rule files have ``score_rules`` (only Decree 07/2021: no source gives cut-offs
for another standard) can classify that way. This module holds what the two engines share:

- which method applies to a record (``income``, ``score``, or ``auto``: score when the record carries
  ``score_a``, income otherwise);
- the checks of a score record: area and điểm A present; điểm B a multiple of the points per indicator,
  and, when the record also carries deprivation flags or answers, agreeing with them (points × the count
  when every indicator is known, within the possible range otherwise);
- the candidate điểm B values (the record's, or points × every possible deprivation count when the record
  gives no điểm B);
- the assembly of the Classification from the score rule each engine fired for each candidate, with
  income deciding between the classes a score rule leaves open (the middle band) when the record has it.

Each engine evaluates the score rules itself (durable_rules events, or SQL): only the bookkeeping is here.
Every number comes from the rule files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final

from classifier.engine.common import candidate_counts, check_required, finish
from classifier.errors import InputError, RecordError
from classifier.model import CANNOT_CLASSIFY, Classification, Household, IndicatorResult
from classifier.rules.ruleset import RuleSet

__all__ = [
    "METHODS",
    "POINTS_PARAM",
    "assemble_score",
    "check_method",
    "resolve_method",
    "score_b_candidates",
    "validate_for_score",
]

#: ``--method`` values.
METHODS: Final = ("income", "score", "auto")
#: The parameter giving điểm B points per deprived indicator.
POINTS_PARAM: Final = "score_b_points_per_indicator"


def check_method(method: str, ruleset: RuleSet) -> None:
    """A usage error for an unknown method, or for ``score`` on a standard without score cut-offs."""
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    if method == "score" and not ruleset.score_rules:
        raise InputError(
            f"{ruleset.id} has no score cut-offs (no source gives điểm A / điểm B cut-offs for it; see "
            f"`chuan-ngheo rules show {ruleset.id}`): use --method income or auto"
        )


def resolve_method(method: str, household: Household, ruleset: RuleSet) -> str:
    """``income`` or ``score`` for this record (``auto``: score when it carries score_a)."""
    check_method(method, ruleset)
    if method == "auto":
        has_score = household.facts.get("score_a") is not None
        return "score" if has_score and ruleset.score_rules else "income"
    return method


def validate_for_score(household: Household, ruleset: RuleSet) -> None:
    """Area and điểm A are required by the score method (income is not)."""
    score_a = household.facts.get("score_a")
    bad = not isinstance(score_a, int | float) or isinstance(score_a, bool) or score_a < 0
    expected = "điểm A: the points of form B1, 0 or more (needed by the score method)"
    check_required(household, ruleset, "score_a", score_a, bad, expected)


def score_b_candidates(
    household: Household, ruleset: RuleSet, indicators: Sequence[IndicatorResult]
) -> tuple[tuple[int | float, ...], str]:
    """The điểm B values to classify with, and where they come from (``input`` or ``indicators``).

    Raises InputError naming both figures when the record's score_b is not a multiple of the points per
    indicator, or disagrees with the deprivations its flags or answers decide.
    """
    points = ruleset.parameters[POINTS_PARAM].value
    known, unknown = candidate_counts(indicators)
    given = household.facts.get("score_b")
    if given is None:
        return tuple(points * c for c in range(known, known + unknown + 1)), "indicators"
    if given % points != 0:
        expected = f"a multiple of {points} ({points} points per deprived indicator)"
        raise _score_b_error(household, given, expected)
    carries = any(r.deprived is not None for r in indicators)
    low, high = points * known, points * (known + unknown)
    if carries and not low <= given <= high:
        if unknown == 0:
            expected = (
                f"{high} = {points} × {known} deprived indicators in the record's flags/answers "
                f"(score_b {given} disagrees)"
            )
        else:
            expected = (
                f"{low} to {high} = {points} × {known} to {known + unknown} deprived indicators "
                f"possible from the record's flags/answers (score_b {given} disagrees)"
            )
        raise _score_b_error(household, given, expected)
    return (given,), "input"


def _score_b_error(household: Household, value: Any, expected: str) -> InputError:
    error = RecordError(household.id, "score_b", value, expected)
    return InputError(error.message, [error])


def assemble_score(
    household: Household,
    ruleset: RuleSet,
    reference_date: dt.date,
    indicators: tuple[IndicatorResult, ...],
    b_values: Sequence[int | float],
    b_source: str,
    fired_score: Sequence[str],
    fired_income: Sequence[tuple[int, str]] | None,
    engine: str,
    with_trace: bool = True,
) -> Classification:
    """The Classification under the score method.

    ``fired_score`` holds the score rule that fired for each candidate of ``b_values`` (same order);
    ``fired_income`` the income rules per candidate deprivation count, or None when the record has no
    income. A score rule that leaves several classes open is decided by income only when every income
    outcome is one of them; otherwise the result is khong_du_du_lieu with those classes possible.
    """
    known, unknown = candidate_counts(indicators)
    rules = {r.id: r for r in ruleset.score_rules}
    used: dict[str, list[int]] = {}
    decided: dict[str, None] = {}
    open_classes: dict[str, None] = {}
    for b_value, rule_id in zip(b_values, fired_score, strict=True):
        rule = rules[rule_id]
        used.setdefault(rule_id, []).append(int(b_value))
        if rule.possible:
            open_classes.update(dict.fromkeys(rule.possible))
        else:
            decided.setdefault(rule.outcome, None)
    fired: tuple[str, ...] = ()
    if open_classes:
        possible_set = {**decided, **open_classes}
        income_outcomes: dict[str, None] = {}
        income_rules: dict[str, list[int]] = {}
        for count, rule_id in fired_income or ():
            income_outcomes.setdefault(ruleset.rule(rule_id).outcome, None)
            income_rules.setdefault(rule_id, []).append(count)
        if not decided and len(income_outcomes) == 1 and next(iter(income_outcomes)) in open_classes:
            outcome = next(iter(income_outcomes))
            used.update(income_rules)
            fired = tuple(used)
        else:
            outcome = CANNOT_CLASSIFY
    else:
        possible_set = decided
        outcome = next(iter(decided)) if len(decided) == 1 else CANNOT_CLASSIFY
        if outcome != CANNOT_CLASSIFY:
            fired = tuple(used)
    possible: tuple[str, ...] = ()
    if outcome == CANNOT_CLASSIFY:
        possible = tuple(sorted(possible_set, key=lambda c: ruleset.classes[c].rank))
    missing: tuple[str, ...] = ()
    if outcome == CANNOT_CLASSIFY:
        names = [f for r in indicators if r.deprived is None for f in r.missing] if len(decided) > 1 else []
        if open_classes and household.income_per_capita_month is None:
            names.append("income_per_capita_month")
        missing = tuple(dict.fromkeys(names))
    return finish(
        household,
        ruleset,
        reference_date,
        indicators,
        used,
        outcome,
        possible,
        missing,
        fired,
        engine,
        known,
        unknown,
        with_trace=with_trace,
        method="score",
        score_facts={"score_a": household.facts.get("score_a"), "score_b_values": tuple(b_values)},
        score_b_source=b_source,
    )
