"""The vectorised batch engine: the same rule files, compiled to SQL and run in DuckDB.

Households are loaded column by column into two DuckDB tables (households, members) and the query
compiled by :mod:`classifier.engine.sql` classifies all of them at once. The result for each
household goes through :func:`classifier.engine.common.assemble`, exactly like the durable-rules
path, so "same class, same deprivations, same fired rules" depends only on the two evaluators
agreeing on verdicts and on the rule that fires for each candidate deprivation count, which is what
tests/property/test_engines_agree.py checks.

What SQL decides: every indicator verdict and its source, the members that triggered it, the
unknown answers that left it open, and the classification rule per candidate count. The one thing
SQL does not rebuild is ``facts_read`` (the answer values shown in a trace, of mixed Python types):
``classify(..., with_trace=True)`` gathers them with the shared reader in classifier/indicators and
checks on the way that the reader agrees with SQL on every verdict (an EngineError if not).
Without a trace ``facts_read`` is left empty: a national run needs the verdicts, not the values.

DuckDB is chosen as the columnar engine (see benchmarks/README.md): it reads CSV, Parquet and JSON
natively, spills to disk beyond its memory limit, and the compiled SQL is close to Spark SQL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import duckdb

from classifier.engine.common import assemble, validate_for_classification
from classifier.engine.score import (
    assemble_score,
    check_method,
    resolve_method,
    score_b_candidates,
    validate_for_score,
)
from classifier.engine.sql import (
    COL_AREA,
    COL_DECLARED_COUNT,
    COL_ID,
    COL_IDX,
    COL_INCOME,
    COL_MEMBER_ID,
    COL_REF_DATE,
    CompiledRuleSet,
    compile_ruleset,
    flag_column,
    quote_ident,
    score_rules_query,
)
from classifier.errors import EngineError, InputError, RecordError
from classifier.indicators import evaluate_indicators
from classifier.model import Classification, Household, IndicatorResult
from classifier.rules.ruleset import RuleSet

__all__ = ["SMALL_RUN", "BatchEngine", "BatchRow", "connect", "rows_to_results", "small_run"]

#: One result row of the compiled query, as a dict keyed by column name.
BatchRow = dict[str, Any]


def connect(
    memory_limit: str | None = None,
    temp_directory: str | None = None,
    threads: int | None = None,
    database: str = ":memory:",
    small: bool = False,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (in memory unless ``database`` names a file) with optional limits; beyond
    ``memory_limit`` DuckDB spills to ``temp_directory``. ``small``: for a small input, one thread and
    no optimizer (see :data:`SMALL_RUN`), whatever ``threads`` says."""
    con = duckdb.connect(database)
    if small:
        con.execute("SET enable_optimizer = false")
        threads = 1
    if memory_limit:
        con.execute(f"SET memory_limit = '{_setting(memory_limit)}'")
    if temp_directory:
        con.execute(f"SET temp_directory = '{_setting(temp_directory)}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    # Input order is the contract of every output: keep it even in parallel scans.
    con.execute("SET preserve_insertion_order = true")
    # DuckDB draws its own progress bar on standard output for a query running over 2 s, whatever
    # the terminal: at millions of households it broke into the output of `classify --quiet` and of
    # anything reading our standard output. Progress is ours to report (run_batch's ``progress``).
    con.execute("SET enable_progress_bar = false")
    return con


#: Up to this many households, the rule query runs without DuckDB's optimizer and on one thread
#: (:func:`small_run`): planning the generated query (about 26 KB of SQL) and starting its pipelines on
#: every thread costs several times what running it on a few rows does (about 80 ms against 35 ms of CPU
#: for one household). The optimizer only rewrites the plan, so the rows are the same either way.
SMALL_RUN = 2_000


@contextlib.contextmanager
def small_run(con: duckdb.DuckDBPyConnection, households: int) -> Iterator[None]:
    """Within the block, run queries as suits ``households`` rows: at most :data:`SMALL_RUN`, without
    the optimizer and on one thread; the connection's settings are restored afterwards."""
    if households > SMALL_RUN:
        yield
        return
    before = con.execute("SELECT current_setting('enable_optimizer'), current_setting('threads')").fetchone()
    assert before is not None
    con.execute("SET enable_optimizer = false")
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        con.execute(f"SET enable_optimizer = {'true' if before[0] else 'false'}")
        con.execute(f"SET threads = {int(before[1])}")


def _setting(value: str) -> str:
    return str(value).replace("'", "''")


def _as_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    raise TypeError("a bool")


def _as_float(v: Any) -> float:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    raise TypeError("a number")


def _as_int(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    raise TypeError("an integer")


def _as_str(v: Any) -> str:
    if isinstance(v, str):
        return v
    raise TypeError("a text value")


def _as_date(v: Any) -> dt.date:
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v
    raise TypeError("a date")


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "BOOLEAN": _as_bool,
    "DOUBLE": _as_float,
    "BIGINT": _as_int,
    "INTEGER": _as_int,
    "VARCHAR": _as_str,
    "DATE": _as_date,
}


class BatchEngine:
    """Classifies many households at once with the SQL compiled from the rule files."""

    name = "batch"

    def __init__(self, ruleset: RuleSet, connection: duckdb.DuckDBPyConnection | None = None) -> None:
        self.ruleset = ruleset
        self.compiled: CompiledRuleSet = compile_ruleset(ruleset)
        self._con = connection if connection is not None else connect()
        for statement in self.compiled.setup:
            self._con.execute(statement)
        # A DuckDB connection is not safe to share between threads.
        self._lock = threading.Lock()
        # On a connection of its own (the object API: one household, a list from Python) a small call
        # refills the engine's tables and runs the rule query prepared once: refilling changes no schema,
        # so the prepared plan stays valid, and binding the 26 KB query was most of such a call. On a
        # connection it is lent (run_batch's work database) it re-creates its tables per call, as the
        # stages do (see small_run).
        self._own = connection is None
        self._defaults = self._con.execute(
            "SELECT current_setting('enable_optimizer'), current_setting('threads')"
        ).fetchone()
        self._small: bool | None = None  # the own connection's settings: small-run or its defaults
        self._filled: set[str] = set()  # tables created on the own connection (refilled since)
        self._prepared: set[str] = set()

    # -- public API -------------------------------------------------------------------------------

    def classify(
        self, household: Household, reference_date: dt.date, with_trace: bool = True, method: str = "income"
    ) -> Classification:
        """Classify one household; with a trace, identical to the durable engine's except ``engine``."""
        if resolve_method(method, household, self.ruleset) == "score":
            [result] = self.classify_many([household], reference_date, with_trace, method="score")
            return result
        validate_for_classification(household, self.ruleset)
        [row] = self._run([household], [reference_date])
        indicators = self._indicators(row)
        if with_trace:
            indicators = self._with_facts_read(household, reference_date, indicators)
        return assemble(
            household,
            self.ruleset,
            reference_date,
            indicators,
            self._fired(household, row),
            self.name,
            with_trace,
        )

    def classify_many(
        self,
        households: Iterable[Household],
        reference_date: dt.date | None = None,
        with_trace: bool = False,
        method: str = "income",
    ) -> list[Classification]:
        """Classify households in one query; results in input order.

        Each household's own ``reference_date`` wins over the run's (as in ``classifier.api``), and
        the run's defaults to today. ``method``: income, score or auto (classifier.engine.score); score
        households get their indicators from the same query and their class from the SQL of the score
        rules. The first household that cannot be classified raises its InputError (see classify_each).
        """
        out: list[Classification] = []
        for result in self.classify_each(households, reference_date, with_trace, method):
            if isinstance(result, InputError):
                raise result
            out.append(result)
        return out

    def classify_each(
        self,
        households: Iterable[Household],
        reference_date: dt.date | None = None,
        with_trace: bool = False,
        method: str = "income",
    ) -> list[Classification | InputError]:
        """As classify_many, but a household that cannot be classified (e.g. a score_b that disagrees with
        its deprivation flags) gets its InputError in its place instead of stopping the others."""
        items = list(households)
        check_method(method, self.ruleset)
        methods = [resolve_method(method, h, self.ruleset) for h in items]
        failed: dict[int, InputError] = {}
        for i, (household, how) in enumerate(zip(items, methods, strict=True)):
            try:
                if how == "score":
                    validate_for_score(household, self.ruleset)
                else:
                    validate_for_classification(household, self.ruleset)
            except InputError as exc:
                failed[i] = exc
        dates = [h.reference_date or reference_date or dt.date.today() for h in items]
        good = [i for i in range(len(items)) if i not in failed]
        rows_good = self._run([items[i] for i in good], [dates[i] for i in good]) if good else []
        rows: dict[int, BatchRow] = dict(zip(good, rows_good, strict=True))
        scored = self._score(items, rows, methods, failed)
        out: list[Classification | InputError] = []
        for i, (household, date) in enumerate(zip(items, dates, strict=True)):
            if i in failed:
                out.append(failed[i])
                continue
            row = rows[i]
            indicators = self._indicators(row)
            if with_trace:
                indicators = self._with_facts_read(household, date, indicators)
            if i in scored:
                b_values, b_source, fired_score = scored[i]
                fired_income = (
                    self._fired(household, row) if household.income_per_capita_month is not None else None
                )
                out.append(
                    assemble_score(
                        household,
                        self.ruleset,
                        date,
                        indicators,
                        b_values,
                        b_source,
                        fired_score,
                        fired_income,
                        self.name,
                        with_trace,
                    )
                )
                continue
            out.append(
                assemble(
                    household,
                    self.ruleset,
                    date,
                    indicators,
                    self._fired(household, row),
                    self.name,
                    with_trace,
                )
            )
        return out

    def _score(
        self,
        items: Sequence[Household],
        rows: Mapping[int, BatchRow],
        methods: Sequence[str],
        failed: dict[int, InputError],
    ) -> dict[int, tuple[tuple[int | float, ...], str, list[str]]]:
        """Per score-method household (by position): its điểm B candidates, their source, and the score
        rule the SQL fired for each candidate. A điểm B that disagrees with the record goes to ``failed``."""
        todo: dict[int, tuple[tuple[int | float, ...], str]] = {}
        for i, row in rows.items():
            if methods[i] == "score":
                try:
                    todo[i] = score_b_candidates(items[i], self.ruleset, self._indicators(row))
                except InputError as exc:
                    failed[i] = exc
        if not todo:
            return {}
        cols: dict[str, list[Any]] = {"rid": [], "area": [], "score_a": [], "score_b": []}
        owners: list[int] = []
        for i, (b_values, _) in todo.items():
            for b in b_values:
                cols["rid"].append(len(owners))
                owners.append(i)
                cols["area"].append(items[i].area)
                cols["score_a"].append(float(items[i].facts["score_a"]))
                cols["score_b"].append(float(b))
        schema = [("rid", "BIGINT"), ("area", "VARCHAR"), ("score_a", "DOUBLE"), ("score_b", "DOUBLE")]
        sql = score_rules_query(self.ruleset, "sc")
        _, found = self._query("cn_score_rules", sql, [("sc", schema, cols)], len(owners))
        fired: dict[int, list[str]] = {i: [] for i in todo}
        for rid, ix, n_match in found:
            if n_match != 1:
                who = items[owners[rid]].id
                raise EngineError(
                    f"{n_match} score rules of {self.ruleset.id} matched household {who!r}; "
                    "the rule checks should have found this"
                )
            fired[owners[rid]].append(self.ruleset.score_rules[ix].id)
        return {i: (b_values, source, fired[i]) for i, (b_values, source) in todo.items()}

    # -- loading and running ----------------------------------------------------------------------

    def _run(self, households: Sequence[Household], dates: Sequence[dt.date]) -> list[BatchRow]:
        hh_cols, mem_cols = load_columns(self.compiled, households, dates)
        tables = [
            ("hh", self.compiled.household_columns, hh_cols),
            ("mem", self.compiled.member_columns, mem_cols),
        ]
        names, found = self._query("cn_rules", self.compiled.query("hh", "mem"), tables, len(households))
        rows = [dict(zip(names, r, strict=True)) for r in found]
        if len(rows) != len(households):
            raise EngineError(f"the batch query returned {len(rows)} rows for {len(households)} households")
        return rows

    def _query(
        self,
        name: str,
        sql: str,
        tables: Sequence[tuple[str, Sequence[tuple[str, str]], dict[str, list[Any]]]],
        rows: int,
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Fill ``tables`` (name, schema, columns) and run ``sql`` over them: column names and rows."""
        con = self._con
        with self._lock:
            if not self._own:
                with small_run(con, rows):
                    for table, schema, columns in tables:
                        _load_table(con, table, schema, columns)
                    cursor = con.execute(sql)
                    return [d[0] for d in cursor.description], cursor.fetchall()
            small = rows <= SMALL_RUN
            self._settings(small)
            for table, schema, columns in tables:
                if small and table in self._filled:
                    con.execute(f"DELETE FROM {table}")
                    _insert(con, table, schema, columns)
                else:
                    _load_table(con, table, schema, columns)
                    self._filled.add(table)
            if small:
                if name not in self._prepared:
                    con.execute(f"PREPARE {name} AS {sql}")
                    self._prepared.add(name)
                cursor = con.execute(f"EXECUTE {name}")
            else:
                cursor = con.execute(sql)
            return [d[0] for d in cursor.description], cursor.fetchall()

    def _settings(self, small: bool) -> None:
        """The own connection's settings for a small call or an ordinary one, changed only when needed."""
        if self._small == small:
            return
        assert self._defaults is not None
        optimizer, threads = (False, 1) if small else (bool(self._defaults[0]), int(self._defaults[1]))
        self._con.execute(f"SET enable_optimizer = {'true' if optimizer else 'false'}")
        self._con.execute(f"SET threads = {threads}")
        self._small = small

    def _indicators(self, row: BatchRow) -> tuple[IndicatorResult, ...]:
        return rows_to_results(self.compiled, row)

    def _fired(self, household: Household, row: BatchRow) -> list[tuple[int, str]]:
        if row["min_match"] != 1 or row["max_match"] != 1:
            what = "no classification rule" if row["min_match"] == 0 else "more than one classification rule"
            raise EngineError(
                f"{what} of {self.ruleset.id} matched household {household.id!r} "
                f"(known {row['known']}, unknown {row['unknown']}); the rule checks should have found this"
            )
        known = row["known"]
        return [(known + i, self.compiled.rule_ids[ix]) for i, ix in enumerate(row["fired_ix"])]

    def _with_facts_read(
        self,
        household: Household,
        reference_date: dt.date,
        indicators: tuple[IndicatorResult, ...],
    ) -> tuple[IndicatorResult, ...]:
        reference = evaluate_indicators(household, self.ruleset, reference_date)
        out = []
        for mine, ref in zip(indicators, reference, strict=True):
            if (mine.id, mine.deprived, mine.source, mine.triggered_by, mine.missing) != (
                ref.id,
                ref.deprived,
                ref.source,
                ref.triggered_by,
                ref.missing,
            ):
                raise EngineError(
                    f"batch and reference evaluators disagree on {mine.id} for household "
                    f"{household.id!r}: {mine} vs {ref}"
                )
            out.append(ref)
        return tuple(out)


def rows_to_results(compiled: CompiledRuleSet, row: BatchRow) -> tuple[IndicatorResult, ...]:
    """The IndicatorResults of one query row, in the standard's order."""
    results = []
    for ind_id in compiled.indicator_ids:
        results.append(
            IndicatorResult(
                ind_id,
                row["d$" + ind_id],
                "flag" if row["s$" + ind_id] else "answers",
                triggered_by=tuple(row["t$" + ind_id]),
                missing=tuple(row["m$" + ind_id]),
            )
        )
    return tuple(results)


def load_columns(
    compiled: CompiledRuleSet,
    households: Sequence[Household],
    dates: Sequence[dt.date],
) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """Column lists for the households and members tables (values typed for their SQL columns)."""
    hh: dict[str, list[Any]] = {name: [] for name, _ in compiled.household_columns}
    mem: dict[str, list[Any]] = {name: [] for name, _ in compiled.member_columns}
    hh_facts = [
        (name, _CONVERT[t])
        for name, t in compiled.household_columns
        if not name.startswith("$") and name != "rid"
    ]
    mem_facts = [
        (name, _CONVERT[t])
        for name, t in compiled.member_columns
        if not name.startswith("$") and name != "rid"
    ]
    flags = [(ind, flag_column(ind)) for ind in compiled.indicator_ids]
    for rid, (household, date) in enumerate(zip(households, dates, strict=True)):
        hid = str(household.id)
        hh["rid"].append(rid)
        hh[COL_ID].append(hid)
        hh[COL_AREA].append(household.area)
        hh[COL_INCOME].append(
            _typed(hid, "income_per_capita_month", household.income_per_capita_month, _as_float)
        )
        hh[COL_REF_DATE].append(date)
        hh[COL_DECLARED_COUNT].append(_typed(hid, "member_count", household.member_count, _as_int))
        facts = household.facts
        for name, conv in hh_facts:
            hh[name].append(_typed(hid, name, facts.get(name), conv))
        for ind, col in flags:
            # The reference evaluator reads a present flag as bool(value), whatever its value.
            hh[col].append(bool(household.flags[ind]) if ind in household.flags else None)
        for idx, member in enumerate(household.members, start=1):
            mem["rid"].append(rid)
            mem[COL_IDX].append(idx)
            mem[COL_MEMBER_ID].append(member.member_id)
            m_facts = member.facts
            for name, conv in mem_facts:
                mem[name].append(_typed(hid, f"members[{idx}].{name}", m_facts.get(name), conv))
    return hh, mem


def _typed(record_id: str, field: str, value: Any, conv: Callable[[Any], Any]) -> Any:
    if value is None:
        return None
    try:
        return conv(value)
    except TypeError as exc:
        error = RecordError(record_id, field, value, str(exc))
        raise InputError(error.message, [error]) from None


def _load_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    schema: Sequence[tuple[str, str]],
    columns: dict[str, list[Any]],
) -> None:
    """(Re)create ``table`` and fill it from column lists in one statement (one unnest per column)."""
    ddl = ", ".join(f"{quote_ident(name)} {sql_type}" for name, sql_type in schema)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({ddl})")
    _insert(con, table, schema, columns)


def _insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    schema: Sequence[tuple[str, str]],
    columns: dict[str, list[Any]],
) -> None:
    """Append the rows of ``columns`` to ``table`` in one statement (one unnest per column)."""
    if not columns["rid"]:
        return
    selects = ", ".join(f"unnest(${i}::{sql_type}[])" for i, (_, sql_type) in enumerate(schema, start=1))
    con.execute(f"INSERT INTO {table} SELECT {selects}", [columns[name] for name, _ in schema])
