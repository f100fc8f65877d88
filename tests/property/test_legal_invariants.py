"""Legal invariants of Nghị định 07/2021/NĐ-CP, Điều 3 khoản 2, checked on generated households.

The golden cases pin single boundaries; these properties pin the shape of the whole standard:
one outcome per household, monotone in income and in deprivations, blind to member order, a trace
that agrees with the result, and an honest ``khong_du_du_lieu`` (never a guess, and every filled-in
answer lands in one of the outcomes it announced). Households come from ``classifier.testing``,
which reads every threshold from the rule files. Classes are ordered by ``rank`` in standard.yaml
(0 = poorest). Engine: durable (the reference evaluator).
"""

from __future__ import annotations

import math

import attrs
from hypothesis import assume, event, given
from hypothesis import strategies as st

from classifier.api import classify
from classifier.model import CANNOT_CLASSIFY, Classification, Household
from classifier.rules import load_ruleset
from classifier.rules.conditions import compare_values
from classifier.testing import completions, households, income_thresholds

STANDARD = "nd-07-2021"
RULESET = load_ruleset(STANDARD)
RANK = {class_id: cls.rank for class_id, cls in RULESET.classes.items()}
THRESHOLDS = income_thresholds(RULESET)

#: Every shape of record the data contract allows: full answers, unknown answers, flags only (complete
#: or not), answers mixed with pre-decided flags, and small households (where one member's answer
#: weighs most).
ANY_HOUSEHOLD = st.one_of(
    households(),
    households(with_unknowns=True),
    households(flags_only=True),
    households(flags_only=True, with_unknowns=True),
    households(with_unknowns=True, some_flags=True),
    households(min_members=1, max_members=2, with_unknowns=True),
)
WITH_UNKNOWNS = st.one_of(
    households(with_unknowns=True),
    households(flags_only=True, with_unknowns=True),
    households(with_unknowns=True, some_flags=True),
    households(min_members=1, max_members=2, with_unknowns=True),
)


def run(household: Household) -> Classification:
    """Classify under Decree 07/2021 with the reference engine (the record carries its reference date)."""
    return classify(household, RULESET, engine="durable")


def outcome_set(result: Classification) -> set[str]:
    """The classes a result allows: the decided class, or every class still possible."""
    return set(result.possible_outcomes) if result.outcome == CANNOT_CLASSIFY else {result.outcome}


def ranks(result: Classification) -> tuple[int, int]:
    """(poorest, richest) rank among the classes the result allows."""
    allowed = [RANK[c] for c in outcome_set(result)]
    return min(allowed), max(allowed)


def verdicts(result: Classification) -> dict[str, bool | None]:
    return {r.id: r.deprived for r in result.indicators}


@given(ANY_HOUSEHOLD)
def test_every_household_gets_exactly_one_outcome(household: Household) -> None:
    """Each valid household gets one class of the standard or khong_du_du_lieu, with a rule to show for it."""
    result = run(household)
    event(f"outcome {result.outcome} ({household.area})")  # shown by --hypothesis-show-statistics
    assert result.outcome in (*RULESET.classes, CANNOT_CLASSIFY)
    assert result.standard == STANDARD and result.rules_digest == RULESET.digest
    assert result.reference_date == household.reference_date
    if result.outcome == CANNOT_CLASSIFY:
        assert result.fired_rules == ()
        assert set(result.possible_outcomes) <= set(RULESET.classes)
    else:
        assert result.fired_rules, "a decided class must name the rule that gave it"
        assert {RULESET.rule(r).outcome for r in result.fired_rules} == {result.outcome}


@given(ANY_HOUSEHOLD)
def test_cannot_classify_exactly_when_several_classes_remain_possible(household: Household) -> None:
    """khong_du_du_lieu is given iff at least two classes remain possible; fully answered records decide."""
    result = run(household)
    assert (result.outcome == CANNOT_CLASSIFY) == (len(result.possible_outcomes) >= 2)
    assert len(set(result.possible_outcomes)) == len(result.possible_outcomes)
    if result.unknown_count == 0:
        assert result.outcome != CANNOT_CLASSIFY


def _income_raises(income: int | float) -> st.SearchStrategy[int | float]:
    """A positive raise: to exactly a threshold or one đồng either side of it, or by any amount."""
    to_thresholds = sorted({t + o - income for t in THRESHOLDS for o in (-1, 0, 1) if t + o > income})
    arbitrary = st.integers(1, 3 * max(THRESHOLDS))
    return st.one_of(st.sampled_from(to_thresholds), arbitrary) if to_thresholds else arbitrary


@given(ANY_HOUSEHOLD, st.data())
def test_raising_income_never_makes_a_household_poorer(household: Household, data: st.DataObject) -> None:
    """More income never moves a household to a poorer class, nor the range of possible classes downwards."""
    income = household.income_per_capita_month
    assert income is not None
    richer = attrs.evolve(household, income_per_capita_month=income + data.draw(_income_raises(income)))
    before, after = run(household), run(richer)
    if before.outcome != CANNOT_CLASSIFY and after.outcome != CANNOT_CLASSIFY:
        assert RANK[after.outcome] >= RANK[before.outcome], (before.outcome, after.outcome)
    # The same deprivation counts stay possible, so each end of the range can only move up.
    assert ranks(after)[0] >= ranks(before)[0]
    assert ranks(after)[1] >= ranks(before)[1]


