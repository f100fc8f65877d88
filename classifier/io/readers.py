"""Read household records from JSON, JSON Lines, CSV and XLSX, lazily, one RawRecord at a time.

Formats (chosen by extension, or ``format=``):

- ``.json``   an array of records, or ``{"households": [...]}`` (read whole: a plain JSON array
  cannot be streamed without a streaming parser; use JSON Lines for large files)
- ``.jsonl`` / ``.ndjson``  one record per line
- ``.csv``    UTF-8 with or without BOM, ``,`` or ``;`` separated; a households file plus an optional
  members file joined on its ``household_id`` column, or one file with the flags as columns
- ``.xlsx``   sheet ``households`` / ``Hộ gia đình`` (else the first sheet) and optional sheet
  ``members`` / ``Thành viên``

Headers are matched by :mod:`classifier.io.columns`. A file-level defect (missing file, unknown
format, no id column, two columns meaning the same field) raises InputError; a defect in one record
travels with that record so that it still appears in the output.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from classifier.errors import InputError, RecordError
from classifier.io.columns import ColumnMap, Target, default_column_map, normalise_header
from classifier.io.formats import format_from_name
from classifier.io.outputs import check_members_file
from classifier.io.records import RawRecord
from classifier.io.values import BadValue, WrittenNumber, is_empty, to_text

__all__ = ["FORMATS", "csv_delimiter", "detect_format", "find_sheet", "json_line_record", "read_records"]

#: ``.xlsm`` is a workbook with macros: read like ``.xlsx``; its macros are neither kept nor run.
FORMATS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
HOUSEHOLD_SHEETS = ("households", "hộ gia đình")
# Python's csv refuses a cell over 131,072 characters with an error for the whole file; such a cell
# must be read, so that the record parser can make it that record's error (classifier/io/contract.yaml).
csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
MEMBER_SHEETS = ("members", "thành viên")

Cells = Sequence[Any]
Location = tuple[str | None, int | None]


def detect_format(path: Path, format: str | None = None) -> str:
    """``json``, ``jsonl``, ``csv`` or ``xlsx``, from ``format`` or the file extension."""
    return format_from_name(path, format, FORMATS, "input")


def read_records(
    path: str | Path,
    *,
    members_path: str | Path | None = None,
    format: str | None = None,
    columns: ColumnMap | None = None,
    notices: list[str] | None = None,
) -> Iterator[RawRecord]:
    """Yield every record of ``path`` in file order, with its row and source name.

    ``notices`` (if given) receives, as reading goes, what the user should hear that is not a record
    error (hidden Excel rows that were read).

    Members (from ``members_path`` or the workbook's members sheet) are joined onto their household
    by ``household_id``; member rows naming no household in the file come last, as records carrying
    only their errors, so that they are reported rather than dropped. File-level problems raise
    InputError before the first record is produced.
    """
    path = Path(path)
    fmt = detect_format(path, format)
    if not path.exists() or path.is_dir():  # not is_file(): a named pipe streams fine
        raise InputError(f"input file not found: {path}")
    check_members_file(path, Path(members_path) if members_path is not None else None)
    columns = columns or default_column_map()
    if fmt == "xlsx":
        return _read_workbook(path, members_path, columns, notices)
    members = _read_members_file(Path(members_path), columns, notices) if members_path is not None else None
    if fmt == "json":
        records = _read_json(path)
    elif fmt == "jsonl":
        records = _read_jsonl(path)
    else:
        records = _primed(_households_from_rows(_csv_rows(path), path.name, columns))
    return _join(records, members, path.name)


# -- JSON -------------------------------------------------------------------------------------------


def _read_json(path: Path) -> Iterator[RawRecord]:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            data = json.load(handle, object_pairs_hook=_object, parse_float=WrittenNumber)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except UnicodeDecodeError:
        raise InputError(f"{path.name} is not UTF-8 text") from None
    except (RecursionError, ValueError):
        raise InputError(
            f"{path.name}: JSON nested too deeply, or a number too long to read; "
            "use JSON Lines, where such a record is that record's error"
        ) from None
    if isinstance(data, dict) and set(data) == {"households"}:
        data = data["households"]
    if not isinstance(data, list):
        raise InputError(f'{path.name} must hold an array of household records, or {{"households": [...]}}')
    return (_json_record(item, index, path.name) for index, item in enumerate(data, start=1))


def _read_jsonl(path: Path) -> Iterator[RawRecord]:
    # Bytes, decoded line by line: a line that is not UTF-8 is that record's error, and nothing
    # beyond the current line is decoded ahead of need.
    with path.open("rb") as handle:
        for line_no, data in enumerate(handle, start=1):
            if line_no == 1 and data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            # The line ending is not part of the record: a JSON error's column then points into the
            # line, as on the batch path, which reads lines without their ending.
            data = data.removesuffix(b"\n").removesuffix(b"\r")
            if not data.strip():
                continue
            try:
                line = data.decode("utf-8")
            except UnicodeDecodeError:
                yield _bad_line(
                    data.decode("utf-8", "replace"),
                    "one JSON object per line, as UTF-8 text",
                    line_no,
                    path.name,
                )
                continue
            yield json_line_record(line, line_no, path.name)


class _RepeatedKeys(dict[str, Any]):
    """A JSON object as read: the first value of each key, and the keys written more than once."""

    repeated: list[tuple[str, Any]]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = _RepeatedKeys()
    found.repeated = []
    for key, value in pairs:
        if key in found:
            found.repeated.append((key, value))
        else:
            found[key] = value
    for value in found.values():  # repeated keys inside nested objects (members, deprivations)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, _RepeatedKeys) and item.repeated:
                found.repeated.extend(item.repeated)
                item.repeated = []
    return found


def json_line_record(line: str, row: int, source: str) -> RawRecord:
    """One JSON Lines line as a record, the same on both paths (classifier/batch reads lines with
    this too). A line that is not one JSON object, nested beyond Python's recursion limit, holding a
    number of more than 4,300 digits, or repeating a key (``{"area": "rural", "area": "urban"}``:
    which one was meant?) is that record's error, never a failure of the file."""
    try:
        value = json.loads(line, object_pairs_hook=_object, parse_float=WrittenNumber)
    except json.JSONDecodeError as exc:
        return _bad_line(line, f"one JSON object per line ({exc.msg} at column {exc.colno})", row, source)
    except RecursionError:
        return _bad_line(line, "one JSON object per line, nested less deeply", row, source)
    except ValueError as exc:  # Python refuses integers of more than 4,300 digits
        return _bad_line(line, f"one JSON object per line with numbers of sensible size ({exc})", row, source)
    if not isinstance(value, dict):
        return _bad_line(line, "one JSON object per line (a household record)", row, source)
    return _json_record(value, row, source)


def _json_record(value: Any, row: int, source: str) -> RawRecord:
    """A parsed JSON value as a record; repeated keys make it that record's errors."""
    if not isinstance(value, dict):
        return RawRecord(value, row, source)  # the record parser names what a record must be
    repeated = value.repeated if isinstance(value, _RepeatedKeys) else []
    if not repeated:
        return RawRecord(value, row, source)
    record_id = value.get("id") if isinstance(value.get("id"), str) else None
    errors = tuple(
        RecordError(
            record_id,
            key,
            shown,
            f"each field once per object (the key {key!r} is repeated)",
            row=row,
            source=source,
        )
        for key, shown in repeated
    )
    return RawRecord(None, row, source, errors=errors)


def _bad_line(line: str, expected: str, line_no: int, source: str) -> RawRecord:
    error = RecordError(None, "<line>", line.strip()[:80], expected, row=line_no, source=source)
    return RawRecord(None, line_no, source, errors=(error,))


# -- tables (CSV and XLSX) --------------------------------------------------------------------------


def csv_delimiter(header_line: str) -> str:
    """``;`` when the header line has more of them than commas (Excel, comma-decimal locales), else ``,``."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _csv_rows(path: Path) -> Iterator[tuple[int, Cells]]:
    """(spreadsheet row number, cells), header first. ``;`` is accepted for Excel in locales whose
    decimal mark is a comma."""
    row_no = 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            first = handle.readline()
            lines = itertools.chain([first], handle)  # no seek: a pipe cannot rewind
            for row_no, cells in enumerate(csv.reader(lines, delimiter=csv_delimiter(first)), start=1):
                yield row_no, cells
        except UnicodeDecodeError:
            raise InputError(
                f"{path.name} is not UTF-8 text (near row {row_no + 1}): save it as 'CSV UTF-8' from Excel"
            ) from None


class Uncached:
    """A formula cell whose result was never saved (the file was written by a program that does not
    calculate, e.g. a script): openpyxl can only read it as empty. Becomes that record's error."""

    __slots__ = ("formula",)

    def __init__(self, formula: str) -> None:
        self.formula = formula

    def __repr__(self) -> str:
        return f"={self.formula}" if self.formula else "(a shared formula)"


#: How far down a sheet the header row is looked for (title rows above it are skipped).
XLSX_HEADER_ROWS = 10
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+)([0-9]+)(?::([A-Z]+)([0-9]+))?\"")


