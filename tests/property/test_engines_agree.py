"""Differential property test: the batch (SQL) engine and the durable-rules engine agree.

Both engines are compiled from the same rule files; this test is what makes "the batch path is the
same law" a checked claim rather than a hope. For generated households of every standard — both
areas, incomes at and one đồng either side of each line, ages at each age limit, birthdays on the
reference date, unknown answers, flags-only records, partial pre-decided flags, records without
members — it asserts the same class, the same possible classes, the same fired rules, the same
verdict and source for every indicator, the same triggering members and the same missing answers.

Example counts: HYPOTHESIS_PROFILE=ci (default) keeps CI fast; HYPOTHESIS_PROFILE=long runs the
long differential run documented in benchmarks/README.md. Each example is a *list* of households
classified by the batch engine in one query (one query per household would spend its time planning
SQL), so the ci profile compares about eight hundred households across the standards.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier.engine.batch import BatchEngine
from classifier.engine.durable import DurableEngine
from classifier.model import Classification, Household
from classifier.rules import list_standards, load_ruleset
from classifier.testing import households

# Examples per test (each example is a list of up to _MAX_BATCH households).
# ci: 12 lists of 10-25 households per standard (about 800 households across the standards): most of
# this test's time is drawing households, and the long profile is the search (HYPOTHESIS_PROFILE=long).
_PROFILES = {"ci": (12, 6), "long": (1500, 60)}
_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
_LISTS, _SINGLES = _PROFILES.get(_PROFILE, _PROFILES["ci"])
_MIN_BATCH, _MAX_BATCH = (10, 25) if _PROFILE == "ci" else (10, 40)

_SETTINGS = settings(
    max_examples=_LISTS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    derandomize=_PROFILE == "ci",  # CI is reproducible; the long run explores
)

STANDARDS = list_standards()
_RUN_DATE = dt.date(2025, 11, 1)


@pytest.fixture(scope="module", params=STANDARDS)
def engines(request: pytest.FixtureRequest) -> tuple[BatchEngine, DurableEngine]:
    ruleset = load_ruleset(request.param)
    return BatchEngine(ruleset), DurableEngine(ruleset)


def _odd_labels(household: Household, data: st.DataObject) -> Household:
    """Member ids that are missing, empty or repeated, and a flag of no standard: label edge cases."""
    if household.members and data.draw(st.booleans()):
        choices = st.sampled_from([None, "", "A", "B"])
        members = tuple(attrs.evolve(m, member_id=data.draw(choices)) for m in household.members)
        household = attrs.evolve(household, members=members)
    if data.draw(st.booleans()):
        household = attrs.evolve(household, flags={**household.flags, "not_an_indicator": True})
    if data.draw(st.booleans()):
        household = attrs.evolve(household, reference_date=None)  # the run's date applies
    return household


def _any_household(standard: str) -> st.SearchStrategy[Household]:
    return st.one_of(
        households(standard=standard, with_unknowns=True),
        households(standard=standard, with_unknowns=False),
        households(standard=standard, with_unknowns=True, some_flags=True),
        households(standard=standard, flags_only=True, with_unknowns=True),
        households(standard=standard, flags_only=True),
        households(standard=standard, min_members=1, max_members=2, with_unknowns=True),
    )


def _decision(result: Classification) -> tuple[Any, ...]:
    """Everything a result decides (not the engine name, not the trace)."""
    return (
        result.household_id,
        result.outcome,
        result.possible_outcomes,
        result.fired_rules,
        result.deprivation_count,
        result.unknown_count,
        result.missing_fields,
        result.ignored_flags,
        result.reference_date,
        result.income_per_capita_month,
        tuple((r.id, r.deprived, r.source, r.triggered_by, r.missing) for r in result.indicators),
    )


@_SETTINGS
@given(data=st.data())
def test_batch_and_durable_agree_on_every_decision(
    engines: tuple[BatchEngine, DurableEngine], data: st.DataObject
) -> None:
    """For any households, both engines give the same class, deprivations, unknowns and fired rules."""
    batch, durable = engines
    items = data.draw(st.lists(_any_household(batch.ruleset.id), min_size=_MIN_BATCH, max_size=_MAX_BATCH))
    items = [_odd_labels(h, data) for h in items]
    results = batch.classify_many(items, _RUN_DATE)
    assert len(results) == len(items)
    for household, got in zip(items, results, strict=True):
        expected = durable.classify(household, household.reference_date or _RUN_DATE, with_trace=False)
        assert got.engine == "batch"
        assert _decision(got) == _decision(expected), household


@settings(_SETTINGS, max_examples=_SINGLES)
@given(data=st.data())
def test_batch_trace_equals_durable_trace(
    engines: tuple[BatchEngine, DurableEngine], data: st.DataObject
) -> None:
    """One household with a trace: the whole Classification, trace included, is the durable one but
    for the engine name."""
    batch, durable = engines
    household = _odd_labels(data.draw(_any_household(batch.ruleset.id)), data)
    date = household.reference_date or _RUN_DATE
    got = batch.classify(household, date, with_trace=True)
    expected = durable.classify(household, date, with_trace=True)
    assert got.trace is not None and got.trace.engine == "batch"
    renamed = attrs.evolve(got, engine="durable", trace=attrs.evolve(got.trace, engine="durable"))
    assert renamed == expected
