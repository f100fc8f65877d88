"""Compile a RuleSet's condition trees to one SQL query (DuckDB dialect, three-valued like conditions.py).

The batch engine never re-states a rule: every indicator and classification rule below is generated
from the same condition trees the durable-rules path evaluates. SQL's NULL is the *unknown* answer,
and SQL's AND/OR/NOT are already Kleene logic, so ``all``/``any``/``not`` map directly:

- a comparison on a NULL column is NULL (``in``/``not_in`` too);
- ``any_member`` aggregates the member-level verdicts per household: TRUE when some member's verdict
  is TRUE, FALSE when every member's is FALSE, otherwise NULL, and NULL when the household lists no
  members at all (no answers is unknown, not "no one");
- ``share_of_members`` counts TRUE and NULL member verdicts and compares the share at both ends
  (all unknowns false, all unknowns true); it is decided when the ends agree.

Besides the verdict, the query rebuilds what the Python evaluator records for an explanation: the
unknown answers read (``missing``) and the members that triggered a quantifier (``triggered_by``),
in the evaluator's order and with its short-circuits (``all`` stops at the first FALSE child,
``any`` at the first TRUE one). Classification follows engine/common: the deprivation count may be
anything in ``[known, known + unknown]``, every classification rule is tried for every candidate
count (a join with the counts ``0..N``), and a household gets a class only when all candidates agree.

Input tables (built by engine/batch.py from Households, or by classifier/batch from files):

- households: ``rid`` (BIGINT, unique, input order), ``$id``, ``$area``, ``$income`` (DOUBLE),
  ``$ref_date`` (DATE), ``$declared_member_count`` (BIGINT), one column per household fact of the
  catalogue, and ``$flag$<indicator>`` (BOOLEAN; NULL = no pre-decided flag);
- members: ``rid``, ``$idx`` (1-based order in the household), ``$member_id`` and one column per
  member fact.

Literals come from validated rule data only and are rendered with :func:`literal` (quotes doubled,
floats as exact DOUBLE casts); record values never become SQL text. The dialect is DuckDB's; the
only non-standard parts are list functions and lambdas (Spark SQL has equivalents).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import attrs

from classifier.engine.common import MONTHS_PER_YEAR
from classifier.model import CANNOT_CLASSIFY
from classifier.rules.conditions import (
    AllOf,
    AnyMember,
    AnyOf,
    AtLeast,
    Compare,
    Condition,
    Not,
    ShareOfMembers,
)
from classifier.rules.ruleset import FactCatalogue, RuleSet

__all__ = [
    "COL_AREA",
    "COL_DECLARED_COUNT",
    "COL_ID",
    "COL_IDX",
    "COL_INCOME",
    "COL_MEMBER_ID",
    "COL_REF_DATE",
    "CompiledRuleSet",
    "compile_ruleset",
    "flag_column",
    "household_schema",
    "literal",
    "member_schema",
    "quote_ident",
]

COL_ID = "$id"
COL_AREA = "$area"
COL_INCOME = "$income"
COL_REF_DATE = "$ref_date"
COL_DECLARED_COUNT = "$declared_member_count"
COL_IDX = "$idx"
COL_MEMBER_ID = "$member_id"

#: Fact type (rules/facts.yaml) -> column type.
SQL_TYPES = {
    "bool": "BOOLEAN",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "enum": "VARCHAR",
    "string": "VARCHAR",
    "date": "DATE",
}

_SQL_OPS = {"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}

_EMPTY = "[]::VARCHAR[]"

# Order-preserving de-duplication of a VARCHAR list (the evaluator's dict.fromkeys).
_UNIQUE_MACRO = (
    "CREATE OR REPLACE TEMP MACRO cn_unique(l) AS list_filter(l, lambda x, i: list_position(l, x) = i)"
)


def quote_ident(name: str) -> str:
    """A double-quoted SQL identifier (embedded quotes doubled)."""
    if "\x00" in name:
        raise ValueError(f"identifier {name!r} contains a NUL character")
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A SQL literal for a rule-data value: bool, int, float, str or date; lists are not literals."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return f"CAST({value} AS BIGINT)" if abs(value) < 2**63 else _float_literal(float(value))
    if isinstance(value, float):
        return _float_literal(value)
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"string literal {value!r} contains a NUL character")
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return f"DATE '{value.isoformat()}'"
    raise TypeError(f"cannot render {value!r} ({type(value).__name__}) as a SQL literal")


def _float_literal(value: float) -> str:
    # repr round-trips a double exactly; a bare 0.5 would be a DECIMAL in DuckDB.
    return f"CAST('{value!r}' AS DOUBLE)"


def flag_column(indicator_id: str) -> str:
    """The column holding a pre-decided flag for one indicator."""
    return f"$flag${indicator_id}"


def household_schema(facts: FactCatalogue, indicator_ids: Sequence[str]) -> list[tuple[str, str]]:
    """(column, SQL type) of the households table, in a fixed order."""
    cols = [
        ("rid", "BIGINT"),
        (COL_ID, "VARCHAR"),
        (COL_AREA, "VARCHAR"),
        (COL_INCOME, "DOUBLE"),
        (COL_REF_DATE, "DATE"),
        (COL_DECLARED_COUNT, "BIGINT"),
    ]
    cols += [
        (name, SQL_TYPES[spec.type])
        for name, spec in facts.household.items()
        if not spec.derived and name != "area"
    ]
    cols += [(flag_column(i), "BOOLEAN") for i in indicator_ids]
    return cols


def member_schema(facts: FactCatalogue) -> list[tuple[str, str]]:
    """(column, SQL type) of the members table."""
    cols = [("rid", "BIGINT"), (COL_IDX, "INTEGER"), (COL_MEMBER_ID, "VARCHAR")]
    cols += [(name, SQL_TYPES[spec.type]) for name, spec in facts.member.items() if not spec.derived]
    return cols


@attrs.frozen
class _Expr:
    """One compiled node: its verdict, and the lists of missing paths / triggering members it adds.

    ``miss``/``trig`` are None when the node can never add anything (pruned from concatenations).
    """

    val: str
    miss: str | None
    trig: str | None


def _concat(parts: Sequence[str]) -> str | None:
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return "list_concat(" + ", ".join(parts) + ")"


def _guarded(guards: Sequence[str], expr: str) -> str:
    if not guards:
        return expr
    return f"(CASE WHEN {' AND '.join(guards)} THEN {expr} ELSE {_EMPTY} END)"


class _Compiler:
    """Turns condition trees into SQL expressions over the CTE columns defined in CompiledRuleSet."""

    def __init__(self, facts: FactCatalogue) -> None:
        self.facts = facts
        self.quantifiers: dict[Condition, int] = {}
        self.member_exprs: list[_Expr] = []  # member-level verdict/missing of each quantifier's `where`

    # -- member level ---------------------------------------------------------------------------

    def member(self, cond: Condition) -> _Expr:
        """A member-level tree over the columns of CTE ``m`` (member facts, then household facts)."""
        if isinstance(cond, Compare):
            # Member conditions may read household facts (e.g. area); the names never overlap.
            own = cond.fact in self.facts.member
            col = quote_ident(cond.fact if own else "h." + cond.fact)
            path = f'm."$label" || {literal("." + cond.fact)}'
            return _Expr(
                _compare_sql(col, cond.op, cond.value),
                f"(CASE WHEN {col} IS NULL THEN [{path}] ELSE {_EMPTY} END)",
                None,
            )
        return self._combine(cond, self.member)

    # -- household level ------------------------------------------------------------------------

    def household(self, cond: Condition) -> _Expr:
        """A household-level tree over the columns of CTE ``hq`` (facts, derived facts, quantifiers)."""
        if isinstance(cond, Compare):
            col = quote_ident(cond.fact)
            spec = self.facts.household.get(cond.fact)
            named = f"[{literal(cond.fact)}]"
            if spec is not None and spec.inputs:
                # As conditions.py: an unknown derived fact names its unknown inputs (else itself).
                absent = ", ".join(
                    f"CASE WHEN {quote_ident(i)} IS NULL THEN {literal(i)} END" for i in spec.inputs
                )
                inputs = f"list_filter([{absent}], lambda x: x IS NOT NULL)"
                named = f"(CASE WHEN len({inputs}) > 0 THEN {inputs} ELSE {named} END)"
            return _Expr(
                _compare_sql(col, cond.op, cond.value),
                f"(CASE WHEN {col} IS NULL THEN {named} ELSE {_EMPTY} END)",
                None,
            )
        if isinstance(cond, AnyMember | ShareOfMembers):
            k = self.quantifiers.get(cond)
            if k is None:
                k = self.quantifiers[cond] = len(self.quantifiers)
                self.member_exprs.append(self.member(cond.where))
            return _Expr(quote_ident(f"q{k}"), quote_ident(f"q{k}$miss"), quote_ident(f"q{k}$trig"))
        return self._combine(cond, self.household)

    def _combine(self, cond: Condition, leaf: Any) -> _Expr:
        if isinstance(cond, Not):
            inner = leaf(cond.child)
            return _Expr(f"(NOT {inner.val})", inner.miss, inner.trig)
        if isinstance(cond, AtLeast):
            # The evaluator reads every child (no short-circuit): all their lists, unguarded.
            children = [leaf(c) for c in cond.children]
            return _Expr(
                _at_least_sql(cond.count, [c.val for c in children]),
                _concat([c.miss for c in children if c.miss is not None]),
                _concat([c.trig for c in children if c.trig is not None]),
            )
        if isinstance(cond, AllOf | AnyOf):
            stop = "FALSE" if isinstance(cond, AllOf) else "TRUE"
            joiner = " AND " if isinstance(cond, AllOf) else " OR "
            children = [leaf(c) for c in cond.children]
            misses: list[str] = []
            trigs: list[str] = []
            guards: list[str] = []
            for child in children:
                # The evaluator stops after the first child that decides (FALSE for all, TRUE for any).
                if child.miss is not None:
                    misses.append(_guarded(guards, child.miss))
                if child.trig is not None:
                    trigs.append(_guarded(guards, child.trig))
                guards = [*guards, f"({child.val}) IS DISTINCT FROM {stop}"]
            return _Expr("(" + joiner.join(c.val for c in children) + ")", _concat(misses), _concat(trigs))
        raise TypeError(f"not a condition: {cond!r}")


def _at_least_sql(count: int, vals: Sequence[str]) -> str:
    """Three-valued "at least ``count`` of": TRUE once enough are TRUE, FALSE once too few can be."""
    yes = " + ".join(f"CAST(({v}) IS TRUE AS INTEGER)" for v in vals)
    possible = " + ".join(f"CAST(({v}) IS NOT FALSE AS INTEGER)" for v in vals)
    return f"(CASE WHEN {yes} >= {count} THEN TRUE WHEN {possible} < {count} THEN FALSE END)"


def _compare_sql(col: str, op: str, value: Any) -> str:
    if op in _SQL_OPS:
        return f"({col} {_SQL_OPS[op]} {literal(value)})"
    if op in ("in", "not_in"):
        values = list(value)
        if not values:
            # x in () is false and x not in () is true, once x is known.
            return f"(CASE WHEN {col} IS NULL THEN NULL ELSE {'FALSE' if op == 'in' else 'TRUE'} END)"
        items = ", ".join(literal(v) for v in values)
        return f"({col} {'IN' if op == 'in' else 'NOT IN'} ({items}))"
    raise ValueError(f"unknown operator {op!r}")


@attrs.frozen
class CompiledRuleSet:
    """The SQL for one RuleSet.

    ``setup`` (macros) runs once per connection. :meth:`query` returns the classification query over
    the given households/members tables; its columns are ``rid``, ``known``, ``unknown``, for each
    indicator ``d$<id>`` (verdict), ``s$<id>`` (TRUE when a flag decided it), ``m$<id>`` (missing
    paths), ``t$<id>`` (triggering members), then ``fired_ix`` (rule index per candidate count,
    ascending counts), ``min_match``/``max_match`` (rules matching per count; must be 1), and the
    outcome columns ``outcome``, ``possible_outcomes``, ``fired_rules``, ``missing_fields``.
    """

    ruleset_digest: str
    indicator_ids: tuple[str, ...]
    rule_ids: tuple[str, ...]
    setup: tuple[str, ...]
    household_columns: tuple[tuple[str, str], ...]
    member_columns: tuple[tuple[str, str], ...]
    template: str
    lean_template: str

    def query(self, households: str = "hh", members: str = "mem", *, explain: bool = True) -> str:
        """The query reading ``households`` and ``members`` (table names or parenthesised subqueries).

        Without ``explain``: no ``m$``/``t$`` columns, ``missing_fields`` NULL and rows unordered.
        """
        text = self.template if explain else self.lean_template
        return text.replace("{HH}", households).replace("{MEM}", members)


def compile_ruleset(ruleset: RuleSet) -> CompiledRuleSet:
    """Compile every indicator and classification rule of ``ruleset`` into one query (two variants:
    with the explanation lists, and verdicts only)."""
    comp = _Compiler(ruleset.facts)
    indicators = [(ind.id, comp.household(ind.condition)) for ind in ruleset.indicators]
    return CompiledRuleSet(
        ruleset_digest=ruleset.digest,
        indicator_ids=tuple(i for i, _ in indicators),
        rule_ids=tuple(r.id for r in ruleset.rules),
        setup=(_UNIQUE_MACRO,),
        household_columns=tuple(household_schema(ruleset.facts, ruleset.indicator_ids)),
        member_columns=tuple(member_schema(ruleset.facts)),
        template=_template(ruleset, comp, indicators, explain=True),
        lean_template=_template(ruleset, comp, indicators, explain=False),
    )


def _template(
    ruleset: RuleSet, comp: _Compiler, indicators: list[tuple[str, _Expr]], *, explain: bool
) -> str:
    """The query text; without ``explain`` it computes verdicts and outcomes only (no missing /
    triggered lists, no ordering), which is what a national run writes out."""
    n_ind = len(indicators)
    q = quote_ident

    # CTE m: members with derived age, label, and the household facts member conditions may read.
    hh_fact_cols = [name for name, spec in ruleset.facts.household.items()]
    m_select = [
        "mem.*",
        f"CASE WHEN mem.{q(COL_MEMBER_ID)} IS NOT NULL AND mem.{q(COL_MEMBER_ID)} <> '' "
        f"THEN 'member ' || mem.{q(COL_MEMBER_ID)} ELSE 'member #' || CAST(mem.{q(COL_IDX)} AS VARCHAR) "
        f"END AS {q('$label')}",
    ]
    if "birth_date" in ruleset.facts.member and "age" in ruleset.facts.member:
        # Completed years at the reference date; a birth date wins over a stated age (indicators/evaluate.py).
        bd, ref = f"mem.{q('birth_date')}", f"h.{q(COL_REF_DATE)}"
        m_select.append(
            f"CASE WHEN {bd} IS NOT NULL THEN CAST(year({ref}) - year({bd}) - "
            f"(CASE WHEN month({ref}) < month({bd}) "
            f"OR (month({ref}) = month({bd}) AND day({ref}) < day({bd})) "
            f"THEN 1 ELSE 0 END) AS BIGINT) ELSE mem.{q('age')} END AS {q('$age')}"
        )
    m_select += [f"h.{q(name)} AS {q('h.' + name)}" for name in hh_fact_cols]
    m_source = (
        f"(SELECT * EXCLUDE ({q('age')}, {q('$age')}), {q('$age')} AS {q('age')} FROM m)"
        if any("$age" in s for s in m_select)
        else "m"
    )

    # The member-level `where` of each quantifier, then one aggregate row per household.
    mq_select = ["m.rid", f"m.{q(COL_IDX)}", f"m.{q('$label')}"]
    ma_select = ["rid", "count(*) AS n"]
    for k, expr in enumerate(comp.member_exprs):
        mq_select.append(f"{expr.val} AS {q(f'v{k}')}")
        v = q(f"v{k}")
        ma_select += [
            f"bool_or({v}) AS {q(f'any{k}')}",
            f"count({v}) AS {q(f'kn{k}')}",
            f"count_if({v}) AS {q(f'yes{k}')}",
        ]
        if explain:
            mq_select.append(f"{expr.miss or _EMPTY} AS {q(f'vm{k}')}")
            ma_select += [
                f"flatten(list({q(f'vm{k}')} ORDER BY {q(COL_IDX)})) AS {q(f'miss{k}')}",
                f"list({q('$label')} ORDER BY {q(COL_IDX)}) FILTER (WHERE {v}) AS {q(f'hits{k}')}",
            ]

    # CTE hq: household facts, derived facts, and each quantifier's verdict / missing / triggered.
    hq_select = ["h.*"]
    for cond, k in comp.quantifiers.items():
        n = "h.n"
        any_, kn, yes = f"ma.{q(f'any{k}')}", f"ma.{q(f'kn{k}')}", f"ma.{q(f'yes{k}')}"
        miss = f"CASE WHEN {n} = 0 THEN ['members'] ELSE coalesce(ma.{q(f'miss{k}')}, {_EMPTY}) END"
        hits = f"coalesce(ma.{q(f'hits{k}')}, {_EMPTY})"
        if isinstance(cond, AnyMember):
            val = (
                f"CASE WHEN {n} = 0 THEN NULL WHEN {any_} THEN TRUE WHEN {kn} = {n} THEN FALSE ELSE NULL END"
            )
            trig = f"CASE WHEN {any_} THEN {hits} ELSE {_EMPTY} END"
        else:
            assert isinstance(cond, ShareOfMembers)
            op, thr = _SQL_OPS[cond.op], literal(cond.value)
            low = f"(CAST({yes} AS DOUBLE) / {n} {op} {thr})"
            high = f"(CAST({yes} + {n} - {kn} AS DOUBLE) / {n} {op} {thr})"
            val = f"CASE WHEN {n} = 0 THEN NULL WHEN {low} = {high} THEN {low} ELSE NULL END"
            trig = f"CASE WHEN {n} > 0 AND {low} = {high} AND {low} THEN {hits} ELSE {_EMPTY} END"
        hq_select.append(f"{val} AS {q(f'q{k}')}")
        if explain:
            hq_select += [f"{miss} AS {q(f'q{k}$miss')}", f"{trig} AS {q(f'q{k}$trig')}"]

    # CTE iv0: each indicator's tree over the answers; CTE iv: a pre-decided flag wins over them.
    # (Two steps so that every tree is written once and the list macros receive column references.)
    iv0_select = ["rid", q(COL_AREA), q(COL_INCOME)]
    iv_select = ["rid", q(COL_AREA), q(COL_INCOME)]
    for ind_id, expr in indicators:
        flag, val, miss, trig = (
            q(flag_column(ind_id)),
            q("a$" + ind_id),
            q("am$" + ind_id),
            q("at$" + ind_id),
        )
        iv0_select += [flag, f"{expr.val} AS {val}"]
        iv_select += [
            f"CASE WHEN {flag} IS NOT NULL THEN {flag} ELSE {val} END AS {q('d$' + ind_id)}",
            f"({flag} IS NOT NULL) AS {q('s$' + ind_id)}",
        ]
        if not explain:
            continue
        iv0_select += [f"{expr.miss or _EMPTY} AS {miss}", f"{expr.trig or _EMPTY} AS {trig}"]
        iv_select += [
            f"CASE WHEN {flag} IS NULL AND {val} IS NULL THEN cn_unique({miss}) ELSE {_EMPTY} END "
            f"AS {q('m$' + ind_id)}",
            f"CASE WHEN {flag} IS NOT NULL THEN (CASE WHEN {flag} THEN ['flag'] ELSE {_EMPTY} END) "
            f"WHEN {val} THEN cn_unique({trig}) ELSE {_EMPTY} END AS {q('t$' + ind_id)}",
        ]

    known = " + ".join(f"CAST({q('d$' + i)} IS TRUE AS INTEGER)" for i, _ in indicators) or "0"
    unknown = " + ".join(f"CAST({q('d$' + i)} IS NULL AS INTEGER)" for i, _ in indicators) or "0"

    # Classification rules over (area, income, candidate count).
    rule_ids = tuple(r.id for r in ruleset.rules)
    rule_vals = [_classification_sql(r.condition) for r in ruleset.rules]
    first_rule = "CASE " + " ".join(f"WHEN {v} THEN {i}" for i, v in enumerate(rule_vals)) + " END"
    n_match = " + ".join(f"CAST(({v}) IS TRUE AS INTEGER)" for v in rule_vals)
    classes = sorted(ruleset.classes.values(), key=lambda c: c.rank)
    class_pos = {c.id: i + 1 for i, c in enumerate(classes)}  # 1-based for SQL list indexing
    rule_class = (
        "CASE fired_ix_one "
        + " ".join(f"WHEN {i} THEN {class_pos[r.outcome]}" for i, r in enumerate(ruleset.rules))
        + " END"
    )
    class_names = "[" + ", ".join(literal(c.id) for c in classes) + "]"
    rule_names = "[" + ", ".join(literal(r) for r in rule_ids) + "]"

    d_cols = ", ".join(q("d$" + i) for i, _ in indicators)
    s_cols = ", ".join(q("s$" + i) for i, _ in indicators)
    m_cols = ", ".join(q("m$" + i) for i, _ in indicators)
    t_cols = ", ".join(q("t$" + i) for i, _ in indicators)
    all_missing = "cn_unique(" + (f"list_concat({m_cols})" if n_ind > 1 else (m_cols or _EMPTY)) + ")"
    explain_cols = (
        f"{m_cols}, {t_cols}, {all_missing} AS missing_fields"
        if explain and n_ind
        else "CAST(NULL AS VARCHAR[]) AS missing_fields"
    )
    order = "ORDER BY sc.rid" if explain else ""

    template = f"""
