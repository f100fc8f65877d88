"""The table form of the classification rules: one row per class × area, as Nghị định 07/2021 Art. 3 cl. 2.

``classification.yaml`` may give its income classification as a ``table:`` instead of (or beside) a
``rules:`` section. The table states once what every row shares (citation, verification, validity)
and each row says, in the decree's order, the class, the area, the income test and the deprivation
test::

    table:
      citation: {instrument: Nghị định 07/2021/NĐ-CP, article: "3", clause: "2"}
      verified: true
      valid_from: 2022-01-01
      valid_to: 2026-12-31
      rows:
        ngheo_nong_thon:
          class: ngheo
          area: rural
          income: {lte: income_line_rural}          # a band: {gt: income_line_rural, lte: middle_upper_rural}
          deprivations: {gte: deprivation_cutoff}    # or: not considered
          point: a                                   # the row's point of the clause (optional)
          wording_vi: ...

:func:`expand_table` turns the table into exactly the rule entries the ``rules:`` form would hold
(same ids, same condition trees, same citations and validity), with every line pointing at the row's
cells, so the loader then checks and builds them as it builds any rule. Only parameter names are
allowed in the income and deprivation cells: every number stays in parameters.yaml with its citation.
"""

from __future__ import annotations

from typing import Any

from classifier.rules.schema import Problems
from classifier.rules.yamlload import LocatedDict, LocatedList, line_of

__all__ = ["NOT_CONSIDERED", "ROW_KEYS", "TABLE_KEYS", "expand_table"]

#: The facts the table's columns compare (the facts of Art. 3 cl. 2; see rules/facts.yaml).
AREA_FACT = "area"
INCOME_FACT = "income_per_capita_month"
DEPRIVATION_FACT = "deprivation_count"
#: Operators of an income or deprivation cell, in the order the expanded condition lists them.
CELL_OPS = ("gt", "gte", "lt", "lte")
#: A deprivation cell for a class whose definition does not look at deprivations.
NOT_CONSIDERED = "not considered"

TABLE_KEYS = ("citation", "verified", "valid_from", "valid_to", "provisional", "rows")
TABLE_REQUIRED = ("citation", "verified", "valid_from", "rows")
ROW_KEYS = (
    "class",
    "area",
    "income",
    "deprivations",
    "point",
    "source",
    "wording_vi",
    "note",
    "verified",
    "provisional",
)
ROW_REQUIRED = ("class", "area", "income", "deprivations")


def _located(items: dict[str, Any], line: int | None, key_lines: dict[str, int | None]) -> LocatedDict:
    """A mapping built here that answers ``line_of`` like one read from the file."""
    out = LocatedDict(items)
    out.line = line or 0
    out.key_lines = {k: v for k, v in key_lines.items() if v is not None}
    return out


def _compare(op: str, param: Any, line: int | None, fact: str) -> LocatedDict:
    lines = {"fact": line, "op": line, "param": line}
    return _located({"fact": fact, "op": op, "param": param}, line, lines)


def _cell(row: LocatedDict, column: str, fact: str, p: Problems, rid: str) -> list[LocatedDict] | None:
    """The comparisons of one income or deprivation cell: ``{op: parameter}``, or a band of two."""
    cell = p.mapping(row[column], f"the {column} cell", line_of(row, column), rid)
    if cell is None:
        return None
    p.keys(cell, CELL_OPS, (), f"the {column} cell", rid, line_of(row, column))
    ops = [op for op in CELL_OPS if op in cell]
    lower = [op for op in ops if op in ("gt", "gte")]
    upper = [op for op in ops if op in ("lt", "lte")]
    ok = len(cell) == len(ops)
    if not ops or len(lower) > 1 or len(upper) > 1:
        p.add(
            line_of(row, column),
            f"the {column} cell needs one comparison or a band (one of gt/gte and one of lt/lte), "
            f"got {', '.join(cell) or 'nothing'}",
            rid,
            "e.g. {lte: income_line_rural} or {gt: income_line_rural, lte: middle_upper_rural}",
        )
        ok = False
    for op in ops:
        if not isinstance(cell[op], str):
            p.add(
                line_of(cell, op),
                f"the {column} cell compares with a parameter name, got {cell[op]!r}",
                rid,
                "every legal number lives in parameters.yaml with its citation",
            )
            ok = False
    return [_compare(op, cell[op], line_of(cell, op), fact) for op in ops] if ok else None


