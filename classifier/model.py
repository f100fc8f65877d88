"""Frozen records: the household as the engine sees it, and the result it gets.

These types are deliberately generic over the facts they carry (``facts`` mappings keyed by the
names in ``rules/facts.yaml``) so that a new standard reading new survey answers needs no change
here. A key absent from ``facts`` means *unknown*, never false.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

__all__ = [
    "CANNOT_CLASSIFY",
    "CANNOT_CLASSIFY_LABELS",
    "Classification",
    "Household",
    "IndicatorResult",
    "Member",
]

#: The outcome given when unknown answers leave more than one class possible.
CANNOT_CLASSIFY: Final = "khong_du_du_lieu"
#: Its labels (it is the engine's outcome, not a class of any standard, so it is not in rules/).
CANNOT_CLASSIFY_LABELS: Final = {
    "vi": "không đủ dữ liệu để phân loại",
    "en": "cannot classify: missing answers",
}


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return dict(value or {})


def _member_tuple(value: Iterable[Member]) -> tuple[Member, ...]:
    # A typed converter (rather than ``tuple``) keeps mypy able to check Household(members=[...]).
    return tuple(value)


@attrs.frozen
class Member:
    """One member of a household: the survey answers about that person."""

    facts: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    member_id: str | None = None
    #: Administrative and personal fields (rules/admin.yaml): name, gender, relation... never read by rules.
    admin: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)


@attrs.frozen
class Household:
    """One household record, already typed and validated by ``classifier.io``.

    ``flags`` holds pre-decided indicator answers (forms B1/B2): indicator id -> deprived?
    ``income_per_capita_month`` is VND per person per month; when the record gave a total income
    the adapter divided it by the member count (no rounding: the law compares the exact figure).
    """

    id: str
    area: str | None
    income_per_capita_month: int | float | None
    members: tuple[Member, ...] = attrs.field(default=(), converter=_member_tuple)
    facts: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    flags: Mapping[str, bool] = attrs.field(factory=dict, converter=_frozen_mapping)
    member_count: int | None = None
    reference_date: dt.date | None = None
    place: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_mapping)
    #: Administrative and personal fields (rules/admin.yaml): household code, head, ethnicity, causes of
    #: poverty... Kept apart from ``facts``: no rule reads them and they never change a class.
    admin: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)

    @property
    def effective_member_count(self) -> int | None:
        """Members listed, else the declared count (flags-only records)."""
        if self.members:
            return len(self.members)
        return self.member_count

    @property
    def code(self) -> str:
        """The household code of the register (``admin.household_code``), else the record id."""
        return str(self.admin.get("household_code") or self.id)


# Without __slots__: attrs then fills the instance dict directly, a third faster to build (twelve per
# household on the durable path); still frozen.
@attrs.frozen(slots=False)
class IndicatorResult:
    """One indicator's verdict for one household.

    ``deprived`` is True, False or None (unknown). ``source`` says what decided it: ``flag`` (a
    pre-decided yes/no from the record), ``answers`` (computed from member/household answers).
    ``triggered_by`` lists the members or facts that made it deprived; ``missing`` the answers whose
    absence left it unknown.
    """

    id: str
    deprived: bool | None
    source: str
    triggered_by: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    # No copying converter: the evaluator hands over a fresh dict per result (hot path).
    facts_read: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Classification:
    """The outcome for one household, with everything needed to explain and reproduce it.

    ``outcome`` is a class id of the standard (e.g. ``ngheo``) or ``khong_du_du_lieu``.
    ``possible_outcomes`` lists, when unknowns remain, every class the household could still get.
    """

    household_id: str
    outcome: str
    standard: str
    rules_digest: str
    provisional: bool
    engine: str
    reference_date: dt.date
    income_per_capita_month: int | float | None
    deprivation_count: int
    unknown_count: int
    indicators: tuple[IndicatorResult, ...]
    fired_rules: tuple[str, ...]
    possible_outcomes: tuple[str, ...] = ()
    missing_fields: tuple[str, ...] = ()
    ignored_flags: tuple[str, ...] = ()
    trace: Any = None  # classifier.trace.Trace; typed loosely to keep model free of imports
    # What decided the class: ``income`` (the income lines) or ``score`` (điểm A / điểm B of Thông tư
    # 07/2021/TT-BLĐTBXH, with income only to split the middle band when the record has it).
    method: str = "income"

    def indicator(self, indicator_id: str) -> IndicatorResult:
        """The result of one indicator by id."""
        for result in self.indicators:
            if result.id == indicator_id:
                return result
        raise KeyError(indicator_id)
