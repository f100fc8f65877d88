"""Properties of the score method (Thông tư 07/2021/TT-BLĐTBXH: điểm A from form B1, điểm B from form B2).

Households come from ``classifier.testing.score_households``: điểm A at and one point either side of
each cut-off of the rule files, điểm B a multiple of the points per indicator that agrees with the
record's flags or answers (scores-only records as a provincial export, flags, partial flags, answers
with and without unknowns), with or without an income. Checked on both engines:

- the batch (SQL) engine and the durable engine give the same class, method, deprivations, possible
  classes, fired rules and missing answers;
- raising điểm A never makes a household poorer, raising điểm B never makes it richer (compared on the
  classes a result allows: the decided one, or every possible one for khong_du_du_lieu, by ``rank``);
- a household above its area's điểm A cut-off is never poor or near-poor, nor possibly so.

Each example is a list of households classified by the batch engine in one query (a query per household
would spend the time planning SQL). HYPOTHESIS_PROFILE=ci (default) keeps each property to a few seconds;
HYPOTHESIS_PROFILE=long searches longer.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier.engine.batch import BatchEngine
from classifier.engine.durable import DurableEngine
from classifier.model import CANNOT_CLASSIFY, Classification, Household
from classifier.rules import load_ruleset
from classifier.testing import score_a_cutoffs, score_b_range, score_households, scores_a

RULESET = load_ruleset("nd-07-2021")
RANK = {class_id: cls.rank for class_id, cls in RULESET.classes.items()}
CUTOFF_A = score_a_cutoffs(RULESET)
BATCH = BatchEngine(RULESET)
DURABLE = DurableEngine(RULESET)

# Examples per property, and households per example (one batch query each).
_PROFILES = {"ci": (12, 6, 12), "long": (600, 10, 40)}
_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
_EXAMPLES, _MIN_LIST, _MAX_LIST = _PROFILES.get(_PROFILE, _PROFILES["ci"])
_SETTINGS = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    derandomize=_PROFILE == "ci",
)


def _lists(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(strategy, min_size=_MIN_LIST, max_size=_MAX_LIST)


def both_engines(items: Sequence[Household], method: str = "score") -> list[tuple[Classification, ...]]:
    """Each household's result from the batch engine (one query) and from the durable engine."""
    batch = BATCH.classify_many(list(items), RULESET.valid_from, with_trace=False, method=method)
    assert len(batch) == len(items)
    return [
        (got, DURABLE.classify(h, h.reference_date or RULESET.valid_from, with_trace=False, method=method))
        for h, got in zip(items, batch, strict=True)
    ]


def decision(result: Classification) -> tuple[Any, ...]:
    """Everything a result decides (not the engine name, not the trace)."""
    return (
        result.household_id,
        result.outcome,
        result.method,
        result.possible_outcomes,
        result.fired_rules,
        result.deprivation_count,
        result.unknown_count,
        result.missing_fields,
        result.reference_date,
        result.income_per_capita_month,
        tuple((r.id, r.deprived, r.source, r.triggered_by, r.missing) for r in result.indicators),
    )


def ranks(result: Classification) -> tuple[int, int]:
    """(poorest, richest) rank among the classes the result allows (0 = poorest)."""
    allowed = result.possible_outcomes if result.outcome == CANNOT_CLASSIFY else (result.outcome,)
    return min(RANK[c] for c in allowed), max(RANK[c] for c in allowed)


def with_scores(household: Household, **scores: int) -> Household:
    return attrs.evolve(household, facts={**household.facts, **scores})


@_SETTINGS
@given(items=_lists(score_households()), method=st.sampled_from(["score", "auto"]))
def test_engines_agree_on_score_households(items: list[Household], method: str) -> None:
    """Batch and durable give the same class, method, deprivations and possible classes for score
    records (auto chooses the score method: every record carries điểm A)."""
    for batch, durable in both_engines(items, method):
        assert batch.method == "score"
        assert decision(batch) == decision(durable)


