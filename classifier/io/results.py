"""The result file's schema, declared once, and the strict reader of the project's own result files.

Every writer (classifier/io/writers.py for the per-record path, classifier/batch/pipeline.py for the
batch path) takes its columns and their types from :func:`result_schema`; ``transitions`` (and any
report reading a result file back) uses :func:`read_results`, which types each cell by the same
schema and refuses a cell its writer could not have written, naming file, line, column and value.

Column kinds and how each format spells them:

==========  ===================================  ======================  ==========================
kind        CSV (UTF-8 with BOM)                 JSON Lines              XLSX
==========  ===================================  ======================  ==========================
text        as written; a leading ``'`` added    string or null          string (or number: ids)
            before ``= + - @`` (Excel safety)
count       digits, empty when unknown           integer or null         integer or empty
income      digits, or Python's repr of a float  number or null          number or empty
flag        ``1`` / ``0`` / empty                true / false / null     1 / 0 / empty
list        ``;``-joined, empty when none        array of strings        ``;``-joined
date        ``YYYY-MM-DD``                       ``"YYYY-MM-DD"``        date or ``YYYY-MM-DD``
==========  ===================================  ======================  ==========================
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from classifier.errors import InputError
from classifier.io.records import PLACE_KEYS

__all__ = [
    "FIXED_HEAD",
    "FIXED_TAIL",
    "LIST_SEPARATOR",
    "ResultFile",
    "ResultSchema",
    "read_results",
    "result_schema",
]

#: Columns before the indicator columns, with their kinds.
FIXED_HEAD: tuple[tuple[str, str], ...] = (
    ("id", "text"),
    ("row", "count"),
    *((key, "text") for key in PLACE_KEYS),
    ("classification", "text"),
    ("classification_vi", "text"),
    ("income_per_capita_month", "income"),
    ("deprivation_count", "count"),
    ("unknown_count", "count"),
)
#: Columns after the indicator columns (one ``flag`` column per indicator id of the standard).
FIXED_TAIL: tuple[tuple[str, str], ...] = (
    ("possible_outcomes", "list"),
    ("missing_fields", "list"),
    ("standard", "text"),
    ("rules_digest", "text"),
    ("provisional", "flag"),
    ("engine", "text"),
    ("method", "text"),  # income or score (Thông tư 07/2021 điểm A / điểm B): what decided the class
    ("reference_date", "date"),
    ("error", "text"),
)
LIST_SEPARATOR = ";"
#: Keys a JSON Lines result row may carry besides the columns (--trace, and an error row's details).
JSON_EXTRAS = ("trace", "errors")
#: DuckDB types of the kinds (the batch pipeline's results table).
SQL_TYPES = {
    "text": "VARCHAR",
    "count": "BIGINT",
    "income": "VARCHAR",  # the exact text of format_income; typed formats cast it on output
    "flag": "BOOLEAN",
    "list": "VARCHAR[]",
    "date": "DATE",
}
_FIXED = dict((*FIXED_HEAD, *FIXED_TAIL))
_REQUIRED = ("id", "classification")


@attrs.frozen
class ResultSchema:
    """The columns of a result file for one standard, in order, with their kinds."""

    columns: tuple[tuple[str, str], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def kind(self, name: str) -> str:
        return dict(self.columns)[name]

    def sql_columns(self) -> list[tuple[str, str]]:
        """(name, DuckDB type) per column."""
        return [(name, SQL_TYPES[kind]) for name, kind in self.columns]


def result_schema(indicator_ids: Iterable[str]) -> ResultSchema:
    """The result columns for a standard with these indicator ids (in the standard's order)."""
    ids = tuple(indicator_ids)
    clash = set(ids) & set(_FIXED)
    if clash:
        raise ValueError(f"indicator ids {sorted(clash)} clash with result column names")
    return ResultSchema((*FIXED_HEAD, *((i, "flag") for i in ids), *FIXED_TAIL))


# -- the strict reader ---------------------------------------------------------------------------------


@attrs.frozen
class ResultFile:
    """A result file read back: its columns, typed rows and each row's line in the file."""

    path: Path
    columns: tuple[str, ...]
    kinds: Mapping[str, str]
    rows: tuple[Mapping[str, Any], ...]
    lines: tuple[int, ...]


class _Bad(ValueError):
    pass


_COUNT = re.compile(r"[0-9]+")
_INCOME = re.compile(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_EXPECTED = {
    "text": "text",
    "count": "a whole number of 0 or more, or empty",
    "income": "a number of 0 or more as the classify command writes it, or empty",
    "flag": "1, 0 or empty (true, false or null in JSON Lines)",
    "list": "a ';'-separated list (an array in JSON Lines), or empty",
    "date": "a date YYYY-MM-DD, or empty",
}


def _typed_text(value: Any, fmt: str) -> Any:
    if isinstance(value, str):
        if fmt == "csv" and value.startswith("'") and value[1:].startswith(_FORMULA):
            return value[1:]  # the writer's Excel safety mark (classifier.io.writers.excel_safe)
        return value
    if fmt == "xlsx" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    raise _Bad


def _typed_count(value: Any, fmt: str) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if fmt == "xlsx" and isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if fmt != "jsonl" and isinstance(value, str) and _COUNT.fullmatch(value):
        return int(value)
    raise _Bad


def _typed_income(value: Any, fmt: str) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return int(value) if float(value).is_integer() else value
    if fmt != "jsonl" and isinstance(value, str) and _INCOME.fullmatch(value):
        number = float(value)
        return int(value) if _COUNT.fullmatch(value) else number
    raise _Bad


def _typed_flag(value: Any, fmt: str) -> Any:
    if isinstance(value, bool):
        return value
    if fmt != "jsonl" and value in (1, 0, "1", "0"):
        return value in (1, "1")
    raise _Bad


def _typed_list(value: Any, fmt: str) -> Any:
    if fmt == "jsonl":
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise _Bad
    if isinstance(value, str):
        return tuple(value.split(LIST_SEPARATOR))
    raise _Bad


def _typed_date(value: Any, fmt: str) -> Any:
    if isinstance(value, dt.datetime) and fmt == "xlsx":
        return value.date()
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _Bad from None
    raise _Bad


#: Per column kind, how a present cell (not None, not the empty text of CSV or XLSX) is typed.
_TYPERS: dict[str, Callable[[Any, str], Any]] = {
    "text": _typed_text,
    "count": _typed_count,
    "income": _typed_income,
    "flag": _typed_flag,
    "list": _typed_list,
    "date": _typed_date,
}


def _typed(kind: str, value: Any, fmt: str) -> Any:
    """One cell as the schema types it; _Bad when the writer could not have written it. A list is
    always a tuple (empty when none: CSV cannot tell an empty list from none)."""
    if kind == "list" and value in (None, "", []):
        return ()
    if value is None or (isinstance(value, str) and value == "" and fmt != "jsonl"):
        return None
    typer = _TYPERS.get(kind)
    if typer is None:
        raise AssertionError(f"unknown column kind {kind!r}")
    return typer(value, fmt)


def _csv_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            rows = [(reader.line_num, cells) for cells in reader if any(c != "" for c in cells)]
    except UnicodeDecodeError:
        raise InputError(
            f"{path.name} is not UTF-8 text: is it a result file of `chuan-ngheo classify`?"
        ) from None
    for line, cells in rows:
        if len(cells) != len(header):
            raise InputError(
                f"{path.name} line {line}: {len(cells)} cells under a header of {len(header)}: "
                "is it a result file of `chuan-ngheo classify`?"
            )
    return header, rows


def _jsonl_rows(path: Path) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    header: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, RecursionError, ValueError):
                raise InputError(f"{path.name} line {line_no} is not JSON") from None
            if not isinstance(obj, dict):
                raise InputError(f"{path.name} line {line_no} is not a result object")
            keys = [k for k in obj if k not in JSON_EXTRAS]
            if header is None:
                header = keys
            elif keys != header:
                raise InputError(
                    f"{path.name} line {line_no}: keys {keys} differ from the first line's "
                    f"{header}: is it a result file of `chuan-ngheo classify`?"
                )
            rows.append((line_no, [obj[k] for k in header]))
    return header or [], rows


def _xlsx_rows(path: Path) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a damaged file
        raise InputError(f"{path.name} cannot be opened as an Excel workbook: {exc}") from None
    try:
        sheet = workbook["results"] if "results" in workbook.sheetnames else workbook.worksheets[0]
        cells = sheet.iter_rows(values_only=True)
        first = next(cells, None)
        header = ["" if h is None else str(h) for h in first or ()]
        # Trailing empty cells may be left out of a row: pad it to the header.
        rows = [
            (n, [*r, *([None] * (len(header) - len(r)))])
            for n, r in enumerate(cells, start=2)
            if any(v not in (None, "") for v in r)
        ]
        return header, rows
    finally:
        workbook.close()


def read_results(path: str | Path, indicator_ids: Sequence[str] | None = None) -> ResultFile:
    """Read a result file of ``chuan-ngheo classify`` (.csv, .jsonl/.ndjson or .xlsx), typing every cell
    by :func:`result_schema`. Columns of the schema may be missing (a hand-cut file), but ``id`` and
    ``classification`` are required; any other column is an indicator column (its cells are flags);
    when ``indicator_ids`` is given, a column that is neither fixed nor one of them is refused.
    A cell the writer could not have written raises InputError naming line, column and value."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"result file not found: {path}")
    suffix = path.suffix.lower()
    fmt = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}.get(suffix)
    if fmt is None:
        raise InputError(f"cannot tell the format of {path.name}: result files are .csv, .jsonl or .xlsx")
    header, rows = {"csv": _csv_rows, "jsonl": _jsonl_rows, "xlsx": _xlsx_rows}[fmt](path)
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"{path.name} has no {', '.join(repr(c) for c in missing)} column: is it a result "
            "file of `chuan-ngheo classify`?"
        )
    if len(set(header)) != len(header):
        raise InputError(f"{path.name}: a column name appears twice in the header")
    kinds: dict[str, str] = {}
    for name in header:
        if name in _FIXED:
            kinds[name] = _FIXED[name]
        elif indicator_ids is None or name in indicator_ids:
            kinds[name] = "flag"
        else:
            raise InputError(
                f"{path.name}: column {name!r} is neither a result column nor an indicator id "
                "of a known standard"
            )
    typed_rows = []
    for line, cells in rows:
        row: dict[str, Any] = {}
        for name, value in zip(header, cells, strict=False):
            try:
                row[name] = _typed(kinds[name], value, fmt)
            except _Bad:
                shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:80] + "…"
                raise InputError(
                    f"{path.name} line {line}, column {name!r}: {shown} is not "
                    f"{_EXPECTED[kinds[name]]}: is it a result file of `chuan-ngheo classify`?"
                ) from None
        typed_rows.append(row)
    return ResultFile(path, tuple(header), kinds, tuple(typed_rows), tuple(line for line, _ in rows))
