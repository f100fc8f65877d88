"""The explanation of a result, as data.

A Trace is what a reviewer needs to reproduce and explain one household's outcome: the standard and
its content digest, the reference date, the income and the lines it was compared with, every
indicator (its verdict, source, triggering members, missing answers, citation) and every
classification rule that fired, with the margins to each threshold that mattered. Renderers
(Vietnamese/English text, JSON) live in ``classifier.explain``; this module only holds the data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["IndicatorStep", "Margin", "RuleStep", "Trace"]


# Without __slots__: attrs then fills the instance dict directly, a third faster to build (twelve per trace
# on the durable path); still frozen.
@attrs.frozen(slots=False)
class IndicatorStep:
    """One indicator as evaluated for the household."""

    id: str
    number: int
    label_vi: str
    label_en: str
    deprived: bool | None
    source: str
    citation_vi: str
    citation_en: str
    verified: bool
    triggered_by: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    facts_read: Mapping[str, Any] = attrs.field(factory=dict)
    params: Mapping[str, Any] = attrs.field(factory=dict)
    wording_vi: str | None = None


@attrs.frozen
class RuleStep:
    """A classification rule that fired (or, when undecided, one that could fire)."""

    id: str
    outcome: str
    citation_vi: str
    citation_en: str
    verified: bool
    wording_vi: str | None
    deprivation_counts: tuple[int, ...]
    params: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Margin:
    """How far the household is from one threshold of a rule that mattered.

    ``margin`` = value − threshold (negative: below the threshold). ``holds`` says whether the
    comparison held for this household (None when the value is not fully known).
    """

    rule_id: str
    fact: str
    op: str
    threshold: Any
    param: str | None
    value: Any
    margin: float | None
    holds: bool | None


@attrs.frozen
class Trace:
    """Everything behind one Classification."""

    household_id: str
    standard: str
    title_vi: str
    title_en: str
    rules_digest: str
    provisional: bool
    engine: str
    reference_date: dt.date
    area: str | None
    income_per_capita_month: float | int | None
    outcome: str
    outcome_label_vi: str
    outcome_label_en: str
    deprivation_count: int
    unknown_count: int
    deprivation_cutoff: int | None
    indicators: tuple[IndicatorStep, ...]
    rules: tuple[RuleStep, ...]
    margins: tuple[Margin, ...]
    possible_outcomes: tuple[str, ...] = ()
    missing_fields: tuple[str, ...] = ()
    ignored_flags: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # ``income`` or ``score`` (see Classification.method). Under the score method: điểm A and điểm B as
    # used, and where B came from (``input``: the record's score_b; ``indicators``: points × the count).
    method: str = "income"
    score_a: float | int | None = None
    score_b: tuple[int | float, ...] = ()
    score_b_source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates as ISO text, tuples as lists)."""
        plain: dict[str, Any] = _plain(attrs.asdict(self, recurse=True))
        return plain


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