def _deprivations(row: LocatedDict, p: Problems, rid: str) -> list[LocatedDict] | None:
    if row["deprivations"] == NOT_CONSIDERED:
        return []
    if isinstance(row["deprivations"], str):
        p.add(
            line_of(row, "deprivations"),
            f"the deprivations cell {row['deprivations']!r} is neither a comparison nor {NOT_CONSIDERED!r}",
            rid,
            f"write {{gte: deprivation_cutoff}} or {NOT_CONSIDERED!r}",
        )
        return None
    return _cell(row, "deprivations", DEPRIVATION_FACT, p, rid)


def _row(rid: str, row: LocatedDict, table: LocatedDict, at: int | None, p: Problems) -> LocatedDict | None:
    """One row as the rule entry the ``rules:`` form would hold, or None (its problems reported)."""
    p.keys(row, ROW_KEYS, ROW_REQUIRED, f"table row {rid!r}", rid, at)
    if any(key not in row for key in ROW_REQUIRED):
        return None
    area_line = line_of(row, "area")
    area = _located(
        {"fact": AREA_FACT, "op": "eq", "value": row["area"]},
        area_line,
        {"fact": area_line, "op": area_line, "value": area_line},
    )
    income = _cell(row, "income", INCOME_FACT, p, rid)
    deprivations = _deprivations(row, p, rid)
    if income is None or deprivations is None:
        return None
    conditions = LocatedList([area, *income, *deprivations])
    conditions.line = at or 0
    conditions.item_lines = [line_of(c) or 0 for c in conditions]
    when = _located({"all": conditions}, at, {"all": at})
    base = table["citation"]
    citation = _located(dict(base), line_of(table, "citation"), dict(base.key_lines))
    for key in ("point", "source"):
        if key in row:
            citation[key] = row[key]
            citation.key_lines[key] = line_of(row, key) or 0
    entry: dict[str, Any] = {"class": row["class"], "citation": citation}
    lines: dict[str, int | None] = {"class": line_of(row, "class"), "citation": line_of(table, "citation")}
    for key in ("verified", "valid_from", "valid_to", "provisional"):
        if key in row:
            entry[key], lines[key] = row[key], line_of(row, key)
        elif key in table:
            entry[key], lines[key] = table[key], line_of(table, key)
    entry["when"], lines["when"] = when, at
    for key in ("wording_vi", "note"):
        if key in row:
            entry[key], lines[key] = row[key], line_of(row, key)
    return _located(entry, at, lines)


def expand_table(table: LocatedDict, p: Problems, at: int | None) -> LocatedDict:
    """The table's rows as a ``rules:`` section (rule id → entry); broken rows are reported and left out.

    When the table's shared part (citation, verification, validity) is broken, its problems are
    reported once and no row is expanded, so one mistake there is not repeated for every row.
    ``at`` is the line of ``table:`` (where a missing key is reported).
    """
    p.keys(table, TABLE_KEYS, TABLE_REQUIRED, "table", None, at)
    before = len(p.items)
    header_ok = all(key in table for key in TABLE_REQUIRED) and (
        p.mapping(table["citation"], "the table's citation", line_of(table, "citation")) is not None
    )
    # What every row shares is checked here, once, so that one mistake is one message (not one per row).
    p.boolean(table, "verified")
    p.boolean(table, "provisional")
    p.date(table, "valid_from")
    p.date(table, "valid_to", nullable=True)
    header_ok = header_ok and len(p.items) == before
    section = _located({}, line_of(table, "rows"), {})
    rows = p.mapping(table.get("rows", LocatedDict()), "rows", line_of(table, "rows"))
    for rid, row in (rows or {}).items():
        at = line_of(rows, rid)
        row = p.mapping(row, f"table row {rid!r}", at, rid)
        if row is None:
            continue
        if not header_ok:
            p.keys(row, ROW_KEYS, ROW_REQUIRED, f"table row {rid!r}", rid, at)
            continue
        entry = _row(rid, row, table, at, p)
        if entry is not None:
            section[rid] = entry
            section.key_lines[rid] = at or 0
    return section
