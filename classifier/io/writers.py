"""Write classification results (and per-record errors) as CSV, JSON Lines or XLSX.

One row per input record, in input order: a classified household, or an error row (id if known,
row, place if readable, empty classification, every message in ``error``). The indicator columns
are the indicator ids of the rule set passed in, so another standard gets its own columns.

``province``/``commune``/``village`` are the record's place codes as text (what Household.place
holds; an error row keeps those that were readable). ``income_per_capita_month`` is the exact
per-person figure the engine compared with the line (a given total already divided by the member
count, never rounded), written by :func:`format_income`: a whole number as its digits, any other
as Python's ``repr`` of the float (the shortest text that reads back as exactly the same double).
classifier/batch writes the same text from SQL, so both paths give identical files.

Writes go to a temporary file beside the target, renamed over it only when ``close()`` succeeds:
an interrupted run never leaves a half-written file presented as complete.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from classifier.errors import InputError, RecordError
from classifier.io.formats import format_from_name
from classifier.io.outputs import new_file_mode
from classifier.io.records import PLACE_KEYS, RawRecord
from classifier.io.results import result_schema
from classifier.io.values import BadValue, is_empty, to_text
from classifier.model import CANNOT_CLASSIFY, CANNOT_CLASSIFY_LABELS, Classification
from classifier.rules.ruleset import RuleSet

__all__ = [
    "CANNOT_CLASSIFY_VI",
    "ERROR_COLUMNS",
    "OUTPUT_FORMATS",
    "ErrorsFile",
    "ResultWriter",
    "error_file_row",
    "excel_safe",
    "excel_safe_cell",
    "format_income",
    "record_place",
    "result_columns",
    "result_values",
    "xlsx_text",
]

OUTPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}
#: Vietnamese label of the "cannot classify" outcome (not a class of any standard, so not in rules/).
CANNOT_CLASSIFY_VI = CANNOT_CLASSIFY_LABELS["vi"]
_LIST_SEPARATOR = ";"
#: The most characters an Excel cell holds.
XLSX_CELL_LIMIT = 32_767


def format_income(value: int | float | None) -> str | None:
    """The text of a per-capita income in a result table: digits when whole, else ``repr`` (exact).

    ``repr`` of a float is the shortest decimal that reads back as the same double, so the figure
    round-trips exactly (1333333.3333333333 for 4,000,000 shared by 3). None stays None.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("an income is a number, not true/false")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, int) else repr(value)


def record_place(raw: Any) -> dict[str, str]:
    """The place codes of a raw record as Household.place would hold them (readable ones only)."""
    place: dict[str, str] = {}
    if not isinstance(raw, Mapping):
        return place
    for key in PLACE_KEYS:
        value = raw.get(key)
        if is_empty(value):
            continue
        try:
            place[key] = to_text(value)
        except BadValue:
            continue  # unreadable (e.g. a list): the record's error says so; the column stays blank
    return place


def result_columns(ruleset: RuleSet) -> tuple[str, ...]:
    """The output columns for ``ruleset``: fixed ones around one column per indicator id (declared
    once in :mod:`classifier.io.results`, which also reads them back)."""
    return result_schema(ruleset.indicator_ids).names


#: Columns of the errors file (one line per problem), the same for every engine.
ERROR_COLUMNS = ("record_id", "row", "source", "field", "value", "expected")


#: Characters that make Excel (and LibreOffice) read a CSV cell as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
#: The same two tests in DuckDB's regular expressions (RE2), for the batch path's CSV COPY.
FORMULA_TRIGGERS_SQL = r"^[=+\-@\t\r]"
PLAIN_NUMBER_SQL = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def excel_safe(text: str) -> str:
    """``text`` as a CSV cell Excel will show, not evaluate: a leading ``'`` before a text that starts
    with ``= + - @``, a tab or a carriage return (OWASP's advice). A plain number such as ``-5`` cannot
    be a formula and stays a number."""
    if text.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def excel_safe_cell(value: Any) -> Any:
    """A cell for a CSV meant for Excel: None empty, text made excel_safe, anything else as it is."""
    if value is None:
        return ""
    return excel_safe(value) if isinstance(value, str) else value


def error_file_row(error: RecordError) -> list[Any]:
    """One line of the errors file (a CSV for Excel) for one problem; text cells made excel_safe."""
    cells = [
        error.record_id or "",
        "" if error.row is None else error.row,
        error.source or "",
        error.field,
        "" if error.value is None else error.value,
        error.expected,
    ]
    return [c if isinstance(c, int) and not isinstance(c, bool) else excel_safe(str(c)) for c in cells]


