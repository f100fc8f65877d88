"""Condition trees: the only language rule files use to say *when* something holds.

A condition is a tree of ``all`` / ``any`` / ``not`` over comparisons ``{fact, op, value|param}``
and two member quantifiers, ``any_member`` (some member satisfies a sub-condition) and
``share_of_members`` (the share of members satisfying ``where`` compared with a number). There is no
string expression language and nothing is ever ``eval``-ed: the tree maps one-to-one onto
durable_rules' JSON operators and onto SQL.

Evaluation is three-valued (Kleene): a comparison on a missing answer is *unknown* (None), ``all``
is False as soon as one child is False, ``any`` is True as soon as one child is True. This is what
lets a household be classified despite missing answers when the missing ones cannot matter.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "OPERATORS",
    "AllOf",
    "AnyMember",
    "AnyOf",
    "AtLeast",
    "Compare",
    "Condition",
    "EvalContext",
    "Not",
    "ShareOfMembers",
    "compare_values",
    "walk",
]

#: op -> human wording (Vietnamese legal phrasing lives in the rule data, not here).
OPERATORS: Mapping[str, str] = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "lte": "≤",
    "gt": ">",
    "gte": "≥",
    "in": "∈",
    "not_in": "∉",
}

#: The negation of each operator, used to push ``not`` down for engines without a general NOT.
NEGATED_OP: Mapping[str, str] = {
    "eq": "ne",
    "ne": "eq",
    "lt": "gte",
    "lte": "gt",
    "gt": "lte",
    "gte": "lt",
    "in": "not_in",
    "not_in": "in",
}


@attrs.frozen
class Compare:
    """``fact op value``; ``value`` is a literal or was resolved from ``param`` at load time."""

    fact: str
    op: str
    value: Any
    param: str | None = None
    line: int | None = None


@attrs.frozen
class AllOf:
    children: tuple[Condition, ...]


@attrs.frozen
class AnyOf:
    children: tuple[Condition, ...]


@attrs.frozen
class AtLeast:
    """True when at least ``count`` of ``children`` hold ("at least 2 of the 3 structures")."""

    count: int
    children: tuple[Condition, ...]


@attrs.frozen
class Not:
    child: Condition


@attrs.frozen
class AnyMember:
    """True when at least one member satisfies ``where``."""

    where: Condition


@attrs.frozen
class ShareOfMembers:
    """``(members satisfying where) / (all members)  op  value``."""

    where: Condition
    op: str
    value: Any
    param: str | None = None
    line: int | None = None


Condition = Compare | AllOf | AnyOf | AtLeast | Not | AnyMember | ShareOfMembers


def walk(cond: Condition) -> Sequence[Condition]:
    """Every node of a tree, depth first (used by checks and by the trace to list facts read)."""
    out: list[Condition] = [cond]
    if isinstance(cond, AllOf | AnyOf | AtLeast):
        for child in cond.children:
            out.extend(walk(child))
    elif isinstance(cond, Not):
        out.extend(walk(cond.child))
    elif isinstance(cond, AnyMember | ShareOfMembers):
        out.extend(walk(cond.where))
    return out


_OP_FUNCS: Mapping[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
    "in": lambda left, right: left in right,
    "not_in": lambda left, right: left not in right,
}


def compare_values(op: str, left: Any, right: Any) -> bool:
    """Apply a comparison operator to two known values."""
    try:
        func = _OP_FUNCS[op]
    except KeyError:
        raise ValueError(f"unknown operator {op!r}") from None
    return bool(func(left, right))


@attrs.define
class EvalContext:
    """What one evaluation reads and records.

    ``household`` maps household-level fact names to values; ``members`` is a list of
    (member label, facts) pairs. ``missing`` collects the paths of unknown answers that were read,
    ``read`` the values read, ``triggered`` the members that satisfied a quantifier.
    """

    household: Mapping[str, Any]
    members: Sequence[tuple[str, Mapping[str, Any]]] = ()
    missing: list[str] = attrs.field(factory=list)
    read: dict[str, Any] = attrs.field(factory=dict)
    triggered: list[str] = attrs.field(factory=list)


Tri = bool | None
Evaluator = Callable[[EvalContext, "Mapping[str, Any] | None", str], Tri]


_ABSENT = object()


def compile_condition(
    cond: Condition, member_level: bool = False, derived_inputs: Mapping[str, tuple[str, ...]] | None = None
) -> Evaluator:
    """Compile a tree into a closure ``(ctx, member_facts, member_label) -> True/False/None``.

    Compiling once per rule set (instead of interpreting the tree for every household) keeps the
    per-household cost to plain function calls. ``member_level`` is True under a member quantifier:
    leaves there read the member's answer first and fall back to the household's (e.g. area).
    ``derived_inputs`` maps a derived household fact to the answers it is computed from: when it is
    unknown, the missing inputs are reported (what a reviewer can collect), not the derived name.
    """
    inputs_of = derived_inputs or {}
    if isinstance(cond, Compare):
        fact, value = cond.fact, cond.value
        test = _OP_FUNCS[cond.op]

        if member_level:

            def member_leaf(ctx: EvalContext, member: Mapping[str, Any] | None, label: str) -> Tri:
                actual = member.get(fact, _ABSENT) if member is not None else _ABSENT
                if actual is _ABSENT:
                    actual = ctx.household.get(fact)
                    path = fact if actual is not None else f"{label}.{fact}"
                else:
                    path = f"{label}.{fact}"
                if actual is None:
                    ctx.missing.append(path)
                    return None
                ctx.read[path] = actual
                return bool(test(actual, value))

            return member_leaf

        inputs = inputs_of.get(fact, ())

        def household_leaf(ctx: EvalContext, member: Mapping[str, Any] | None, label: str) -> Tri:
            actual = ctx.household.get(fact)
            if actual is None:
                absent = [name for name in inputs if ctx.household.get(name) is None]
                ctx.missing.extend(absent or (fact,))
                return None
            ctx.read[fact] = actual
            return bool(test(actual, value))

        return household_leaf

    if isinstance(cond, AllOf):
        parts = [compile_condition(c, member_level, inputs_of) for c in cond.children]

        def all_of(ctx: EvalContext, member: Mapping[str, Any] | None, label: str) -> Tri:
            result: Tri = True
            for part in parts:
                r = part(ctx, member, label)
                if r is False:
                    return False
                if r is None:
                    result = None
            return result

        return all_of

    if isinstance(cond, AnyOf):
        parts = [compile_condition(c, member_level, inputs_of) for c in cond.children]

        def any_of(ctx: EvalContext, member: Mapping[str, Any] | None, label: str) -> Tri:
            result: Tri = False
            for part in parts:
                r = part(ctx, member, label)
                if r is True:
                    return True
                if r is None:
                    result = None
            return result

        return any_of

    if isinstance(cond, AtLeast):
        parts = [compile_condition(c, member_level, inputs_of) for c in cond.children]
        need = cond.count

        def at_least(ctx: EvalContext, member: Mapping[str, Any] | None, label: str) -> Tri:
            # Every child is evaluated (no short-circuit), so what it reads does not depend on order.
            verdicts = [part(ctx, member, label) for part in parts]
            yes = sum(1 for v in verdicts if v is True)
            if yes >= need:
                return True
            if yes + sum(1 for v in verdicts if v is None) < need:
                return False
            return None

        return at_least

    if isinstance(cond, Not):
        inner = compile_condition(cond.child, member_level, inputs_of)

        def negate(ctx: EvalContext, member: Mapping[str, Any] | None, label: str) -> Tri:
            r = inner(ctx, member, label)
            return None if r is None else not r

        return negate

    if isinstance(cond, AnyMember):
        where = compile_condition(cond.where, True, inputs_of)

        def any_member(ctx: EvalContext, member: Mapping[str, Any] | None, label: str) -> Tri:
            if not ctx.members:
                # No member answers at all (a flags-only record missing this flag): unknown, not "no one".
                ctx.missing.append("members")
                return None
            result: Tri = False
            hits: list[str] = []
            for m_label, m_facts in ctx.members:
                r = where(ctx, m_facts, m_label)
                if r is True:
                    hits.append(m_label)
                elif r is None and result is False:
                    result = None
            if hits:
                ctx.triggered.extend(hits)
                return True
            return result

        return any_member

    if isinstance(cond, ShareOfMembers):
        where = compile_condition(cond.where, True, inputs_of)
        op, threshold = cond.op, cond.value

        def share(ctx: EvalContext, member: Mapping[str, Any] | None, label: str) -> Tri:
            n = len(ctx.members)
            if n == 0:
                ctx.missing.append("members")
                return None
            yes = unknown = 0
            hits: list[str] = []
            for m_label, m_facts in ctx.members:
                r = where(ctx, m_facts, m_label)
                if r is True:
                    yes += 1
                    hits.append(m_label)
                elif r is None:
                    unknown += 1
            low = compare_values(op, yes / n, threshold)
            high = compare_values(op, (yes + unknown) / n, threshold)
            ctx.read["share_of_members"] = f"{yes}/{n}" + (f" (+{unknown} unknown)" if unknown else "")
            if low == high:
                # Comparisons against a share are monotone, so agreeing ends decide every case between.
                if low:
                    ctx.triggered.extend(hits)
                return low
            return None

        return share

    raise TypeError(f"not a condition: {cond!r}")
