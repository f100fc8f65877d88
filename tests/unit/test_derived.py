"""Derived facts are data (rules/facts.yaml `formula`): both engines compute them from the declaration."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from classifier.engine.batch import BatchEngine
from classifier.engine.durable import DurableEngine
from classifier.errors import RuleFileError
from classifier.model import Household, Member
from classifier.rules import load_ruleset, load_ruleset_path
from classifier.rules.derived import CompletedYears, DerivedEnv, Ratio, Scale, parse_formula
from tests.helpers import copy_rules

DAY = dt.date(2025, 11, 1)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_fact_declared_only_in_yaml_is_computed_alike_by_both_engines(tmp_path: Path) -> None:
    """A new derived fact (a formula over another derived fact) needs no Python: both engines follow it."""
    root = copy_rules(tmp_path)
    _edit(
        root / "facts.yaml",
        "  member:\n    age:\n      type: integer\n      from:",
        "    floor_area_per_two:\n      type: number\n"
        "      formula: {scale: {of: floor_area_per_person, by: 2}}\n"
        "  member:\n    age:\n      type: integer\n      from:",
    )
    _edit(
        root / "nd-07-2021" / "indicators.yaml",
        "deprived_when: {fact: floor_area_per_person, op: lt, param: floor_area_min_per_person}",
        "deprived_when: {fact: floor_area_per_two, op: lt, value: 16}",
    )
    changed = load_ruleset_path(root / "nd-07-2021", root)
    original = load_ruleset("nd-07-2021")
    households = [
        Household(f"H{area}", "rural", 5e6, facts={"floor_area_m2": area}, members=(Member(), Member()))
        for area in (10, 15.9, 16, 16.1, 40)
    ]
    new_batch = BatchEngine(changed).classify_many(households, DAY)
    old_batch = BatchEngine(original).classify_many(households, DAY)
    durable = DurableEngine(changed)
    for household, mine, theirs in zip(households, new_batch, old_batch, strict=True):
        verdict = mine.indicators[7].deprived
        assert mine.indicators[7].id == "housing_area"
        by_durable = durable.classify(household, DAY).indicators[7].deprived
        assert verdict is theirs.indicators[7].deprived is by_durable


def test_decimal_amounts_stay_exact_through_ratio_and_scale() -> None:
    """An exact amount a hair above a line stays above it when divided per person or scaled per year."""
    answers = {"total": Decimal("4500000.0000000003"), "count": 3}
    per_person = Ratio("total", "count").python(answers, DerivedEnv())
    assert per_person > 1_500_000
    yearly = Scale("month", 12).python({"month": Decimal("1500000.0000000001")}, DerivedEnv())
    assert yearly > 18_000_000


def test_ratio_is_unknown_without_either_input_or_with_a_zero_divisor() -> None:
    """No members or no floor area gives an unknown ratio, never a division error or zero."""
    ratio = Ratio("a", "b")
    assert ratio.python({"a": 10}, DerivedEnv()) is None
    assert ratio.python({"a": 10, "b": 0}, DerivedEnv()) is None
    assert ratio.python({"a": 10, "b": 4}, DerivedEnv()) == 2.5


@pytest.mark.parametrize(
    ("born", "on", "years"),
    [
        (dt.date(2009, 11, 1), dt.date(2025, 11, 1), 16),  # the birthday itself counts
        (dt.date(2009, 11, 2), dt.date(2025, 11, 1), 15),
        (dt.date(2008, 2, 29), dt.date(2025, 2, 28), 16),  # no 29 February: not yet 17
        (dt.date(2008, 2, 29), dt.date(2025, 3, 1), 17),
    ],
)
def test_completed_years_count_a_year_only_once_the_birthday_is_reached(
    born: dt.date,
    on: dt.date,
    years: int,
) -> None:
    """Completed years at the reference date, and the stated answer when no date is known."""
    formula = CompletedYears("birth_date", "age")
    assert formula.python({"birth_date": born, "age": 99}, DerivedEnv(on)) == years
    assert formula.python({"age": 7}, DerivedEnv(on)) == 7


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"ratio": {"of": "a"}}, "formula 'ratio' needs 'per'"),
        ({"scale": {"of": "a", "by": "twelve"}}, "formula 'scale' needs a number for 'by'"),
        ({"sum": {"of": "a"}}, "unknown formula 'sum'"),
        ({"ratio": {"of": "a", "per": "b", "times": 2}}, "formula 'ratio' takes of, per"),
    ],
)
def test_a_malformed_formula_is_described(raw: object, problem: str) -> None:
    """Each malformed formula is refused with what is wrong."""
    formula, found = parse_formula(raw)
    assert formula is None and found is not None and problem in found


def test_a_formula_reading_an_unknown_fact_is_refused_at_load_time(tmp_path: Path) -> None:
    """facts.yaml is checked like rule files: a formula's input must be a declared fact of its level."""
    root = copy_rules(tmp_path)
    _edit(
        root / "facts.yaml",
        "formula: {ratio: {of: floor_area_m2, per: member_count}}",
        "formula: {ratio: {of: floor_area, per: member_count}}",
    )
    with pytest.raises(RuleFileError) as info:
        load_ruleset_path(root / "nd-07-2021", root)
    assert "unknown input 'floor_area'" in str(info.value)
