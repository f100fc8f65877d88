"""Derived facts as data: the ``formula`` of a fact in rules/facts.yaml, evaluated in Python and in SQL.

A derived fact is computed from answers, never read from input. Its formula is one of:

- ``{ratio: {of: a, per: b}}``          a / b; unknown when either is unknown or b is 0;
- ``{scale: {of: a, by: k}}``           a × k (k a number: 12 turns a monthly amount into a yearly one);
- ``{completed_years: {since: d, else: f}}``  whole years from date ``d`` to the reference date (a
  birthday not yet reached this year does not count); the answer ``f`` when ``d`` is unknown;
- ``{count_members: {}}``               the members listed, else the record's declared member count.

Python keeps exact numbers exact: a Decimal amount divided or scaled stays a Decimal (28 significant
digits), so an amount a hair above a line stays above it; floats and integers behave as before.
SQL is generated from the same declaration (engine/sql.py asks each formula for its expression).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from classifier.rules.sqltext import literal

__all__ = ["FORMULAS", "CompletedYears", "CountMembers", "DerivedEnv", "Formula", "Ratio", "Scale", "age_at"]


def age_at(birth_date: dt.date, reference_date: dt.date) -> int:
    """Completed years at the reference date ("dưới 16 tuổi" means this is < 16)."""
    years = reference_date.year - birth_date.year
    if (reference_date.month, reference_date.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


@attrs.frozen
class DerivedEnv:
    """What a formula may read besides facts: the reference date and the member counts of the record."""

    reference_date: dt.date | None = None
    members_listed: int = 0
    declared_members: int | None = None


#: SQL column of a fact -> expression; plus the reference date, listed and declared member counts.
SqlCols = Callable[[str], str]


@attrs.frozen
class Ratio:
    of: str
    per: str
    key: ClassVar[str] = "ratio"

    def inputs(self) -> tuple[str, ...]:
        return (self.of, self.per)

    def python(self, facts: Mapping[str, Any], env: DerivedEnv) -> Any:
        num, den = facts.get(self.of), facts.get(self.per)
        if num is None or den is None or den == 0:
            return None
        if isinstance(num, Decimal) or isinstance(den, Decimal):
            return Decimal(num) / Decimal(den)
        return num / den

    def sql(self, col: SqlCols, env: Mapping[str, str]) -> str:
        num, den = col(self.of), col(self.per)
        return f"CASE WHEN {num} IS NOT NULL AND {den} <> 0 THEN {num} / {den} END"


@attrs.frozen
class Scale:
    of: str
    by: int | float
    key: ClassVar[str] = "scale"

    def inputs(self) -> tuple[str, ...]:
        return (self.of,)

    def python(self, facts: Mapping[str, Any], env: DerivedEnv) -> Any:
        value = facts.get(self.of)
        return None if value is None else value * self.by

    def sql(self, col: SqlCols, env: Mapping[str, str]) -> str:
        return f"({col(self.of)} * {literal(self.by)})"


@attrs.frozen
class CompletedYears:
    since: str
    otherwise: str | None = None
    key: ClassVar[str] = "completed_years"

    def inputs(self) -> tuple[str, ...]:
        return (self.since,) + ((self.otherwise,) if self.otherwise else ())

    def python(self, facts: Mapping[str, Any], env: DerivedEnv) -> Any:
        start = facts.get(self.since)
        if start is not None and env.reference_date is not None:
            return age_at(start, env.reference_date)
        return facts.get(self.otherwise) if self.otherwise else None

    def sql(self, col: SqlCols, env: Mapping[str, str]) -> str:
        bd, ref = col(self.since), env["reference_date"]
        late = f"(month({ref}) < month({bd}) OR (month({ref}) = month({bd}) AND day({ref}) < day({bd})))"
        years = f"CAST(year({ref}) - year({bd}) - (CASE WHEN {late} THEN 1 ELSE 0 END) AS BIGINT)"
        fallback = col(self.otherwise) if self.otherwise else "NULL"
        return f"CASE WHEN {bd} IS NOT NULL THEN {years} ELSE {fallback} END"


@attrs.frozen
class CountMembers:
    key: ClassVar[str] = "count_members"

    def inputs(self) -> tuple[str, ...]:
        return ()

    def python(self, facts: Mapping[str, Any], env: DerivedEnv) -> Any:
        return env.members_listed if env.members_listed else env.declared_members

    def sql(self, col: SqlCols, env: Mapping[str, str]) -> str:
        listed = env["members_listed"]
        return f"CASE WHEN {listed} > 0 THEN {listed} ELSE {env['declared_members']} END"


Formula = Ratio | Scale | CompletedYears | CountMembers
FORMULAS: Mapping[str, tuple[str, ...]] = {
    "ratio": ("of", "per"),
    "scale": ("of", "by"),
    "completed_years": ("since", "else"),
    "count_members": (),
}


def parse_formula(raw: Any) -> tuple[Formula | None, str | None]:
    """A formula from its YAML form, or (None, what is wrong)."""
    if not isinstance(raw, dict) or len(raw) != 1:
        return None, f"a formula is one of {', '.join(FORMULAS)} with its arguments"
    ((kind, args),) = raw.items()
    if kind not in FORMULAS:
        return None, f"unknown formula {kind!r} (known: {', '.join(FORMULAS)})"
    args = args or {}
    if not isinstance(args, dict) or set(args) - set(FORMULAS[kind]):
        return None, f"formula {kind!r} takes {', '.join(FORMULAS[kind]) or 'no arguments'}"
    try:
        if kind == "ratio":
            return Ratio(str(args["of"]), str(args["per"])), None
        if kind == "scale":
            by = args["by"]
            if not isinstance(by, int | float) or isinstance(by, bool):
                return None, f"formula 'scale' needs a number for 'by', got {by!r}"
            return Scale(str(args["of"]), by), None
        if kind == "completed_years":
            other = args.get("else")
            return CompletedYears(str(args["since"]), str(other) if other is not None else None), None
    except KeyError as exc:
        return None, f"formula {kind!r} needs {exc.args[0]!r}"
    return CountMembers(), None
