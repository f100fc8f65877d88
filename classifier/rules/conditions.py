"""Condition trees: the only language rule files use to say *when* something holds.

One class per kind, and each class owns its whole meaning: how it is written in YAML and checked
(``parse``), its three-valued Python evaluation (``compile``), its SQL (``sql``), its durable_rules JSON
(``to_durable``, classification rules only) and its wording (``describe``). Adding a kind is one class
here, registered in :data:`KINDS`, plus its tests and a rule-gallery file. Nothing is ever ``eval``-ed.

Kinds: ``all`` / ``any`` / ``at_least`` (N of) / ``not`` over comparisons ``{fact, op, value|param}``,
and two member quantifiers, ``any_member`` and ``share_of_members``.

Reference semantics (the Python evaluation; SQL and durable_rules are generated to agree with it):

- verdicts are three-valued (Kleene): a comparison on a missing answer is *unknown* (None); ``all`` is
  False as soon as one child is False, ``any`` True as soon as one child is True, ``at_least N`` True
  once N children are True and False once fewer than N can be;
- the explanation lists are functions of the children's verdicts, never of evaluation order.
  ``missing`` (the answers to collect) is defined for an unknown node: the concatenation, in child
  order, of the ``missing`` of its unknown children (members in order for a quantifier; ``members``
  when a quantifier has no members). ``triggered`` (the members that made it hold) is defined for a
  true node: all true children's lists (for ``all``, every child), the true members for a quantifier,
  nothing under ``not``. Both are de-duplicated in first-seen order by the caller.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self

import attrs

from classifier.rules.sqltext import concat, literal, when

if TYPE_CHECKING:
    from classifier.rules.ruleset import FactSpec
    from classifier.rules.schema import Problems
    from classifier.rules.yamlload import LocatedDict

__all__ = [
    "KINDS",
    "OPERATORS",
    "AllOf",
    "AnyMember",
    "AnyOf",
    "AtLeast",
    "Compare",
    "Compiled",
    "Condition",
    "EvalContext",
    "Not",
    "Scope",
    "ShareOfMembers",
    "SqlExpr",
    "Verdict",
    "compare_values",
    "comparisons",
    "evaluate",
    "format_value",
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
COMPARISON_OPS = tuple(OPERATORS)
ORDER_OPS = ("lt", "lte", "gt", "gte")

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
_SQL_OPS = {"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_JSON_OPS = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte", "ne": "$neq"}

_WORDS = {
    "vi": {
        "and": " VÀ ",
        "or": " HOẶC ",
        "not": "KHÔNG ",
        "any_member": "có thành viên mà ",
        "share": "tỷ lệ thành viên mà ",
        "at_least": "ít nhất {count} trong {total} điều kiện: ",
    },
    "en": {
        "and": " AND ",
        "or": " OR ",
        "not": "NOT ",
        "any_member": "some member with ",
        "share": "share of members with ",
        "at_least": "at least {count} of {total}: ",
    },
}


def compare_values(op: str, left: Any, right: Any) -> bool:
    """Apply a comparison operator to two known values."""
    try:
        func = _OP_FUNCS[op]
    except KeyError:
        raise ValueError(f"unknown operator {op!r}") from None
    return bool(func(left, right))


def format_value(value: Any) -> str:
    """Numbers with thousands separators; lists comma-separated; booleans lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
    if isinstance(value, tuple | list):
        return "{" + ", ".join(format_value(v) for v in value) + "}"
    return str(value)


# --------------------------------------------------------------------------------------------------
# What the kinds share: evaluation context, compiled form, SQL form, parsing interface


Tri = bool | None
MemberFacts = Mapping[str, Any] | None
Fn = Callable[["EvalContext", MemberFacts, str], Tri]
ListFn = Callable[["EvalContext", MemberFacts, str], list[str]]


@attrs.define
class EvalContext:
    """What one evaluation reads: household facts, (label, facts) per member, and the values read."""

    household: Mapping[str, Any]
    members: Sequence[tuple[str, Mapping[str, Any]]] = ()
    read: dict[str, Any] = attrs.field(factory=dict)
    # Per quantifier (by compile-time number): each member's verdict, so that the explanation lists
    # reuse what the verdict computed (shared with a scratch context; one context per household).
    member_verdicts: dict[int, list[Tri]] = attrs.field(factory=dict)


