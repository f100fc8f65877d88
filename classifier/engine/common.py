"""What both engines share: the classification facts, candidate counts under unknowns, and the
assembly of a Classification (with its Trace) from the rule that fired for each candidate count.

Keeping this in one place is what makes "same class, same deprivations, same fired rules" between
the durable-rules path and the batch path a property of the rule data, not of two code paths.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from classifier.errors import InputError, RecordError
from classifier.model import (
    CANNOT_CLASSIFY,
    CANNOT_CLASSIFY_LABELS,
    Classification,
    Household,
    IndicatorResult,
)
from classifier.rules.conditions import Compare, compare_values, comparisons
from classifier.rules.derived import DerivedEnv
from classifier.rules.plan import plan_for
from classifier.rules.ruleset import FactCatalogue, RuleSet
from classifier.trace import IndicatorStep, Margin, RuleStep, Trace

__all__ = [
    "assemble",
    "candidate_counts",
    "classification_facts",
    "validate_for_classification",
]


def validate_for_classification(household: Household, ruleset: RuleSet) -> None:
    """Area and income are required: without them no rule can even be tried."""
    income = household.income_per_capita_month
    bad = not isinstance(income, int | float) or isinstance(income, bool) or income < 0 or income != income
    expected = "a number of VND per person per month, 0 or more"
    check_required(household, ruleset, "income_per_capita_month", income, bad, expected)


def check_required(
    household: Household, ruleset: RuleSet, field: str, value: Any, bad: bool, expected: str
) -> None:
    """InputError listing every problem: an area that is not one of the standard's, then (when ``bad``)
    the ``field`` the method needs (income, or the score method's điểm A) with its ``value``."""
    errors: list[RecordError] = []
    areas = ruleset.facts.classification["area"].values
    if household.area not in areas:
        errors.append(RecordError(household.id, "area", household.area, f"one of {', '.join(areas)}"))
    if bad:
        errors.append(RecordError(household.id, field, value, expected))
    if errors:
        raise InputError(errors[0].message, errors)


def classification_facts(household: Household, catalogue: FactCatalogue) -> dict[str, Any]:
    """The facts classification rules read, except the deprivation count (derived ones by formula).
    ``score_a`` / ``score_b`` are read by the score rules only (Thông tư 07/2021/TT-BLĐTBXH)."""
    facts = {
        "area": household.area,
        "income_per_capita_month": household.income_per_capita_month,
        "score_a": household.facts.get("score_a"),
        "score_b": household.facts.get("score_b"),
    }
    return catalogue.derive("classification", facts, _NO_ENV)


_NO_ENV = DerivedEnv()


def candidate_counts(indicators: Sequence[IndicatorResult]) -> tuple[int, int]:
    """(known deprivations, unknown indicators): the count can be anything in [known, known+unknown]."""
    verdicts = [r.deprived for r in indicators]
    return verdicts.count(True), verdicts.count(None)


def ignored_flags(household: Household, ruleset: RuleSet) -> tuple[str, ...]:
    if not household.flags:
        return ()
    ids = set(ruleset.indicator_ids)
    return tuple(sorted(k for k in household.flags if k not in ids))


def assemble(
    household: Household,
    ruleset: RuleSet,
    reference_date: dt.date,
    indicators: tuple[IndicatorResult, ...],
    fired_by_count: Sequence[tuple[int, str]],
    engine: str,
    with_trace: bool = True,
    *,
    facts: Mapping[str, Any] | None = None,
    counts: tuple[int, int] | None = None,
) -> Classification:
    """Build the Classification from ``(candidate count, rule id that fired)`` pairs. ``facts``: the
    household's classification_facts when the caller already has them (the trace's margins read them);
    ``counts``, its candidate_counts likewise."""
    known, unknown = counts if counts is not None else candidate_counts(indicators)
    outcomes: dict[str, None] = {}
    rules: dict[str, list[int]] = {}
    rule_facts = _static_parts(ruleset).rules
    for count, rule_id in fired_by_count:
        outcomes.setdefault(rule_facts[rule_id]["outcome"], None)
        rules.setdefault(rule_id, []).append(count)
    if len(outcomes) == 1:
        outcome = next(iter(outcomes))
        possible: tuple[str, ...] = ()
        fired = tuple(rules)
    else:
        outcome = CANNOT_CLASSIFY
        possible = tuple(sorted(outcomes, key=lambda c: ruleset.classes[c].rank))
        fired = ()
    missing = tuple(dict.fromkeys(f for r in indicators if r.deprived is None for f in r.missing))
    return finish(
        household,
        ruleset,
        reference_date,
        indicators,
        rules,
        outcome,
        possible,
        missing,
        fired,
        engine,
        known,
        unknown,
        with_trace=with_trace,
        facts=facts,
    )


def finish(
    household: Household,
    ruleset: RuleSet,
    reference_date: dt.date,
    indicators: tuple[IndicatorResult, ...],
    rules: Mapping[str, list[int]],
    outcome: str,
    possible: tuple[str, ...],
    missing: tuple[str, ...],
    fired: tuple[str, ...],
    engine: str,
    known: int,
    unknown: int,
    *,
    with_trace: bool,
    method: str = "income",
    score_facts: Mapping[str, Any] | None = None,
    score_b_source: str | None = None,
    facts: Mapping[str, Any] | None = None,
) -> Classification:
    """The Classification (with its trace when asked) once the outcome is decided: one place for the
    income path (``assemble``) and the score method (engine/score.py), so their results cannot drift."""
    ignored = ignored_flags(household, ruleset)
    trace = None
    if with_trace:
        trace = build_trace(
            household,
            ruleset,
            reference_date,
            indicators,
            rules,
            outcome,
            possible,
            missing,
            ignored,
            engine,
            known,
            unknown,
            score_facts=score_facts,
            score_b_source=score_b_source,
            facts=facts,
        )
    return Classification(
        household_id=household.id,
        outcome=outcome,
        standard=ruleset.id,
        rules_digest=ruleset.digest,
        provisional=ruleset.provisional,
        engine=engine,
        reference_date=reference_date,
        income_per_capita_month=household.income_per_capita_month,
        deprivation_count=known,
        unknown_count=unknown,
        indicators=indicators,
        fired_rules=fired,
        possible_outcomes=possible,
        missing_fields=missing,
        ignored_flags=ignored,
        trace=trace,
        method=method,
    )


def _param_values(ruleset: RuleSet, names: Sequence[str]) -> dict[str, Any]:
    return {name: ruleset.parameters[name].value for name in names}


@attrs.frozen
class _StaticParts:
    """The parts of trace steps that depend only on the rule set (computed once per digest)."""

    # Per indicator, its IndicatorStep's attribute dict with the rule-set half filled in (id, number,
    # labels, citations, verified, params, wording), in field order; build_trace copies it and fills in
    # the household half.
    steps: Mapping[str, dict[str, Any]]
    rules: Mapping[str, Mapping[str, Any]]
    # Per rule, the distinct order comparisons its margins are measured against.
    thresholds: Mapping[str, tuple[Compare, ...]]


def _static_parts(ruleset: RuleSet) -> _StaticParts:
    return plan_for(ruleset).part("trace", lambda: _build_static_parts(ruleset))


#: IndicatorStep's fields, in order (checked when the static parts are built).
_STEP_FIELDS = (
    "id",
    "number",
    "label_vi",
    "label_en",
    "deprived",
    "source",
    "citation_vi",
    "citation_en",
    "verified",
    "triggered_by",
    "missing",
    "facts_read",
    "params",
    "wording_vi",
)


def _check_step_class(cls: type = IndicatorStep) -> None:
    """build_trace fills an IndicatorStep's attribute dict itself (twelve steps per household are the
    hot part of a trace; attrs' __init__ costs half as much again): that is the same object only while
    the class is a dict-based attrs class with exactly these fields and nothing run at construction."""
    fields = attrs.fields(cls)
    if (
        tuple(f.name for f in fields) != _STEP_FIELDS
        or any(f.validator is not None or f.converter is not None for f in fields)
        or "__slots__" in vars(cls)
        or hasattr(cls, "__attrs_post_init__")
    ):
        raise RuntimeError(f"{cls.__name__} changed: update _STEP_FIELDS and build_trace")


def _build_static_parts(ruleset: RuleSet) -> _StaticParts:
    _check_step_class()
    steps = {
        ind.id: {
            "id": ind.id,
            "number": ind.number,
            "label_vi": ind.label_vi,
            "label_en": ind.label_en,
            "deprived": None,
            "source": "",
            "citation_vi": ind.citation.short("vi"),
            "citation_en": ind.citation.short("en"),
            "verified": ind.verified,
            "triggered_by": (),
            "missing": (),
            "facts_read": {},
            "params": _param_values(ruleset, ind.params),
            "wording_vi": ind.wording_vi,
        }
        for ind in ruleset.indicators
    }
    rules = {
        rule.id: {
            "id": rule.id,
            "outcome": rule.outcome,
            "citation_vi": rule.citation.short("vi"),
            "citation_en": rule.citation.short("en"),
            "verified": rule.verified,
            "wording_vi": rule.wording_vi,
            "params": _param_values(ruleset, rule.params),
        }
        for rule in (*ruleset.rules, *ruleset.score_rules)
    }
    every = (*ruleset.rules, *ruleset.score_rules)
    thresholds = {rule.id: _threshold_nodes(rule.condition) for rule in every}
    return _StaticParts(steps, rules, thresholds)


def build_trace(
    household: Household,
    ruleset: RuleSet,
    reference_date: dt.date,
    indicators: tuple[IndicatorResult, ...],
    rules: Mapping[str, list[int]],
    outcome: str,
    possible: tuple[str, ...],
    missing: tuple[str, ...],
    ignored: tuple[str, ...],
    engine: str,
    known: int,
    unknown: int,
    *,
    score_facts: Mapping[str, Any] | None = None,
    score_b_source: str | None = None,
    facts: Mapping[str, Any] | None = None,
) -> Trace:
    """The explanation data for one result (shared by both engines). ``score_facts`` (score method only)
    holds ``score_a`` and the candidate ``score_b`` values the score rules were fired with; ``facts``,
    the household's classification_facts when the caller already computed them."""
    static = _static_parts(ruleset)
    steps = []
    for r in indicators:
        # IndicatorStep's attributes: the rule-set half copied, the household half from the result.
        values = static.steps[r.id].copy()
        values["deprived"] = r.deprived
        values["source"] = r.source
        values["triggered_by"] = r.triggered_by
        values["missing"] = r.missing
        values["facts_read"] = r.facts_read
        step = _new(IndicatorStep)
        _set_attribute(step, "__dict__", values)
        steps.append(step)
    rule_steps = []
    margins: list[Margin] = []
    facts = dict(facts) if facts is not None else classification_facts(household, ruleset.facts)
    b_values: tuple[Any, ...] = ()
    if score_facts is not None:
        b_values = tuple(score_facts.get("score_b_values", ()))
        facts["score_b"] = b_values[0] if len(b_values) == 1 else None
    for rule_id, counts in rules.items():
        rule_steps.append(RuleStep(deprivation_counts=tuple(counts), **static.rules[rule_id]))
        margins.extend(_margins(rule_id, static.thresholds[rule_id], facts, known, unknown))
    cutoff = ruleset.parameters.get("deprivation_cutoff")
    cls = ruleset.classes.get(outcome)
    return Trace(
        household_id=household.id,
        standard=ruleset.id,
        title_vi=ruleset.title_vi,
        title_en=ruleset.title_en,
        rules_digest=ruleset.digest,
        provisional=ruleset.provisional,
        engine=engine,
        reference_date=reference_date,
        area=household.area,
        income_per_capita_month=household.income_per_capita_month,
        outcome=outcome,
        outcome_label_vi=cls.label_vi if cls else CANNOT_CLASSIFY_LABELS["vi"],
        outcome_label_en=cls.label_en if cls else CANNOT_CLASSIFY_LABELS["en"],
        deprivation_count=known,
        unknown_count=unknown,
        deprivation_cutoff=int(cutoff.value) if cutoff is not None else None,
        indicators=tuple(steps),
        rules=tuple(rule_steps),
        margins=tuple(margins),
        possible_outcomes=possible,
        missing_fields=missing,
        ignored_flags=ignored,
        warnings=ruleset.warnings,
        method="score" if score_facts is not None else "income",
        score_a=score_facts.get("score_a") if score_facts is not None else None,
        score_b=b_values,
        score_b_source=score_b_source,
    )


_new = object.__new__
_set_attribute = object.__setattr__  # how attrs itself sets a frozen instance's attributes


def _threshold_nodes(condition: Any) -> tuple[Compare, ...]:
    """The distinct order comparisons (lt/lte/gt/gte) of a condition, in tree order."""
    nodes: dict[tuple[str, str, Any], Compare] = {}
    for node in comparisons(condition):
        if node.op in ("lt", "lte", "gt", "gte"):
            nodes.setdefault((node.fact, node.op, node.value), node)
    return tuple(nodes.values())


def _margins(
    rule_id: str, nodes: Sequence[Compare], facts: Mapping[str, Any], known: int, unknown: int
) -> list[Margin]:
    out: list[Margin] = []
    for node in nodes:
        if node.fact == "deprivation_count":
            value: Any = known
            low = compare_values(node.op, known, node.value)
            high = compare_values(node.op, known + unknown, node.value)
            holds: bool | None = low if low == high else None
        else:
            value = facts.get(node.fact)
            holds = compare_values(node.op, value, node.value) if value is not None else None
        margin = float(value - node.value) if value is not None else None
        out.append(Margin(rule_id, node.fact, node.op, node.value, node.param, value, margin, holds))
    return out