class _SheetNotes:
    """What reading one sheet found that the user should hear about (hidden rows)."""

    def __init__(self, source: str, notices: list[str] | None) -> None:
        self.source = source
        self.notices = notices
        self.hidden = 0

    def close(self) -> None:
        if self.notices is not None and self.hidden:
            self.notices.append(
                f"{self.source}: {self.hidden} hidden row(s) were read like the others (hiding or filtering "
                "a row in Excel does not leave it out); delete rows that must not be classified"
            )


def _merged_ranges(sheet: Any) -> list[tuple[int, int, int, int]]:
    """(first column, first row, last column, last row) of every merged range of a read-only sheet.

    openpyxl's read-only mode does not give them (they come after the rows, at the end of the sheet's
    XML): one scan of the raw XML finds them, at the speed of decompression.
    """
    from openpyxl.utils import column_index_from_string

    found: set[tuple[bytes, ...]] = set()
    tail = b""
    with sheet._get_source() as src:
        while chunk := src.read(1 << 20):
            window = tail + chunk
            found.update(m.groups(b"") for m in _MERGE.finditer(window))
            tail = window[-200:]
    ranges = []
    for c1, r1, c2, r2 in found:
        first_col, first_row = column_index_from_string(c1.decode()), int(r1)
        last_col = column_index_from_string(c2.decode()) if c2 else first_col
        ranges.append((first_col, first_row, last_col, int(r2) if r2 else first_row))
    return sorted(ranges, key=lambda r: (r[1], r[0]))