WITH
mc AS (SELECT rid, count(*) AS n FROM {{MEM}} GROUP BY rid),
h AS (
  SELECT hh.*, coalesce(mc.n, 0) AS n, hh.{q(COL_AREA)} AS {q("area")},
         CASE WHEN coalesce(mc.n, 0) > 0 THEN mc.n ELSE hh.{q(COL_DECLARED_COUNT)} END AS {q("member_count")}
  FROM {{HH}} AS hh LEFT JOIN mc USING (rid)
),
h2 AS (
  SELECT h.*,
         CASE WHEN {q("floor_area_m2")} IS NOT NULL AND {q("member_count")} <> 0
              THEN {q("floor_area_m2")} / {q("member_count")} END AS {q("floor_area_per_person")}
  FROM h
),
m AS (SELECT {", ".join(m_select)} FROM {{MEM}} AS mem JOIN h2 AS h USING (rid)),
mq AS (SELECT {", ".join(mq_select)} FROM {m_source} AS m),
ma AS (SELECT {", ".join(ma_select)} FROM mq GROUP BY rid),
hq AS (SELECT {", ".join(hq_select)} FROM h2 AS h LEFT JOIN ma USING (rid)),
iv0 AS (SELECT {", ".join(iv0_select)} FROM hq),
iv AS (SELECT {", ".join(iv_select)} FROM iv0),
sc AS (SELECT iv.*, {known} AS known, {unknown} AS unknown FROM iv),
cand AS (
  -- Households without unknown indicators have one candidate count (the usual case: no join);
  -- the others get one row per count in [known, known + unknown].
  SELECT sc.rid, sc.known AS {q("deprivation_count")}, TRUE AS single, sc.{q(COL_AREA)} AS {q("area")},
         sc.{q(COL_INCOME)} AS {q("income_per_capita_month")},
         sc.{q(COL_INCOME)} * {MONTHS_PER_YEAR} AS {q("income_per_capita_year")}
  FROM sc WHERE sc.unknown = 0
  UNION ALL
  SELECT sc.rid, c.range AS {q("deprivation_count")}, FALSE AS single, sc.{q(COL_AREA)} AS {q("area")},
         sc.{q(COL_INCOME)} AS {q("income_per_capita_month")},
         sc.{q(COL_INCOME)} * {MONTHS_PER_YEAR} AS {q("income_per_capita_year")}
  FROM sc JOIN range(0, {n_ind + 1}) AS c ON c.range BETWEEN sc.known AND sc.known + sc.unknown
  WHERE sc.unknown > 0
),
fired AS (
  SELECT rid, single, {q("deprivation_count")}, {first_rule} AS fired_ix_one, {n_match} AS n_match FROM cand
),
fa AS (
  SELECT rid, [fired_ix_one] AS fired_ix, n_match AS min_match, n_match AS max_match,
         [{rule_class}] AS class_pos
  FROM fired WHERE single
  UNION ALL
  SELECT rid, list(fired_ix_one ORDER BY {q("deprivation_count")}) AS fired_ix,
         min(n_match) AS min_match, max(n_match) AS max_match,
         list_sort(list_distinct(list({rule_class}))) AS class_pos
  FROM fired WHERE NOT single GROUP BY rid
)
SELECT sc.rid, sc.known, sc.unknown, {d_cols}, {s_cols},
       fa.fired_ix, fa.min_match, fa.max_match,
       CASE WHEN len(fa.class_pos) = 1 THEN {class_names}[fa.class_pos[1]] ELSE {literal(CANNOT_CLASSIFY)} END
         AS outcome,
       CASE WHEN len(fa.class_pos) = 1 THEN {_EMPTY}
            ELSE list_transform(fa.class_pos, lambda p: {class_names}[p]) END AS possible_outcomes,
       CASE WHEN len(fa.class_pos) = 1
            THEN list_transform(cn_unique(fa.fired_ix), lambda i: {rule_names}[i + 1])
            ELSE {_EMPTY} END AS fired_rules,
       {explain_cols}
FROM sc JOIN fa USING (rid)
{order}
"""
    return template


def _classification_sql(cond: Condition) -> str:
    """A classification-level tree (no quantifiers) over the columns of CTE ``cand``."""
    if isinstance(cond, Compare):
        return _compare_sql(quote_ident(cond.fact), cond.op, cond.value)
    if isinstance(cond, Not):
        return f"(NOT {_classification_sql(cond.child)})"
    if isinstance(cond, AtLeast):
        return _at_least_sql(cond.count, [_classification_sql(c) for c in cond.children])
    if isinstance(cond, AllOf | AnyOf):
        joiner = " AND " if isinstance(cond, AllOf) else " OR "
        return "(" + joiner.join(_classification_sql(c) for c in cond.children) + ")"
    raise TypeError(f"{type(cond).__name__} cannot appear in a classification rule")
