"""Movements of poor and near-poor households between two review rounds, as the report forms count them.

For the poor (and, mirrored, the near-poor) the forms count, per unit, by household and by person::

    [1] start  − [2] escaped to near-poor − [3] escaped above the near-poor line − [4] other decrease
               + [5] near-poor who became poor + [6] re-poor + [7] newly poor + [8] other increase = [9] end

(near-poor table: [2] became poor, [3] escaped above, [4] other decrease, [5] poor who became near-poor,
[6] re-near-poor, [7] newly near-poor, [8] other increase). How each household is counted, in order:

- poor at the start and at the end: in [1] and [9] only;
- poor at the start, not at the end: [2] near-poor now, [3] above the near-poor line now, else [4] other
  decrease with its reason: the departure recorded in the register (``moved_out``, ``merged``,
  ``dissolved``) or, for a household simply missing from the later round, the documented default
  ``missing``; a household that cannot be classified at the end is [4] with reason ``unclassified``;
- poor at the end, not at the start: [5] if near-poor at the start; [8] other increase if it is new to the
  register and its record says ``movement: moved_in`` or ``split`` (reason: that value), or if it could
  not be classified at the start (reason ``unclassified``); [6] re-poor if it was poor in any round before
  the start round (so it had escaped, or left, in between); else [7] newly poor.
- a household that stays poor but moved to another unit is [4] (reason ``other_unit``) in the old unit
  and [8] (same reason) in the new one, so that every unit's row adds up.

By person, a household is counted with its members at the start in [1]–[4] and at the end in [5]–[9];
members born, deceased, moved in or out of a household that stays poor are the difference, counted in
[8] (more members) or [4] (fewer), reason ``members``. So [9] = [1] − [2] − [3] − [4] + [5] + [6] + [7] +
[8] holds for households and for persons in every row, and :meth:`MovementTable.check` proves it.

Re-poor ("tái nghèo") is read from the register's history: its official definition was not found (see
``classifier.report.vocabulary``), this one is the reading above. Each household poor (near-poor) at
the end is labelled nghèo cũ (poor at the start), tái nghèo ([6]) or nghèo mới (all others).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from classifier.io.admin import admin_catalogue
from classifier.model import CANNOT_CLASSIFY
from classifier.report.vocabulary import ABOVE, ERROR, NEAR_POOR_CLASS, POOR_CLASS, poverty_status

__all__ = [
    "LABELS",
    "NEAR_POOR_COLUMNS",
    "POOR_COLUMNS",
    "TOTAL",
    "HouseholdMovement",
    "MovementError",
    "MovementTable",
    "Presence",
    "RoundMovements",
    "count_movements",
    "movements_report",
    "presences_from",
    "round_movements",
    "status_of",
    "table_rows",
]

#: Columns of the poor households' movement table, in the forms' order ([1] ... [9]).
POOR_COLUMNS = (
    "start",
    "escaped_to_near_poor",
    "escaped_above",
    "other_decrease",
    "from_near_poor",
    "re_poor",
    "newly_poor",
    "other_increase",
    "end",
)
#: Columns of the near-poor households' movement table ([1] ... [9]).
NEAR_POOR_COLUMNS = (
    "start",
    "became_poor",
    "escaped_above",
    "other_decrease",
    "from_poor",
    "re_near_poor",
    "newly_near_poor",
    "other_increase",
    "end",
)
_DECREASES = (1, 2, 3)  # indexes of the columns subtracted
_INCREASES = (4, 5, 6, 7)  # indexes of the columns added
#: The row of the whole area (every unit added up).
TOTAL = "total"
#: Labels of a household poor / near-poor at the end of the period.
LABELS: Mapping[str, Mapping[str, str]] = {
    "ngheo_cu": {"vi": "nghèo cũ", "en": "poor before"},
    "ngheo_moi": {"vi": "nghèo mới", "en": "newly poor"},
    "tai_ngheo": {"vi": "tái nghèo", "en": "re-poor"},
    "can_ngheo_cu": {"vi": "cận nghèo cũ", "en": "near-poor before"},
    "can_ngheo_moi": {"vi": "cận nghèo mới", "en": "newly near-poor"},
    "tai_can_ngheo": {"vi": "tái cận nghèo", "en": "re-near-poor"},
}
#: Status of a household in a round where it has no result (not classified yet).
UNCLASSIFIED = "unclassified"


class MovementError(ValueError):
    """A movement table does not add up (a bug: the counting is built so that it always does)."""


@attrs.frozen
class Presence:
    """One household across the two rounds (and its earlier history), as the counting needs it.

    ``start`` / ``end``: the status (``ngheo``, ``can_ngheo``, ``tren_can_ngheo``, ``khong_du_du_lieu``,
    ``unclassified``) in each round, None when the household is not in that round. ``history``: its
    statuses in the rounds before the start round, oldest first (None: absent). ``movement``: the record's
    ``movement`` at the end (``moved_in`` / ``split``); ``departure``: the reason recorded when it left.
    """

    code: str
    start: str | None
    end: str | None
    start_unit: str | None = None
    end_unit: str | None = None
    persons_start: int = 0
    persons_end: int = 0
    history: tuple[str | None, ...] = ()
    movement: str | None = None
    departure: str | None = None


@attrs.frozen
class HouseholdMovement:
    """Where one household is counted: the column (and reason) in each table, and its end label."""

    code: str
    start: str | None
    end: str | None
    unit: str | None
    poor_column: str | None
    near_poor_column: str | None
    reason: str | None
    label: str | None  # a key of LABELS, for households poor or near-poor at the end

    def label_text(self, lang: str = "vi") -> str | None:
        """The label in Vietnamese (``vi``) or English."""
        return None if self.label is None else LABELS[self.label][lang]


@attrs.frozen
class MovementTable:
    """One form table: per unit (and ``total``), per column, (households, persons)."""

    kind: str  # poor | near_poor
    columns: tuple[str, ...]
    rows: Mapping[str, Mapping[str, tuple[int, int]]]
    reasons: Mapping[tuple[str, str, str], tuple[int, int]]  # (unit, column, reason) -> (households, persons)

    def value(self, unit: str, column: str, by: str = "households") -> int:
        """One cell: ``by`` households (default) or persons."""
        pair = self.rows[unit][column]
        return pair[0] if by == "households" else pair[1]

    def check(self) -> None:
        """Raise MovementError unless end = start − decreases + increases in every row, both counts."""
        for unit, row in self.rows.items():
            for i, by in enumerate(("households", "persons")):
                values = [row[c][i] for c in self.columns]
                expected = values[0] - sum(values[j] for j in _DECREASES) + sum(values[j] for j in _INCREASES)
                if values[8] != expected:
                    raise MovementError(f"{self.kind} table, {unit}, by {by}: end {values[8]} != {expected}")


@attrs.frozen
class RoundMovements:
    """The two movement tables between two rounds, and where each household was counted."""

    start_round: str
    end_round: str
    by: str | None
    poor: MovementTable
    near_poor: MovementTable
    households: tuple[HouseholdMovement, ...]
    warnings: tuple[str, ...] = ()


class _Table:
    def __init__(self, kind: str, columns: tuple[str, ...]) -> None:
        self.kind = kind
        self.columns = columns
        self.rows: dict[str, dict[str, list[int]]] = {}
        self.reasons: Counter[tuple[str, str, str]] = Counter()
        self.reason_persons: Counter[tuple[str, str, str]] = Counter()

    def add(self, unit: str, column: str, persons: int, reason: str | None = None) -> None:
        for key in dict.fromkeys((unit, TOTAL)):
            cell = self.rows.setdefault(key, {c: [0, 0] for c in self.columns})[column]
            cell[0] += 1
            cell[1] += persons
            if reason is not None:
                self.reasons[(key, column, reason)] += 1
                self.reason_persons[(key, column, reason)] += persons

    def add_persons(self, unit: str, column: str, persons: int, reason: str) -> None:
        for key in dict.fromkeys((unit, TOTAL)):
            self.rows.setdefault(key, {c: [0, 0] for c in self.columns})[column][1] += persons
            self.reason_persons[(key, column, reason)] += persons
            self.reasons[(key, column, reason)] += 0

    def freeze(self) -> MovementTable:
        self.rows.setdefault(TOTAL, {c: [0, 0] for c in self.columns})
        rows = {unit: {c: (v[0], v[1]) for c, v in row.items()} for unit, row in self.rows.items()}
        ordered = {u: rows[u] for u in sorted((u for u in rows if u != TOTAL), key=str)} | {
            TOTAL: rows[TOTAL]
        }
        reasons = {k: (self.reasons[k], self.reason_persons[k]) for k in self.reason_persons | self.reasons}
        table = MovementTable(self.kind, self.columns, ordered, reasons)
        table.check()
        return table


_UNKNOWN = (CANNOT_CLASSIFY, ERROR, UNCLASSIFIED)


def _count(
    table: _Table, cls: str, other: str, p: Presence, no_unit: str, default_departure: str
) -> tuple[str | None, str | None]:
    """Count one household in the table of class ``cls`` (``other``: the other listed class)."""
    s0, s1 = p.start, p.end
    cols = table.columns
    start_unit = p.start_unit or no_unit
    end_unit = p.end_unit or no_unit
    if s0 == cls:
        table.add(start_unit, cols[0], p.persons_start)
        if s1 == cls:
            if start_unit != end_unit:
                table.add(start_unit, cols[3], p.persons_start, "other_unit")
                table.add(end_unit, cols[7], p.persons_end, "other_unit")
            else:
                delta = p.persons_end - p.persons_start
                if delta > 0:
                    table.add_persons(end_unit, cols[7], delta, "members")
                elif delta < 0:
                    table.add_persons(end_unit, cols[3], -delta, "members")
            table.add(end_unit, cols[8], p.persons_end)
            return None, None
        if s1 == other:
            table.add(start_unit, cols[1], p.persons_start)
            return cols[1], None
        if s1 == ABOVE:
            table.add(start_unit, cols[2], p.persons_start)
            return cols[2], None
        reason = (p.departure or default_departure) if s1 is None else UNCLASSIFIED
        table.add(start_unit, cols[3], p.persons_start, reason)
        return cols[3], reason
    if s1 != cls:
        return None, None
    table.add(end_unit, cols[8], p.persons_end)
    why: str | None
    if s0 == other:
        column, why = cols[4], None
    elif s0 is None and p.movement:
        column, why = cols[7], p.movement
    elif s0 in _UNKNOWN:
        column, why = cols[7], UNCLASSIFIED
    elif cls in p.history:
        column, why = cols[5], None
    else:
        column, why = cols[6], None
    table.add(end_unit, column, p.persons_end, why)
    return column, why


def count_movements(
    presences: Iterable[Presence],
    *,
    start_round: str = "start",
    end_round: str = "end",
    by: str | None = None,
    default_departure: str | None = None,
) -> RoundMovements:
    """Count the poor and near-poor movement tables from each household's presence in the two rounds.

    A household gone from the later round with no departure recorded gets ``default_departure``
    (by default ``departure_reasons.default`` of rules/admin.yaml)."""
    default_departure = default_departure or admin_catalogue().default_departure
    poor = _Table("poor", POOR_COLUMNS)
    near = _Table("near_poor", NEAR_POOR_COLUMNS)
    out: list[HouseholdMovement] = []
    warnings: list[str] = []
    no_unit = TOTAL if by is None else "-"  # without --by there is only the total row
    for p in sorted(presences, key=lambda x: x.code):
        pc, preason = _count(poor, POOR_CLASS, NEAR_POOR_CLASS, p, no_unit, default_departure)
        nc, nreason = _count(near, NEAR_POOR_CLASS, POOR_CLASS, p, no_unit, default_departure)
        label = None
        if p.end == POOR_CLASS:
            label = "ngheo_cu" if p.start == POOR_CLASS else "tai_ngheo" if pc == "re_poor" else "ngheo_moi"
        elif p.end == NEAR_POOR_CLASS:
            label = (
                "can_ngheo_cu"
                if p.start == NEAR_POOR_CLASS
                else "tai_can_ngheo"
                if nc == "re_near_poor"
                else "can_ngheo_moi"
            )
        out.append(
            HouseholdMovement(
                code=p.code,
                start=p.start,
                end=p.end,
                unit=p.end_unit or p.start_unit,
                poor_column=pc,
                near_poor_column=nc,
                reason=preason or nreason,
                label=label,
            )
        )
    if any(p.start is None and p.end is None for p in out):
        warnings.append("households in neither round were given")
    return RoundMovements(
        start_round, end_round, by, poor.freeze(), near.freeze(), tuple(out), tuple(warnings)
    )


def table_rows(table: MovementTable, lang: str = "vi") -> list[dict[str, Any]]:
    """The table as rows (unit, then ``<column>_households`` and ``<column>_persons``), for a report."""
    rows = []
    for unit, row in table.rows.items():
        item: dict[str, Any] = {"unit": ("Tổng" if lang == "vi" else "Total") if unit == TOTAL else unit}
        for column in table.columns:
            item[f"{column}_households"], item[f"{column}_persons"] = row[column]
        rows.append(item)
    return rows


def status_of(outcome: str | None) -> str:
    """The movement status of a result's outcome: the report vocabulary's poverty_status, and
    ``unclassified`` for None (the household has no result yet)."""
    return UNCLASSIFIED if outcome is None else poverty_status(outcome)


def presences_from(
    rounds: Sequence[Mapping[str, Mapping[str, Any]]], *, by: str | None, departures: Mapping[str, str]
) -> list[Presence]:
    """Presences from per-round households (oldest first; the last two are start and end).

    Each round maps household code -> ``{"outcome", "persons", "place", "movement"}``.
    """
    *earlier, start, end = rounds
    out = []
    for code in sorted(set(start) | set(end)):
        a, b = start.get(code), end.get(code)
        out.append(
            Presence(
                code=code,
                start=None if a is None else status_of(a["outcome"]),
                end=None if b is None else status_of(b["outcome"]),
                start_unit=None if a is None or by is None else a["place"].get(by),
                end_unit=None if b is None or by is None else b["place"].get(by),
                persons_start=0 if a is None else int(a["persons"] or 0),
                persons_end=0 if b is None else int(b["persons"] or 0),
                history=tuple(None if code not in r else status_of(r[code]["outcome"]) for r in earlier),
                movement=None if b is None else b.get("movement"),
                departure=departures.get(code),
            )
        )
    return out


def round_movements(
    register: Any, start_round: str, end_round: str, *, by: str | None = None
) -> RoundMovements:
    """The movement tables between two rounds of a :class:`~classifier.register.Register`.

    History for re-poverty is every round of the register older than ``start_round`` (by year, then by
    creation). Households missing from ``end_round`` without a recorded departure get the default
    reason (``departure_reasons.default`` of ``rules/admin.yaml``: ``missing``).
    """
    if by not in (None, "province", "commune", "village"):
        raise ValueError(f"by {by!r}: expected province, commune or village")
    names = [r.name for r in register.rounds()]
    for name in (start_round, end_round):
        register.round(name)  # a clear error for an unknown round
    if names.index(start_round) >= names.index(end_round):
        raise ValueError(f"round {start_round!r} is not older than round {end_round!r}")
    chosen = [*names[: names.index(start_round)], start_round, end_round]
    per_round = []
    for name in chosen:
        per_round.append(
            {
                h.code: {
                    "outcome": h.outcome,
                    "persons": h.member_count,
                    "place": h.place,
                    "movement": h.answers.get("movement"),
                }
                for h in register.households(name)
            }
        )
    result = count_movements(
        presences_from(per_round, by=by, departures=register.departures(end_round)),
        start_round=start_round,
        end_round=end_round,
        by=by,
    )
    regular = [name for name in (start_round, end_round) if register.round(name).kind == "regular"]
    if regular:  # a monthly review holds only the households that asked: the others would look gone
        note = (
            f"round(s) {', '.join(regular)} are regular (monthly) reviews: households not reviewed there "
            "are counted as missing; the movement tables are meant between periodic reviews"
        )
        result = attrs.evolve(result, warnings=(*result.warnings, note))
    return result


_COLUMN_LABELS_VI = {
    "start": "đầu kỳ",
    "escaped_to_near_poor": "thoát nghèo, thành cận nghèo",
    "escaped_above": "thoát lên trên chuẩn cận nghèo",
    "other_decrease": "giảm khác",
    "from_near_poor": "cận nghèo thành nghèo",
    "re_poor": "tái nghèo",
    "newly_poor": "nghèo phát sinh mới",
    "other_increase": "tăng khác",
    "end": "cuối kỳ",
    "became_poor": "cận nghèo thành nghèo",
    "from_poor": "nghèo thành cận nghèo",
    "re_near_poor": "tái cận nghèo",
    "newly_near_poor": "cận nghèo phát sinh mới",
}


def movements_report(result: RoundMovements) -> Any:
    """The movement tables as a :class:`classifier.report.tables.Report` (CSV, JSON or XLSX).

    Tables: ``poor`` and ``near_poor`` (per unit, [1]-[9] by household and by person), ``reasons``
    (other decrease / increase by reason) and ``households`` (where each household was counted, with
    its label).
    """
    from classifier.report.tables import Column, Report, Table

    tables = []
    for table, title_vi, title_en in (
        (result.poor, "Biến động hộ nghèo", "Movements of poor households"),
        (result.near_poor, "Biến động hộ cận nghèo", "Movements of near-poor households"),
    ):
        columns = [Column("unit", "Đơn vị", "Unit")]
        for number, column in enumerate(table.columns, start=1):
            for by, vi, en in (("households", "hộ", "households"), ("persons", "nhân khẩu", "persons")):
                columns.append(
                    Column(
                        f"{column}_{by}",
                        f"[{number}] {_COLUMN_LABELS_VI[column]} ({vi})",
                        f"[{number}] {column} ({en})",
                    )
                )
        rows = [tuple(row[c.id] for c in columns) for row in table_rows(table)]
        tables.append(
            Table(
                key=table.kind,
                title_vi=f"{title_vi} {result.start_round} → {result.end_round}",
                title_en=f"{title_en} {result.start_round} → {result.end_round}",
                columns=tuple(columns),
                rows=tuple(rows),
            )
        )
    reasons = [
        (table.kind, TOTAL if unit == TOTAL else unit, column, reason, *counts)
        for table in (result.poor, result.near_poor)
        for (unit, column, reason), counts in sorted(table.reasons.items())
    ]
    tables.append(
        Table(
            key="reasons",
            title_vi="Tăng, giảm khác theo lý do",
            title_en="Other increases and decreases by reason",
            columns=(
                Column("table", "Bảng", "Table"),
                Column("unit", "Đơn vị", "Unit"),
                Column("column", "Cột", "Column"),
                Column("reason", "Lý do", "Reason"),
                Column("households", "Hộ", "Households"),
                Column("persons", "Nhân khẩu", "Persons"),
            ),
            rows=tuple(reasons),
        )
    )
    tables.append(
        Table(
            key="households",
            title_vi="Từng hộ",
            title_en="Households",
            columns=(
                Column("code", "Mã hộ", "Household code"),
                Column("unit", "Đơn vị", "Unit"),
                Column("start", "Đầu kỳ", "Start"),
                Column("end", "Cuối kỳ", "End"),
                Column("poor_column", "Bảng hộ nghèo", "Poor table"),
                Column("near_poor_column", "Bảng hộ cận nghèo", "Near-poor table"),
                Column("reason", "Lý do", "Reason"),
                Column("label", "Phân loại", "Label"),
            ),
            rows=tuple(
                (
                    m.code,
                    m.unit,
                    m.start,
                    m.end,
                    m.poor_column,
                    m.near_poor_column,
                    m.reason,
                    m.label_text("vi"),
                )
                for m in result.households
            ),
        )
    )
    note = (
        "tái nghèo: định nghĩa chính thức chưa được xác minh (ở đây: hộ nghèo ở một vòng trước vòng đầu kỳ, "
        "nay nghèo lại)"
    )
    return Report(
        kind="movements",
        tables=tuple(tables),
        primary="poor",
        warnings=(*result.warnings, note),
        meta={"start_round": result.start_round, "end_round": result.end_round, "by": result.by},
    )
