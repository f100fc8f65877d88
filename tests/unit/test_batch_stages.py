"""The batch pipeline's stages, one at a time, on a small in-memory DuckDB (issue 7 item 8).

Each stage reads and writes the work tables declared in classifier/batch/tables.py; these tests run
read + type, check, classify, fall back and write by hand and look at the tables in between, and
check that CSV and JSON Lines end in the same typed tables.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.batch import output
from classifier.batch.checks import check_chunk, create_bad
from classifier.batch.classify import classify_chunk
from classifier.batch.fallback import fall_back, orphan_members
from classifier.batch.pipeline import Work
from classifier.batch.tables import (
    BAD,
    CHECKED,
    HH_CELLS,
    HH_TYPED,
    MEM_TYPED,
    RESULTS,
    STAGES,
    WORK_TABLES,
    ResultRows,
)
from classifier.batch.typed import type_file
from classifier.engine.batch import BatchEngine, connect
from classifier.io import default_column_map, known_indicator_keys
from classifier.io.writers import ErrorsFile
from classifier.rules import load_ruleset

REF = dt.date(2025, 11, 1)
RULESET = load_ruleset("nd-07-2021")

HOUSEHOLDS = [
    ["id", "area", "income_per_capita_month", "floor_area_m2", "water_source", "uses_phone"],
    ["A1", "rural", "1400000", "20", "piped", "true"],
    ["A2", "urban", "1.5x", "20", "piped", "true"],  # not a number: the fall-back stage reports it
    ["A3", "Nông thôn", "2000000", "30", "nước máy", "có"],  # labels, typed by the general typing
    ["A1", "rural", "100", "", "", ""],  # repeats A1
]
MEMBERS = [
    ["household_id", "id", "age", "has_health_insurance"],
    ["A1", "a", "40", "true"],
    ["A1", "b", "12", "false"],
    ["A3", "c", "70", "true"],
    ["ZZ", "d", "5", "true"],  # names no household of the file
]


def _work(con: Any, output_format: str = "jsonl") -> Work:
    """A run's Work; its result rows typed (JSON Lines output) unless ``output_format`` is csv."""
    return Work(
        con,
        RULESET,
        REF,
        "income",
        default_column_map(None),
        known_indicator_keys(None),
        BatchEngine(RULESET, connection=con),
        ErrorsFile(None),
        output_format=output_format,
    )


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _jsonl(path: Path) -> Path:
    """HOUSEHOLDS and MEMBERS as JSON Lines: the same answers, members nested."""
    lines = []
    for row in HOUSEHOLDS[1:]:
        record: dict[str, Any] = {k: v for k, v in zip(HOUSEHOLDS[0], row, strict=True) if v}
        members = [dict(zip(MEMBERS[0][1:], m[1:], strict=True)) for m in MEMBERS[1:] if m[0] == row[0]]
        if members and row[2] != "100":  # the repeated A1 has no members in the CSV join either
            record["members"] = members
        lines.append(json.dumps(record, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rows(con: Any, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def test_each_stage_runs_alone_and_leaves_its_declared_tables(tmp_path: Path) -> None:
    """read + type → check → classify → fall back → write, by hand: what each stage leaves behind,
    and that the work database then holds exactly tables the registry declares, of their kind."""
    households = _csv(tmp_path / "ho.csv", HOUSEHOLDS)
    members = _csv(tmp_path / "tv.csv", MEMBERS)
    con = connect()
    work = _work(con)
    work.rows.create(con)

    plan = type_file(con, work.plan_for, households, members, "csv", work.columns)
    typed = _rows(con, f"SELECT cells_ok, {HH_CELLS}.* FROM {HH_TYPED}")
    assert [(r["f$id"], r["f$area"], r["cells_ok"]) for r in typed] == [
        ("A1", "rural", True),
        ("A2", "urban", False),
        ("A3", "rural", True),
        ("A1", "rural", True),
    ]
    assert typed[0]["f$income_per_capita_month"] == 1400000
    assert con.execute(f"SELECT count(*) FROM {MEM_TYPED}").fetchone() == (4,)

    create_bad(con)
    check_chunk(con, plan, 2, 100, REF)
    clean = {r["rid"]: r["clean"] for r in _rows(con, f"SELECT rid, clean FROM {CHECKED}")}
    assert clean == {2: True, 3: False, 4: True, 5: False}  # A2 not typed, the second A1 repeated
    assert [r["rid"] for r in _rows(con, f"SELECT rid FROM {BAD} ORDER BY rid")] == [3, 5]

    classify_chunk(con, plan, work.engine, work.rows, REF, 0)
    done = _rows(con, f"SELECT seq, id, classification, error FROM {RESULTS} ORDER BY seq")
    assert [(r["seq"], r["id"]) for r in done] == [(2, "A1"), (4, "A3")]
    assert all(r["classification"] and r["error"] is None for r in done)

    fall_back(work, plan, 0, 100)
    assert orphan_members(work, plan, 6) == 1
    errors = _rows(con, f"SELECT seq, id, error FROM {RESULTS} WHERE error IS NOT NULL ORDER BY seq")
    assert [(r["seq"], r["id"]) for r in errors] == [(3, "A2"), (5, "A1"), (6, "ZZ")]
    assert "income_per_capita_month" in errors[0]["error"]
    assert "first used at row 2" in errors[1]["error"]

    out = tmp_path / "out.jsonl"
    output.write_results(con, work.rows, work.out_columns, out, "jsonl")
    with out.open(encoding="utf-8") as handle:
        assert [json.loads(line)["id"] for line in handle] == ["A1", "A2", "A3", "A1", "ZZ"]

    _assert_only_declared_tables(con)
    assert {t.stage for t in WORK_TABLES} <= set(STAGES)


def _assert_only_declared_tables(con: Any) -> None:
    declared = {t.name: t.kind for t in WORK_TABLES}
    present = {
        name: ("temp" if temporary else "table")
        for name, temporary in con.execute("SELECT table_name, temporary FROM duckdb_tables()").fetchall()
    }
    views = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    present.update({name: "view" for (name,) in views})
    assert present == {name: declared.get(name) for name in present}, "a work table missing from the registry"


def test_score_records_go_through_the_fall_back_stage_with_declared_tables(tmp_path: Path) -> None:
    """Under the score method no row is clean (the compiled query classifies by income): the fall-back
    stage classifies it, and the engine's scratch tables there are declared too."""
    rows = [["id", "area", "score_a", "score_b", "member_count"], ["S1", "rural", "100", "10", "3"]]
    households = _csv(tmp_path / "ho.csv", rows)
    con = connect()
    work = _work(con)
    work.method = "score"
    work.rows.create(con)
    plan = type_file(con, work.plan_for, households, None, "csv", work.columns)
    create_bad(con)
    check_chunk(con, plan, 2, 100, REF, "score")
    assert _rows(con, f"SELECT rid, clean FROM {CHECKED}") == [{"rid": 2, "clean": False}]
    classify_chunk(con, plan, work.engine, work.rows, REF, 0)
    fall_back(work, plan, 0, 100)
    done = _rows(con, f"SELECT id, method, classification, error FROM {RESULTS}")
    assert [(r["id"], r["method"], r["error"]) for r in done] == [("S1", "score", None)]
    assert done[0]["classification"]
    # However many facts the survey has, the typed households table has three columns (the typed
    # cells in one STRUCT), so that DuckDB's order-keeping insert runs on every thread (typed.py).
    assert [r["column_name"] for r in _rows(con, f"DESCRIBE {HH_TYPED}")] == ["blank", "cells_ok", HH_CELLS]
    _assert_only_declared_tables(con)


@pytest.mark.parametrize("chunk", [1, 2, 100])
def test_json_lines_and_csv_end_in_the_same_typed_tables(tmp_path: Path, chunk: int) -> None:
    """The same answers as CSV (households + members) and as JSON Lines are typed into equal
    HH_TYPED and MEM_TYPED rows (all but the link columns: a members table ties by id, JSON Lines
    by line), and are checked alike chunk by chunk."""
    tables = {}
    for form in ("csv", "jsonl"):
        con = connect()
        work = _work(con)
        if form == "csv":
            path = _csv(tmp_path / "ho.csv", HOUSEHOLDS)
            members: Path | None = _csv(tmp_path / "tv.csv", MEMBERS[:-1])  # no orphan: JSON has none
        else:
            path, members = _jsonl(tmp_path / "ho.jsonl"), None
        plan = type_file(con, work.plan_for, path, members, form, work.columns)
        create_bad(con)
        checked = []
        for start in range(plan.base, plan.base + 4, chunk):
            check_chunk(con, plan, start, start + chunk, REF)
            checked += [
                (r["id"], r["clean"])
                for r in _rows(con, f'SELECT "f$id" AS id, clean FROM {CHECKED} ORDER BY rid')
            ]
        tables[form] = (
            _rows(con, f"SELECT * EXCLUDE (blank) FROM {HH_TYPED}"),
            _rows(con, f"SELECT * EXCLUDE (hid, owner) FROM {MEM_TYPED}"),
            checked,
        )
        con.close()
    assert tables["csv"][0] == tables["jsonl"][0]
    assert tables["csv"][1] == tables["jsonl"][1]
    assert tables["csv"][2] == tables["jsonl"][2]
    assert [c for _, c in tables["csv"][2]] == [True, False, True, False]


def test_the_write_stage_first_character_test_covers_every_formula_trigger() -> None:
    """write_results skips the formula regular expressions for a cell whose first character is not
    in TRIGGER_CHARS; that is only right if no other first character can match the trigger pattern."""
    import re

    from classifier.io.writers import FORMULA_TRIGGERS_SQL

    starts = {chr(c) for c in range(0x3000) if re.match(FORMULA_TRIGGERS_SQL, chr(c) + "1")}
    assert starts == set(output.TRIGGER_CHARS)


_CSV_TEXT = st.text(
    st.sampled_from(["a", "Đ", " ", ",", '"', "\r", "\n", "\x01", "'", "=", ";", "#"]), max_size=6
)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.none() | _CSV_TEXT, st.none() | st.lists(_CSV_TEXT, max_size=3), st.none() | st.booleans()
        ),
        min_size=1,
        max_size=8,
    )
)
def test_the_write_stage_renders_csv_lines_as_duckdbs_csv_writer_does(
    tmp_path_factory: Any, rows: Any
) -> None:
    """The CSV lines the write stage renders in SQL (one column, written unquoted: output._csv_field)
    are byte for byte what DuckDB's own CSV writer writes for the same cells, for any text with
    commas, quotes, line breaks, empty strings and NULLs; and Python's csv module reads them back."""
    folder = tmp_path_factory.mktemp("csvline")
    con = connect()
    con.execute("CREATE TABLE t (seq BIGINT, x VARCHAR, l VARCHAR[], b BOOLEAN)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", [(i, *row) for i, row in enumerate(rows)])
    schema = [("x", "VARCHAR"), ("l", "VARCHAR[]"), ("b", "BOOLEAN")]
    cells = ", ".join(f"{output._csv_cell(n, t)} AS {n}" for n, t in schema)
    line = f"concat_ws(',', {', '.join(output._csv_field(n, t) for n, t in schema)})"
    native, ours = folder / "native.csv", folder / "ours.csv"
    con.execute(
        f"COPY (SELECT {cells} FROM t ORDER BY seq) TO '{native}' "
        "(FORMAT csv, HEADER false, NEW_LINE '\r\n', COMMENT '')"
    )
    con.execute(
        f"COPY (SELECT {line} FROM (SELECT seq, {cells} FROM t) ORDER BY seq) TO '{ours}' "
        "(FORMAT csv, HEADER false, NEW_LINE '\r\n', QUOTE '', ESCAPE '', DELIMITER '\x01')"
    )
    assert ours.read_bytes() == native.read_bytes()
    texts = con.execute(f"SELECT {cells} FROM t ORDER BY seq").fetchall()
    with ours.open(encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle)) == [["" if v is None else str(v) for v in row] for row in texts]
    con.close()


