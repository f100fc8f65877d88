"""The compiled plan of a rule set: every condition compiled once, and the parts other layers derive
from the rules alone (trace headers, thresholds), built once per rule set instead of per household.

A plan lives on its RuleSet (``plan_for``), so it is shared by everything holding that rule set and
goes away with it: there is no module-level cache keyed by digest to grow or go stale.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from classifier.rules.conditions import Compiled, Scope
from classifier.rules.ruleset import RuleSet

__all__ = ["Plan", "plan_for"]

T = TypeVar("T")


@attrs.define
class Plan:
    """Compiled indicators and classification rules of one rule set (same digest, same plan)."""

    digest: str
    indicators: tuple[tuple[str, Compiled], ...]
    rules: tuple[tuple[str, Compiled], ...]
    _parts: dict[str, Any] = attrs.field(factory=dict)

    def part(self, name: str, build: Callable[[], T]) -> T:
        """A part derived from the rule set alone, built on first use (e.g. the trace's static steps)."""
        if name not in self._parts:
            self._parts[name] = build()
        found: T = self._parts[name]
        return found


def plan_for(ruleset: RuleSet) -> Plan:
    """The plan of ``ruleset``, compiled on first use."""
    found: Plan | None = ruleset.compiled_plan
    if found is None:
        inputs = {name: spec.inputs for name, spec in ruleset.facts.household.items() if spec.inputs}
        household = Scope("household", inputs)
        found = Plan(
            ruleset.digest,
            tuple((ind.id, ind.condition.compile(household)) for ind in ruleset.indicators),
            tuple((rule.id, rule.condition.compile(Scope("classification"))) for rule in ruleset.rules),
        )
        object.__setattr__(ruleset, "compiled_plan", found)  # a cache on a frozen record, set once
    return found
