"""Evaluate a standard's indicators for one household.

For each indicator the record may carry a pre-decided flag (forms B1/B2); otherwise the indicator's
condition tree is evaluated over the household's and members' answers with three-valued logic. The
result says which source decided it, which members triggered it and which answers were missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from classifier.model import Household, IndicatorResult
from classifier.rules.conditions import EvalContext
from classifier.rules.derived import DerivedEnv, age_at
from classifier.rules.plan import plan_for
from classifier.rules.ruleset import FactCatalogue, RuleSet

__all__ = ["age_at", "evaluate_indicators", "household_view"]


def household_view(
    household: Household,
    reference_date: dt.date,
    catalogue: FactCatalogue,
) -> tuple[dict[str, Any], list[tuple[str, Mapping[str, Any]]]]:
    """Household-level facts (answers plus derived ones) and (label, facts) for each member.

    The derived facts are the catalogue's formulas (rules/facts.yaml), e.g. member ``age`` from
    ``birth_date`` at the reference date (birth date wins over a stated age), household
    ``member_count`` and ``floor_area_per_person``.
    """
    facts: dict[str, Any] = dict(household.facts)
    facts["area"] = household.area
    env = DerivedEnv(reference_date, len(household.members), household.member_count)
    catalogue.derive("household", facts, env)
    members: list[tuple[str, Mapping[str, Any]]] = []
    for index, member in enumerate(household.members, start=1):
        label = f"member {member.member_id}" if member.member_id else f"member #{index}"
        members.append((label, catalogue.derive("member", dict(member.facts), env)))
    return facts, members


def evaluate_indicators(
    household: Household,
    ruleset: RuleSet,
    reference_date: dt.date,
) -> tuple[IndicatorResult, ...]:
    """One IndicatorResult per indicator of ``ruleset``, in the standard's order."""
    facts, members = household_view(household, reference_date, ruleset.facts)
    flags = household.flags
    results: list[IndicatorResult] = []
    ctx = EvalContext(household=facts, members=members)
    # The explanation lists re-read answers: into a scratch context (made when first needed), so
    # facts_read shows what the verdict itself read.
    scratch: EvalContext | None = None
    for indicator_id, compiled in plan_for(ruleset).indicators:
        if indicator_id in flags:
            results.append(
                IndicatorResult(
                    indicator_id,
                    bool(flags[indicator_id]),
                    "flag",
                    triggered_by=("flag",) if flags[indicator_id] else (),
                )
            )
            continue
        read: dict[str, Any] = {}
        ctx.read = read
        verdict = compiled.verdict(ctx, None, "")
        triggered: tuple[str, ...] = ()
        missing: tuple[str, ...] = ()
        if verdict is None or (verdict is True and compiled.triggered is not None):
            if scratch is None:
                scratch = EvalContext(household=facts, members=members, member_verdicts=ctx.member_verdicts)
            if verdict is None:
                missing = _unique(compiled.missing(scratch, None, ""))
            elif compiled.triggered is not None:
                triggered = _unique(compiled.triggered(scratch, None, ""))
        # Positional (id, deprived, source, triggered_by, missing, facts_read): twelve per household.
        results.append(IndicatorResult(indicator_id, verdict, "answers", triggered, missing, read))
    return tuple(results)


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