@given(ANY_HOUSEHOLD, st.data())
def test_one_more_deprivation_never_makes_a_household_better_off(
    household: Household,
    data: st.DataObject,
) -> None:
    """Turning one indicator from not deprived to deprived (a flag false -> true) never improves the class."""
    before = run(household)
    not_deprived = [r.id for r in before.indicators if r.deprived is False]
    assume(not_deprived)
    indicator = data.draw(st.sampled_from(not_deprived))
    worse = attrs.evolve(household, flags={**household.flags, indicator: True})
    after = run(worse)
    assert after.deprivation_count == before.deprivation_count + 1
    assert after.unknown_count == before.unknown_count
    if before.outcome != CANNOT_CLASSIFY and after.outcome != CANNOT_CLASSIFY:
        assert RANK[after.outcome] <= RANK[before.outcome], (before.outcome, after.outcome)
    assert ranks(after)[0] <= ranks(before)[0]
    assert ranks(after)[1] <= ranks(before)[1]


@given(households(min_members=2, with_unknowns=True, some_flags=True) | households(min_members=2), st.data())
def test_member_order_never_matters(household: Household, data: st.DataObject) -> None:
    """Listing the same members in another order gives the same outcome, counts and indicator verdicts."""
    shuffled = attrs.evolve(household, members=data.draw(st.permutations(household.members)))
    a, b = run(household), run(shuffled)
    assert (a.outcome, a.possible_outcomes, a.fired_rules) == (b.outcome, b.possible_outcomes, b.fired_rules)
    assert (a.deprivation_count, a.unknown_count) == (b.deprivation_count, b.unknown_count)
    assert [(r.id, r.deprived, r.source) for r in a.indicators] == [
        (r.id, r.deprived, r.source) for r in b.indicators
    ]
    ids = [m.member_id for m in household.members]
    if None not in ids and len(set(ids)) == len(ids):
        # With member ids, the labels in the explanation do not depend on position either.
        assert set(a.missing_fields) == set(b.missing_fields)
        assert [set(r.triggered_by) for r in a.indicators] == [set(r.triggered_by) for r in b.indicators]


@given(ANY_HOUSEHOLD)
def test_the_trace_agrees_with_the_result(household: Household) -> None:
    """The trace's counts, verdicts, rules and income margins say the same as the result."""
    result = run(household)
    trace = result.trace
    known = sum(1 for r in result.indicators if r.deprived is True)
    unknown = sum(1 for r in result.indicators if r.deprived is None)
    assert result.deprivation_count == trace.deprivation_count == known
    assert result.unknown_count == trace.unknown_count == unknown
    assert trace.outcome == result.outcome and trace.possible_outcomes == result.possible_outcomes
    assert trace.reference_date == result.reference_date
    assert trace.deprivation_cutoff == RULESET.parameters["deprivation_cutoff"].value
    assert [(s.id, s.deprived, s.source) for s in trace.indicators] == [
        (r.id, r.deprived, r.source) for r in result.indicators
    ]
    step_outcomes = {step.outcome for step in trace.rules}
    if result.outcome == CANNOT_CLASSIFY:
        assert step_outcomes == set(result.possible_outcomes)
    else:
        assert step_outcomes == {result.outcome}
        assert [step.id for step in trace.rules] == list(result.fired_rules)
    income = household.income_per_capita_month
    for margin in trace.margins:
        if margin.fact == "income_per_capita_month":
            assert margin.value == income
            assert math.isclose(margin.margin, income - margin.threshold, abs_tol=1e-6)
            assert margin.holds == compare_values(margin.op, income, margin.threshold)
            assert margin.holds is True, "a rule that fired (or could fire) must hold on the known income"
        elif margin.fact == "deprivation_count":
            assert margin.value == known
            if result.outcome != CANNOT_CLASSIFY:
                assert margin.holds is True, "a decided class holds for every possible deprivation count"


@given(WITH_UNKNOWNS, st.data())
def test_filling_in_unknown_answers_lands_in_an_announced_outcome(
    household: Household,
    data: st.DataObject,
) -> None:
    """Answering every unknown gives the decided class or a listed possible one; known verdicts stay."""
    partial = run(household)
    complete = data.draw(completions(household, RULESET))
    full = run(complete)
    assert full.unknown_count == 0 and full.outcome != CANNOT_CLASSIFY
    assert full.outcome in outcome_set(partial), (partial.outcome, partial.possible_outcomes, full.outcome)
    for before, after in zip(partial.indicators, full.indicators, strict=True):
        if before.deprived is not None:
            assert after.deprived == before.deprived, f"{before.id} changed once unknowns were answered"


@given(WITH_UNKNOWNS)
def test_every_announced_outcome_is_reached_by_some_flags(household: Household) -> None:
    """Each class listed as possible is the class of some choice of yes/no for the unknown indicators."""
    partial = run(household)
    unknown = [r.id for r in partial.indicators if r.deprived is None]
    reached = set()
    for deprived in range(len(unknown) + 1):
        # Indicators count without weights, so which unknowns are deprived does not matter, only how many.
        flags = {**household.flags, **{ind: i < deprived for i, ind in enumerate(unknown)}}
        reached.add(run(attrs.evolve(household, flags=flags)).outcome)
    assert reached == outcome_set(partial)
