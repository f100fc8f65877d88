"""The classify stage: the clean households of a chunk through the compiled rule query into RESULTS.

CHECKED (clean rows) → ENGINE_HH / ENGINE_MEM (the columns engine/sql.py's query reads) → VERDICTS
(one row per household: outcome, indicator verdicts, counts) and MISSING (the missing answers, asked
only for the few households left undecided) → one RESULTS row per household, in the one declared
result schema (classifier/io/results.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from classifier.batch.checks import typed_rows
from classifier.batch.tables import (
    CHECKED,
    CHUNK_MEM,
    ENGINE_HH,
    ENGINE_MEM,
    HH_CELLS,
    MISSING,
    VERDICTS,
    ResultRows,
    order_free,
)
from classifier.batch.typed import TypingPlan
from classifier.batch.typing import income_text_sql
from classifier.engine.batch import BatchEngine
from classifier.engine.sql import (
    COL_AREA,
    COL_DECLARED_COUNT,
    COL_ID,
    COL_IDX,
    COL_INCOME,
    COL_MEMBER_ID,
    COL_REF_DATE,
    household_schema,
    literal,
    member_schema,
    quote_ident,
)
from classifier.errors import EngineError
from classifier.io.records import PLACE_KEYS
from classifier.io.writers import CANNOT_CLASSIFY_VI
from classifier.model import CANNOT_CLASSIFY

__all__ = ["classify_chunk"]


def classify_chunk(
    con: Any,
    plan: TypingPlan,
    engine: BatchEngine,
    rows: ResultRows,
    reference_date: dt.date,
    offset: int,
) -> None:
    """Classify the clean rows of CHECKED and append them to RESULTS (through ``rows``, Work.rows) at
    ``offset`` + rid."""
    # Joined on rid from here on; RESULTS gets its order from the INSERT's ORDER BY below.
    with order_free(con):
        hh_cols = ", ".join(_engine_households(plan, reference_date))
        # CHECKED holds only the cells the check read: the clean rows' cells come from HH_TYPED.
        low, high = con.execute(f"SELECT min(rid), max(rid) FROM {CHECKED} WHERE clean").fetchone() or (0, -1)
        cells = typed_rows(plan, low or 0, (high or -1) + 1, f"{HH_CELLS}.*")
        clean = f"(SELECT t.*, c.n_members FROM {cells} AS t JOIN {CHECKED} AS c USING (rid) WHERE c.clean)"
        con.execute(f"{ENGINE_HH.create} AS SELECT {hh_cols} FROM {clean}")
        mem_cols = ", ".join(_engine_members(plan))
        # A view, not a copy: the rule query reads the few member columns it needs straight from
        # CHUNK_MEM. It joins members to ENGINE_HH, so the members of unclean households that CHUNK_MEM
        # also holds drop out there.
        con.execute(f"CREATE OR REPLACE TEMP VIEW {ENGINE_MEM} AS SELECT {mem_cols} FROM {CHUNK_MEM}")
        compiled = engine.compiled
        verdicts = compiled.query(str(ENGINE_HH), str(ENGINE_MEM), explain=False)
        con.execute(f"{VERDICTS.create} AS {verdicts}")
        # The missing answers are listed only for households left with unknown indicators (few).
        open_rids = f"(SELECT rid FROM {VERDICTS} WHERE unknown > 0)"
        idx = quote_ident(COL_IDX)
        # Members numbered 1, 2, ... within their household (member labels "member #2" need it).
        numbered = (
            f"(SELECT * REPLACE (CAST(row_number() OVER (PARTITION BY rid ORDER BY {idx}) AS INTEGER) "
            f"AS {idx}) FROM {ENGINE_MEM} WHERE rid IN {open_rids})"
        )
        missing = compiled.missing_query(f"(SELECT * FROM {ENGINE_HH} WHERE rid IN {open_rids})", numbered)
        con.execute(f"{MISSING.create} AS {missing}")
    bad = con.execute(f"SELECT count(*) FROM {VERDICTS} WHERE min_match <> 1 OR max_match <> 1").fetchone()
    if bad and bad[0]:
        raise EngineError(
            f"{bad[0]} households matched no or several classification rules of "
            f"{plan.rs.id}; the rule checks should have found this"
        )
    # In output order, so that a run without fall-back rows needs no final sort (output.write_results).
    select = _result_select(plan, engine, [name for name, _ in rows.schema], offset)
    rows.insert(con, select, ordered=True)


def _result_select(plan: TypingPlan, engine: BatchEngine, out_columns: list[str], offset: int) -> str:
    rs = plan.rs
    q = quote_ident
    labels = " ".join(f"WHEN {literal(c.id)} THEN {literal(c.label_vi)}" for c in rs.classes.values())
    values = {
        "id": f"hh.{q(COL_ID)}",
        "row": 't."row"',
        **{key: f"t.{q('f$' + key)}" for key in PLACE_KEYS},
        "classification": "r.outcome",
        "classification_vi": (
            f"CASE r.outcome {labels} WHEN {literal(CANNOT_CLASSIFY)} THEN {literal(CANNOT_CLASSIFY_VI)} END"
        ),
        "income_per_capita_month": income_text_sql(f"hh.{q(COL_INCOME)}"),
        "deprivation_count": "r.known",
        "unknown_count": "r.unknown",
        **{i: f"r.{q('d$' + i)}" for i in rs.indicator_ids},
        "possible_outcomes": "r.possible_outcomes",
        "missing_fields": "coalesce(rm.missing_fields, []::VARCHAR[])",
        "standard": literal(rs.id),
        "rules_digest": literal(rs.digest[:12]),
        "provisional": literal(rs.provisional),
        "engine": literal(engine.name),
        "method": literal("income"),  # score-method rows never take this path (checks.py)
        "reference_date": f"hh.{q(COL_REF_DATE)}",
        "error": "CAST(NULL AS VARCHAR)",
    }
    missing = set(out_columns) - set(values)
    if missing:  # a column added to result_columns must be filled here too
        raise EngineError(f"the batch pipeline does not fill result columns {sorted(missing)}")
    cols = [f"r.rid + {offset} AS seq", *(f"{values[c]} AS {q(c)}" for c in out_columns)]
    return (
        f"SELECT {', '.join(cols)} FROM {VERDICTS} AS r JOIN {ENGINE_HH} AS hh USING (rid) "
        f"JOIN {CHECKED} AS t USING (rid) LEFT JOIN {MISSING} AS rm USING (rid)"
    )


def _engine_households(plan: TypingPlan, reference_date: dt.date) -> list[str]:
    """CHECKED → the households table of the compiled query (engine/sql.py)."""
    q = quote_ident
    count = f"coalesce(NULLIF(n_members, 0), {q('f$member_count')})"
    income = (
        f"CASE WHEN {q('f$income_per_capita_month')} IS NOT NULL THEN {q('f$income_per_capita_month')} "
        f"ELSE CAST({q('f$income_total_month')} AS DOUBLE) / {count} END"
    )
    cols = {
        "rid": "rid",
        COL_ID: q("f$id"),
        COL_AREA: q("f$area"),
        COL_INCOME: income,
        COL_REF_DATE: f"coalesce({q('f$reference_date')}, {literal(reference_date)})",
        COL_DECLARED_COUNT: q("f$member_count"),
    }
    flags = set(plan.flag_paths)
    out = []
    for name, _ in household_schema(plan.rs.facts, plan.rs.indicator_ids):
        if name in cols:
            expr = cols[name]
        elif name.startswith("$flag$"):
            key = name[len("$flag$") :]
            expr = q("f$flag." + key) if key in flags else "CAST(NULL AS BOOLEAN)"
        else:
            expr = q("f$" + name)
        out.append(f"{expr} AS {q(name)}")
    return out


def _engine_members(plan: TypingPlan) -> list[str]:
    """CHUNK_MEM → the members table of the compiled query."""
    q = quote_ident
    out = []
    for name, _ in member_schema(plan.rs.facts):
        if name == "rid":
            out.append("rid")
        elif name == COL_IDX:
            # File order stands in for the 1-based position: the verdicts-only query does not
            # read it, and the explaining query renumbers (see ``numbered`` above).
            out.append(f"CAST(mrow AS INTEGER) AS {q(COL_IDX)}")
        elif name == COL_MEMBER_ID:
            out.append(f"mid AS {q(COL_MEMBER_ID)}")
        else:
            out.append(f"{q('f$' + name)} AS {q(name)}")
    return out