def _uncached_aware_parser(notes: _SheetNotes | None) -> Any:
    """openpyxl's sheet parser, except that a formula cell with no saved result is an :class:`Uncached`
    and a hidden row is counted in ``notes``."""
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class Parser(WorkSheetParser):  # type: ignore[misc]
        def parse_cell(self, element: Any) -> Any:
            cell = super().parse_cell(element)
            # A formula whose saved result is empty text is written t="str" with an empty value by Excel
            # and LibreOffice: that is an answer (empty), not a missing result.
            if cell["value"] is None and element.get("t") != "str" and element.find(FORMULA_TAG) is not None:
                cell["value"] = Uncached((element.findtext(FORMULA_TAG) or "").strip())
            return cell

        def parse_row(self, row: Any) -> Any:
            if notes is not None and row.get("hidden") in ("1", "true"):
                notes.hidden += 1
            return super().parse_row(row)

    return Parser


class _FillDown:
    """Repeats the value of a range merged down over several rows on each of its rows, in the range's
    first column (what Excel shows), as the rows of a sheet are given in order."""

    def __init__(self, sheet: Any) -> None:
        self.starts: dict[int, list[tuple[int, int]]] = {}  # first row -> (column, last row) per range
        for first_col, first_row, _, last_row in _merged_ranges(sheet):
            if last_row > first_row:
                self.starts.setdefault(first_row, []).append((first_col, last_row))
        self.active: list[tuple[int, int, Any]] = []  # (column, last row, value) of merges being filled down

    def last_row(self) -> int:
        """The last row a merge being filled down reaches (0 when none is)."""
        return max((end for _, end, _ in self.active), default=0)

    def __call__(self, row_no: int, values: tuple[Any, ...]) -> tuple[Any, ...]:
        if not self.active and row_no not in self.starts:
            return values
        out = list(values)
        self.active = [a for a in self.active if a[1] >= row_no]
        for col, _, value in self.active:
            if len(out) < col:
                out.extend([None] * (col - len(out)))
            if out[col - 1] is None:
                out[col - 1] = value
        for col, last_row in self.starts.get(row_no, ()):
            value = out[col - 1] if col <= len(out) else None
            if value is not None:
                self.active.append((col, last_row, value))
        return tuple(out)


