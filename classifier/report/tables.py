"""Report tables and how they are printed and written (tabulate, CSV, JSON, XLSX).

A report (the rule-change diff, the review-round transitions) is a list of :class:`Table` s plus its
warnings. One writer serves them all:

- **stdout**: :func:`render_table` prints a table with ``tabulate`` (numbers with thousands separators).
- **CSV** (``impact.csv``): the report's *primary* table goes to the named file, every other table to
  ``<stem>.<table key>.csv`` beside it (``impact.matrix.csv``, ``impact.errors.csv``, ...). UTF-8 with a
  BOM (Excel), headers are the column ids. Each warning is a first line starting with ``#`` (visible in
  Excel; skipped by ``pandas.read_csv(..., comment="#")``).
- **JSON** (``impact.json``): one document, ``{"report", "warnings", ..., "tables": {key: {"title",
  "columns", "rows": [{column id: value}]}}}``; list cells stay lists.
- **XLSX** (``impact.xlsx``): one sheet per table (openpyxl write-only), named by the table's title in
  the report language, headers in that language.

All files are written beside their target under a temporary name and moved into place only when
every file of the report is complete, so an interrupted run leaves no half-written report.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from tabulate import tabulate

from classifier.errors import InputError
from classifier.io.formats import format_from_name
from classifier.io.outputs import OutputFiles
from classifier.io.writers import excel_safe_cell, xlsx_text
from classifier.report.describe import format_value

__all__ = [
    "REPORT_FORMATS",
    "Column",
    "Report",
    "Table",
    "csv_paths",
    "flat_cell",
    "render_table",
    "report_format",
    "write_report",
]

REPORT_FORMATS = {".csv": "csv", ".json": "json", ".xlsx": "xlsx"}
_LIST_SEPARATOR = "; "
_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def _rows(rows: Iterable[Sequence[Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(row) for row in rows)


def _tables(tables: Iterable[Table]) -> tuple[Table, ...]:
    return tuple(tables)


def _texts(texts: Iterable[str]) -> tuple[str, ...]:
    return tuple(texts)


@attrs.frozen
class Column:
    """One column: a stable id (CSV/JSON header) and its headers in Vietnamese and English."""

    id: str
    vi: str
    en: str

    def header(self, lang: str) -> str:
        """The header shown to people (tabulate, XLSX) in ``lang``."""
        return self.vi if lang == "vi" else self.en


@attrs.frozen
class Table:
    """A titled table. ``key`` names it in file names and JSON (``matrix``, ``changed``, ...)."""

    key: str
    title_vi: str
    title_en: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...] = attrs.field(converter=_rows)

    def __attrs_post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.key}: {len(row)} cells for {len(self.columns)} columns")

    def title(self, lang: str) -> str:
        """The title in ``lang``."""
        return self.title_vi if lang == "vi" else self.title_en

    def headers(self, lang: str) -> list[str]:
        """Column headers in ``lang``."""
        return [c.header(lang) for c in self.columns]

    def records(self) -> list[dict[str, Any]]:
        """Rows as ``{column id: value}`` (the JSON form)."""
        ids = [c.id for c in self.columns]
        return [dict(zip(ids, row, strict=True)) for row in self.rows]

    def column(self, column_id: str) -> list[Any]:
        """Every value of one column (tests and callers that need one field)."""
        index = [c.id for c in self.columns].index(column_id)
        return [row[index] for row in self.rows]


@attrs.frozen
class Report:
    """Tables plus what every output must carry: warnings (e.g. a provisional standard) and metadata."""

    kind: str
    tables: tuple[Table, ...] = attrs.field(converter=_tables)
    primary: str
    warnings: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    meta: Mapping[str, Any] = attrs.field(factory=dict)

    def table(self, key: str) -> Table:
        """The table named ``key`` (KeyError when the report has none)."""
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)


# -- cells ------------------------------------------------------------------------------------------


def flat_cell(value: Any) -> Any:
    """A cell for a flat table: booleans as 1/0, lists joined by ``; ``, dicts by their ``text``."""
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, Mapping):
        return str(value.get("text", ", ".join(f"{k}={v}" for k, v in value.items())))
    if isinstance(value, list | tuple):
        return _LIST_SEPARATOR.join(str(flat_cell(v)) for v in value) if value else None
    return value


def _display(value: Any) -> Any:
    value = flat_cell(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_value(value)
    return "" if value is None else value


def render_table(table: Table, lang: str = "vi", *, fmt: str = "simple", max_rows: int | None = None) -> str:
    """The table as text via tabulate, titled; ``max_rows`` cuts long tables and says how many are left."""
    rows = list(table.rows)
    more = 0
    if max_rows is not None and len(rows) > max_rows:
        more = len(rows) - max_rows
        rows = rows[:max_rows]
    body = tabulate(
        [[_display(v) for v in row] for row in rows],
        headers=table.headers(lang),
        tablefmt=fmt,
        disable_numparse=True,
    )
    text = f"{table.title(lang)}\n{body}"
    if more:
        text += f"\n… {more:,} {'dòng nữa' if lang == 'vi' else 'more rows'}"
    return text


# -- files ------------------------------------------------------------------------------------------


def report_format(path: Path, fmt: str | None = None) -> str:
    """``csv``, ``json`` or ``xlsx`` from ``fmt`` or the file extension; InputError otherwise."""
    return format_from_name(path, fmt, REPORT_FORMATS, "report")


def csv_paths(path: Path, report: Report) -> dict[str, Path]:
    """Where each table of ``report`` goes as CSV: the primary table at ``path``, others beside it."""
    out: dict[str, Path] = {}
    for table in report.tables:
        if table.key == report.primary:
            out[table.key] = path
        else:
            out[table.key] = path.with_name(f"{path.stem}.{table.key}{path.suffix or '.csv'}")
    return out


def write_report(
    report: Report,
    path: str | Path,
    *,
    fmt: str | None = None,
    lang: str = "vi",
    inputs: Sequence[Path | None] = (),
) -> list[Path]:
    """Write ``report`` to ``path`` as CSV, JSON or XLSX; returns the files written.

    The files are guarded like classify's (classifier/io/outputs.py): none may be one of ``inputs``,
    each is locked against a concurrent run, and all appear together or not at all."""
    path = Path(path)
    kind = report_format(path, fmt)
    if not path.parent.is_dir():
        raise InputError(f"output folder does not exist: {path.parent}")
    if kind == "csv":
        targets = csv_paths(path, report)
        jobs = [(targets[t.key], _csv_writer(t, report.warnings)) for t in report.tables]
    elif kind == "json":
        jobs = [(path, _json_writer(report, lang))]
    else:
        jobs = [(path, _xlsx_writer(report, lang))]
    _write_atomically(jobs, inputs)
    return [target for target, _ in jobs]


def _write_atomically(jobs: Sequence[tuple[Path, Any]], inputs: Sequence[Path | None] = ()) -> None:
    """Write every job to a temporary file, then move them all into place (see OutputFiles)."""
    with OutputFiles([target for target, _ in jobs], inputs) as files:
        for target, write in jobs:
            write(files.temp(target))
        files.commit()


def _csv_writer(table: Table, warnings: Iterable[str]) -> Any:
    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8-sig", newline="") as handle:
            for warning in warnings:
                handle.write("# " + " ".join(str(warning).split()) + "\r\n")
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow([c.id for c in table.columns])
            for row in table.rows:
                writer.writerow([excel_safe_cell(flat_cell(cell)) for cell in row])

    return write


def _json_writer(report: Report, lang: str) -> Any:
    def write(tmp: Path) -> None:
        document: dict[str, Any] = {"report": report.kind, "warnings": list(report.warnings), **report.meta}
        document["tables"] = {
            t.key: {"title": t.title(lang), "columns": [c.id for c in t.columns], "rows": t.records()}
            for t in report.tables
        }
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, indent=2, default=str)
            handle.write("\n")

    return write


def _xlsx_writer(report: Report, lang: str) -> Any:
    def write(tmp: Path) -> None:
        import openpyxl
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        workbook = openpyxl.Workbook(write_only=True)
        used: set[str] = set()
        for table in report.tables:
            sheet = workbook.create_sheet(_sheet_name(table.title(lang), used))
            header = []
            for text in table.headers(lang):
                cell = WriteOnlyCell(sheet, value=text)
                cell.font = Font(bold=True)
                header.append(cell)
            sheet.append(header)
            for row in table.rows:
                sheet.append([xlsx_text(sheet, flat_cell(cell)) for cell in row])
        workbook.save(tmp)

    return write


def _sheet_name(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    base = title.translate(_SHEET_FORBIDDEN).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.casefold() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.casefold())
    return name
