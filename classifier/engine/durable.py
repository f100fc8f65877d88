"""The durable-rules evaluator: the only module that imports ``durable``.

Each RuleSet compiles to one durable_rules JSON ruleset (one rule per classification rule, the
condition tree mapped onto ``$and``/``$or``/``$lte``...), registered on a private Host. A household
is classified by *posting events* (never asserting facts), one per deprivation count still possible
under unknown answers; the rule that consumes each event is the rule that fired.

durable_rules traps and how this module handles them:

- a post that matches no rule raises ``MessageNotHandledException``: the rule checks prove totality,
  so this is turned into an EngineError naming the household and facts (a bug, not bad input);
- identical messages collide (``MessageObservedException``): every event gets a fresh ``id``;
- names register once per host: each engine owns its Host and a unique ruleset name;
- ``Host.__init__`` starts two self-re-arming timer threads: our Host overrides ``_run`` (we use no
  timers), so creating engines leaks no threads;
- an exception inside an action is swallowed into the returned state: our actions never raise (they
  only record the rule id) and the state is checked for ``exception`` anyway;
- ``set_rulesets`` deletes ``run`` from the dict it is given: we pass a deep copy;
- asserted facts are matched by a 32-bit hash of their id, so millions collide: we post events,
  which are consumed, and keep no facts.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import threading
from collections.abc import Callable
from typing import Any

from durable.engine import Host, MessageNotHandledException, MessageObservedException

from classifier.engine.common import (
    assemble,
    candidate_counts,
    classification_facts,
    validate_for_classification,
)
from classifier.engine.score import assemble_score, resolve_method, score_b_candidates, validate_for_score
from classifier.errors import EngineError
from classifier.indicators import evaluate_indicators
from classifier.model import Classification, Household
from classifier.rules.conditions import Condition, comparisons
from classifier.rules.ruleset import RuleSet

__all__ = ["DurableEngine", "to_durable_json"]

_RULESET_SEQ = itertools.count(1)


class _Host(Host):  # type: ignore[misc]
    """A Host with named Python actions and without the background dispatch threads."""

    def __init__(self, actions: dict[str, Callable[[Any], None]]) -> None:
        self._named_actions = actions
        super().__init__()

    def _run(self) -> None:
        # Upstream starts two threading.Timer loops that poll for timers and queued messages. We use
        # neither, and the loops would live as long as the process (one pair per engine).
        return None

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return self._named_actions[action_name]


def to_durable_json(cond: Condition, negate: bool = False) -> dict[str, Any]:
    """A classification condition tree in durable_rules' JSON operators (each node maps itself; ``not`` is
    pushed down to the leaves). Member quantifiers never appear here: the loader keeps them out of
    classification rules."""
    try:
        return cond.to_durable(negate)
    except TypeError as exc:
        raise EngineError(
            f"condition {type(cond).__name__} cannot be compiled for durable_rules: {exc}"
        ) from None


class DurableEngine:
    """Classifies households one at a time through durable_rules, with a full trace."""

    name = "durable"

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self._fired: dict[int, str] = {}
        self._event_ids = itertools.count(1)
        # durable_rules' native handles are not safe to share across threads.
        self._lock = threading.Lock()
        actions = {rule.id: self._recorder(rule.id) for rule in (*ruleset.rules, *ruleset.score_rules)}
        self._ruleset_name = f"{ruleset.id}-{ruleset.short_digest}-{next(_RULESET_SEQ)}"
        definition = {
            rule.id: {"all": [{"m": to_durable_json(rule.condition)}], "run": rule.id}
            for rule in ruleset.rules
        }
        self.definition = copy.deepcopy(definition)  # kept for inspection; durable mutates what it gets
        # The score method's rules (Thông tư 07/2021/TT-BLĐTBXH) are a ruleset of their own on the same
        # host: an event carries area, score_a and score_b.
        self._score_name = f"{self._ruleset_name}-score"
        score_definition = {
            rule.id: {"all": [{"m": to_durable_json(rule.condition)}], "run": rule.id}
            for rule in ruleset.score_rules
        }
        self._thresholds: dict[str, tuple[float, ...]] = {}
        for rule in (*ruleset.rules, *ruleset.score_rules):
            for node in comparisons(rule.condition):
                if isinstance(node.value, int | float) and not isinstance(node.value, bool):
                    known = self._thresholds.get(node.fact, ())
                    self._thresholds[node.fact] = tuple(sorted({*known, node.value}))
        self._host = _Host(actions)
        rulesets = {self._ruleset_name: definition}
        if score_definition:
            rulesets[self._score_name] = score_definition
        self._host.set_rulesets(rulesets)

    def _recorder(self, rule_id: str) -> Callable[[Any], None]:
        fired = self._fired

        def record(c: Any) -> None:
            # Never raise here: durable_rules would swallow the exception into its state.
            fired[c.m["id"]] = rule_id

        return record

    def _json_safe(self, fact: str, value: Any) -> Any:
        """A number durable_rules' JSON parser accepts, ordered like ``value`` against every threshold.

        Python writes very small or very large floats in exponent form (``1e-05``), which
        durable_rules rejects (error 204). Such a value is replaced by one that compares the same way
        with every threshold the rules hold for ``fact``; the trace keeps the true value.
        """
        if not isinstance(value, float) or "e" not in repr(value):
            return value
        thresholds = self._thresholds.get(fact, ())
        below = [t for t in thresholds if t < value]
        above = [t for t in thresholds if t > value]
        if not below and not above:
            candidate = 0.0
        elif not below:
            candidate = float(min(above)) - 1.0
        elif not above:
            candidate = float(max(below)) + 1.0
        else:
            candidate = (float(max(below)) + float(min(above))) / 2
        if "e" in repr(candidate):
            raise EngineError(f"{fact} = {value!r} cannot be passed to durable_rules")
        return candidate

    def fire(self, facts: dict[str, Any], *, score: bool = False) -> str:
        """Post one event (to the score rules with ``score``); return the id of the rule that consumed it."""
        event_id = next(self._event_ids)
        event = {k: v for k, v in facts.items() if v is not None}  # an absent score is no event field
        for key, value in event.items():
            if isinstance(value, float):  # the only values durable_rules may refuse (see _json_safe)
                event[key] = self._json_safe(key, value)
        event["id"] = event_id
        try:
            state = self._host.post(self._score_name if score else self._ruleset_name, event)
        except MessageNotHandledException as exc:
            raise EngineError(
                f"no classification rule of {self.ruleset.id} matched {facts}; the rule checks should "
                "have found this gap"
            ) from exc
        except MessageObservedException as exc:  # pragma: no cover - ids are unique by construction
            raise EngineError(f"durable_rules saw event {event_id} twice") from exc
        if isinstance(state, dict) and state.get("exception"):
            raise EngineError(f"a durable_rules action failed: {state['exception']}")
        rule_id = self._fired.pop(event_id, None)
        if rule_id is None:
            raise EngineError(f"durable_rules handled event {event_id} but no rule recorded firing")
        return rule_id

    def classify(
        self, household: Household, reference_date: dt.date, with_trace: bool = True, method: str = "income"
    ) -> Classification:
        """Classify one household (indicators in Python, classes in durable_rules). ``method``: income,
        score or auto (see classifier.engine.score)."""
        if resolve_method(method, household, self.ruleset) == "score":
            return self._classify_by_score(household, reference_date, with_trace)
        validate_for_classification(household, self.ruleset)
        indicators = evaluate_indicators(household, self.ruleset, reference_date)
        known, unknown = candidate_counts(indicators)
        base = classification_facts(household, self.ruleset.facts)
        fired: list[tuple[int, str]] = []
        with self._lock:
            for count in range(known, known + unknown + 1):
                fired.append((count, self.fire(dict(base, deprivation_count=count))))
        return assemble(
            household, self.ruleset, reference_date, indicators, fired, self.name, with_trace, facts=base
        )

    def _classify_by_score(
        self, household: Household, reference_date: dt.date, with_trace: bool
    ) -> Classification:
        """The score method: điểm A / điểm B through the score rules, income only for the middle band."""
        validate_for_score(household, self.ruleset)
        indicators = evaluate_indicators(household, self.ruleset, reference_date)
        b_values, b_source = score_b_candidates(household, self.ruleset, indicators)
        base = {"area": household.area, "score_a": household.facts.get("score_a")}
        fired_income: list[tuple[int, str]] | None = None
        with self._lock:
            fired_score = [self.fire(dict(base, score_b=b), score=True) for b in b_values]
            if household.income_per_capita_month is not None:
                known, unknown = candidate_counts(indicators)
                facts = classification_facts(household, self.ruleset.facts)
                fired_income = [
                    (count, self.fire(dict(facts, deprivation_count=count, score_a=None, score_b=None)))
                    for count in range(known, known + unknown + 1)
                ]
        return assemble_score(
            household,
            self.ruleset,
            reference_date,
            indicators,
            b_values,
            b_source,
            fired_score,
            fired_income,
            self.name,
            with_trace,
        )
