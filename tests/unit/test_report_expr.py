"""The template formula language: parsed to a tree, evaluated without eval, unknowns propagate."""

from __future__ import annotations

import pytest

from classifier.errors import InputError
from classifier.report import expr


def ev(text: str, env: dict[str, object] | None = None, cols: dict[str, object] | None = None) -> object:
    return expr.evaluate(expr.parse(text), env or {}, cols)


def test_arithmetic_precedence_and_column_refs() -> None:
    """`*` binds tighter than `-`; [codes] read the row's other columns."""
    assert ev("[9] - [1] * 2 + 3", cols={"9": 10, "1": 2}) == 9
    assert ev("pct([3], [1])", cols={"3": 1, "1": 4}) == 25.0


def test_division_by_zero_and_unknown_are_empty() -> None:
    """A rate of an empty group and an unknown value give None, never an exception."""
    assert ev("pct(a, b)", {"a": 1, "b": 0}) is None
    assert ev("a / b", {"a": 1, "b": 0}) is None
    assert ev("a + 1", {"a": None}) is None
    assert ev("not a", {"a": None}) is None


def test_three_valued_logic() -> None:
    """`false and unknown` is false, `true or unknown` is true, `true and unknown` unknown."""
    assert ev("a and b", {"a": False, "b": None}) is False
    assert ev("a or b", {"a": True, "b": None}) is True
    assert ev("a and b", {"a": True, "b": None}) is None
    assert ev("poor or near_poor", {"poor": 0, "near_poor": 1}) is True


def test_functions_and_strings() -> None:
    """if() is lazy, known() tells unknown apart; strings and booleans are literals."""
    assert ev('if(known(g), "", y)', {"g": None, "y": 1990}) == 1990
    assert ev('if(g == "male", 1, 2)', {"g": "male"}) == 1
    assert ev("x == false", {"x": False}) is True
    assert ev("round(2 / 3, 2)") == 0.67


@pytest.mark.parametrize("text", ["1 +", "a ** b", "__import__('os')", "f(1)", "(1", "[1", "a.b"])
def test_bad_formulas_are_rejected_by_name(text: str) -> None:
    """Anything outside the grammar is an InputError naming the formula; nothing is executed."""
    with pytest.raises(InputError, match="formula"):
        expr.parse(text)


def test_unknown_variable_is_an_error() -> None:
    """A name the frame lacks is an error, not a silent zero."""
    with pytest.raises(InputError, match="unknown variable 'pooor'"):
        ev("pooor", {"poor": 1})


def test_names_and_refs() -> None:
    """The tree tells which variables and columns a formula reads (templates are checked with it)."""
    node = expr.parse("pct([3], [1]) + poor * persons")
    assert expr.names(node) == {"poor", "persons"}
    assert expr.refs(node) == {"3", "1"}