@pytest.mark.parametrize(
    ("text", "empty"),
    [
        (b"", False),
        (b"id\nA1\n", False),
        (b"id\r\nA1\r\n", False),
        (b"id\n\nA1\n", True),
        (b"id\r\n\r\nA1\r\n", True),
        (b"id\nA1\n\n", True),
    ],
)
def test_the_read_stage_finds_empty_lines(tmp_path: Path, text: bytes, empty: bool) -> None:
    """An empty line (LF or CRLF) is found anywhere in the file, and an empty file has none (the
    read stage then copies the file so that its row numbers match the per-record reader's)."""
    from classifier.batch.blanklines import has_empty_lines

    path = tmp_path / "ho.csv"
    path.write_bytes(text)
    assert has_empty_lines(path) is empty


@pytest.mark.parametrize("block", [1, 2, 3, 4, 5])
def test_an_empty_line_across_two_read_blocks_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """The file is searched block by block; an empty line split over two blocks (LF or CRLF) is found
    whatever the block size, and a file without one is not flagged."""
    from classifier.batch import blanklines

    monkeypatch.setattr(blanklines, "_BLOCK", block)
    for text, empty in [(b"ab\n\ncd\n", True), (b"ab\r\n\r\ncd", True), (b"ab\ncd\r\nef\n", False)]:
        path = tmp_path / "ho.csv"
        path.write_bytes(text)
        assert blanklines.has_empty_lines(path) is empty, (text, block)


