"""Engines that classify households under a RuleSet. ``durable`` is the reference evaluator."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from classifier.model import Classification, Household
from classifier.rules.plan import plan_for
from classifier.rules.ruleset import RuleSet

__all__ = ["ENGINES", "Engine", "get_engine"]

ENGINES = ("durable", "batch")


class Engine(Protocol):
    name: str
    ruleset: RuleSet

    def classify(
        self, household: Household, reference_date: dt.date, with_trace: bool = True, method: str = "income"
    ) -> Classification: ...


def get_engine(name: str, ruleset: RuleSet) -> Engine:
    """The engine ``name`` for ``ruleset``: built once and kept on the rule set's compiled plan
    (rules/plan.py), so there is one durable Host per rule set, not per call, and it goes away with
    the rule set (no module-level cache to grow)."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    return plan_for(ruleset).part(f"engine:{name}", lambda: _build(name, ruleset))


def _build(name: str, ruleset: RuleSet) -> Engine:
    if name == "durable":
        from classifier.engine.durable import DurableEngine

        return DurableEngine(ruleset)
    from classifier.engine.batch import BatchEngine

    return BatchEngine(ruleset)