@attrs.frozen
class Compiled:
    """A node compiled to closures ``(ctx, member facts, member label) -> ...``.

    ``verdict`` is the three-valued answer (and records the values it reads in ``ctx.read``);
    ``missing`` is meaningful when the verdict is unknown, ``triggered`` when it is True (None when the
    node can never name members: no quantifier below it).
    """

    verdict: Fn
    missing: ListFn
    triggered: ListFn | None
    # A comparison's ``(fact, test, value, read-key suffix)``, so that ``all``/``any`` can evaluate it
    # inline (exactly what ``verdict`` does, without a call per leaf: the hot path of every household).
    leaf: tuple[str, Callable[[Any, Any], Any], Any, str] | None = None


@attrs.frozen
class Scope:
    """Where a node is evaluated: ``household``, ``member`` (under a quantifier) or ``classification``.

    ``inputs`` maps a derived household fact to the answers it is computed from: when it is unknown,
    its unknown inputs are named as missing (what a reviewer can collect), not the derived name.
    """

    level: str = "household"
    inputs: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)

    def members(self) -> Scope:
        return Scope("member", self.inputs)


@attrs.frozen
class Verdict:
    """The result of :func:`evaluate`: the answer and its explanation lists."""

    value: Tri
    missing: tuple[str, ...]
    triggered: tuple[str, ...]
    read: Mapping[str, Any]


@attrs.frozen
class SqlExpr:
    """A node in SQL: verdict ``val``; list ``miss`` (meaningful when ``val`` is NULL) and ``trig``
    (meaningful when TRUE); None when the node can never add names."""

    val: str
    miss: str | None
    trig: str | None


class SqlScope(Protocol):
    """What a node needs from the SQL compiler (engine/sql.py) at its level."""

    def column(self, fact: str) -> str: ...

    def missing(self, fact: str) -> str: ...

    def quantifier(self, node: AnyMember | ShareOfMembers) -> SqlExpr: ...


class Parser(Protocol):
    """What a node needs from the loader to parse itself (see ``_ConditionParser`` in loader.py)."""

    problems: Problems
    rule_id: str

    def condition(self, node: Any, level: str, line: int | None) -> Condition | None: ...

    def operand(self, data: LocatedDict, ftype: str) -> tuple[Any, str | None]: ...

    def facts_at(self, level: str) -> Mapping[str, FactSpec]: ...


def _parse_children(data: LocatedDict, key: str, parser: Parser, level: str) -> list[Condition] | None:
    """The non-empty list of conditions under ``key``, each parsed; None (reported) otherwise."""
    from classifier.rules.yamlload import LocatedList, line_of

    items = data.get(key)
    if not isinstance(items, LocatedList) or not items:
        if key in data:
            parser.problems.add(
                line_of(data, key), f"'{key}' needs a non-empty list of conditions", parser.rule_id
            )
        return None
    children = [parser.condition(c, level, items.item_lines[i]) for i, c in enumerate(items)]
    if any(c is None for c in children):
        return None
    return [c for c in children if c is not None]


# --------------------------------------------------------------------------------------------------
# Logical kinds


@attrs.frozen
class _Junction:
    """``<key>: [...]``: the children joined by one Kleene connective (AllOf, AnyOf)."""

    children: tuple[Condition, ...]
    key: ClassVar[str]

    @classmethod
    def parse(cls, data: LocatedDict, parser: Parser, level: str) -> Self | None:
        parser.problems.keys(data, (cls.key,), (cls.key,), f"'{cls.key}' condition", parser.rule_id)
        children = _parse_children(data, cls.key, parser, level)
        return cls(tuple(children)) if children is not None else None

    def nodes(self) -> tuple[Condition, ...]:
        return self.children


