"""The tree-to-SQL compiler (classifier.engine.sql) and the one-household batch engine.

The differential property test covers agreement at large; these pin the three-valued corner cases
by name, so a regression says which rule of conditions.py the SQL broke.
"""

from __future__ import annotations

import datetime as dt

import pytest

from classifier.engine.batch import BatchEngine
from classifier.engine.sql import literal, quote_ident
from classifier.model import Household, Member
from classifier.rules import load_ruleset

REF = dt.date(2025, 11, 1)


@pytest.fixture(scope="module")
def engine() -> BatchEngine:
    return BatchEngine(load_ruleset("nd-07-2021"))


def test_literals_are_quoted_and_exact() -> None:
    """Rule-data strings have quotes doubled, floats are exact DOUBLE casts, identifiers are quoted."""
    assert literal("nước 'máy'") == "'nước ''máy'''"
    assert literal(0.5) == "CAST('0.5' AS DOUBLE)"
    assert literal(True) == "TRUE"
    assert literal(dt.date(2022, 1, 1)) == "DATE '2022-01-01'"
    assert quote_ident('a"b') == '"a""b"'
    with pytest.raises(TypeError):
        literal(object())


def test_no_members_leaves_member_indicators_unknown(engine: BatchEngine) -> None:
    """A record with no members and no flags: member-based indicators are unknown, never 'no one'."""
    result = engine.classify(
        Household(id="H", area="rural", income_per_capita_month=1_000_000), REF, with_trace=False
    )
    employment = result.indicator("employment")
    assert (employment.deprived, employment.missing) == (None, ("members",))
    assert result.outcome == "khong_du_du_lieu"
    assert result.possible_outcomes == ("ngheo", "can_ngheo")
    assert result.fired_rules == ()


def test_share_of_members_is_decided_only_when_both_ends_agree(engine: BatchEngine) -> None:
    """Dependants > 50%: 1 of 3 known with 1 unknown is undecided; 2 of 3 is deprived whatever the rest."""

    def dependants(*answers: bool | None) -> bool | None:
        members = [Member({"is_dependant": a} if a is not None else {}) for a in answers]
        household = Household(id="H", area="urban", income_per_capita_month=5_000_000, members=members)
        return engine.classify(household, REF, with_trace=False).indicator("dependants").deprived

    assert dependants(True, False, None) is None
    assert dependants(True, True, None) is True
    assert dependants(False, False, None) is False


def test_birth_date_wins_over_age_at_the_reference_date(engine: BatchEngine) -> None:
    """Age is completed years at the reference date from the birth date, whatever age was stated."""
    member = Member({"birth_date": dt.date(2019, 11, 2), "age": 10, "has_health_insurance": False})
    household = Household(id="H", area="rural", income_per_capita_month=5_000_000, members=[member])
    # 5 years old on 2025-11-01 (6th birthday tomorrow): not yet required to hold health insurance.
    assert engine.classify(household, REF, with_trace=False).indicator("health_insurance").deprived is False
    assert (
        engine.classify(household, dt.date(2025, 11, 2), with_trace=False)
        .indicator("health_insurance")
        .deprived
        is True
    )


def test_a_flag_overrides_the_answers(engine: BatchEngine) -> None:
    """A pre-decided flag decides the indicator (source 'flag') even when answers say otherwise."""
    household = Household(
        id="H",
        area="rural",
        income_per_capita_month=1_000_000,
        facts={"uses_phone": False, "uses_internet": False},
        flags={"telecom": False},
    )
    telecom = engine.classify(household, REF, with_trace=False).indicator("telecom")
    assert (telecom.deprived, telecom.source) == (False, "flag")
