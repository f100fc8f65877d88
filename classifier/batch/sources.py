"""Open input files for the batch path, and rebuild any one record as the per-record reader would.

Tables (CSV, Parquet) are not copied anywhere: :func:`open_side` describes how to scan one in place
(text column ``c<i>`` per file column; rows numbered as spreadsheet rows, header = row 1), and the
pipeline types it straight from the file. JSON Lines are parsed once into ``JSON_LINES`` (see
:func:`open_json_lines`); the type stage (typed.py) reads households and their inline members from it.

Header meaning comes from classifier/io/columns.py and the header checks (two columns for one field,
no id column) from classifier/io/readers.py, so a file is understood the same way on both paths.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import duckdb

from classifier.batch.tables import JSON_LINES, in_file_order
from classifier.batch.typing import WS_CODES, blank_text_sql, strip_sql
from classifier.engine.sql import quote_ident
from classifier.errors import InputError
from classifier.io.columns import ColumnMap, Target
from classifier.io.readers import (
    _Header,  # the per-record reader's header logic
    json_line_record,
)
from classifier.io.records import RawRecord

__all__ = ["Staged", "TableSide", "detect_input_format", "open_json_lines", "open_side", "raw_record"]

INPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def detect_input_format(path: Path, format: str | None = None) -> str:
    """``csv``, ``jsonl`` or ``parquet`` from ``format`` or the extension."""
    if format is not None:
        if format not in set(INPUT_FORMATS.values()):
            raise InputError(f"unknown batch input format {format!r}: use csv, jsonl or parquet")
        return format
    found = INPUT_FORMATS.get(path.suffix.lower())
    if found is None:
        raise InputError(
            f"cannot tell the format of {path.name}: the batch path reads .csv, .jsonl and "
            ".parquet (convert .xlsx/.json with the per-record path)"
        )
    return found


@attrs.frozen
class TableSide:
    """One staged table: its header as the per-record reader resolves it, and its raw columns."""

    #: The header as the per-record reader resolves it (None for JSON Lines: no header).
    header: _Header | None
    columns: tuple[str, ...]  # c0, c1, ... in file order (JSON Lines: c0, the line)
    source: str
    #: A FROM-clause subquery over the file itself: ``number`` (row number, header = row 1) and the
    #: text columns, spacer rows left out. Empty for staged JSON Lines.
    rows: str = ""
    ragged: bool = False
    #: The same file unnumbered and unfiltered (every data row, in file order), and a SQL test over
    #: its columns for a spacer row. Numbering rows WITH ORDINALITY makes DuckDB run the scan and
    #: everything in its pipeline on one thread, so the typing pass reads ``scan`` into a table
    #: in insertion order and takes the row number from the table's rowid instead.
    scan: str = ""
    blank: str = "FALSE"
    #: The row number of the scan's first row (the header is row 1 of a table; JSON Lines have none).
    base: int = 2

    def column_of(self, kind: str, name: str) -> str | None:
        """The raw column holding field (or flag) ``name``, if the file has one."""
        assert self.header is not None
        for col, target in zip(self.columns, self.header.keys, strict=False):
            if target.kind == kind and target.name == name:
                return col
        return None

    def targets(self) -> list[tuple[str, Target, bool]]:
        """(raw column, target, header cell was blank) for every column."""
        assert self.header is not None
        return [
            (col, target, i in self.header.unnamed)
            for i, (col, target) in enumerate(zip(self.columns, self.header.keys, strict=False))
        ]

    def record(self, cells: Sequence[Any]) -> dict[str, Any] | None:
        """The raw mapping the per-record reader would build from these cells (None -> '')."""
        assert self.header is not None
        return self.header.record(["" if c is None else c for c in cells])


@attrs.frozen
class Staged:
    """What the read stage opened: the format, the households side and, for a members table, its side."""

    format: str
    households: TableSide
    members: TableSide | None
    source: str


def _csv_header(path: Path) -> tuple[list[str], str]:
    """The header cells and the delimiter, decided like classifier/io/readers.py does."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            delimiter = ";" if first.count(";") > first.count(",") else ","
            handle.seek(0)
            header = next(csv.reader(handle, delimiter=delimiter), [])
    except UnicodeDecodeError:
        raise InputError(f"{path.name} is not UTF-8 text: save it as 'CSV UTF-8' from Excel") from None
    return header, delimiter


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


#: Spare unnamed columns of a ragged CSV read: cells beyond the header land here, so a row with too
#: many cells becomes that record's error (as in the per-record reader) instead of failing the file.
RAGGED_SPARE_COLUMNS = 32