@pytest.mark.parametrize("bad_every", [0, 7])
def test_results_come_out_in_input_order_across_many_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_every: int
) -> None:
    """Chunks insert their results in output order, so a run without fall-back rows is written
    without a final sort (``in_order``); with fall-back rows (every 7th income unreadable) the write
    stage sorts. Either way every row comes out once, in input order."""
    from classifier.batch import run_batch

    rows = [["id", "area", "income_per_capita_month", "member_count"]]
    for i in range(1, 640):  # 7 chunks of 97 rows
        income = "x" if bad_every and i % bad_every == 0 else str(1_000_000 + 997 * i)
        rows.append([f"H{i:05d}", "rural" if i % 2 else "urban", income, "3"])
    households = _csv(tmp_path / "ho.csv", rows)
    seen: list[bool] = []
    real = output.write_results

    def spy(*args: Any, in_order: bool = False) -> None:
        seen.append(in_order)
        real(*args, in_order=in_order)

    monkeypatch.setattr(output, "write_results", spy)
    out = tmp_path / "out.csv"
    summary = run_batch(households, out, ruleset=RULESET, reference_date=REF, chunk_rows=97)
    assert seen == [not bad_every]
    with out.open(encoding="utf-8-sig", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [r["id"] for r in written] == [r[0] for r in rows[1:]]
    assert [int(r["row"]) for r in written] == list(range(2, len(rows) + 1))
    assert summary.errored == (len(rows) - 1) // 7 if bad_every else summary.errored == 0


def test_the_write_stage_keeps_table_order_without_a_sort(tmp_path: Path) -> None:
    """A RESULTS table written in order is copied out without ORDER BY, on two threads. DuckDB
    2.0.1 turned the formula test's ``left(x, 1) NOT IN (six characters)`` into a join that loses
    that order (1 million households came out interleaved by vector; 200,000 rows are enough to
    show it), so the write stage runs the COPY through ``tables.run_in_order``: the rows must come
    out in table order."""
    from classifier.io.results import result_schema
    from classifier.io.writers import result_columns

    con = connect(threads=2, memory_limit="512MB")
    schema = list(result_schema(RULESET.indicator_ids).sql_columns())
    rows = ResultRows(tuple(schema), output.csv_line(schema))
    rows.create(con)
    n = 200_000
    values = ", ".join(
        ("range" if name == "seq" else ("'H' || range" if name == "id" else "NULL")) + f' AS "{name}"'
        for name in ["seq", *(name for name, _ in schema)]
    )
    rows.insert(con, f"SELECT {values} FROM range({n})", ordered=True)
    out = tmp_path / "out.csv"
    output.write_results(con, rows, list(result_columns(RULESET)), out, "csv", in_order=True)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        ids = [row["id"] for row in csv.DictReader(handle)]
    assert ids == [f"H{i}" for i in range(n)]


def test_the_batch_connection_draws_no_progress_bar() -> None:
    """DuckDB draws its own progress bar on standard output (to a pipe too) for a query running past
    ``progress_bar_time`` (2 s): at millions of households it broke into the output of
    ``classify --quiet`` and of programs reading ours. The batch connection switches it off. (Checked
    on the setting: a query long enough to show the bar takes seconds, and setting a shorter delay
    switches the bar back on.)"""
    import subprocess
    import sys

    # In a child process: DuckDB decides its default from how the interpreter's output looks, and
    # pytest's capture makes the default differ from a real run's.
    setting = subprocess.run(
        [
            sys.executable,
            "-c",
            "from classifier.engine.batch import connect; "
            "print(connect().execute(\"SELECT current_setting('enable_progress_bar')\").fetchone()[0])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert setting == "False"