def _xlsx_rows(sheet: Any, notes: _SheetNotes | None = None) -> Iterator[tuple[int, Cells]]:
    """(row number, values) of a sheet, as openpyxl's ``iter_rows(values_only=True)`` gives them, except:

    - a formula cell with no saved result is an :class:`Uncached` (openpyxl would give None, which
      would read as "not answered");
    - a value merged down over several rows is repeated on each of them, in the range's first column
      (what Excel shows; openpyxl gives it on the first row only and None below);
    - hidden rows are read like the others and counted in ``notes``.
    """
    if not hasattr(sheet, "_get_source"):  # not a read-only worksheet
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
        return
    parser_class = _uncached_aware_parser(notes)
    filled = _FillDown(sheet)
    workbook = sheet.parent
    max_col, max_row = sheet.max_column, sheet.max_row
    empty: tuple[Any, ...] = (None,) * max_col if max_col else ()
    counter = 1
    with sheet._get_source() as src:
        parser = parser_class(
            src,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for row_no, cells in parser.parse():
            if max_row is not None and row_no > max_row:
                break
            for missing in range(counter, row_no):
                yield missing, filled(missing, empty)
            yield row_no, filled(row_no, sheet._get_row(cells, 1, max_col, values_only=True))
            counter = row_no + 1
    last = max(max_row or 0, filled.last_row())
    for missing in range(counter, last + 1):
        yield missing, filled(missing, empty)
    if notes is not None:
        notes.close()


def _formula_errors(raw: dict[str, Any], record_id: Any, row: int, source: str) -> list[RecordError]:
    """Errors for the cells of ``raw`` that hold a formula with no saved result (set to None here)."""
    errors: list[RecordError] = []
    rid = None if isinstance(record_id, Uncached) or is_empty(record_id) else str(record_id).strip()
    places: list[tuple[dict[str, Any], str, str]] = [(raw, key, key) for key in raw]
    flags = raw.get("deprivations")
    if isinstance(flags, dict):
        places += [(flags, key, f"deprivations.{key}") for key in flags]
    for holder, key, field in places:
        value = holder[key]
        if isinstance(value, Uncached):
            holder[key] = None
            errors.append(
                RecordError(
                    rid,
                    field,
                    repr(value)[:120],
                    "a value: this cell holds a formula whose result was never saved in the file (it was "
                    "written by a program that does not calculate); open the file in Excel or LibreOffice "
                    "and save it, or copy the column and paste it as values",
                    row=row,
                    source=source,
                )
            )
    return errors


class _Header:
    """The resolved header of a table: per column, the key it fills (or a flag)."""

    def __init__(self, cells: Cells, source: str, resolve: Any, what: str) -> None:
        self.keys: list[Target] = []
        self.unnamed: set[int] = set()
        self.source = source
        taken: dict[tuple[str, str], str] = {}
        for index, cell in enumerate(cells, start=1):
            text = "" if cell is None else str(cell).strip()
            target = resolve(text) if text else None
            if not text:
                self.unnamed.add(index - 1)
            if target is None:
                target = Target("field", text or _blank_column(index))
            if text:
                key = (target.kind, target.name)
                if key in taken:
                    raise InputError(
                        f"{source}: columns {taken[key]!r} and {text!r} both give "
                        f"{'the flag ' if target.kind == 'flag' else ''}{target.name!r} "
                        f"in the {what} table; keep one"
                    )
                taken[key] = text
            self.keys.append(target)
        self.width = len(self.keys)

    def has(self, name: str) -> bool:
        return any(t.kind == "field" and t.name == name for t in self.keys)

    def record(self, cells: Cells) -> dict[str, Any] | None:
        """The row as a raw mapping; None for a row with no value at all (a spacer row)."""
        if all(is_empty(c) for c in cells):
            return None
        raw: dict[str, Any] = {}
        for index, cell in enumerate(cells):
            target = self.keys[index] if index < self.width else Target("field", _blank_column(index + 1))
            if is_empty(cell) and (index >= self.width or index in self.unnamed):
                continue  # an unnamed empty column (a trailing separator) carries nothing
            if target.kind == "flag":
                raw.setdefault("deprivations", {})[target.name] = cell
            else:
                raw[target.name] = cell
        return raw


def _blank_column(index: int) -> str:
    return f"(column {index} has no header)"


def _header_row(
    rows: Iterator[tuple[int, Cells]], names: Any, search: int, source: str, wanted: str, accepted: str
) -> tuple[int, Cells] | None:
    """The header: the first row (of the first ``search``) with a column that ``names`` resolves to the
    field ``wanted``; rows above it are title rows (``search`` 1: the first row). None for an empty table."""
    seen = 0
    for row_no, cells in rows:
        if all(is_empty(c) for c in cells) and search > 1:
            continue
        seen += 1
        resolve = names(cells)
        target = Target("field", wanted)
        if search == 1 or any(
            not isinstance(c, Uncached) and not is_empty(c) and resolve(str(c).strip()) == target
            for c in cells
        ):
            uncached = [i for i, c in enumerate(cells, start=1) if isinstance(c, Uncached)]
            if uncached:
                raise InputError(
                    f"{source}: header cell(s) in column(s) {uncached} of row {row_no} hold "
                    "formulas whose results were never saved: open the file in Excel or "
                    "LibreOffice and save it, or type the headers"
                )
            return row_no, cells
        if seen >= search:
            break
    if seen == 0:
        return None
    raise InputError(
        f"{source}: no {accepted} column in the first {search} non-empty rows: the header row (with "
        f"{accepted}) must be within the first {search} non-empty rows; rows above it are skipped as "
        "titles"
    )


def _households_from_rows(
    rows: Iterator[tuple[int, Cells]], source: str, columns: ColumnMap, search: int = 1
) -> Iterator[RawRecord]:
    """Household records; ``search`` > 1 (Excel) looks for the header below title rows."""
    accepted = "household id (id, household_id, mã hộ)"
    header_row = _header_row(rows, columns.household_resolver, search, source, "id", accepted)
    if header_row is None:
        return
    header = _Header(header_row[1], source, columns.household_resolver(header_row[1]), "households")
    if not header.has("id"):
        raise InputError(f"{source}: no household id column (accepted headers: id, household_id, mã hộ)")
    for row_no, cells in rows:
        raw = header.record(cells)
        if raw is not None:
            errors = _formula_errors(raw, raw.get("id"), row_no, source)
            yield RawRecord(raw, row_no, source, errors=tuple(errors))


def _members_from_rows(
    rows: Iterator[tuple[int, Cells]],
    source: str,
    columns: ColumnMap,
    search: int = 1,
    formula_errors: dict[str, list[RecordError]] | None = None,
) -> dict[str, list[tuple[dict[str, Any], int]]]:
    """Members grouped by household id, in file order.

    The whole members table is held in memory, which is fine for a commune or a district; the batch
    engine handles national-scale joins (sorted or keyed on disk) separately.
    """
    groups: dict[str, list[tuple[dict[str, Any], int]]] = {}
    accepted = "household_id (household_id, mã hộ)"
    header_row = _header_row(
        rows, lambda cells: columns.member_target, search, source, "household_id", accepted
    )
    if header_row is None:
        return groups
    header = _Header(header_row[1], source, columns.member_target, "members")
    if not header.has("household_id"):
        raise InputError(
            f"{source}: no household_id column to join members to households "
            "(accepted headers: household_id, mã hộ)"
        )
    for row_no, cells in rows:
        raw = header.record(cells)
        if raw is None:
            continue
        household = raw.pop("household_id", None)
        household_id = "" if isinstance(household, Uncached) else _id_text(household)
        errors = _formula_errors(raw, household_id or None, row_no, source)
        if isinstance(household, Uncached):
            errors += _formula_errors({"household_id": household}, None, row_no, source)
        if errors and formula_errors is not None:
            formula_errors.setdefault(household_id, []).extend(errors)
        groups.setdefault(household_id, []).append((raw, row_no))
    return groups


def _id_text(value: Any) -> str:
    if is_empty(value):
        return ""
    try:
        return to_text(value)
    except BadValue:
        return str(value)


class _Members:
    """A members table ready to join: groups by household id, and where it came from."""

    def __init__(
        self,
        groups: dict[str, list[tuple[dict[str, Any], int]]],
        source: str,
        errors: dict[str, list[RecordError]] | None = None,
    ) -> None:
        self.groups = groups
        self.source = source
        self.used: set[str] = set()
        #: Errors found while reading member rows (Excel formulas without a result), by household id.
        self.errors = errors or {}


def _sheet_members(sheet: Any, source: str, columns: ColumnMap, notices: list[str] | None) -> _Members:
    errors: dict[str, list[RecordError]] = {}
    rows = _xlsx_rows(sheet, _SheetNotes(source, notices))
    return _Members(_members_from_rows(rows, source, columns, XLSX_HEADER_ROWS, errors), source, errors)


def _read_members_file(path: Path, columns: ColumnMap, notices: list[str] | None = None) -> _Members:
    if not path.is_file():
        raise InputError(f"members file not found: {path}")
    fmt = detect_format(path)
    if fmt == "csv":
        return _Members(_members_from_rows(_csv_rows(path), path.name, columns), path.name)
    if fmt == "xlsx":
        workbook = _open_workbook(path)
        try:
            sheet = find_sheet(workbook, MEMBER_SHEETS) or workbook.worksheets[0]
            source = f"{path.name} [{sheet.title}]"
            return _sheet_members(sheet, source, columns, notices)
        finally:
            workbook.close()
    raise InputError(f"a members file must be .csv or .xlsx, not {path.name}")


def _join(
    records: Iterator[RawRecord],
    members: _Members | None,
    households_source: str,
) -> Iterator[RawRecord]:
    """Attach each household's members; then report member rows whose household never appeared."""
    for record in records:
        if members is None or not isinstance(record.raw, dict):
            yield record
            continue
        household_id = _id_text(record.raw.get("id"))
        group = members.groups.get(household_id) if household_id else None
        if not group:
            yield record
            continue
        members.used.add(household_id)
        raw = dict(record.raw)
        locations: tuple[Location, ...] = tuple((members.source, row) for _, row in group)
        errors = (*record.errors, *members.errors.get(household_id, ()))
        if "members" in raw:
            errors = (
                *errors,
                RecordError(
                    household_id,
                    "members",
                    f"{len(group)} rows in {members.source}",
                    "members either in the record or in the members table, not both",
                    row=record.row,
                    source=record.source,
                ),
            )
        raw["members"] = [dict(m) for m, _ in group]
        yield RawRecord(raw, record.row, record.source, member_locations=locations, errors=errors)
    if members is None:
        return
    for household_id, group in members.groups.items():
        if household_id in members.used:
            continue
        expected = (
            f"the id of a household in {households_source}"
            if household_id
            else f"a household id (the id of a household in {households_source})"
        )
        errors = tuple(
            RecordError(
                household_id or None,
                "household_id",
                household_id or None,
                expected,
                row=row,
                source=members.source,
            )
            for _, row in group
        )
        errors = (*errors, *members.errors.get(household_id, ()))
        yield RawRecord(None, group[0][1], members.source, errors=errors)


# -- XLSX -------------------------------------------------------------------------------------------


def _open_workbook(path: Path) -> Any:
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a damaged file
        raise InputError(f"{path.name} cannot be opened as an Excel workbook: {exc}") from None


def find_sheet(workbook: Any, names: Sequence[str]) -> Any:
    """The first sheet whose title is one of ``names`` (headers' normalisation), else None."""
    wanted = {normalise_header(n) for n in names}
    return next((sheet for sheet in workbook.worksheets if normalise_header(sheet.title) in wanted), None)


def _read_workbook(
    path: Path, members_path: str | Path | None, columns: ColumnMap, notices: list[str] | None = None
) -> Iterator[RawRecord]:
    workbook = _open_workbook(path)
    try:
        households = find_sheet(workbook, HOUSEHOLD_SHEETS)
        member_sheet = find_sheet(workbook, MEMBER_SHEETS)
        if households is None:
            households = workbook.worksheets[0]
            if households is member_sheet:
                raise InputError(f"{path.name}: no households sheet (name it 'households' or 'Hộ gia đình')")
        if member_sheet is not None and members_path is not None:
            raise InputError(f"{path.name} has a members sheet and a members file was also given; use one")
        members = None
        if member_sheet is not None:
            source = f"{path.name} [{member_sheet.title}]"
            members = _sheet_members(member_sheet, source, columns, notices)
        elif members_path is not None:
            members = _read_members_file(Path(members_path), columns, notices)
        source = f"{path.name} [{households.title}]"
        rows = _xlsx_rows(households, _SheetNotes(source, notices))
        records = _primed(_households_from_rows(rows, source, columns, XLSX_HEADER_ROWS))
    except BaseException:
        workbook.close()
        raise
    return _close_after(_join(records, members, source), workbook)


def _primed(records: Iterator[RawRecord]) -> Iterator[RawRecord]:
    """Run a reader up to its first record now, so header problems raise before reading begins."""
    first = next(records, None)

    def chain() -> Iterator[RawRecord]:
        if first is not None:
            yield first
            yield from records

    return chain()


def _close_after(records: Iterator[RawRecord], workbook: Any) -> Iterator[RawRecord]:
    try:
        yield from records
    finally:
        workbook.close()
