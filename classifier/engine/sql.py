"""Compile a RuleSet's condition trees to one SQL query (DuckDB dialect, three-valued like conditions.py).

The batch engine never re-states a rule: each condition node writes its own SQL (``Node.sql`` in
rules/conditions.py) against the scopes defined here (household columns of CTE ``hq``, member columns of
CTE ``m``, classification columns of CTE ``cand``). SQL's NULL is the *unknown* answer and SQL's
AND/OR/NOT are already Kleene logic. Member quantifiers are aggregated per household here (counts of
TRUE and known member verdicts) and decided by the node's ``sql_verdict``.

Besides the verdict, the query computes the explanation lists as conditions.py defines them, from the
children's verdicts (not from any evaluation order): ``missing`` of an unknown node gathers its unknown
children's lists, ``triggered_by`` of a true node its true children's. Classification follows
engine/common: the deprivation count may be anything in ``[known, known + unknown]``, every
classification rule is tried for every candidate count (a join with the counts ``0..N``), and a
household gets a class only when all candidates agree.

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

from collections.abc import Sequence

import attrs

from classifier.model import CANNOT_CLASSIFY
from classifier.rules.conditions import AnyMember, ShareOfMembers, SqlExpr
from classifier.rules.ruleset import FactCatalogue, RuleSet
from classifier.rules.sqltext import EMPTY, literal, quote_ident

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
    "score_rules_query",
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


# Order-preserving de-duplication of a VARCHAR list (the evaluator's dict.fromkeys).
_UNIQUE_MACRO = (
    "CREATE OR REPLACE TEMP MACRO cn_unique(l) AS list_filter(l, lambda x, i: list_position(l, x) = i)"
)


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


class _Compiler:
    """The SQL scopes the condition nodes compile against (conditions.SqlScope), and the quantifiers met.

    Household level reads the columns of CTE ``hq`` (facts, derived facts, quantifier verdicts); member
    level the columns of CTE ``m`` (member facts, then household facts as ``h.<name>``); classification
    level the columns of CTE ``cand``.
    """

    def __init__(self, facts: FactCatalogue) -> None:
        self.facts = facts
        self.quantifiers: dict[AnyMember | ShareOfMembers, int] = {}
        self.member_exprs: list[SqlExpr] = []  # member-level verdict/missing of each quantifier's `where`
        self.household = _Level(self, "household")
        self.member = _Level(self, "member")
        self.classification = _Level(self, "classification")


class _Level:
    def __init__(self, compiler: _Compiler, level: str) -> None:
        self.compiler, self.level = compiler, level

    def column(self, fact: str) -> str:
        if self.level == "member" and fact not in self.compiler.facts.member:
            return quote_ident("h." + fact)
        return quote_ident(fact)

    def missing(self, fact: str) -> str:
        if self.level == "member":
            return f'[m."$label" || {literal("." + fact)}]'
        spec = self.compiler.facts.household.get(fact) if self.level == "household" else None
        if spec is None or not spec.inputs:
            return f"[{literal(fact)}]"
        # An unknown derived fact names its unknown inputs (else itself), as in conditions.Compare.
        absent = ", ".join(f"CASE WHEN {quote_ident(i)} IS NULL THEN {literal(i)} END" for i in spec.inputs)
        inputs = f"list_filter([{absent}], lambda x: x IS NOT NULL)"
        return f"(CASE WHEN len({inputs}) > 0 THEN {inputs} ELSE [{literal(fact)}] END)"

    def quantifier(self, node: AnyMember | ShareOfMembers) -> SqlExpr:
        comp = self.compiler
        k = comp.quantifiers.get(node)
        if k is None:
            k = comp.quantifiers[node] = len(comp.quantifiers)
            comp.member_exprs.append(node.where.sql(comp.member))
        return SqlExpr(quote_ident(f"q{k}"), quote_ident(f"q{k}$miss"), quote_ident(f"q{k}$trig"))


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

    indicator_ids: tuple[str, ...]
    rule_ids: tuple[str, ...]
    setup: tuple[str, ...]
    household_columns: tuple[tuple[str, str], ...]
    member_columns: tuple[tuple[str, str], ...]
    template: str
    lean_template: str
    missing_template: str

    def query(self, households: str = "hh", members: str = "mem", *, explain: bool = True) -> str:
        """The query reading ``households`` and ``members`` (table names or parenthesised subqueries).

        Without ``explain``: no ``m$``/``t$`` columns, ``missing_fields`` NULL and rows unordered.
        """
        text = self.template if explain else self.lean_template
        return text.replace("{HH}", households).replace("{MEM}", members)

    def missing_query(self, households: str = "hh", members: str = "mem") -> str:
        """``rid`` and ``missing_fields`` only, exactly as :meth:`query` lists them, unordered: the
        missing answers depend on the indicator verdicts alone, so the candidate counts and rules
        are not evaluated (a batch run asks this of the households left with unknown indicators)."""
        return self.missing_template.replace("{HH}", households).replace("{MEM}", members)


def compile_ruleset(ruleset: RuleSet) -> CompiledRuleSet:
    """Compile every indicator and classification rule of ``ruleset`` into one query (two variants:
    with the explanation lists, and verdicts only)."""
    comp = _Compiler(ruleset.facts)
    indicators = [(ind.id, ind.condition.sql(comp.household)) for ind in ruleset.indicators]
    return CompiledRuleSet(
        indicator_ids=tuple(i for i, _ in indicators),
        rule_ids=tuple(r.id for r in ruleset.rules),
        setup=(_UNIQUE_MACRO,),
        household_columns=tuple(household_schema(ruleset.facts, ruleset.indicator_ids)),
        member_columns=tuple(member_schema(ruleset.facts)),
        template=_template(ruleset, comp, indicators, explain=True),
        lean_template=_template(ruleset, comp, indicators, explain=False),
        missing_template=_template(ruleset, comp, indicators, explain=True, missing_only=True),
    )


def _template(
    ruleset: RuleSet,
    comp: _Compiler,
    indicators: list[tuple[str, SqlExpr]],
    *,
    explain: bool,
    missing_only: bool = False,
) -> str:
    """The query text; without ``explain`` it computes verdicts and outcomes only (no missing /
    triggered lists, no ordering), which is what a national run writes out. ``missing_only``: the
    same CTEs up to the indicator verdicts, then only ``rid`` and ``missing_fields``."""
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
    # Derived member facts (rules/facts.yaml formulas, e.g. age from birth_date at the reference date)
    # replace the answer column of the same name, if any.
    member_cols = {name for name, spec in ruleset.facts.member.items() if not spec.derived}
    m_derived = ruleset.facts.formulas("member")
    m_env = {"reference_date": f"h.{q(COL_REF_DATE)}"}
    for name, formula in m_derived:
        m_select.append(f"{formula.sql(lambda f: 'mem.' + q(f), m_env)} AS {q('$' + name)}")
    m_select += [f"h.{q(name)} AS {q('h.' + name)}" for name in hh_fact_cols]
    m_source = "m"
    if m_derived:
        names = [name for name, _ in m_derived]
        excluded = ", ".join([q(n) for n in names if n in member_cols] + [q("$" + n) for n in names])
        renamed = ", ".join(f"{q('$' + n)} AS {q(n)}" for n in names)
        m_source = f"(SELECT * EXCLUDE ({excluded}), {renamed} FROM m)"

    # Derived household facts, one CTE each (a formula may read the one before, e.g. member_count).
    h_env = {"members_listed": "n", "declared_members": q(COL_DECLARED_COUNT)}
    h_ctes, h_last = [], "h"
    for i, (name, formula) in enumerate(ruleset.facts.formulas("household")):
        h_ctes.append(f"hd{i} AS (SELECT {h_last}.*, {formula.sql(q, h_env)} AS {q(name)} FROM {h_last})")
        h_last = f"hd{i}"
    h_derived = "".join(cte + ",\n" for cte in h_ctes)

    # Derived classification facts (the yearly income) over the candidates' columns.
    c_cols = {"area": f"sc.{q(COL_AREA)}", "income_per_capita_month": f"sc.{q(COL_INCOME)}"}
    c_derived = "".join(
        f", {formula.sql(c_cols.__getitem__, {})} AS {q(name)}"
        for name, formula in ruleset.facts.formulas("classification")
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
            # A member's missing answers count only when its verdict is unknown (conditions.py).
            vm = f"CASE WHEN {v} IS NULL THEN {expr.miss} ELSE {EMPTY} END" if expr.miss else EMPTY
            mq_select.append(f"{vm} AS {q(f'vm{k}')}")
            ma_select.append(f"flatten(list({q(f'vm{k}')} ORDER BY {q(COL_IDX)})) AS {q(f'miss{k}')}")
            if not missing_only:  # the triggering members: the trace's, not the missing answers'
                ma_select.append(
                    f"list({q('$label')} ORDER BY {q(COL_IDX)}) FILTER (WHERE {v}) AS {q(f'hits{k}')}"
                )

    # CTE hq: household facts, derived facts, and each quantifier's verdict / missing / triggered.
    hq_select = ["h.*"]
    for node, k in comp.quantifiers.items():
        n = "h.n"
        val = node.sql_verdict(n, f"ma.{q(f'any{k}')}", f"ma.{q(f'kn{k}')}", f"ma.{q(f'yes{k}')}")
        hq_select.append(f"{val} AS {q(f'q{k}')}")
        if explain:
            miss = f"CASE WHEN {n} = 0 THEN ['members'] ELSE coalesce(ma.{q(f'miss{k}')}, {EMPTY}) END"
            hq_select.append(f"{miss} AS {q(f'q{k}$miss')}")
            if not missing_only:
                hq_select.append(f"coalesce(ma.{q(f'hits{k}')}, {EMPTY}) AS {q(f'q{k}$trig')}")

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
        iv0_select.append(f"{expr.miss or EMPTY} AS {miss}")
        if missing_only:
            # Alone, the missing answers are deduplicated once, over all indicators (all_missing
            # below): first occurrences in the joined lists are the same without a per-indicator
            # pass; and no triggering members are listed (the query is planned for every chunk, and
            # a small run's time is mostly planning).
            own = f"CASE WHEN {flag} IS NULL AND {val} IS NULL THEN {miss} ELSE {EMPTY} END"
            iv_select.append(f"{own} AS {q('m$' + ind_id)}")
            continue
        iv0_select.append(f"{expr.trig or EMPTY} AS {trig}")
        iv_select += [
            f"CASE WHEN {flag} IS NULL AND {val} IS NULL THEN cn_unique({miss}) ELSE {EMPTY} END "
            f"AS {q('m$' + ind_id)}",
            f"CASE WHEN {flag} IS NOT NULL THEN (CASE WHEN {flag} THEN ['flag'] ELSE {EMPTY} END) "
            f"WHEN {val} THEN cn_unique({trig}) ELSE {EMPTY} END AS {q('t$' + ind_id)}",
        ]

    known = " + ".join(f"CAST({q('d$' + i)} IS TRUE AS INTEGER)" for i, _ in indicators) or "0"
    unknown = " + ".join(f"CAST({q('d$' + i)} IS NULL AS INTEGER)" for i, _ in indicators) or "0"

    # Classification rules over (area, income, candidate count).
    rule_ids = tuple(r.id for r in ruleset.rules)
    rule_vals = [r.condition.sql(comp.classification).val for r in ruleset.rules]
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
    all_missing = "cn_unique(" + (f"list_concat({m_cols})" if n_ind > 1 else (m_cols or EMPTY)) + ")"
    explain_cols = (
        f"{m_cols}, {t_cols}, {all_missing} AS missing_fields"
        if explain and n_ind
        else "CAST(NULL AS VARCHAR[]) AS missing_fields"
    )
    order = "ORDER BY sc.rid" if explain else ""
    final = (
        f"SELECT sc.rid, {all_missing if n_ind else EMPTY} AS missing_fields FROM sc"
        if missing_only
        else f"""SELECT sc.rid, sc.known, sc.unknown, {d_cols}, {s_cols},
       fa.fired_ix, fa.min_match, fa.max_match,
       CASE WHEN len(fa.class_pos) = 1 THEN {class_names}[fa.class_pos[1]] ELSE {literal(CANNOT_CLASSIFY)} END
         AS outcome,
       CASE WHEN len(fa.class_pos) = 1 THEN {EMPTY}
            ELSE list_transform(fa.class_pos, lambda p: {class_names}[p]) END AS possible_outcomes,
       CASE WHEN len(fa.class_pos) = 1
            THEN list_transform(cn_unique(fa.fired_ix), lambda i: {rule_names}[i + 1])
            ELSE {EMPTY} END AS fired_rules,
       {explain_cols}