@attrs.frozen
class AllOf(_Junction):
    """``all: [...]``: Kleene AND."""

    key: ClassVar[str] = "all"

    def compile(self, scope: Scope) -> Compiled:
        parts = [c.compile(scope) for c in self.children]
        verdict = _kleene(parts, False, scope.level == "member")
        return Compiled(verdict, _missing_of_unknown(parts), _triggered_of_all(parts))

    def sql(self, scope: SqlScope) -> SqlExpr:
        children = [c.sql(scope) for c in self.children]
        val = "(" + " AND ".join(c.val for c in children) + ")"
        return SqlExpr(val, _sql_missing(children), concat([c.trig for c in children if c.trig]))

    def to_durable(self, negate: bool = False) -> dict[str, Any]:
        return {"$or" if negate else "$and": [c.to_durable(negate) for c in self.children]}

    def describe(self, lang: str = "en", top: bool = True) -> str:
        return _joined(self.children, _WORDS.get(lang, _WORDS["en"])["and"], lang, top)


@attrs.frozen
class AnyOf(_Junction):
    """``any: [...]``: Kleene OR."""

    key: ClassVar[str] = "any"

    def compile(self, scope: Scope) -> Compiled:
        parts = [c.compile(scope) for c in self.children]
        verdict = _kleene(parts, True, scope.level == "member")
        return Compiled(verdict, _missing_of_unknown(parts), _triggered_of_true(parts))

    def sql(self, scope: SqlScope) -> SqlExpr:
        children = [c.sql(scope) for c in self.children]
        val = "(" + " OR ".join(c.val for c in children) + ")"
        return SqlExpr(val, _sql_missing(children), _sql_triggered_of_true(children))

    def to_durable(self, negate: bool = False) -> dict[str, Any]:
        return {"$and" if negate else "$or": [c.to_durable(negate) for c in self.children]}

    def describe(self, lang: str = "en", top: bool = True) -> str:
        return _joined(self.children, _WORDS.get(lang, _WORDS["en"])["or"], lang, top)


@attrs.frozen
class AtLeast:
    """``{at_least: N, of: [...]}``: True once N children hold, False once fewer than N can, else unknown
    ("ít nhất 2 trong 3 kết cấu chính")."""

    count: int
    children: tuple[Condition, ...]
    key: ClassVar[str] = "at_least"

    @classmethod
    def parse(cls, data: LocatedDict, parser: Parser, level: str) -> AtLeast | None:
        from classifier.rules.yamlload import line_of

        p = parser.problems
        p.keys(data, ("at_least", "of"), ("at_least", "of"), "'at_least' condition", parser.rule_id)
        children = _parse_children(data, "of", parser, level)
        count = data["at_least"]
        if children is not None and (
            not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= len(children)
        ):
            p.add(
                line_of(data, "at_least"),
                f"at_least {count!r} must be a whole number from 1 to {len(children)} "
                "(the conditions in 'of')",
                parser.rule_id,
            )
            return None
        return cls(count, tuple(children)) if children is not None else None

    def nodes(self) -> tuple[Condition, ...]:
        return self.children

    def compile(self, scope: Scope) -> Compiled:
        parts = [c.compile(scope) for c in self.children]
        verdicts = [p.verdict for p in parts]
        need = self.count

        def verdict(ctx: EvalContext, member: MemberFacts, label: str) -> Tri:
            answers = [part(ctx, member, label) for part in verdicts]
            yes = answers.count(True)
            if yes >= need:
                return True
            return False if yes + answers.count(None) < need else None

        return Compiled(verdict, _missing_of_unknown(parts), _triggered_of_true(parts))

    def sql(self, scope: SqlScope) -> SqlExpr:
        children = [c.sql(scope) for c in self.children]
        yes = " + ".join(f"CAST(({c.val}) IS TRUE AS INTEGER)" for c in children)
        possible = " + ".join(f"CAST(({c.val}) IS NOT FALSE AS INTEGER)" for c in children)
        val = f"(CASE WHEN {yes} >= {self.count} THEN TRUE WHEN {possible} < {self.count} THEN FALSE END)"
        return SqlExpr(val, _sql_missing(children), _sql_triggered_of_true(children))

    def to_durable(self, negate: bool = False) -> dict[str, Any]:
        # durable_rules cannot count: the OR over every N-subset of the AND of its members. Negated,
        # "fewer than N hold" is "at least n-N+1 fail".
        k = len(self.children) - self.count + 1 if negate else self.count
        subsets = itertools.combinations(self.children, k)
        return {"$or": [{"$and": [c.to_durable(negate) for c in subset]} for subset in subsets]}

    def describe(self, lang: str = "en", top: bool = True) -> str:
        head = _WORDS.get(lang, _WORDS["en"])["at_least"].format(count=self.count, total=len(self.children))
        text = head + "; ".join(c.describe(lang, top=False) for c in self.children)
        return text if top else f"({text})"