@st.composite
def a_pairs(draw: st.DrawFn) -> tuple[Household, Household]:
    """A score household with a lower and a higher (or equal) điểm A, all else the same."""
    household = draw(score_households())
    low, high = sorted((draw(scores_a(RULESET)), draw(scores_a(RULESET))))
    return with_scores(household, score_a=low), with_scores(household, score_a=high)


@st.composite
def b_pairs(draw: st.DrawFn) -> tuple[Household, Household]:
    """A score household with a lower and a higher (or equal) điểm B, both agreeing with its
    deprivations (so the pair differs only when some indicator is unknown)."""
    household = draw(score_households())
    low, high, step = score_b_range(household, RULESET)
    counts = st.integers(low // step, high // step)
    first, second = sorted((draw(counts), draw(counts)))
    return with_scores(household, score_b=step * first), with_scores(household, score_b=step * second)


def _pairs_results(pairs: list[tuple[Household, Household]]) -> list[tuple[Classification, Classification]]:
    """Per pair and per engine, the (lower, higher) results."""
    flat = both_engines([h for pair in pairs for h in pair])
    out = []
    for i in range(0, len(flat), 2):
        (batch_low, durable_low), (batch_high, durable_high) = flat[i], flat[i + 1]
        out += [(batch_low, batch_high), (durable_low, durable_high)]
    return out


@_SETTINGS
@given(pairs=_lists(a_pairs()))
def test_raising_score_a_never_makes_a_household_poorer(pairs: list[tuple[Household, Household]]) -> None:
    """With the same điểm B and answers, a higher điểm A gives a class (or set of possible classes) no
    poorer at either end than the lower điểm A gives, on both engines."""
    for low, high in _pairs_results(pairs):
        assert ranks(high)[0] >= ranks(low)[0] and ranks(high)[1] >= ranks(low)[1], (low, high)


@_SETTINGS
@given(pairs=_lists(b_pairs()))
def test_raising_score_b_never_makes_a_household_richer(pairs: list[tuple[Household, Household]]) -> None:
    """With the same điểm A and answers, a higher điểm B gives a class (or set of possible classes) no
    richer at either end than the lower điểm B gives, on both engines."""
    for low, high in _pairs_results(pairs):
        assert ranks(high)[0] <= ranks(low)[0] and ranks(high)[1] <= ranks(low)[1], (low, high)


@st.composite
def above_cutoff(draw: st.DrawFn) -> Household:
    """A score household whose điểm A is above its area's cut-off (one point above, half the time)."""
    household = draw(score_households())
    cutoff = CUTOFF_A[str(household.area)]
    above = draw(st.one_of(st.just(1), st.integers(1, int(cutoff))))
    return with_scores(household, score_a=int(cutoff) + above)


@_SETTINGS
@given(items=_lists(above_cutoff()))
def test_above_the_score_a_cutoff_a_household_is_never_poor_or_near_poor(items: list[Household]) -> None:
    """điểm A above the area's cut-off (140 rural / 175 urban in the rule files) decides "neither poor nor
    near-poor": the result is neither, and neither is among its possible classes, whatever điểm B,
    the answers or the income say."""
    for pair in both_engines(items):
        for result in pair:
            allowed = result.possible_outcomes if result.outcome == CANNOT_CLASSIFY else (result.outcome,)
            assert allowed and not {"ngheo", "can_ngheo"} & set(allowed), result


@given(score_households())
def test_generated_score_b_agrees_with_the_deprivations(household: Household) -> None:
    """The strategy's điểm B is a multiple of the points per indicator within the range the record's
    flags and answers allow (exactly points × the count when no indicator is unknown): the durable
    engine accepts it, and its deprivation counts bracket it."""
    day = household.reference_date or RULESET.valid_from
    result = DURABLE.classify(household, day, with_trace=False, method="auto")
    step = RULESET.parameters["score_b_points_per_indicator"].value
    score_b = household.facts["score_b"]
    assert result.method == "score" and score_b % step == 0
    assert (
        step * result.deprivation_count <= score_b <= step * (result.deprivation_count + result.unknown_count)
    )
