"""Every number quoted in a rule file's Vietnamese wording is a number the rule actually reads.

A legal officer reviews ``wording_vi`` (what the text says) beside the condition (what the engine does):
if an income line is edited in parameters.yaml but not in the quoted wording, or the other way round,
the two disagree silently. This test reads each item's ``wording_vi`` (and each parameter's quoted
wording), parses its numbers the Vietnamese way (1.500.000 = 1,500,000; "2,25" = 2.25; "46 triệu" =
46,000,000; "50%" = 0.5; "03" = 3) and requires each to be a value the item reads: a parameter of its
condition, a literal of its condition, an ``at least N of M`` count, or the standard's indicator count.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from classifier.rules import list_standards, load_ruleset
from classifier.rules.conditions import AtLeast, comparisons, walk
from classifier.rules.ruleset import RuleSet

STANDARDS = list_standards()
_NUMBER = re.compile(r"(?<![\w/])(\d{1,3}(?:\.\d{3})+|\d+(?:,\d+)?)(\s*(?:triệu|%))?")
#: "Điều 3 khoản 2 điểm c", "các khoản 1, 2, 3": references to the text's structure, not quoted values.
_REFERENCE = re.compile(r"(Điều|khoản|điểm|mục|Phụ lục)\s+\d+(?:\s*,\s*\d+)*")


def quoted_numbers(text: str) -> list[float]:
    """Numbers in Vietnamese legal wording (thousands with dots, decimals with a comma)."""
    found = []
    for digits, unit in _NUMBER.findall(_REFERENCE.sub(" ", text)):
        value = float(digits.replace(".", "").replace(",", "."))
        unit = unit.strip()
        if unit == "triệu":
            value *= 1_000_000
        elif unit == "%":
            value /= 100
        found.append(value)
    return found


def _values(value: Any) -> set[float]:
    if isinstance(value, bool):
        return set()
    if isinstance(value, int | float):
        return {float(value)}
    if isinstance(value, tuple | list):
        return {v for item in value for v in _values(item)}
    return set()


def _read(item: Any, ruleset: RuleSet) -> set[float]:
    allowed = {float(len(ruleset.indicators))}
    for name in getattr(item, "params", ()):
        allowed |= _values(ruleset.parameters[name].value)
    condition = getattr(item, "condition", None)
    if condition is not None:
        for node in comparisons(condition):
            allowed |= _values(node.value)
        for node in walk(condition):
            if isinstance(node, AtLeast):
                allowed |= {float(node.count), float(len(node.children))}
    if not hasattr(item, "condition"):
        # A parameter quotes the sentence that states it, which may name neighbouring figures (the middle
        # band "trên 1.500.000 đồng đến 2.250.000 đồng"): any figure of the standard may appear there; its
        # own value must (checked in the test).
        for other in ruleset.parameters.values():
            allowed |= _values(other.value)
    # Yearly lines are quoted per year and read per year; monthly ones per month: no conversion needed.
    return allowed


@pytest.mark.parametrize("standard", STANDARDS)
def test_every_number_in_a_wording_is_a_value_the_rule_reads(standard: str) -> None:
    """Numbers in wording_vi equal the parameters (or literals) the same item reads."""
    ruleset = load_ruleset(standard)
    items: list[tuple[Any, str]] = []
    for item in (*ruleset.rules, *ruleset.score_rules, *ruleset.indicators, *ruleset.groups):
        if item.wording_vi:
            items.append((item, item.wording_vi))
    for param in ruleset.parameters.values():
        if param.citation.wording_vi:
            items.append((param, param.citation.wording_vi))
    assert items
    wrong = []
    for item, text in items:
        allowed = _read(item, ruleset)
        for number in quoted_numbers(text):
            if not any(abs(number - a) < 1e-9 for a in allowed):
                wrong.append(f"{item.id}: {number:g} quoted, reads {sorted(allowed)}")
        own = _values(getattr(item, "value", None))
        if not hasattr(item, "condition") and len(own) == 1 and own.pop() not in quoted_numbers(text):
            wrong.append(f"{item.id}: its value {item.value!r} is not in its quoted wording")
    assert wrong == []


def test_the_number_parser_reads_vietnamese_legal_wording() -> None:
    """1.500.000 đồng, 03 chỉ số, 2,25 triệu, 50%, 8 m² are read as the numbers they mean."""
    text = (
        "từ 1.500.000 đồng trở xuống, từ 03 chỉ số, 2,25 triệu đồng, lớn hơn 50%, dưới 8 m² (Điều 3 khoản 2)"
    )
    assert quoted_numbers(text) == [1_500_000, 3, 2_250_000, 0.5, 8]