@attrs.frozen
class Not:
    """``not: <condition>``: swaps True and False, keeps unknown."""

    child: Condition
    key: ClassVar[str] = "not"

    @classmethod
    def parse(cls, data: LocatedDict, parser: Parser, level: str) -> Not | None:
        from classifier.rules.yamlload import line_of

        parser.problems.keys(data, ("not",), ("not",), "'not' condition", parser.rule_id)
        child = parser.condition(data["not"], level, line_of(data, "not"))
        return cls(child) if child is not None else None

    def nodes(self) -> tuple[Condition, ...]:
        return (self.child,)

    def compile(self, scope: Scope) -> Compiled:
        inner = self.child.compile(scope)
        test = inner.verdict

        def verdict(ctx: EvalContext, member: MemberFacts, label: str) -> Tri:
            r = test(ctx, member, label)
            return None if r is None else not r

        # A negation holds because something is absent: it names no member.
        return Compiled(verdict, inner.missing, None)

    def sql(self, scope: SqlScope) -> SqlExpr:
        inner = self.child.sql(scope)
        return SqlExpr(f"(NOT {inner.val})", inner.miss, None)

    def to_durable(self, negate: bool = False) -> dict[str, Any]:
        # durable_rules has no general NOT: it is pushed down to the leaves (De Morgan).
        return self.child.to_durable(not negate)

    def describe(self, lang: str = "en", top: bool = True) -> str:
        return _WORDS.get(lang, _WORDS["en"])["not"] + self.child.describe(lang, top=False)


_NO_FACTS: Mapping[str, Any] = {}


def _never_called(ctx: EvalContext, member: MemberFacts, label: str) -> Any:
    raise AssertionError("a comparison step is evaluated inline by _kleene, never called")


def _kleene(parts: Sequence[Compiled], stop: bool, member_level: bool) -> Fn:
    """Kleene AND (``stop`` False: False as soon as a child is False) or OR (``stop`` True), children in
    order. A comparison child is evaluated inline: this loop is the one statement of how a comparison
    reads its answer (a member's, else the household's) and records it in ``ctx.read``; a lone
    comparison's verdict is this loop with one step (Compare.compile). Any other child is called."""
    steps = tuple(
        (*p.leaf, None) if p.leaf is not None else ("", _OP_FUNCS["eq"], None, "", p.verdict) for p in parts
    )
    start: Tri = not stop

    def verdict(ctx: EvalContext, member: MemberFacts, label: str) -> Tri:
        result = start
        read, household = ctx.read, ctx.household
        facts = member if member is not None and member_level else _NO_FACTS
        for fact, test, value, suffix, call in steps:
            if call is not None:
                r = call(ctx, member, label)
                if r is None:
                    result = None
                elif r is stop:
                    return stop
                continue
            # A member condition may read a household fact (e.g. area); the names never overlap.
            actual = facts.get(fact, _ABSENT)
            if actual is _ABSENT:
                actual = household.get(fact)
                if actual is None:
                    result = None
                    continue
                read[fact] = actual
            elif actual is None:
                result = None
                continue
            else:
                read[label + suffix] = actual
            if test(actual, value):
                if stop:
                    return True
            elif not stop:
                return False
        return result

    return verdict


def _joined(children: Sequence[Condition], joiner: str, lang: str, top: bool) -> str:
    text = joiner.join(c.describe(lang, top=False) for c in children)
    return text if top or len(children) == 1 else f"({text})"


def _missing_of_unknown(parts: Sequence[Compiled]) -> ListFn:
    """The missing answers of every unknown child, in child order."""

    def missing(ctx: EvalContext, member: MemberFacts, label: str) -> list[str]:
        out: list[str] = []
        for part in parts:
            if part.verdict(ctx, member, label) is None:
                out.extend(part.missing(ctx, member, label))
        return out

    return missing


