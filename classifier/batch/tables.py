"""The batch pipeline's stages and the one registry of the DuckDB work tables they pass along.

Every work table the pipeline creates is declared here once: its name, the stage that writes it,
how long it lives and what one row of it is. Stages refer to tables through these objects
(``f"... FROM {HH_TYPED}"``), never through a name of their own, and a test runs the stages one
by one on a small database and checks that the work database holds exactly the declared tables.

The stages, in order (classifier/batch/pipeline.py runs them; each is a module of its own):

=========  ==========================  ===================================================
stage      module                      from → to
=========  ==========================  ===================================================
read       ``sources.py``              a file → a scan description (nothing copied; JSON
                                       Lines: the parsed lines, ``JSON_LINES``)
type       ``typed.py``                the scan → ``HH_TYPED``, ``MEM_TYPED`` (the same
                                       tables for CSV, Parquet and JSON Lines) and the
                                       links ``HH_IDS``, ``DUPS``, ``MEM_LINKS``
check      ``checks.py``               one chunk of typed rows → ``CHUNK_HH``/``CHUNK_MEM``
                                       → ``CHECKED`` (``clean`` per household), ``BAD``
classify   ``classify.py``             clean households → ``ENGINE_HH``/``ENGINE_MEM`` →
                                       ``VERDICTS``, ``MISSING`` → rows of ``RESULTS``
fall back  ``fallback.py``             ``BAD`` → text re-read once (``BAD_TEXT``,
                                       ``BAD_MEMBER_TEXT``) → the per-record parser and the
                                       same engine → rows of ``RESULTS``
write      ``output.py``               ``RESULTS`` → the output file (one ordered COPY)
=========  ==========================  ===================================================

Row numbers: a typed table is written in file order (``in_file_order``), one row per line of the
file (spacer lines kept and flagged ``blank``), so a record's row number is ``rowid + base``
(``base`` = 2 under a header row, 1 for JSON Lines). Households are keyed by that number
(``rid``) from the check stage on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import attrs

from classifier.rules.sqltext import quote_ident

__all__ = [
    "STAGES",
    "WORK_TABLES",
    "ResultRows",
    "WorkTable",
    "drop_file_tables",
    "in_file_order",
    "keeps_order",
    "order_free",
    "run_in_order",
]

#: The stage names, in the order a run goes through them.
STAGES = ("read", "type", "check", "classify", "fall back", "write")


@attrs.frozen
class WorkTable:
    """One table (or view) of the work database."""

    name: str
    #: The stage that creates it (one of STAGES).
    stage: str
    #: ``run`` (one for the whole run), ``file`` (replaced per input file) or ``chunk`` (per chunk).
    lifetime: str
    #: What one row is.
    row: str
    kind: str = "table"  # table, temp (a TEMP table: never spilled to the work file) or view

    def __str__(self) -> str:
        return self.name

    @property
    def create(self) -> str:
        """``CREATE OR REPLACE [TEMP] TABLE <name>``, as its kind says (not for views)."""
        assert self.kind != "view"
        return f"CREATE OR REPLACE {'TEMP ' if self.kind == 'temp' else ''}TABLE {self.name}"


def _table(name: str, stage: str, lifetime: str, row: str, kind: str = "table") -> WorkTable:
    assert stage in STAGES and lifetime in ("run", "file", "chunk") and kind in ("table", "temp", "view")
    return WorkTable(name, stage, lifetime, row, kind)


JSON_LINES = _table(
    "j_lines", "read", "file", "one line of a JSON Lines file, parsed (``j``, NULL if not JSON), ``blank``"
)
HH_TYPED = _table(
    "t_hh_typed",
    "type",
    "file",
    "one line of the households file in file order: ``blank``, ``cells_ok`` and the STRUCT ``cells`` of "
    "its typed cells ``f$<field>``, ``f$flag.<key>``, ``f$id`` (read them through HH_ROWS)",
    "temp",
)
#: HH_TYPED's STRUCT column of typed cells (one column keeps the typing insert parallel: typed.py).
HH_CELLS = "cells"
MEM_TYPED = _table(
    "t_mem_typed",
    "type",
    "file",
    "one member in file order: typed cells ``f$<fact>``, ``mid``, ``cells_ok``, ``blank``; ``hid`` (a "
    "members table) or ``owner`` (JSON Lines: the household's row)",
    "temp",
)
HH_ROWS = _table(
    "t_hh_all", "type", "file", "a non-blank household row: ``rid`` = ``row``, typed cells", "view"
)
HH_IDS = _table("hh_ids", "type", "file", "a household row with an id: ``rid``, ``hid``")
DUPS = _table("dups", "type", "file", "a household row repeating an earlier row's id: ``rid``, ``first_rid``")
MEM_LINKS = _table("mem_j", "type", "file", "a member row of a household of the file: ``rid``, ``mrow``")
CHUNK_HH = _table(
    "t_hh0",
    "check",
    "chunk",
    "a household row of the chunk: the typed cells the check reads (checks.checked_cells), ``first_row``",
    "temp",
)
CHUNK_MEM = _table(
    "t_mem0", "check", "chunk", "a member of a household of the chunk: ``rid``, ``mrow``", "temp"
)
CHECKED = _table(
    "t_hh", "check", "chunk", "a household row of the chunk with ``clean`` and ``n_members``", "temp"
)
BAD = _table(
    "bad",
    "check",
    "file",
    "a household row for the per-record parser: ``rid``, ``row``, ``first_row``",
    "temp",
)
ENGINE_HH = _table(
    "hh", "classify", "chunk", "a clean household, as the compiled rule query reads it", "temp"
)
ENGINE_MEM = _table(
    "mem_q",
    "classify",
    "chunk",
    "a member of the chunk, as the rule query reads it (a view of CHUNK_MEM)",
    "view",
)
VERDICTS = _table(
    "r", "classify", "chunk", "a clean household's verdicts: outcome, indicators, counts", "temp"
)
MISSING = _table(
    "rm", "classify", "chunk", "a clean household left undecided: its ``missing_fields``", "temp"
)
BAD_TEXT = _table("raw_bad", "fall back", "file", "the text cells of a household row in BAD, re-read")
BAD_MEMBER_TEXT = _table(
    "raw_bad_mem", "fall back", "file", "the text cells of a member of a household in BAD, re-read"
)
SCORE_INPUT = _table(
    "sc",
    "fall back",
    "chunk",
    "a score-method household for BatchEngine's score rules (the engine also reuses ENGINE_HH, and "
    "FALLBACK_MEM, for the households the per-record parser typed)",
    "temp",
)
FALLBACK_MEM = _table(
    "mem", "fall back", "chunk", "a member of a household the per-record parser typed (BatchEngine's)", "temp"
)
RESULT_ROWS = _table(
    "result_rows",
    "classify",
    "run",
    "one output row (result or error) at its output position ``seq``: for CSV output its "
    "``classification``, ``error`` and CSV ``line``, rendered as it is inserted; for typed output the "
    "STRUCT ``res`` of the columns of classifier/io/results.py (write it through ResultRows.insert, "
    "read it through RESULTS)",
    "temp",
)
RESULTS = _table(
    "results",
    "classify",
    "run",
    "RESULT_ROWS unpacked: ``seq`` and the result columns (CSV output: ``classification``, ``error``, "
    "``line``)",
    "view",
)
#: RESULT_ROWS' STRUCT column (one column keeps its ordered insert on every thread, as HH_CELLS).
RESULT_CELLS = "res"

WORK_TABLES: tuple[WorkTable, ...] = (
    JSON_LINES,
    HH_TYPED,
    MEM_TYPED,
    HH_ROWS,
    HH_IDS,
    DUPS,
    MEM_LINKS,
    CHUNK_HH,
    CHUNK_MEM,
    CHECKED,
    BAD,
    ENGINE_HH,
    ENGINE_MEM,
    VERDICTS,
    MISSING,
    BAD_TEXT,
    BAD_MEMBER_TEXT,
    SCORE_INPUT,
    FALLBACK_MEM,
    RESULT_ROWS,
    RESULTS,
)


@attrs.frozen
class ResultRows:
    """How RESULT_ROWS holds the output rows, and the one way to add rows to it.

    For CSV output (``csv`` given) each row is rendered to its CSV line as it is inserted, in the
    insert's parallel projection, and the write stage only copies the lines out: rendering there
    and keeping the typed row in between cost an extra pass over every row (1 million households:
    about 0.5–1 s end to end). Typed output formats (JSON Lines, Parquet) keep the typed row, as one
    STRUCT column (one column keeps the ordered insert on every thread, as HH_CELLS).
    """

    #: (column, SQL type) of the result schema (classifier/io/results.py), in output order.
    schema: tuple[tuple[str, str], ...]
    #: CSV output: (the cells' CSV text as select-list items over the typed columns, their line as
    #: one expression over those cells), from output.csv_line; None for typed output.
    csv: tuple[str, str] | None = None

    def create(self, con: Any) -> None:
        """RESULT_ROWS, empty, and the RESULTS view of it."""
        if self.csv:
            con.execute(
                f"{RESULT_ROWS.create} (seq BIGINT, classification VARCHAR, error VARCHAR, line VARCHAR)"
            )
            view = "seq, classification, error, line"
        else:
            fields = ", ".join(f"{quote_ident(n)} {t}" for n, t in self.schema)
            con.execute(f"{RESULT_ROWS.create} (seq BIGINT, {RESULT_CELLS} STRUCT({fields}))")
            view = f"seq, {RESULT_CELLS}.*"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {RESULTS} AS SELECT {view} FROM {RESULT_ROWS}")

    def insert(self, con: Any, rows_sql: str, ordered: bool = False, params: Any = None) -> None:
        """Append the rows of ``rows_sql`` (``seq`` and the schema's columns, by name; ``params`` its
        parameters) to RESULT_ROWS, in ``seq`` order when ``ordered``."""
        order = " ORDER BY seq" if ordered else ""
        typed = ", ".join(f"CAST(r.{quote_ident(n)} AS {t}) AS {quote_ident(n)}" for n, t in self.schema)
        rows = f"(SELECT r.seq, {typed} FROM ({rows_sql}) AS r)"
        if self.csv:
            cells, line = self.csv
            rendered = f'(SELECT seq, classification AS "$class", error AS "$error", {cells} FROM {rows})'
            sql = f'SELECT seq, "$class", "$error", {line} FROM {rendered}{order}'
        else:
            fields = ", ".join(f"{quote_ident(n)} := {quote_ident(n)}" for n, _ in self.schema)
            sql = f"SELECT seq, struct_pack({fields}) FROM {rows}{order}"
        con.execute(f"INSERT INTO {RESULT_ROWS} {sql}", params)


def drop_file_tables(con: Any) -> None:
    """Drop the tables and views that live for one file or one chunk, once a file is done: the
    memory they hold goes to RESULTS, which the write stage then reads without spilling."""
    for table in sorted(WORK_TABLES, key=lambda t: t.kind != "view"):  # views before what they read
        if table.lifetime != "run":
            con.execute(f"DROP {'VIEW' if table.kind == 'view' else 'TABLE'} IF EXISTS {table.name}")


@contextlib.contextmanager
def order_free(con: Any) -> Iterator[None]:
    """Statements whose tables nobody reads in insertion order (they are joined on ``rid``/``mrow``, and
    every read that needs an order says ORDER BY). Without ``preserve_insertion_order`` DuckDB writes
    them on every thread; with it, a CREATE TABLE AS is an order-keeping insert, held to one thread per
    about 4 MiB × column of free memory: at 10 million households, once the typed tables fill the
    memory limit, the rule query and the chunk tables all ran on one thread."""
    before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {bool(before and before[0])}")


def in_file_order(con: Any, table: WorkTable, select_sql: str) -> None:
    """Create ``table`` from ``select_sql`` (a scan of a file or of an ordered table) so that the
    table's rowid order is the scan's order. Row numbers are taken from the rowid, so this is what
    makes them right."""
    run_in_order(con, f"{table.create} AS {select_sql}")


def run_in_order(con: Any, statement: str) -> None:
    """Run a ``CREATE TABLE … AS`` or ``COPY … TO`` whose rows must keep the order of the scan it
    reads (a file, or a table written in order), without an ORDER BY.

    DuckDB keeps that order for a parallel scan only through its batch operators (Batch Create Table
    As, Batch Copy To File). Its IN-list rewrite turns a long constant ``x IN (...)`` into a mark
    join, which falls back to the unordered operator: rows then come out interleaved by vector (seen
    on 1 million households in DuckDB 2.0.1: the output's first rows were row 122,882 on). So that
    rewrite is switched off here (the lists are short constant lists), and should the plan still not
    be a batch operator, the statement runs on one thread, which keeps the order.
    """
    before = con.execute(
        "SELECT current_setting('disabled_optimizers'), current_setting('threads')"
    ).fetchone()
    assert before is not None
    if int(before[1]) == 1:
        # One thread keeps the scan order: nothing to check (a small run, engine/batch.py small_run).
        con.execute(statement)
        return
    disabled = ",".join(x for x in [str(before[0] or ""), "in_clause"] if x)
    con.execute(f"SET disabled_optimizers = '{disabled}'")
    try:
        if not keeps_order(con, statement):
            con.execute("SET threads = 1")
        con.execute(statement)
    finally:
        con.execute(f"SET disabled_optimizers = '{before[0] or ''}'")
        con.execute(f"SET threads = {int(before[1])}")


def keeps_order(con: Any, statement: str) -> bool:
    """Whether DuckDB plans ``statement`` (a CREATE TABLE AS or COPY) with an order-keeping batch
    operator under the connection's current settings."""
    plan = " ".join(str(r[-1]) for r in con.execute("EXPLAIN " + statement).fetchall())
    flat = plan.lower().replace("_", " ")
    return "batch create table as" in flat or "batch copy to file" in flat