def _read_table_sql(
    path: Path, fmt: str, ragged: bool = False, numbered: bool = True
) -> tuple[str, list[str]]:
    """(FROM-clause source numbered WITH ORDINALITY, header cells) for a CSV or Parquet file;
    without ``numbered`` the source has no ``ordinality`` column (see open_side for why).

    ``ragged`` reads rows whose cell count differs from the header's: short rows are padded with
    NULLs, long rows spill into unnamed spare columns. DuckDB can only do this without its parallel
    scanner, so it is the fallback when the strict read reports a row of the wrong width.
    """
    if fmt == "csv":
        header, delimiter = _csv_header(path)
        if not header:
            raise InputError(f"{path.name} is empty: expected a header row")
        if ragged:
            header = [*header, *([""] * RAGGED_SPARE_COLUMNS)]
        cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
        extra = ", null_padding = true, parallel = false" if ragged else ""
        src = (
            f"read_csv({_sql_text(str(path))}, header = false, skip = 1, auto_detect = false, "
            f"columns = {{{cols}}}, delim = {_sql_text(delimiter)}, quote = '\"', escape = '\"', "
            f"encoding = 'utf-8'{extra})" + (" WITH ORDINALITY" if numbered else "")
        )
        return src, header
    con = duckdb.connect()
    try:
        names = [
            d[0]
            for d in con.execute(f"SELECT * FROM read_parquet({_sql_text(str(path))}) LIMIT 0").description
        ]
    finally:
        con.close()
    inner = ", ".join(f"CAST({quote_ident(n)} AS VARCHAR) AS c{i}" for i, n in enumerate(names))
    if not numbered:
        return f"(SELECT {inner} FROM read_parquet({_sql_text(str(path))}))", names
    src = (
        f"(SELECT {inner}, file_row_number + 1 AS ordinality FROM "
        f"read_parquet({_sql_text(str(path))}, file_row_number = true))"
    )
    return src, names


def _not_blank(columns: Sequence[str], first: str | None = None) -> str:
    """SQL: the row has at least one non-blank cell (a blank row is a spacer, as for the reader).

    One test on the row's concatenated text (concat skips NULLs): one regex per row is ~7x faster
    than a blank test per cell. With ``first`` (a column that is rarely blank) the cheap test of
    that one cell comes first; DuckDB evaluates the concatenation only for rows where it fails.
    """
    row = "concat(" + ", ".join(quote_ident(c) for c in columns) + ")"
    whole = f"NOT {blank_text_sql(row)}"
    if first is None:
        return whole
    cell = quote_ident(first)
    return f"(({cell} IS NOT NULL AND NOT {blank_text_sql(cell)}) OR {whole})"


def open_side(path: Path, fmt: str, columns: ColumnMap, what: str, ragged: bool = False) -> TableSide:
    """One CSV/Parquet table read in place (nothing staged): its header and a numbered row source.

    ``what`` is ``households`` (rows numbered ``rid``) or ``members`` (``mrow``). Reading the file
    where it lies and typing it in the same statement costs one pass; staging the text first
    cost three (write, read back, type).
    """
    if not path.is_file():
        kind = "members file" if what == "members" else "input file"
        raise InputError(f"{kind} not found: {path}")
    src, cells = _read_table_sql(path, fmt, ragged)
    if what == "households":
        header = _Header(cells, path.name, columns.household_resolver(cells), "households")
        if not header.has("id"):
            raise InputError(
                f"{path.name}: no household id column (accepted headers: id, household_id, mã hộ)"
            )
        number = "rid"
    else:
        header = _Header(cells, path.name, columns.member_target, "members")
        if not header.has("household_id"):
            raise InputError(
                f"{path.name}: no household_id column to join members to households "
                "(accepted headers: household_id, mã hộ)"
            )
        number = "mrow"
    cols = tuple(f"c{i}" for i in range(len(cells)))
    first = _first_named(header, cols)
    rows = (
        f"(SELECT ordinality + 1 AS {number}, {', '.join(cols)} FROM {src} WHERE {_not_blank(cols, first)})"
    )
    scan, _ = _read_table_sql(path, fmt, ragged, numbered=False)
    return TableSide(header, cols, path.name, rows, ragged, scan, _blank_row(cols, first))