def _triggered_of_all(parts: Sequence[Compiled]) -> ListFn | None:
    """Every child is true: all their lists."""
    naming = [p.triggered for p in parts if p.triggered is not None]
    if not naming:
        return None

    def triggered(ctx: EvalContext, member: MemberFacts, label: str) -> list[str]:
        return [name for fn in naming for name in fn(ctx, member, label)]

    return triggered


def _triggered_of_true(parts: Sequence[Compiled]) -> ListFn | None:
    """The lists of the true children, in child order."""
    naming = [p for p in parts if p.triggered is not None]
    if not naming:
        return None

    def triggered(ctx: EvalContext, member: MemberFacts, label: str) -> list[str]:
        out: list[str] = []
        for part in naming:
            if part.verdict(ctx, member, label) is True:
                out.extend(part.triggered(ctx, member, label))  # type: ignore[misc]
        return out

    return triggered


def _sql_missing(children: Sequence[SqlExpr]) -> str | None:
    return concat([when(f"({c.val}) IS NULL", c.miss) for c in children if c.miss])


def _sql_triggered_of_true(children: Sequence[SqlExpr]) -> str | None:
    return concat([when(f"({c.val}) IS TRUE", c.trig) for c in children if c.trig])


# --------------------------------------------------------------------------------------------------
# Comparison


_ABSENT = object()


@attrs.frozen
class Compare:
    """``fact op value``; ``value`` is a literal or was resolved from ``param`` at load time."""

    fact: str
    op: str
    value: Any
    param: str | None = None
    line: int | None = None
    key: ClassVar[str] = "fact"

    @classmethod
    def parse(cls, data: LocatedDict, parser: Parser, level: str) -> Compare | None:
        from classifier.rules.schema import did_you_mean
        from classifier.rules.yamlload import line_of

        p, rule_id = parser.problems, parser.rule_id
        p.keys(data, ("fact", "op", "value", "param"), ("fact", "op"), "comparison", rule_id)
        fact = str(data.get("fact"))
        visible = parser.facts_at(level)
        spec = visible.get(fact)
        if spec is None:
            hint = did_you_mean(fact, visible)
            p.add(
                line_of(data, "fact"),
                f"unknown fact {fact!r} at {level} level",
                rule_id,
                f"did you mean {hint!r}?" if hint else f"known: {', '.join(sorted(visible))}",
            )
            return None
        op = data.get("op")
        if op is None or not _op_fits(op, spec, data, p, rule_id):
            return None  # a missing op is reported as a missing key above
        value, param = parser.operand(data, spec.type)
        if value is None:
            return None
        line = line_of(data, "value") or line_of(data, "param")
        if op in ("in", "not_in") and not isinstance(value, tuple | list):
            p.add(
                line,
                f"operator {op!r} needs a list, got {value!r}",
                rule_id,
                f"write a list, e.g. [{value}], or use {'eq' if op == 'in' else 'ne'} for one value",
            )
            return None
        for cand in value if op in ("in", "not_in") else [value]:
            if not _type_ok(spec, cand):
                expected = f"one of {', '.join(spec.values)}" if spec.type == "enum" else f"a {spec.type}"
                hint = did_you_mean(str(cand), spec.values) if spec.type == "enum" else None
                p.add(
                    line,
                    f"value {cand!r} does not fit fact {fact!r}: expected {expected}",
                    rule_id,
                    f"did you mean {hint!r}?" if hint else None,
                )
                return None
        return cls(fact, op, tuple(value) if isinstance(value, list) else value, param, data.line)

    def nodes(self) -> tuple[Condition, ...]:
        return ()

    def compile(self, scope: Scope) -> Compiled:
        fact, value, test = self.fact, self.value, _OP_FUNCS[self.op]
        # How a comparison reads its answer is stated once, in _kleene's loop: a lone comparison is the
        # one-step case of it, and all/any run the same steps inline for their comparison children.
        member_level = scope.level == "member"
        leaf = (fact, test, value, "." + fact if member_level else "")
        verdict = _kleene((Compiled(_never_called, _never_called, None, leaf),), False, member_level)
        if member_level:

            def member_missing(ctx: EvalContext, member: MemberFacts, label: str) -> list[str]:
                return [f"{label}.{fact}"]

            return Compiled(verdict, member_missing, None, leaf)

        inputs = scope.inputs.get(fact, ())

        def household_missing(ctx: EvalContext, member: MemberFacts, label: str) -> list[str]:
            absent = [name for name in inputs if ctx.household.get(name) is None]
            return absent or [fact]

        return Compiled(verdict, household_missing, None, leaf)

    def sql(self, scope: SqlScope) -> SqlExpr:
        col = scope.column(self.fact)
        return SqlExpr(_compare_sql(col, self.op, self.value), scope.missing(self.fact), None)

    def to_durable(self, negate: bool = False) -> dict[str, Any]:
        op = NEGATED_OP[self.op] if negate else self.op
        if op == "eq":
            return {self.fact: self.value}
        if op == "in":
            return {"$or": [{self.fact: v} for v in self.value]}
        if op == "not_in":
            return {"$and": [{"$neq": {self.fact: v}} for v in self.value]}
        return {_JSON_OPS[op]: {self.fact: self.value}}

    def describe(self, lang: str = "en", top: bool = True) -> str:
        value = format_value(self.value)
        if self.param:
            value = f"{value} [{self.param}]"
        return f"{self.fact} {OPERATORS[self.op]} {value}"


