"""The check stage: which households of a chunk the compiled rule query may classify as they are.

A household row is *clean* when every cell was accepted by the SQL typing, its id is present and not
an earlier row's, its members' cells and ids are fine, area and exactly one income are given, a
total income can be divided by a known member count, the declared member count agrees with the
listed members, and no birth date needs the parser's judgement. Anything else goes to BAD and the
fall-back stage, where the per-record parser either types it or reports its errors exactly as the
per-record path would.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from classifier.batch.tables import (
    BAD,
    CHECKED,
    CHUNK_HH,
    CHUNK_MEM,
    DUPS,
    HH_CELLS,
    HH_TYPED,
    MEM_LINKS,
    MEM_TYPED,
    order_free,
)
from classifier.batch.typed import MEMBER_BASE, TypingPlan
from classifier.engine.sql import literal, quote_ident
from classifier.io.contract import CONTRACT
from classifier.io.records import RECORD_KEYS

__all__ = ["check_chunk", "checked_cells", "create_bad", "typed_rows"]


def create_bad(con: Any) -> None:
    """An empty BAD for one file."""
    con.execute(f'{BAD.create} (rid BIGINT, "row" BIGINT, first_row BIGINT)')


def check_chunk(
    con: Any, plan: TypingPlan, start: int, stop: int, reference_date: dt.date, method: str = "income"
) -> None:
    """Rows ``start`` ≤ rid < ``stop``: CHUNK_HH, CHUNK_MEM, then CHECKED with ``clean``; the unclean
    rows are added to BAD."""
    with order_free(con):
        con.execute(_chunk_households_sql(plan, start, stop))
        con.execute(_chunk_members_sql(con, start, stop))
        con.execute(_checked_sql(plan, reference_date, method))
    con.execute(f'INSERT INTO {BAD} SELECT rid, "row", first_row FROM {CHECKED} WHERE NOT clean')


def _chunk_households_sql(plan: TypingPlan, start: int, stop: int) -> str:
    # Only the cells the check and the result rows read (checked_cells): the classify stage takes the
    # clean rows' other cells straight from HH_TYPED (typed_rows), so they are not copied twice.
    cells = ", ".join(f"{HH_CELLS}.{quote_ident(c)} AS {quote_ident(c)}" for c in checked_cells(plan))
    return (
        f"{CHUNK_HH.create} AS SELECT t.*, coalesce(d.first_rid, t.rid) AS first_row "
        f"FROM {typed_rows(plan, start, stop, f'cells_ok, {cells}')} AS t LEFT JOIN {DUPS} AS d USING (rid)"
    )


def checked_cells(plan: TypingPlan) -> list[str]:
    """The typed cells (``f$<field>``) CHECKED keeps: the record's own cells (RECORD_KEYS but the
    nested lists and the notes: id, area, incomes, member count, reference date, place), which the
    check and the classify stage's result rows read, and score A where the standard has it."""
    fields = [k for k in RECORD_KEYS if k not in ("members", "deprivations", "notes")]
    return ["f$" + f for f in [*fields, *(["score_a"] if "score_a" in plan.hh_facts else [])]]


def typed_rows(plan: TypingPlan, start: int, stop: int, columns: str) -> str:
    """The non-blank HH_TYPED rows ``start`` <= rid < ``stop`` (a rowid range: no scan of the rest),
    as ``rid``, ``row`` and ``columns`` (over HH_TYPED's ``cells_ok`` and ``cells``)."""
    base = plan.base
    return (
        f'(SELECT rowid + {base} AS rid, rowid + {base} AS "row", {columns} FROM {HH_TYPED} '
        f"WHERE rowid >= {int(start) - base} AND rowid < {int(stop) - base} AND NOT blank)"
    )


def _chunk_members_sql(con: Any, start: int, stop: int) -> str:
    # Members are listed mostly in household order, so the chunk's member rows are a narrow rowid
    # range of the typed table (the whole table at worst, never wrong).
    span = con.execute(
        f"SELECT min(mrow), max(mrow) FROM {MEM_LINKS} WHERE rid >= {int(start)} AND rid < {int(stop)}"
    ).fetchone()
    low, high = span if span and span[0] is not None else (MEMBER_BASE, MEMBER_BASE - 1)
    return (
        f"{CHUNK_MEM.create} AS SELECT j.rid, m.* EXCLUDE (hid, owner, blank) FROM "
        f"(SELECT rid, mrow FROM {MEM_LINKS} WHERE rid >= {int(start)} AND rid < {int(stop)}) AS j JOIN "
        f"(SELECT rowid + {MEMBER_BASE} AS mrow, * FROM {MEM_TYPED} WHERE rowid >= {int(low) - MEMBER_BASE} "
        f"AND rowid <= {int(high) - MEMBER_BASE}) AS m USING (mrow)"
    )


def _birth_dates_ok(plan: TypingPlan) -> str:
    """SQL over a member row ``m`` and its household's reference date ``ref.d``: the birth date is
    surely one the parser accepts (not after the reference date, and an age below the age cap);
    anything else goes to the parser, which decides (classifier/io/records.py)."""
    if "birth_date" not in plan.mem_facts:
        return "TRUE"
    born = f"m.{quote_ident('f$birth_date')}"
    age = plan.rs.facts.member.get(CONTRACT.age_fact or "")
    cap = age.maximum if age is not None else None
    young = f" AND {born} > ref.d - INTERVAL {int(cap)} YEAR" if cap is not None else ""
    return f"coalesce({born} <= ref.d{young}, TRUE)"


def _checked_sql(plan: TypingPlan, reference_date: dt.date, method: str) -> str:
    """Decide the clean rows. Under the score method (``method`` score, or auto with a score_a) a
    row is never clean: the per-record path classifies it (the compiled query classifies by income
    only)."""
    q = quote_ident
    ref = f"coalesce({q('f$reference_date')}, {literal(reference_date)})"
    scored = {
        "income": "",
        "score": "AND FALSE",
        "auto": (
            f"AND h.{q('f$score_a')} IS NULL" if "score_a" in plan.hh_facts and plan.rs.score_rules else ""
        ),
    }[method]
    return f"""
{CHECKED.create} AS
  WITH mc AS (SELECT m.rid, count(*) AS n,
                     bool_and(m.cells_ok) AND count(m.mid) = count(DISTINCT m.mid)  -- ids unique
                     AND bool_and({_birth_dates_ok(plan)}) AS members_ok
              FROM {CHUNK_MEM} AS m JOIN (SELECT rid, {ref} AS d FROM {CHUNK_HH}) AS ref USING (rid)
              GROUP BY m.rid)
  SELECT h.*, coalesce(mc.n, 0) AS n_members,
    coalesce(h.cells_ok AND coalesce(mc.members_ok, TRUE)
     AND h.{q("f$id")} IS NOT NULL AND h.{q("f$id")} <> '' AND h.first_row = h."row"
     AND h.{q("f$area")} IS NOT NULL
     AND (h.{q("f$income_per_capita_month")} IS NOT NULL) <> (h.{q("f$income_total_month")} IS NOT NULL)
     AND (h.{q("f$income_total_month")} IS NULL OR (
          h.{q("f$income_total_month")} = floor(h.{q("f$income_total_month")})
          AND coalesce(NULLIF(coalesce(mc.n, 0), 0), h.{q("f$member_count")}) IS NOT NULL))
     AND (h.{q("f$member_count")} IS NULL OR coalesce(mc.n, 0) = 0 OR h.{q("f$member_count")} = mc.n)
     {scored},
    FALSE) AS clean
  FROM {CHUNK_HH} AS h LEFT JOIN mc USING (rid);
"""
