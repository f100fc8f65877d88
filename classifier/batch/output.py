"""The write stage: RESULTS → the output file in one ordered COPY (the errors file is written as rows
come, through classifier.io.writers.ErrorsFile).

For CSV the rows are rendered as they are inserted into RESULT_ROWS (csv_line, tables.ResultRows).

CSV output is written as the per-record CSV writer writes it (a UTF-8 BOM, CRLF lines, 1/0 for
booleans, ';'-joined lists, text Excel would evaluate prefixed with ``'``); JSON Lines and Parquet
keep the schema's types (the income as a number).
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from classifier.batch.tables import RESULTS, ResultRows, run_in_order
from classifier.engine.sql import literal, quote_ident
from classifier.errors import EngineError
from classifier.io.writers import FORMULA_TRIGGERS_SQL, PLAIN_NUMBER_SQL

__all__ = ["csv_line", "write_results"]

QUOTE = "'"
# The characters FORMULA_TRIGGERS_SQL can start with (a test pins that it matches nothing else).
TRIGGER_CHARS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_CHARS = ", ".join(literal(c) for c in TRIGGER_CHARS)


def write_results(
    con: Any,
    rows: ResultRows,
    out_columns: Sequence[str],
    path: Path,
    fmt: str,
    in_order: bool = False,
) -> None:
    """One ordered COPY of RESULTS into ``path`` (``csv``, ``jsonl`` or ``parquet``); ``rows`` says how
    RESULT_ROWS holds them (CSV lines for ``csv``, typed rows otherwise).

    ``in_order``: RESULTS was inserted in output order (no fall-back rows), so the COPY writes it in
    table order (``preserve_insertion_order``) instead of sorting every row again; at 10 million
    households that sort spilled and took most of the write stage."""
    if (fmt == "csv") != (rows.csv is not None):
        raise EngineError(f"{fmt} output from result rows held {'as CSV lines' if rows.csv else 'typed'}")
    order = "" if in_order else " ORDER BY seq"

    def run(copy_sql: str) -> None:
        # Without ORDER BY the rows must come out in table order: run_in_order sees to it.
        if in_order:
            run_in_order(con, copy_sql)
        else:
            con.execute(copy_sql)

    target = str(path).replace("'", "''")
    income = quote_ident("income_per_capita_month")
    if fmt in ("parquet", "jsonl"):
        # The income is kept as its exact text (see format_income); typed formats get a number.
        as_number = f"CAST({income} AS DOUBLE)" if fmt == "parquet" else f"CAST({income} AS JSON)"
        cols = ", ".join(
            f"{as_number} AS {income}" if n == "income_per_capita_month" else quote_ident(n)
            for n, _ in rows.schema
        )
        form = "parquet" if fmt == "parquet" else "json"
        run(f"COPY (SELECT {cols} FROM {RESULTS}{order}) TO '{target}' (FORMAT {form})")
        return
    body = path.with_name(path.name + ".body")
    try:
        # The lines were rendered as the rows were inserted (csv_line): written as one column,
        # unquoted, they are the file's lines.
        run(
            f"COPY (SELECT line FROM {RESULTS}{order}) TO '{str(body).replace(chr(39), chr(39) * 2)}' "
            "(FORMAT csv, HEADER false, NEW_LINE '\r\n', QUOTE '', ESCAPE '', DELIMITER '\x01')"
        )
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle, lineterminator="\r\n").writerow(out_columns)
        with body.open("rb") as src, path.open("ab") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    finally:
        body.unlink(missing_ok=True)


def csv_line(schema: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """(the cells' CSV text as select-list items over the typed columns of ``schema``, the row's CSV
    line as one expression over those cells), for ResultRows: the line as the per-record CSV
    writer writes the row, less the line break.

    One column, written unquoted: DuckDB's ordered COPY gets one thread per about 4 MiB × column of
    its memory budget, so the 31 columns themselves were written on one thread (tables.py)."""
    cells = ", ".join(f"{_csv_cell(n, t)} AS {quote_ident(n)}" for n, t in schema)
    line = f"concat_ws(',', {', '.join(_csv_field(quote_ident(n), t) for n, t in schema)})"
    return cells, line


def _csv_field(text: str, sql_type: str) -> str:
    """A cell (``text``, already as _csv_cell made it) as a field of a CSV line, as DuckDB's CSV
    writer wrote it (a test compares the two byte for byte) and Python's csv reader reads it back:
    NULL empty; text in double quotes, inner ones doubled, when it is empty or holds a comma, a quote
    or a line break."""
    if sql_type not in ("VARCHAR", "VARCHAR[]"):  # numbers, 1/0, ISO dates: never quoted
        return f"coalesce(CAST({text} AS VARCHAR), '')"
    needs_quotes = " OR ".join(f"contains({text}, {literal(c)})" for c in _NEEDS_QUOTES)
    return (
        f"(CASE WHEN {text} IS NULL THEN '' WHEN {text} = '' OR {needs_quotes} "
        f"THEN '\"' || replace({text}, '\"', '\"\"') || '\"' ELSE {text} END)"
    )


#: What makes a CSV field need quotes (the delimiter, the quote, a line break).
_NEEDS_QUOTES = (",", '"', "\r", "\n")


def _csv_cell(name: str, sql_type: str) -> str:
    """A RESULTS column as its CSV text: 1/0 for booleans, ';'-joined lists, text Excel would evaluate
    prefixed with "'"."""
    col = quote_ident(name)
    if sql_type == "BOOLEAN":
        return f"CAST({col} AS INTEGER)"
    if sql_type == "VARCHAR[]":
        return f"NULLIF(array_to_string({col}, ';'), '')"
    if sql_type == "VARCHAR" and name != "income_per_capita_month":
        # As writers.excel_safe: text Excel would evaluate gets a leading "'".
        # The first character settles almost every cell (one comparison); the regular expressions run
        # only on cells that start like a formula.
        return (
            f"(CASE WHEN left({col}, 1) NOT IN ({_TRIGGER_CHARS}) THEN {col} "
            f"WHEN regexp_matches({col}, {literal(FORMULA_TRIGGERS_SQL)}) AND NOT "
            f"regexp_matches({col}, {literal(PLAIN_NUMBER_SQL)}) THEN {literal(QUOTE)} || {col} "
            f"ELSE {col} END)"
        )
    return col
