"""Condition trees as readable text, for `rules show`, `rules audit` and the diff report."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from classifier.rules.conditions import Condition, format_value
from classifier.rules.ruleset import FactCatalogue, FactSpec

__all__ = ["describe_condition", "describe_labelled", "format_value"]


def describe_condition(cond: Condition, lang: str = "en", top: bool = True) -> str:
    """One line of text for a condition tree, parameters named beside their values (kinds word themselves)."""
    return cond.describe(lang, top)


_OPS = "=|≠|<|≤|>|≥"
_BOOL_WORDS = {"vi": {"true": "có", "false": "không"}, "en": {"true": "yes", "false": "no"}}


def describe_labelled(cond: Condition, facts: FactCatalogue, lang: str = "vi", top: bool = True) -> str:
    """As describe_condition, with each fact named by its label (rules/facts.yaml) and each coded value by
    its Vietnamese value label, e.g. “Khu vực” = nông thôn VÀ “Điểm A (phiếu B1)” ≤ 140 [score_a_cutoff_rural]
    (numbers come from the rule data).

    Only whole fact names are replaced (parameter names in brackets keep their ids)."""
    text = cond.describe(lang, top)
    specs: dict[str, FactSpec] = {}
    for table in (facts.member, facts.household, facts.classification):
        for name, spec in table.items():
            specs.setdefault(name, spec)
    words = _BOOL_WORDS.get(lang, _BOOL_WORDS["en"])
    for name in sorted(specs, key=len, reverse=True):
        spec = specs[name]
        if not re.search(rf"(?<![\w\[]){re.escape(name)}(?![\w\]])", text):
            continue
        label = (spec.label_vi if lang == "vi" else spec.label_en) or name
        values = spec.value_labels_vi if lang == "vi" else {}

        def value_text(code: str, values: Mapping[str, str] = values, spec: FactSpec = spec) -> str:
            code = code.strip()
            if spec.type == "bool":
                return words.get(code, code)
            return values.get(code, code)

        def one(match: re.Match[str], label: str = label, value_text: Any = value_text) -> str:
            op, value = match.group(1), match.group(2)
            if value.startswith("{"):
                inner = ", ".join(value_text(v) for v in value.strip("{}").split(","))
                return f"“{label}” {op} {{{inner}}}"
            return f"“{label}” {op} {value_text(value)}"

        pattern = rf"(?<![\w\[]){re.escape(name)}(?![\w\]]) ({_OPS}|∈|∉) (\{{[^}}]*\}}|[\w.\-]+)"
        text = re.sub(pattern, one, text)
        text = re.sub(rf"(?<![\w\[“]){re.escape(name)}(?![\w\]”])", f"“{label}”", text)
    return text