def _op_fits(op: Any, spec: FactSpec, data: LocatedDict, p: Problems, rule_id: str) -> bool:
    from classifier.rules.schema import did_you_mean
    from classifier.rules.yamlload import line_of

    if op not in COMPARISON_OPS:
        hint = did_you_mean(str(op), COMPARISON_OPS)
        p.add(
            line_of(data, "op"),
            f"unknown operator {op!r}",
            rule_id,
            f"did you mean {hint!r}?" if hint else f"allowed: {', '.join(COMPARISON_OPS)}",
        )
        return False
    if op in ORDER_OPS and spec.type in ("bool", "enum", "string"):
        # Checked before the value, so that the message names the real mistake (the operator).
        allowed = ", ".join(o for o in COMPARISON_OPS if o not in ORDER_OPS)
        p.add(
            line_of(data, "op"),
            f"operator {op!r} does not apply to {spec.type} fact {spec.name!r}",
            rule_id,
            f"allowed: {allowed}",
        )
        return False
    return True


def _type_ok(spec: FactSpec, value: Any) -> bool:
    import datetime as dt

    if spec.type == "bool":
        return isinstance(value, bool)
    if spec.type in ("integer", "number"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if spec.type == "enum":
        return isinstance(value, str) and value in spec.values
    if spec.type == "date":
        return isinstance(value, dt.date)
    return isinstance(value, str)


def _compare_sql(col: str, op: str, value: Any) -> str:
    if op in _SQL_OPS:
        return f"({col} {_SQL_OPS[op]} {literal(value)})"
    values = list(value)
    if not values:
        # x in () is false and x not in () is true, once x is known.
        return f"(CASE WHEN {col} IS NULL THEN NULL ELSE {'FALSE' if op == 'in' else 'TRUE'} END)"
    items = ", ".join(literal(v) for v in values)
    return f"({col} {'IN' if op == 'in' else 'NOT IN'} ({items}))"


# --------------------------------------------------------------------------------------------------
# Member quantifiers


def _parse_member_level(key: str, data: LocatedDict, parser: Parser, level: str) -> bool:
    if level == "household":
        return True
    parser.problems.add(
        data.line,
        f"{key} can only be used in a household-level condition, not at {level} level",
        parser.rule_id,
    )
    return False


_QUANTIFIERS = itertools.count()


def _member_verdicts(where: Compiled) -> tuple[Callable[[EvalContext], list[Tri]], ListFn, ListFn]:
    """For a quantifier over ``where``: each member's verdict (computed once per context), ``missing``
    (the unknown members' answers, in order; ``members`` when there are none) and ``triggered`` (the
    members whose verdict is True)."""
    test, key = where.verdict, next(_QUANTIFIERS)

    def answers(ctx: EvalContext) -> list[Tri]:
        found = ctx.member_verdicts.get(key)
        if found is None:
            found = ctx.member_verdicts[key] = [
                test(ctx, m_facts, m_label) for m_label, m_facts in ctx.members
            ]
        return found

    def missing(ctx: EvalContext, member: MemberFacts, label: str) -> list[str]:
        if not ctx.members:
            return ["members"]
        out: list[str] = []
        for (m_label, m_facts), answer in zip(ctx.members, answers(ctx), strict=True):
            if answer is None:
                out.extend(where.missing(ctx, m_facts, m_label))
        return out

    def triggered(ctx: EvalContext, member: MemberFacts, label: str) -> list[str]:
        return [m_label for (m_label, _), answer in zip(ctx.members, answers(ctx), strict=True) if answer]

    return answers, missing, triggered


@attrs.frozen
class AnyMember:
    """``any_member: <condition>``: True when at least one member satisfies ``where``; unknown without
    members (no answers is not "no one")."""

    where: Condition
    key: ClassVar[str] = "any_member"

    @classmethod
    def parse(cls, data: LocatedDict, parser: Parser, level: str) -> AnyMember | None:
        from classifier.rules.yamlload import line_of

        if not _parse_member_level(cls.key, data, parser, level):
            return None
        parser.problems.keys(data, ("any_member",), ("any_member",), "'any_member' condition", parser.rule_id)
        child = parser.condition(data["any_member"], "member", line_of(data, "any_member"))
        return cls(child) if child is not None else None

    def nodes(self) -> tuple[Condition, ...]:
        return (self.where,)

    def compile(self, scope: Scope) -> Compiled:
        answers, missing, triggered = _member_verdicts(self.where.compile(scope.members()))

        def verdict(ctx: EvalContext, member: MemberFacts, label: str) -> Tri:
            if not ctx.members:
                return None
            # Every member is read (no short-circuit): the trace shows every answer looked at.
            found = answers(ctx)
            if True in found:
                return True
            return None if None in found else False

        return Compiled(verdict, missing, triggered)

    def sql(self, scope: SqlScope) -> SqlExpr:
        return scope.quantifier(self)

    def sql_verdict(self, n: str, any_true: str, known: str, yes: str) -> str:
        """The verdict from per-household counts: members, any TRUE, known verdicts, TRUE verdicts."""
        decided = f"WHEN {any_true} THEN TRUE WHEN {known} = {n} THEN FALSE"
        return f"CASE WHEN {n} = 0 THEN NULL {decided} ELSE NULL END"

    def to_durable(self, negate: bool = False) -> dict[str, Any]:
        raise TypeError("any_member cannot appear in a classification rule")

    def describe(self, lang: str = "en", top: bool = True) -> str:
        return _WORDS.get(lang, _WORDS["en"])["any_member"] + self.where.describe(lang, top=False)


@attrs.frozen
class ShareOfMembers:
    """``share_of_members: {where}, op, value|param``: ``(members satisfying where) / (all members) op
    value``; unknown members count as both no and yes, and the share is decided when both ends agree."""

    where: Condition
    op: str
    value: Any
    param: str | None = None
    line: int | None = None
    key: ClassVar[str] = "share_of_members"

    @classmethod
    def parse(cls, data: LocatedDict, parser: Parser, level: str) -> ShareOfMembers | None:
        from classifier.rules.schema import did_you_mean
        from classifier.rules.yamlload import line_of

        p, rule_id = parser.problems, parser.rule_id
        if not _parse_member_level(cls.key, data, parser, level):
            return None
        allowed = ("share_of_members", "op", "value", "param")
        p.keys(data, allowed, ("share_of_members", "op"), "'share_of_members' condition", rule_id)
        inner = p.mapping(
            data["share_of_members"], "share_of_members", line_of(data, "share_of_members"), rule_id
        )
        if inner is None:
            return None
        p.keys(inner, ("where",), ("where",), "share_of_members", rule_id)
        where = parser.condition(inner.get("where"), "member", line_of(inner, "where"))
        op = data.get("op")
        if op is None:
            return None  # reported as a missing key above
        if op not in ORDER_OPS:
            hint = did_you_mean(str(op), ORDER_OPS)
            p.add(
                line_of(data, "op"),
                f"share_of_members op {op!r} must be one of {', '.join(ORDER_OPS)}",
                rule_id,
                f"did you mean {hint!r}?" if hint else None,
            )
            return None
        value, param = parser.operand(data, "number")
        if value is not None and not (
            isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
        ):
            # A string or list here would only fail at evaluation time, household by household.
            p.add(
                line_of(data, "value") or line_of(data, "param"),
                f"share_of_members compares a share from 0 to 1, got {value!r}",
                rule_id,
            )
            return None
        if where is None or value is None:
            return None
        return cls(where, op, value, param, data.line)

    def nodes(self) -> tuple[Condition, ...]:
        return (self.where,)

    def compile(self, scope: Scope) -> Compiled:
        answers, missing, triggered = _member_verdicts(self.where.compile(scope.members()))
        test, threshold = _OP_FUNCS[self.op], self.value

        def verdict(ctx: EvalContext, member: MemberFacts, label: str) -> Tri:
            n = len(ctx.members)
            if n == 0:
                return None
            found = answers(ctx)
            yes, unknown = found.count(True), found.count(None)
            ctx.read["share_of_members"] = f"{yes}/{n}" + (f" (+{unknown} unknown)" if unknown else "")
            low = bool(test(yes / n, threshold))
            # Comparisons against a share are monotone, so agreeing ends decide every case between.
            return low if low == bool(test((yes + unknown) / n, threshold)) else None

        return Compiled(verdict, missing, triggered)

    def sql(self, scope: SqlScope) -> SqlExpr:
        return scope.quantifier(self)

    def sql_verdict(self, n: str, any_true: str, known: str, yes: str) -> str:
        """The verdict from per-household counts (see AnyMember.sql_verdict)."""
        op, thr = _SQL_OPS[self.op], literal(self.value)
        low = f"(CAST({yes} AS DOUBLE) / {n} {op} {thr})"
        high = f"(CAST({yes} + {n} - {known} AS DOUBLE) / {n} {op} {thr})"
        return f"CASE WHEN {n} = 0 THEN NULL WHEN {low} = {high} THEN {low} ELSE NULL END"

    def to_durable(self, negate: bool = False) -> dict[str, Any]:
        raise TypeError("share_of_members cannot appear in a classification rule")

    def describe(self, lang: str = "en", top: bool = True) -> str:
        value = format_value(self.value) + (f" [{self.param}]" if self.param else "")
        words = _WORDS.get(lang, _WORDS["en"])
        return f"{words['share']}{self.where.describe(lang, top=False)} {OPERATORS[self.op]} {value}"


Condition = Compare | AllOf | AnyOf | AtLeast | Not | AnyMember | ShareOfMembers

#: YAML key -> kind, in the order messages list them.
KINDS: Mapping[str, type[Condition]] = {
    kind.key: kind for kind in (AllOf, AnyOf, AtLeast, Not, AnyMember, ShareOfMembers, Compare)
}


# --------------------------------------------------------------------------------------------------
# Tree helpers


def walk(cond: Condition) -> Sequence[Condition]:
    """Every node of a tree, depth first (used by checks and by the trace to list facts read)."""
    out: list[Condition] = [cond]
    for child in cond.nodes():
        out.extend(walk(child))
    return out


def comparisons(cond: Condition) -> list[Compare]:
    """The comparisons of a tree, depth first (thresholds for margins, test grids, generators)."""
    return [node for node in walk(cond) if isinstance(node, Compare)]


def evaluate(
    cond: Condition,
    household: Mapping[str, Any],
    members: Sequence[tuple[str, Mapping[str, Any]]] = (),
    scope: Scope | None = None,
) -> Verdict:
    """Evaluate one tree with its explanation lists (the reference semantics, once, without a plan)."""
    compiled = cond.compile(scope or Scope())
    ctx = EvalContext(household, members)
    value = compiled.verdict(ctx, None, "")
    scratch = EvalContext(household, members, member_verdicts=ctx.member_verdicts)
    missing = compiled.missing(scratch, None, "") if value is None else []
    triggered = compiled.triggered(scratch, None, "") if value is True and compiled.triggered else []
    return Verdict(value, tuple(dict.fromkeys(missing)), tuple(dict.fromkeys(triggered)), ctx.read)