FROM sc JOIN fa USING (rid)
{order}"""
    )

    template = f"""
WITH
mc AS (SELECT rid, count(*) AS n FROM {{MEM}} GROUP BY rid),
h AS (
  SELECT hh.*, coalesce(mc.n, 0) AS n, hh.{q(COL_AREA)} AS {q("area")}
  FROM {{HH}} AS hh LEFT JOIN mc USING (rid)
),
{h_derived}h2 AS (SELECT * FROM {h_last}),
m AS (SELECT {", ".join(m_select)} FROM {{MEM}} AS mem JOIN h2 AS h USING (rid)),
mq AS (SELECT {", ".join(mq_select)} FROM {m_source} AS m),
ma AS (SELECT {", ".join(ma_select)} FROM mq GROUP BY rid),
hq AS (SELECT {", ".join(hq_select)} FROM h2 AS h LEFT JOIN ma USING (rid)),
iv0 AS (SELECT {", ".join(iv0_select)} FROM hq),
iv AS (SELECT {", ".join(iv_select)} FROM iv0),
sc AS (SELECT iv.*, {known} AS known, {unknown} AS unknown FROM iv),
cand AS (
  -- A household's candidate deprivation counts: its known count, or with unknown indicators every
  -- count in [known, known + unknown], as a list the rules are mapped over (no join, no grouping).
  SELECT sc.rid, sc.unknown = 0 AS single, sc.known AS {q("deprivation_count")},
         range(sc.known, sc.known + sc.unknown + 1) AS counts, sc.{q(COL_AREA)} AS {q("area")},
         sc.{q(COL_INCOME)} AS {q("income_per_capita_month")}{c_derived}
  FROM sc
),
fired AS (
  SELECT rid, [{first_rule}] AS fired_ix, {n_match} AS min_match, {n_match} AS max_match
  FROM cand WHERE single
  UNION ALL
  SELECT rid, fired_ix, list_min(n_matches) AS min_match, list_max(n_matches) AS max_match FROM (
    SELECT rid, list_transform(counts, lambda {q("deprivation_count")}: {first_rule}) AS fired_ix,
           list_transform(counts, lambda {q("deprivation_count")}: {n_match}) AS n_matches
    FROM cand WHERE NOT single)
),
fa AS (
  SELECT rid, fired_ix, min_match, max_match,
         list_sort(list_distinct(list_transform(fired_ix, lambda fired_ix_one: {rule_class}))) AS class_pos
  FROM fired
)
{final}
"""
    return template


def score_rules_query(ruleset: RuleSet, table: str = "sc") -> str:
    """The score rules (Thông tư 07/2021/TT-BLĐTBXH) over ``table(rid, area, score_a, score_b)``: per row the
    index of the first matching score rule (``ix``, in ``ruleset.score_rules`` order) and how many match."""
    comp = _Compiler(ruleset.facts)
    vals = [r.condition.sql(comp.classification).val for r in ruleset.score_rules]
    first = "CASE " + " ".join(f"WHEN {v} THEN {i}" for i, v in enumerate(vals)) + " END"
    n_match = " + ".join(f"CAST(({v}) IS TRUE AS INTEGER)" for v in vals)
    return f"SELECT rid, {first} AS ix, {n_match} AS n_match FROM {table} ORDER BY rid"
