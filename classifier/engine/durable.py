"""The durable-rules evaluator: the only module that imports ``durable``.

Each RuleSet compiles to one durable_rules JSON ruleset (one rule per classification rule, the
condition tree mapped onto ``$and``/``$or``/``$lte``...), registered on a private Host. A household
is classified by *posting events* (never asserting facts), one per deprivation count still possible
under unknown answers; the rule that consumes each event is the rule that fired.

How an event is posted (``fire``): durable_rules' ``Ruleset.assert_event`` (its JSON and its error
codes) runs the event through the Rete network of the C engine ``durable_rules_engine``, which
queues the action of the one rule the event matched; the engine starts that action
(``start_action_for_state``), whose message names the rule, and completes it
(``complete_and_start_action``), which consumes the event. These are the calls ``Host.post`` makes;
what is left out is its Python dispatch of the action (a Closure, a Promise and the write-back of
the session state per event, which our rules never read): about 15 µs of the ~24 µs a post cost.
durable_rules still decides which rule fires for every household; Python only reads its answer.

durable_rules traps and how this module handles them:

- a post that matches no rule raises ``MessageNotHandledException``: the rule checks prove totality,
  so this is turned into an EngineError naming the household and facts (a bug, not bad input);
- identical messages collide (``MessageObservedException``): every event gets a fresh ``id``;
- names register once per host: each engine owns its Host and a unique ruleset name;
- ``Host.__init__`` starts two self-re-arming timer threads: our Host overrides ``_run`` (we use no
  timers), so creating engines leaks no threads;
- a ruleset needs an action per rule, which durable_rules would run in Python and whose exceptions
  it would swallow into its state: the actions are registered but never dispatched (the engine
  reads the started action instead), and an action that started for another event, or none at all,
  is an EngineError;
- ``set_rulesets`` deletes ``run`` from the dict it is given: we pass a deep copy;
- asserted facts are matched by a 32-bit hash of their id, so millions collide: we post events,
  which are consumed, and keep no facts.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import threading
from collections.abc import Callable
from typing import Any

import durable_rules_engine
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
    """A Host without the background dispatch threads, whose rules' actions are never dispatched."""

    def _run(self) -> None:
        # Upstream starts two threading.Timer loops that poll for timers and queued messages. We use
        # neither, and the loops would live as long as the process (one pair per engine).
        return None

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        # durable_rules wants a Python action per rule; ``DurableEngine.fire`` reads the rule from the
        # action durable_rules starts and completes it without running it.
        return _not_dispatched


def _not_dispatched(c: Any) -> None:
    raise AssertionError("the engine completes durable_rules' actions without dispatching them")


#: durable_rules' JSON form of an event (as ``Ruleset.assert_event`` writes it), with one encoder.
_encode = json.JSONEncoder(ensure_ascii=False).encode


def to_durable_json(cond: Condition) -> dict[str, Any]:
    """A classification condition tree in durable_rules' JSON operators (each node maps itself; ``not`` is
    pushed down to the leaves). Member quantifiers never appear here: the loader keeps them out of
    classification rules."""
    try:
        return cond.to_durable()
    except TypeError as exc:
        raise EngineError(
            f"condition {type(cond).__name__} cannot be compiled for durable_rules: {exc}"
        ) from None


class DurableEngine:
    """Classifies households one at a time through durable_rules, with a full trace."""

    name = "durable"

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self._event_ids = itertools.count(1)
        # durable_rules' native handles are not safe to share across threads.
        self._lock = threading.Lock()
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
        self._host = _Host()
        rulesets = {self._ruleset_name: definition}
        if score_definition:
            rulesets[self._score_name] = score_definition
        self._host.set_rulesets(rulesets)
        # durable_rules' Ruleset objects, posted to directly, and each rule's name as a started action
        # names it (a JSON string) -> rule id (see fire).
        self._rule_ids = {_encode(rule.id): rule.id for rule in (*ruleset.rules, *ruleset.score_rules)}
        self._rules: Any = self._host.get_ruleset(self._ruleset_name)
        self._score_rules: Any = self._host.get_ruleset(self._score_name) if score_definition else None

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
        """Post one event (to the score rules with ``score``); return the id of the rule durable_rules
        matched it with (see the module's docstring for the calls)."""
        event_id = next(self._event_ids)
        # An absent score is no event field; a float is the only value durable_rules may refuse.
        event = {
            k: self._json_safe(k, v) if isinstance(v, float) else v for k, v in facts.items() if v is not None
        }
        event["id"] = event_id
        rules = self._score_rules if score else self._rules
        if rules is None:
            raise EngineError(f"{self.ruleset.id} has no score rules")
        text = _encode(event)  # what Ruleset.assert_event would write
        try:
            # Through the Rete network; durable_rules' result codes raised as its exceptions (its
            # Ruleset._handle_result). Returns the session state the matched rule's action is queued on.
            state = rules._handle_result(durable_rules_engine.assert_event(rules._handle, text), event)
        except MessageNotHandledException as exc:
            raise EngineError(
                f"no classification rule of {self.ruleset.id} matched {facts}; the rule checks should "
                "have found this gap"
            ) from exc
        except MessageObservedException as exc:  # pragma: no cover - ids are unique by construction
            raise EngineError(f"durable_rules saw event {event_id} twice") from exc
        started = durable_rules_engine.start_action_for_state(rules._handle, state)
        if not started:
            raise EngineError(f"durable_rules handled event {event_id} but started no rule's action")
        # The action's message is {"<rule id>":{"m":<the event's text, as posted>}}; completing the
        # action consumes the event.
        message, tail = started[1], ':{"m":' + text + "}}"
        following = durable_rules_engine.complete_and_start_action(rules._handle, state)
        if following or not (message.startswith("{") and message.endswith(tail)):
            raise EngineError(f"durable_rules started an action for another event than {event_id}")
        key = message[1 : len(message) - len(tail)]  # the rule id as a JSON string
        rule_id = self._rule_ids.get(key)
        if rule_id is None:
            raise EngineError(f"durable_rules started the action of an unknown rule {key}")
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
            household,
            self.ruleset,
            reference_date,
            indicators,
            fired,
            self.name,
            with_trace,
            facts=base,
            counts=(known, unknown),
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