class ErrorsFile:
    """The errors file: a CSV for Excel (UTF-8 with BOM, CRLF lines), the ERROR_COLUMNS header, then
    one line per problem (:func:`error_file_row`). Every command writes its errors file through this
    class (classify on both paths, round import); with ``path`` None it writes nothing."""

    def __init__(self, path: Path | None) -> None:
        self._handle = path.open("w", encoding="utf-8-sig", newline="") if path is not None else None
        self._csv: Any = None
        if self._handle is not None:
            self._csv = csv.writer(self._handle, lineterminator="\r\n")
            self._csv.writerow(ERROR_COLUMNS)

    def write(self, errors: Sequence[RecordError]) -> None:
        if self._csv is not None:
            for e in errors:
                self._csv.writerow(error_file_row(e))

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()

    def __enter__(self) -> ErrorsFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def result_values(
    result: Classification, ruleset: RuleSet, row: int | None, place: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The output row of a classified household, by column name, as plain values (shared by the
    per-record writer and the batch pipeline, so both paths fill every column alike)."""
    outcome = result.outcome
    label = CANNOT_CLASSIFY_VI if outcome == CANNOT_CLASSIFY else ruleset.classes[outcome].label_vi
    values: dict[str, Any] = {
        "id": result.household_id,
        "row": row,
        "classification": outcome,
        "classification_vi": label,
        "income_per_capita_month": result.income_per_capita_month,
        "deprivation_count": result.deprivation_count,
        "unknown_count": result.unknown_count,
        "possible_outcomes": list(result.possible_outcomes),
        "missing_fields": list(result.missing_fields),
        "standard": result.standard,
        "rules_digest": result.rules_digest[:12],
        "provisional": result.provisional,
        "engine": result.engine,
        "method": result.method,
        "reference_date": result.reference_date,
        "error": None,
    }
    values.update(_place_values(place))
    for indicator in result.indicators:
        values[indicator.id] = indicator.deprived
    return values


class ResultWriter:
    """Streams result rows to ``path``; use as a context manager (an exception aborts the write).

    ``format`` is ``csv``, ``jsonl`` or ``xlsx`` (default: from the extension). ``trace=True`` adds
    each result's trace to JSON Lines rows (it has no place in a flat table).
    """

    def __init__(
        self,
        path: str | Path,
        ruleset: RuleSet,
        *,
        format: str | None = None,
        trace: bool = False,
        temp_path: Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.ruleset = ruleset
        self.format = _output_format(self.path, format)
        self.trace = trace
        self.columns = result_columns(ruleset)
        #: XLSX cells longer than Excel's limit, written cut with a notice in the cell.
        self.cut_cells = 0
        self._closed = False
        # With ``temp_path`` (from classifier.io.outputs.OutputFiles) the caller renames the finished
        # file; otherwise close() renames it over ``path`` itself.
        self._publish = temp_path is None
        if temp_path is not None:
            fd = os.open(temp_path, os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC)
            self._tmp = Path(temp_path)
        else:
            if not self.path.parent.is_dir():
                raise InputError(f"output folder does not exist: {self.path.parent}")
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".part")
            self._tmp = Path(tmp)
        self._handle: TextIO | None = None
        self._sheet: Any = None
        self._workbook: Any = None
        try:
            if self.format == "xlsx":
                os.close(fd)
                self._open_workbook()
            else:
                # CSV: BOM so that Excel opens Vietnamese text as UTF-8; JSON Lines: plain UTF-8.
                encoding = "utf-8-sig" if self.format == "csv" else "utf-8"
                self._handle = open(fd, "w", encoding=encoding, newline="")  # noqa: SIM115 - closed in close()
                if self.format == "csv":
                    self._csv = _csv_writer(self._handle)
                    self._csv.writerow(self.columns)
        except BaseException:
            self.abort()
            raise

    def _open_workbook(self) -> None:
        import openpyxl

        self._workbook = openpyxl.Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet("results")
        self._sheet.append(list(self.columns))

    # -- rows ------------------------------------------------------------------------------------

    def write(self, record: RawRecord, result: Classification | Sequence[RecordError]) -> None:
        """Write what became of one input record (its Classification or its errors)."""
        place = record_place(record.raw)
        if isinstance(result, Classification):
            self.write_result(result, row=record.row, place=place)
        else:
            raw_id = record.raw.get("id") if isinstance(record.raw, Mapping) else None
            record_id = next((e.record_id for e in result if e.record_id is not None), None)
            if record_id is None and raw_id not in (None, ""):
                record_id = str(raw_id)
            self.write_errors(result, record_id=record_id, row=record.row, place=place)

    def write_result(
        self, result: Classification, *, row: int | None = None, place: Mapping[str, str] | None = None
    ) -> None:
        """Write one classified household; ``place`` is its Household.place (province, commune, village)."""
        if result.standard != self.ruleset.id:
            raise ValueError(f"result of standard {result.standard!r} written to a {self.ruleset.id!r} table")
        values = result_values(result, self.ruleset, row, place)
        values["reference_date"] = result.reference_date.isoformat()
        extra = {}
        if self.trace and self.format == "jsonl":
            extra["trace"] = result.trace.to_dict() if result.trace is not None else None
        self._emit(values, extra)

    def write_errors(
        self,
        errors: Sequence[RecordError],
        *,
        record_id: str | None = None,
        row: int | None = None,
        place: Mapping[str, str] | None = None,
    ) -> None:
        """Write the error row of a record that could not be classified (all its problems), keeping
        the place codes that could be read."""
        if not errors:
            raise ValueError("write_errors needs at least one RecordError")
        values: dict[str, Any] = {column: None for column in self.columns}
        values.update(id=record_id, row=row, error="; ".join(e.message for e in errors))
        values.update(_place_values(place))
        extra = {}
        if self.format == "jsonl":
            extra["errors"] = [
                {"field": e.field, "value": e.value, "expected": e.expected, "row": e.row, "source": e.source}
                for e in errors
            ]
        self._emit(values, extra)

    def _emit(self, values: Mapping[str, Any], extra: Mapping[str, Any]) -> None:
        if self._closed:
            raise ValueError("the result file is already closed")
        if self.format == "jsonl" and self._handle is not None:
            line = {column: values.get(column) for column in self.columns}
            line.update(extra)
            self._handle.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        elif self.format == "csv":
            self._csv.writerow(
                [
                    _csv_income(values.get(column))
                    if column == "income_per_capita_month"
                    else _csv_cell(values.get(column))
                    for column in self.columns
                ]
            )
        else:
            self._sheet.append([self._xlsx_cell(values.get(column)) for column in self.columns])

    def _xlsx_cell(self, value: Any) -> Any:
        value = _flat(value)
        if isinstance(value, str) and len(value) > XLSX_CELL_LIMIT:
            # Excel cannot hold more in one cell (and would cut it silently): cut here, and say so.
            self.cut_cells += 1
            notice = (
                f" … [cut: {len(value):,} characters in all, more than an Excel cell holds; "
                "CSV or JSON Lines output keeps the full text, the errors file each problem]"
            )
            value = value[: XLSX_CELL_LIMIT - len(notice)] + notice
        return xlsx_text(self._sheet, value)

    # -- finishing -------------------------------------------------------------------------------

    def close(self) -> None:
        """Finish the file and move it into place (only now does ``path`` appear or change)."""
        if self._closed:
            return
        try:
            if self._handle is not None:
                self._handle.close()
            if self._workbook is not None:
                self._workbook.save(self._tmp)
            if self._publish:
                os.chmod(self._tmp, new_file_mode())  # as open() would create it, not mkstemp's 0600
                os.replace(self._tmp, self.path)
        except BaseException:
            self.abort()
            raise
        self._closed = True

    def abort(self) -> None:
        """Drop the temporary file; the target is left as it was before the run."""
        already = self._closed
        self._closed = True
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()
        if self._sheet is not None and not self._sheet.closed:
            # Finish openpyxl's row stream so it is not torn down half-way at garbage collection,
            # then drop its own temporary file.
            with contextlib.suppress(Exception):
                self._sheet.close()
                writer = getattr(self._sheet, "_writer", None)
                if writer is not None:
                    writer.cleanup()
        if self._publish or not already:  # a finished temp file of a caller's commit is the caller's
            with contextlib.suppress(FileNotFoundError):
                self._tmp.unlink()

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def xlsx_text(sheet: Any, value: Any) -> Any:
    """``value`` for a row of a write-only openpyxl ``sheet``: text starting with "=" as a text cell
    (openpyxl would store it as a formula), anything else as it is."""
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _place_values(place: Mapping[str, str] | None) -> dict[str, str]:
    if not place:
        return {}
    unknown = set(place) - set(PLACE_KEYS)
    if unknown:
        raise ValueError(f"unknown place keys {sorted(unknown)}: expected {', '.join(PLACE_KEYS)}")
    return dict(place)


def _output_format(path: Path, format: str | None) -> str:
    return format_from_name(path, format, OUTPUT_FORMATS, "output")


def _csv_writer(handle: TextIO) -> Any:
    import csv

    return csv.writer(handle, lineterminator="\r\n")


def _flat(value: Any) -> Any:
    """Table form: deprived/provisional as 1/0, unknown as empty, lists joined by ';'."""
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, list | tuple):
        return _LIST_SEPARATOR.join(str(v) for v in value) if value else None
    return value


def _csv_income(value: Any) -> str:
    text = format_income(value)
    return "" if text is None else text


def _csv_cell(value: Any) -> str:
    value = _flat(value)
    if value is None:
        return ""
    return excel_safe(value) if isinstance(value, str) else str(value)
