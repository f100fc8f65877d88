"""Engines that classify households under a RuleSet. ``durable`` is the reference evaluator."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from classifier.model import Classification, Household
from classifier.rules.ruleset import RuleSet

__all__ = ["ENGINES", "Engine", "get_engine"]

ENGINES = ("durable", "batch")


class Engine(Protocol):
    name: str
    ruleset: RuleSet

    def classify(
        self, household: Household, reference_date: dt.date, with_trace: bool = True, method: str = "income"
    ) -> Classification: ...


_ENGINE_CACHE: dict[tuple[str, str], Engine] = {}


def get_engine(name: str, ruleset: RuleSet) -> Engine:
    """The (cached) engine ``name`` for ``ruleset``: one durable Host per rule set, not per call."""
    key = (name, ruleset.digest)
    if key not in _ENGINE_CACHE:
        if name == "durable":
            from classifier.engine.durable import DurableEngine

            _ENGINE_CACHE[key] = DurableEngine(ruleset)
        elif name == "batch":
            from classifier.engine.batch import BatchEngine

            _ENGINE_CACHE[key] = BatchEngine(ruleset)
        else:
            raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    return _ENGINE_CACHE[key]
