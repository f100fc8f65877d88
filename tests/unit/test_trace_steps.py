"""The trace's indicator steps, built without attrs' __init__ on the durable path's hot loop, are the very
objects the constructor would build."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from classifier.engine.common import _check_step_class
from classifier.engine.durable import DurableEngine
from classifier.model import Household, Member
from classifier.rules import load_ruleset
from classifier.trace import IndicatorStep

REF = dt.date(2025, 11, 1)


def _households() -> list[Household]:
    ids = load_ruleset("nd-07-2021").indicator_ids
    child = Member(facts={"birth_date": dt.date(2015, 3, 1), "in_school": False}, member_id="2")
    adult = Member(facts={"age": 40, "has_health_insurance": False, "employment_status": "unemployed"})
    return [
        Household(
            id="F", area="rural", income_per_capita_month=900_000, flags={k: i < 4 for i, k in enumerate(ids)}
        ),
        Household(
            id="M", area="urban", income_per_capita_month=1_800_000, members=(adult, child), member_count=2
        ),
        Household(id="U", area="rural", income_per_capita_month=1_400_000, member_count=3),  # all unknown
    ]


def test_trace_steps_equal_the_constructors_objects() -> None:
    """Every step of a trace (flags, answers, triggering members, unknowns) is an IndicatorStep equal to,
    printed like, frozen like and serialised like one built by IndicatorStep(...)."""
    engine = DurableEngine(load_ruleset("nd-07-2021"))
    seen = set()
    for household in _households():
        trace = engine.classify(household, REF).trace
        assert trace is not None
        for step in trace.indicators:
            built = IndicatorStep(**{f.name: getattr(step, f.name) for f in attrs.fields(IndicatorStep)})
            assert type(step) is IndicatorStep
            assert step == built and repr(step) == repr(built)
            assert attrs.asdict(step) == attrs.asdict(built)
            assert list(vars(step)) == list(vars(built))  # same attribute order (JSON key order)
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                step.deprived = True  # type: ignore[misc]
            seen.add((step.source, step.deprived, bool(step.triggered_by), bool(step.missing)))
    assert {
        ("flag", True, True, False),
        ("answers", True, True, False),
        ("answers", None, False, True),
    } <= seen


def test_a_changed_step_class_is_refused() -> None:
    """A slotted class, a converter or another field list would make the dict-filled steps wrong: refused."""
    _check_step_class()

    @attrs.frozen
    class Slotted:
        id: str

    fields = {f.name: attrs.field() for f in attrs.fields(IndicatorStep)}
    Converted = attrs.make_class(
        "Converted", {**fields, "id": attrs.field(converter=str)}, frozen=True, slots=False
    )
    for cls in (Slotted, Converted, attrs.make_class("Plain", fields, frozen=True, slots=True)):
        with pytest.raises(RuntimeError, match="changed"):
            _check_step_class(cls)