def _blank_row(columns: Sequence[str], first: str | None) -> str:
    """SQL (a projection, so a CASE: DuckDB evaluates every operand of an OR there): the row is a
    spacer. A first cell that starts with a non-space character settles it without the
    whole-row concatenation."""
    row = "concat(" + ", ".join(quote_ident(c) for c in columns) + ")"
    if first is None:
        return blank_text_sql(row)
    cell = quote_ident(first)
    return (
        f"(CASE WHEN {cell} <> '' AND unicode({cell}) NOT IN ({WS_CODES}) THEN FALSE "
        f"ELSE {blank_text_sql(row)} END)"
    )


def _first_named(header: _Header, cols: Sequence[str]) -> str | None:
    """The id column (households) or household_id column (members): almost never blank, so testing it
    first spares the whole-row concatenation on nearly every row."""
    for col, target in zip(cols, header.keys, strict=False):
        if target.kind == "field" and target.name in ("id", "household_id"):
            return col
    return None


def is_ragged_error(exc: BaseException) -> bool:
    """DuckDB's strict CSV scan met a row with the wrong number of cells."""
    return isinstance(exc, duckdb.InvalidInputException) and "Expected Number of Columns" in str(exc)


def unreadable(path: Path, fmt: str, exc: BaseException, ragged: bool) -> InputError:
    """The InputError for a file DuckDB could not scan."""
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if ragged:
        return InputError(
            f"{path.name}: a row has more than {RAGGED_SPARE_COLUMNS} cells beyond the header, or the file "
            f"is not CSV: {first}"
        )
    return InputError(f"{path.name}: cannot be read as {fmt.upper()}: {first}")


def open_json_lines(con: duckdb.DuckDBPyConnection, path: Path, members_path: Path | None) -> TableSide:
    """The read stage of a JSON Lines file: every line, parsed, into ``JSON_LINES`` in file order
    (row number = line number = rowid + 1; empty lines kept and flagged ``blank``).

    A line that is not valid JSON gets ``j`` NULL, so the type stage refuses it and the per-record
    parser reports it, from the line's own text (``rows``, re-read once for such lines only).
    """
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    if members_path is not None:
        raise InputError(
            "JSON Lines records carry their members inline; a members file goes with CSV "
            "or Parquet households"
        )
    # One text column per line (no quoting, no separator): an empty line is a NULL row, so rowid
    # order is line order. A byte-order mark makes the first line invalid JSON here; the per-record
    # parser, which drops it (see ``rows``), then reads that one line.
    lines = (
        f"read_csv({_sql_text(str(path))}, header = false, auto_detect = false, "
        "columns = {'line': 'VARCHAR'}, "
        "delim = chr(1), quote = '', escape = '', encoding = 'utf-8')"
    )
    blank = f"(line IS NULL OR {strip_sql('line')} = '')"
    in_file_order(
        con,
        JSON_LINES,
        f"SELECT CASE WHEN json_valid(line) THEN CAST(line AS JSON) END AS j, {blank} AS blank FROM {lines}",
    )
    rows = (
        "(SELECT ordinality AS rid, "
        "CASE WHEN ordinality = 1 THEN ltrim(line, chr(65279)) ELSE line END AS c0 "
        f"FROM {lines} WITH ORDINALITY WHERE NOT {blank})"
    )
    return TableSide(None, ("c0",), path.name, rows, False, str(JSON_LINES), "blank", base=1)


def raw_record(
    staged: Staged,
    row: int,
    cells: Sequence[Any] | None,
    line: str | None,
    member_rows: Sequence[tuple[int, Sequence[Any]]],
) -> RawRecord:
    """The RawRecord the per-record reader would have produced for one staged row."""
    if staged.format == "jsonl":
        assert line is not None
        return json_line_record(line, row, staged.source)
    assert cells is not None
    raw = staged.households.record(cells)
    assert raw is not None  # blank rows were not staged
    if not member_rows or staged.members is None:
        return RawRecord(raw, row, staged.source)
    from classifier.errors import RecordError

    members = []
    for _, m_cells in member_rows:
        m_raw = staged.members.record(m_cells) or {}
        m_raw.pop("household_id", None)
        members.append(m_raw)
    errors: tuple[RecordError, ...] = ()
    if "members" in raw:
        hid = str(raw.get("id", "")).strip()
        errors = (
            RecordError(
                hid,
                "members",
                f"{len(members)} rows in {staged.members.source}",
                "members either in the record or in the members table, not both",
                row=row,
                source=staged.source,
            ),
        )
    raw["members"] = members
    locations = tuple((staged.members.source, r) for r, _ in member_rows)
    return RawRecord(raw, row, staged.source, member_locations=locations, errors=errors)
