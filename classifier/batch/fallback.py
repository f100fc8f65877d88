"""The fall-back stage: rows the SQL typing or the record checks did not accept, through the
per-record parser (classifier/io), so they are typed or reported exactly as on the per-record path.

Their text is re-read from the file once per file (BAD_TEXT, and BAD_MEMBER_TEXT for a members
table); the households the parser types are classified by the same BatchEngine; the others become
error rows. Member rows naming no household of the file come last, one error row per household id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from classifier.batch.sources import Staged, raw_record
from classifier.batch.tables import (
    BAD,
    BAD_MEMBER_TEXT,
    BAD_TEXT,
    HH_IDS,
    MEM_LINKS,
    MEM_TYPED,
)
from classifier.batch.typed import MEMBER_BASE, TypingPlan
from classifier.engine.sql import quote_ident
from classifier.errors import InputError, RecordError
from classifier.io.records import id_key, parse_record
from classifier.io.writers import format_income, record_place, result_values
from classifier.model import Classification

if TYPE_CHECKING:
    from classifier.batch.pipeline import Work

__all__ = ["fall_back", "orphan_members"]


def fall_back(work: Work, plan: TypingPlan, offset: int, chunk_rows: int) -> int:
    """Every row of BAD, in batches of ``chunk_rows`` households, through the per-record parser.
    Returns how many rows fell back."""
    con = work.con
    count = con.execute(f"SELECT count(*) FROM {BAD}").fetchone()
    if not count or not count[0]:
        return 0
    staged = plan.staged
    hh, mem = staged.households, staged.members
    con.execute(
        f"{BAD_TEXT.create} AS SELECT b.first_row, r.* FROM {hh.rows} AS r JOIN {BAD} AS b USING (rid)"
    )
    if mem is not None:
        con.execute(
            f"{BAD_MEMBER_TEXT.create} AS SELECT j.rid, r.* FROM {mem.rows} AS r "
            f"JOIN (SELECT rid, mrow FROM {MEM_LINKS} WHERE rid IN (SELECT rid FROM {BAD})) AS j USING (mrow)"
        )
    cols = ", ".join(f"r.{c}" for c in hh.columns)
    bounds = con.execute(f"SELECT min(rid), max(rid) FROM {BAD}").fetchone()
    assert bounds is not None
    start, high = bounds
    while start <= high:
        stop = start + chunk_rows
        rows = con.execute(
            f'SELECT r.rid, r.rid AS "row", r.first_row, {cols} FROM {BAD_TEXT} AS r '
            f"WHERE r.rid >= {start} AND r.rid < {stop} ORDER BY r.rid"
        ).fetchall()
        members: dict[int, list[tuple[int, Sequence[Any]]]] = {}
        if mem is not None and rows:
            mcols = ", ".join(f"m.{c}" for c in mem.columns)
            for rid, mrow, *cells in con.execute(
                f"SELECT m.rid, m.mrow, {mcols} FROM {BAD_MEMBER_TEXT} AS m "
                f"WHERE m.rid >= {start} AND m.rid < {stop} ORDER BY m.rid, m.mrow"
            ).fetchall():
                members.setdefault(rid, []).append((mrow, cells))
        items: list[Any]
        if plan.json:  # the line itself: members inline
            items = [(rid, row, first, None, cells[0], []) for rid, row, first, *cells in rows]
        else:
            items = [(rid, row, first, cells, None, members.get(rid, [])) for rid, row, first, *cells in rows]
        _per_record(work, items, staged, offset)
        start = stop
    return int(count[0])


def _per_record(work: Work, items: list[Any], staged: Staged, offset: int) -> None:
    """Rows as the per-record reader would build them, through the per-record parser; the ones
    it types are classified by the same engine, the others become error rows."""
    households = []
    out_rows: list[tuple[Any, ...]] = []
    ruleset = work.ruleset
    for rid, row, first_row, cells, line, member_rows in items:
        record = raw_record(staged, row, cells, line, member_rows)
        if record.raw is None:
            _error_row(work, out_rows, rid + offset, record.row, list(record.errors))
            continue
        seen: dict[str, int | None] = {}
        if first_row is not None and first_row != row:
            seen[id_key(_id_text(record.raw))] = first_row
        result = parse_record(
            record.raw,
            row=record.row,
            source=record.source,
            catalogue=ruleset.facts,
            indicator_keys=work.indicator_keys,
            seen_ids=seen,
            member_locations=record.member_locations,
            reference_date=work.reference_date,
        )
        if record.errors:
            result = [*record.errors, *(result if isinstance(result, list) else [])]
        if isinstance(result, list):
            _error_row(work, out_rows, rid + offset, record.row, result, record_place(record.raw))
        else:
            households.append((rid, record.row, result))
    if households:
        results = work.engine.classify_each(
            [h for _, _, h in households], work.reference_date, method=work.method
        )
        for (rid, row, household), found in zip(households, results, strict=True):
            if isinstance(found, InputError):
                _error_row(work, out_rows, rid + offset, row, list(found.errors), household.place)
            else:
                out_rows.append(_result_row(work, rid + offset, row, found, household.place))
    insert_rows(work, out_rows)


def _id_text(raw: Any) -> str:
    value = raw.get("id") if isinstance(raw, dict) else None
    return str(value).strip() if value is not None else ""


def orphan_members(work: Work, plan: TypingPlan, seq: int) -> int:
    """Member rows whose household is not in the file: one error row per household id, from
    output position ``seq`` on. Returns how many."""
    members = plan.staged.members
    if members is None:
        return 0
    groups = work.con.execute(
        "SELECT hid, list(mrow ORDER BY mrow) FROM "
        f"(SELECT rowid + {MEMBER_BASE} AS mrow, hid FROM {MEM_TYPED} WHERE NOT blank) "
        f"WHERE hid NOT IN (SELECT hid FROM {HH_IDS}) GROUP BY hid ORDER BY min(mrow)"
    ).fetchall()
    out: list[tuple[Any, ...]] = []
    for i, (hid, rows) in enumerate(groups):
        expected = (
            f"the id of a household in {plan.staged.source}"
            if hid
            else f"a household id (the id of a household in {plan.staged.source})"
        )
        errors = [
            RecordError(hid or None, "household_id", hid or None, expected, row=r, source=members.source)
            for r in rows
        ]
        _error_row(work, out, seq + i, rows[0], errors)
    insert_rows(work, out)
    return len(groups)


def _result_row(
    work: Work, seq: int, row: int | None, result: Classification, place: Mapping[str, str]
) -> tuple[Any, ...]:
    values = result_values(result, work.ruleset, row, place)
    # RESULTS holds the income as text, spelled exactly as the per-record CSV writer does.
    values["income_per_capita_month"] = format_income(result.income_per_capita_month)
    return (seq, *(values.get(c) for c in work.out_columns))


def _error_row(
    work: Work,
    out: list[tuple[Any, ...]],
    seq: int,
    row: int | None,
    errors: Sequence[RecordError],
    place: Mapping[str, str] | None = None,
) -> None:
    record_id = next((e.record_id for e in errors if e.record_id is not None), None)
    values: dict[str, Any] = {"id": record_id, "row": row, "error": "; ".join(e.message for e in errors)}
    values.update(place or {})
    out.append((seq, *(values.get(c) for c in work.out_columns)))
    work.errors.write(errors)


def insert_rows(work: Work, rows: Sequence[tuple[Any, ...]]) -> None:
    """Append Python-built rows (``seq`` first, then the schema's columns) to RESULTS."""
    if not rows:
        return
    types = [("seq", "BIGINT"), *work.schema]
    columns = list(zip(*rows, strict=True))
    selects = ", ".join(f"unnest(${i}::{t}[]) AS {quote_ident(n)}" for i, (n, t) in enumerate(types, start=1))
    work.rows.insert(work.con, f"SELECT {selects}", params=[list(c) for c in columns])
