"""The type stage: every cell of a file typed in one parallel pass into HH_TYPED / MEM_TYPED.

CSV, Parquet and JSON Lines end in the same two tables with the same columns; only where a cell's
text comes from differs (a file column ``c<i>``, or a JSON path of the parsed line). Each cell is
typed by classifier/batch/typing.py's fast typing (derived from the typing contract), which is
never wider than the per-record parser: a cell it does not accept makes its row unclean, and the
fall-back stage hands that row to the parser. Then the links: household ids (``HH_IDS``), rows
repeating an earlier id (``DUPS``) and which member rows belong to which household (``MEM_LINKS``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import duckdb

from classifier.batch.sources import (
    Staged,
    detect_input_format,
    is_ragged_error,
    open_json_lines,
    open_side,
    unreadable,
)
from classifier.batch.tables import (
    DUPS,
    HH_CELLS,
    HH_IDS,
    HH_ROWS,
    HH_TYPED,
    JSON_LINES,
    MEM_LINKS,
    MEM_TYPED,
    in_file_order,
    order_free,
)
from classifier.batch.typing import accepted_sql, empty_sql, fast_text_sql, fast_typed_cell, text_ok_sql
from classifier.engine.sql import SQL_TYPES, literal, quote_ident
from classifier.errors import InputError
from classifier.io.columns import ColumnMap
from classifier.io.records import PLACE_KEYS, RECORD_KEYS
from classifier.rules.ruleset import FactSpec, RuleSet

__all__ = ["MEMBER_BASE", "TypingPlan", "type_file"]

# A JSON number with a fraction is not typed in SQL: DuckDB re-spells it from a double
# (1234567.0000000001 -> "1234567.0"), so the per-record parser reads its exact text instead.
_JSON_SCALARS = "('VARCHAR', 'BIGINT', 'UBIGINT', 'BOOLEAN', 'NULL')"
#: mrow = rowid of MEM_TYPED + MEMBER_BASE: a members table's spreadsheet row (JSON Lines: an order).
MEMBER_BASE = 2
_MONEY = FactSpec(name="money", level="household", type="number", minimum=0)
_DECLARED_COUNT = FactSpec(name="member_count", level="household", type="integer", minimum=1)
_REFERENCE_DATE = FactSpec(name="reference_date", level="household", type="date")
_FLAG = FactSpec(name="flag", level="household", type="bool")


def type_file(
    con: Any,
    plan_for: Callable[[Staged], TypingPlan],
    path: Path,
    members_path: Path | None,
    fmt: str,
    columns: ColumnMap,
) -> TypingPlan:
    """Read and type one households file (and its members file): the read and type stages.

    ``plan_for(staged)`` builds the TypingPlan of a staged file (it knows the rule set). A CSV row
    of the wrong width makes DuckDB's strict parallel scan fail; the side is then read ragged
    (padded / spilled into spare columns, not parallel) and its rows' widths become record errors.
    """
    if fmt == "jsonl":
        plan = plan_for(Staged(fmt, open_json_lines(con, path, members_path), None, path.name))
        _run_typing(con, plan, "households", path, fmt)
        _run_typing(con, plan, "members", path, fmt)
        plan.link(con)
        return plan
    staged = Staged(fmt, open_side(path, fmt, columns, "households"), None, path.name)
    staged, plan = _typed_side(con, plan_for, staged, "households", path, fmt, columns)
    if members_path is not None:
        mfmt = detect_input_format(members_path)
        if mfmt == "jsonl":
            raise InputError(f"a members file must be .csv or .parquet, not {members_path.name}")
        side = open_side(members_path, mfmt, columns, "members")
        staged, plan = _typed_side(
            con, plan_for, attrs.evolve(staged, members=side), "members", members_path, mfmt, columns
        )
    else:
        _run_typing(con, plan, "members", path, fmt)  # an empty members table of the same columns
    plan.link(con)
    return plan


def _typed_side(
    con: Any,
    plan_for: Callable[[Staged], TypingPlan],
    staged: Staged,
    what: str,
    path: Path,
    fmt: str,
    columns: ColumnMap,
) -> tuple[Staged, TypingPlan]:
    for ragged in (False, True):
        if ragged:
            side = open_side(path, fmt, columns, what, ragged=True)
            staged = (
                attrs.evolve(staged, households=side)
                if what == "households"
                else attrs.evolve(staged, members=side)
            )
        plan = plan_for(staged)
        try:
            _run_typing(con, plan, what, path, fmt, strict=not ragged)
            return staged, plan
        except duckdb.InvalidInputException as exc:
            if ragged or fmt != "csv" or not is_ragged_error(exc):
                raise unreadable(path, fmt, exc, ragged) from exc
    raise AssertionError("unreachable")


def _run_typing(con: Any, plan: TypingPlan, what: str, path: Path, fmt: str, strict: bool = False) -> None:
    try:
        if what == "households":
            in_file_order(con, HH_TYPED, plan.households_select())
        else:
            in_file_order(con, MEM_TYPED, plan.members_select())
    except duckdb.InvalidInputException as exc:
        if strict:
            raise
        raise unreadable(path, fmt, exc, False) from exc


class TypingPlan:
    """The SQL that types one staged file's cells into HH_TYPED / MEM_TYPED and links them."""

    def __init__(self, ruleset: RuleSet, staged: Staged, indicator_keys: frozenset[str]) -> None:
        self.rs = ruleset
        self.staged = staged
        self.keys = indicator_keys
        self.json = staged.format == "jsonl"
        #: Row number of HH_TYPED's rowid 0 (2 under a header row, 1 for JSON Lines).
        self.base = staged.households.base
        facts = ruleset.facts
        self.hh_facts = {n: s for n, s in facts.household.items() if not s.derived and n != "area"}
        self.mem_facts = {n: s for n, s in facts.member.items() if not s.derived}
        self.area_spec = facts.household.get("area") or facts.classification["area"]
        # JSON Lines: every field is extracted in one parse per line (a list of paths), then indexed.
        self.hh_paths = [*dict.fromkeys([*RECORD_KEYS, *self.hh_facts])]
        self.hh_paths.remove("members")
        self.hh_paths.remove("deprivations")
        self.flag_paths = sorted(indicator_keys)
        self.mem_paths = ["id", "notes", *self.mem_facts]
        # Fields read as text: a cell longer than the typing contract allows is refused by the parser.
        self.text_fields = {
            "id",
            "notes",
            *PLACE_KEYS,
            *(n for n, s in self.hh_facts.items() if s.type == "string"),
        }
        self.member_text_fields = {
            "id",
            "notes",
            *(n for n, s in self.mem_facts.items() if s.type == "string"),
        }

    # -- where each cell's text comes from -------------------------------------------------------------

    def _hh_cell(self, name: str, kind: str = "field") -> str | None:
        if self.json:
            if kind == "flag":
                return f"raw.fv[{self.flag_paths.index(name) + 1}]"
            return f"raw.v[{self.hh_paths.index(name) + 1}]"
        col = self.staged.households.column_of(kind, name)
        return f"raw.{col}" if col else None

    def _mem_cell(self, name: str) -> str | None:
        if self.json:
            return f"e.v[{self.mem_paths.index(name) + 1}]"
        side = self.staged.members
        assert side is not None
        col = side.column_of("field", name)
        return f"m.{col}" if col else None

    # -- HH_TYPED ------------------------------------------------------------------------------------

    def households_select(self) -> str:
        """Every line of the households file in file order (spacer lines flagged ``blank``), typed,
        with ``cells_ok``; no raw text kept (the cells typed once in the inner query, acceptance
        decided from the typed column and the raw text in the outer one)."""
        sel, ok = self._household_cells()
        # The typed cells travel as one STRUCT column: DuckDB gives an order-keeping insert one thread
        # per ~4 MB × columns of its memory budget (duckdb/duckdb#11655), so 43 separate columns were
        # typed on one thread at 512MB; three columns run on every thread. HH_ROWS unpacks them.
        cells = [name for name in _names(sel) if not name.startswith('"e$') and name != "shape_ok"]
        return (
            f"SELECT blank, ({' AND '.join(['shape_ok', *ok])}) AS cells_ok, "
            f"struct_pack({', '.join(f'{name} := typed.{name}' for name in cells)}) AS {HH_CELLS} "
            f"FROM (SELECT {', '.join(sel)}, {self._hh_blank()} AS blank FROM {self._hh_scan()}) AS typed"
        )

    def _hh_scan(self) -> str:
        side = self.staged.households
        if not self.json:
            return f"{side.scan} AS raw"
        paths = "[" + ", ".join(literal("$." + p) for p in self.hh_paths) + "]"
        fpaths = "[" + ", ".join(literal("$.deprivations." + p) for p in self.flag_paths) + "]"
        return (
            f"(SELECT blank, json_extract_string(j, {paths}) AS v, json_type(j, {paths}) AS ty, "
            f"json_extract_string(j, {fpaths}) AS fv, json_type(j, {fpaths}) AS fty, json_type(j) AS jt, "
            f"json_keys(j) AS k, json_type(j, '$.deprivations') AS dt, json_type(j, '$.members') AS mt, "
            f"CASE WHEN json_type(j, '$.deprivations') = 'OBJECT' "
            f"THEN json_keys(j, '$.deprivations') END AS dk FROM {side.scan}) AS raw"
        )

    def _hh_blank(self) -> str:
        return "raw.blank" if self.json else self.staged.households.blank

    def _household_cells(self) -> tuple[list[str], list[str]]:
        sel: list[str] = []
        ok: list[str] = []

        def add(name: str, spec: FactSpec, cell: str | None) -> None:
            if cell is None:  # no such column: unknown, typed so that the rule query binds
                sel.append(f"CAST(NULL AS {SQL_TYPES[spec.type]}) AS {quote_ident('f$' + name)}")
            else:
                _add_fast(sel, ok, name, spec, cell)

        for name, spec in self.hh_facts.items():
            add(name, spec, self._hh_cell(name))
        add("area", self.area_spec, self._hh_cell("area"))
        add("income_per_capita_month", _MONEY, self._hh_cell("income_per_capita_month"))
        add("income_total_month", _MONEY, self._hh_cell("income_total_month"))
        add("member_count", _DECLARED_COUNT, self._hh_cell("member_count"))
        add("reference_date", _REFERENCE_DATE, self._hh_cell("reference_date"))
        for key in PLACE_KEYS:  # text as Household.place holds it (stripped; blank = absent)
            add(key, FactSpec(name=key, level="household", type="string"), self._hh_cell(key))
        for key in self.flag_paths:  # every known indicator key, so every format has the same columns
            add("flag." + key, _FLAG, self._hh_cell(key, "flag"))
        id_cell = str(self._hh_cell("id"))
        id_sql = fast_text_sql(id_cell)
        if self.json:  # only a JSON string is an id (a number would be re-spelled)
            id_sql = f"(CASE WHEN raw.ty[1] = 'VARCHAR' THEN {id_sql} END)"
        sel.append(f"{id_sql} AS {quote_ident('f$id')}")
        sel.append(f"({self._shape_sql()}) AS shape_ok")
        return sel, ok

    def _shape_sql(self) -> str:
        """Row-level conditions outside cell typing that the per-record parser would complain about."""
        return self._json_shape_sql() if self.json else self._table_shape_sql()

    def _json_shape_sql(self) -> str:
        allowed = [*RECORD_KEYS, *self.hh_facts]
        conds = [
            "raw.jt = 'OBJECT'",
            # A repeated key is that record's error (classifier/io/readers.py json_line_record).
            "len(raw.k) = len(list_distinct(raw.k))",
            "(raw.dk IS NULL OR len(raw.dk) = len(list_distinct(raw.dk)))",
            *(text_ok_sql(f"raw.v[{i}]") for i, n in enumerate(self.hh_paths, 1) if n in self.text_fields),
            f"list_has_all([{', '.join(literal(k) for k in allowed)}], raw.k)",
            "coalesce(raw.dt, 'NULL') IN ('OBJECT', 'NULL')",
            "coalesce(raw.mt, 'NULL') IN ('ARRAY', 'NULL')",
            f"(raw.dk IS NULL OR list_has_all([{', '.join(literal(k) for k in self.flag_paths)}], raw.dk))",
        ]
        for i, name in enumerate(self.hh_paths, start=1):
            # Text fields must be JSON strings (a number id would be re-spelled); others scalars.
            kinds = "('VARCHAR', 'NULL')" if name in ("id", *PLACE_KEYS) else _JSON_SCALARS
            conds.append(f"coalesce(raw.ty[{i}], 'NULL') IN {kinds}")
        conds.append("raw.ty[1] = 'VARCHAR'")  # the id is required
        for i in range(1, len(self.flag_paths) + 1):
            conds.append(f"coalesce(raw.fty[{i}], 'NULL') IN {_JSON_SCALARS}")
        return " AND ".join(conds)

    def _table_shape_sql(self) -> str:
        conds = []
        table_allowed = {*RECORD_KEYS, *self.hh_facts}
        for col, target, unnamed in self.staged.households.targets():
            if target.kind == "flag":
                if target.name not in self.keys:
                    conds.append("FALSE")  # every row names an unknown flag: the parser reports it
                continue
            if target.name in self.text_fields:
                conds.append(text_ok_sql(f"raw.{col}"))
            if unnamed:
                conds.append(empty_sql(f"raw.{col}"))
            elif target.name not in table_allowed:
                conds.append("FALSE")  # an unknown column: the parser reports it on every row
        return " AND ".join(conds) or "TRUE"

    # -- MEM_TYPED -----------------------------------------------------------------------------------

    def members_select(self) -> str:
        """One row per member in file order: typed cells, ``mid``, ``shape_ok``, ``cells_ok``,
        ``blank``, and what ties it to its household: ``hid`` (a members table: the id cell) or
        ``owner`` (JSON Lines: the household's row number)."""
        if not self.json and self.staged.members is None:  # no members file: the same columns, no rows
            cols = ", ".join(
                f"CAST(NULL AS {SQL_TYPES[s.type]}) AS {quote_ident('f$' + n)}"
                for n, s in self.mem_facts.items()
            )
            return (
                f"SELECT CAST(NULL AS VARCHAR) AS hid, CAST(NULL AS BIGINT) AS owner, {cols}, "
                "CAST(NULL AS VARCHAR) AS mid, TRUE AS shape_ok, FALSE AS blank, TRUE AS cells_ok LIMIT 0"
            )
        sel, ok = self._member_cells()
        dropped = _exclude([*_raw_cols(sel), *(["pos"] if self.json else [])])

        def body(tie: str, blank: str, scan: str) -> str:
            return (
                f"SELECT typed.*{dropped}, ({' AND '.join(ok) or 'TRUE'}) AS cells_ok FROM "
                f"(SELECT {tie}, {', '.join(sel)}, {blank} AS blank FROM {scan}) AS typed"
            )

        if self.json:
            paths = "[" + ", ".join(literal("$." + p) for p in self.mem_paths) + "]"
            # Ordered by household and position: the insert keeps that order (mrow follows it).
            scan = (
                f"(SELECT r.rid, CAST(x.key AS BIGINT) AS pos, json_type(x.value) AS jt, "
                f"json_keys(x.value) AS k, json_extract_string(x.value, {paths}) AS v, "
                f"json_type(x.value, {paths}) AS ty FROM "
                f"(SELECT rowid + {self.base} AS rid, j FROM {JSON_LINES} "
                f"WHERE json_type(j, '$.members') = 'ARRAY') AS r, json_each(r.j, '$.members') AS x) AS e"
            )
            tie = "CAST(NULL AS VARCHAR) AS hid, e.rid AS owner, e.pos"
            return body(tie, "FALSE", scan) + " ORDER BY typed.owner, typed.pos"
        side = self.staged.members
        assert side is not None
        hid_col = side.column_of("field", "household_id")
        tie = f"coalesce({fast_text_sql(f'm.{hid_col}')}, '') AS hid, CAST(NULL AS BIGINT) AS owner"
        return body(tie, side.blank, f"{side.scan} AS m")

    def _member_cells(self) -> tuple[list[str], list[str]]:
        """Typed member cells, ``mid`` and ``shape_ok``, with their acceptance tests."""
        sel: list[str] = []
        ok: list[str] = []
        for name, spec in self.mem_facts.items():
            cell = self._mem_cell(name)
            if cell is None:  # no such column: unknown, typed so that the rule query binds
                sel.append(f"CAST(NULL AS {SQL_TYPES[spec.type]}) AS {quote_ident('f$' + name)}")
                continue
            _add_fast(sel, ok, name, spec, cell)
        id_cell = self._mem_cell("id")
        sel.append(f"{fast_text_sql(id_cell)} AS mid" if id_cell else "CAST(NULL AS VARCHAR) AS mid")
        shape = self._json_member_shape() if self.json else self._table_member_shape()
        sel.append(f"({' AND '.join(shape) or 'TRUE'}) AS shape_ok")
        ok.append("shape_ok")
        return sel, ok

    def _json_member_shape(self) -> list[str]:
        return [
            "e.jt = 'OBJECT'",
            "len(e.k) = len(list_distinct(e.k))",
            *(
                text_ok_sql(f"e.v[{i}]")
                for i, n in enumerate(self.mem_paths, 1)
                if n in self.member_text_fields
            ),
            f"list_has_all([{', '.join(literal(k) for k in self.mem_paths)}], e.k)",
            "coalesce(e.ty[1], 'NULL') IN ('VARCHAR', 'NULL')",
            *(f"coalesce(e.ty[{i}], 'NULL') IN {_JSON_SCALARS}" for i in range(2, len(self.mem_paths) + 1)),
        ]

    def _table_member_shape(self) -> list[str]:
        side = self.staged.members
        assert side is not None
        shape: list[str] = []
        allowed = {"household_id", "id", "notes", *self.mem_facts}
        for col, target, unnamed in side.targets():
            if unnamed:
                shape.append(empty_sql(f"m.{col}"))
            elif target.name not in allowed:
                shape.append("FALSE")
            elif target.name in self.member_text_fields:
                shape.append(text_ok_sql(f"m.{col}"))
        return shape

    # -- the links -------------------------------------------------------------------------------------

    def link(self, con: Any) -> None:
        """HH_ROWS (numbered households), HH_IDS, DUPS (rows repeating an earlier row's id, Unicode
        forms of one id counted as one: classifier/io/records.py id_key) and MEM_LINKS."""
        con.execute(
            f"CREATE OR REPLACE VIEW {HH_ROWS} AS SELECT rowid + {self.base} AS rid, "
            f'rowid + {self.base} AS "row", cells_ok, {HH_CELLS}.* FROM {HH_TYPED} WHERE NOT blank'
        )
        # Lookup tables, joined on rid / hid / mrow: written on every thread, in no particular order.
        with order_free(con):
            fid = quote_ident("f$id")
            con.execute(f"{HH_IDS.create} AS SELECT rid, {fid} AS hid FROM {HH_ROWS} WHERE {fid} <> ''")
            con.execute(
                f"{DUPS.create} AS SELECT rid, first_rid FROM "
                "(SELECT rid, min(rid) OVER (PARTITION BY k) AS first_rid FROM "
                f" (SELECT rid, nfc_normalize(hid) AS k FROM {HH_IDS}) "
                f" WHERE k IN (SELECT nfc_normalize(hid) FROM {HH_IDS} GROUP BY 1 HAVING count(*) > 1)) "
                "WHERE rid <> first_rid"
            )
            members = f"(SELECT rowid + {MEMBER_BASE} AS mrow, hid, owner FROM {MEM_TYPED} WHERE NOT blank)"
            if self.json:
                con.execute(f"{MEM_LINKS.create} AS SELECT owner AS rid, mrow FROM {members}")
            else:
                con.execute(
                    f"{MEM_LINKS.create} AS SELECT i.rid, m.mrow FROM {members} AS m "
                    f"JOIN {HH_IDS} AS i USING (hid)"
                )


def _add_fast(sel: list[str], ok: list[str], name: str, spec: FactSpec, cell: str) -> None:
    """One cell typed by fast_typed_cell; its raw text rides along (e$) only to decide acceptance."""
    typed, check = fast_typed_cell(cell, spec)
    sel.append(f"{typed} AS {quote_ident('f$' + name)}")
    if check:
        sel.append(f"{cell} AS {quote_ident('e$' + name)}")
        ok.append(accepted_sql(quote_ident("e$" + name), quote_ident("f$" + name)))


def _names(sel: list[str]) -> list[str]:
    """The output names of a select list (as quoted there)."""
    return [s.rsplit(" AS ", 1)[-1] for s in sel]


def _raw_cols(sel: list[str]) -> list[str]:
    """The e$ (raw text) columns of a typed select list, dropped once acceptance is known."""
    return [name for name in _names(sel) if name.startswith('"e$')]


def _exclude(columns: list[str]) -> str:
    return f" EXCLUDE ({', '.join(columns)})" if columns else ""
