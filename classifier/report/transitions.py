"""Transitions between review rounds (`chuan-ngheo transitions`): who escaped, who fell in, and why.

Inputs are result files written by ``chuan-ngheo classify`` (CSV, JSON Lines or XLSX), one per review
round, oldest first. Households are linked by household id. For every pair of consecutive rounds each
household gets one category of :mod:`classifier.report.vocabulary` (escaped poverty to near-poor or
above, escaped near-poverty, newly poor, newly near-poor, near-poor now poor, re-poor, stayed, cannot
classify, error, only in one round), with what moved it: income before → after (when the files have
the ``income_per_capita_month`` column) and the indicators that switched (the indicator columns the
files share; an indicator in only one file is named as added or removed).

Re-poverty ("tái nghèo") needs history: a household is re-poor when it is poor now, was not poor in
the previous round, and was poor in some round before that. With only two rounds (and for the first
pair of any series) it cannot be told apart from newly poor: such households are counted as newly poor
(or near-poor → poor) and the report says so. The official definition is unverified.

Households present in only one round, rows without an id and repeated ids are counted and listed,
never dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from classifier.errors import InputError
from classifier.io import known_indicator_keys
from classifier.io.results import read_results
from classifier.model import CANNOT_CLASSIFY
from classifier.report.describe import format_value
from classifier.report.diff import AREA_LEVELS, place_cells, place_columns
from classifier.report.tables import Column, Report, Table, render_table
from classifier.report.vocabulary import (
    ABOVE,
    CATEGORIES,
    ERROR,
    NEAR_POOR_CLASS,
    POOR_CLASS,
    category,
    poverty_status,
)

__all__ = [
    "Movement",
    "Round",
    "Transitions",
    "compare_rounds",
    "read_round",
    "render_transitions",
    "transitions_files",
    "transitions_report",
]

INCOME_COLUMN = "income_per_capita_month"
# Categories whose household may in fact be re-poor when the history is too short to tell.
_MAYBE_REPOOR = ("ngheo_phat_sinh_moi", "roi_xuong_ngheo", "can_ngheo_phat_sinh_moi")


# -- reading ---------------------------------------------------------------------------------------


@attrs.frozen
class Round:
    """One review round's result file: its name, columns, rows and each row's line in the file."""

    name: str
    path: Path
    columns: tuple[str, ...]
    rows: tuple[Mapping[str, Any], ...]
    lines: tuple[int, ...] = ()

    def has(self, column: str) -> bool:
        """Whether the file has this column."""
        return column in self.columns


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def read_round(path: str | Path, name: str | None = None) -> Round:
    """Read one result file of ``chuan-ngheo classify`` (.csv, .jsonl/.ndjson or .xlsx) with the strict
    reader of the declared result schema (classifier/io/results.py): a cell the classify command
    could not have written (a flag ``x``, a count ``2.5``) is refused with its line and column."""
    found = read_results(path)
    cleaned = tuple({k: _clean(v) for k, v in row.items()} for row in found.rows)
    return Round(name or found.path.stem, found.path, found.columns, cleaned, found.lines)


# -- comparing -------------------------------------------------------------------------------------


@attrs.frozen
class Movement:
    """One household between two rounds: its category and what moved it."""

    pair: str
    household_id: str
    place: Mapping[str, Any]
    category: str
    before: str | None  # class id, khong_du_du_lieu, or None (error / absent)
    after: str | None
    income_before: Any = None
    income_after: Any = None
    count_before: Any = None
    count_after: Any = None
    became_deprived: tuple[str, ...] = ()
    no_longer_deprived: tuple[str, ...] = ()
    other_changes: tuple[str, ...] = ()
    note: str | None = None

    def what_moved(self, lang: str) -> str:
        """``thu nhập 1,000 → 2,000; thiếu hụt 3 → 2 (+ a; - b)`` — only what is known and differs."""
        vi = lang == "vi"
        parts = []
        incomes = (self.income_before, self.income_after)
        if incomes != (None, None) and self.income_before != self.income_after:
            a, b = (format_value(v) if v is not None else "?" for v in incomes)
            parts.append(f"{'thu nhập' if vi else 'income'} {a} → {b}")
        counts = ""
        if None not in (self.count_before, self.count_after) and self.count_before != self.count_after:
            counts = f"{'thiếu hụt' if vi else 'deprivations'} {self.count_before} → {self.count_after}"
        switched = [f"+ {i}" for i in self.became_deprived] + [f"- {i}" for i in self.no_longer_deprived]
        switched += list(self.other_changes)
        if switched:
            counts = (counts + " " if counts else "") + f"({'; '.join(switched)})"
        if counts:
            parts.append(counts)
        return "; ".join(parts)


@attrs.define
class Transitions:
    """Everything compared across the rounds; turned into tables by :func:`transitions_report`."""

    rounds: tuple[Round, ...]
    by: str | None
    pairs: list[str] = attrs.field(factory=list)
    history: dict[str, bool] = attrs.field(factory=dict)  # pair -> re-poverty decidable
    movements: list[Movement] = attrs.field(factory=list)
    # (round, file, line in the result file, input row, household id, problem)
    errors: list[tuple[str, str, int, Any, str | None, str]] = attrs.field(factory=list)
    unlinkable: Counter[str] = attrs.field(factory=Counter)

    def counts(self, pair: str) -> Counter[str]:
        """Households per category for one pair of rounds."""
        return Counter(m.category for m in self.movements if m.pair == pair)

    @property
    def place_keys(self) -> tuple[str, ...]:
        """The place columns shown: those of the grouping level, or every place column the files have."""
        if self.by is not None:
            return tuple(k for k in AREA_LEVELS[self.by] if any(r.has(k) for r in self.rounds))
        return tuple(k for k in AREA_LEVELS["village"] if any(r.has(k) for r in self.rounds))

    @property
    def provisional_rounds(self) -> list[tuple[str, list[str]]]:
        """Rounds with rows classified under a provisional standard, and those standards."""
        out = []
        for rnd in self.rounds:
            stds = sorted({str(r.get("standard")) for r in rnd.rows if r.get("provisional") is True})
            if stds:
                out.append((rnd.name, stds))
        return out

    def standards(self, rnd: Round) -> list[str]:
        """The standards named in a round's rows."""
        return sorted({str(r["standard"]) for r in rnd.rows if r.get("standard")})

    def warnings(self, lang: str = "vi") -> tuple[str, ...]:
        """Provisional standards used, and pairs of rounds classified under different standards."""
        vi = lang == "vi"
        out = []
        for name, stds in self.provisional_rounds:
            names = ", ".join(stds)
            out.append(
                f"CẢNH BÁO: vòng {name} dùng chuẩn tạm thời ({names}); kết quả chỉ để tham khảo"
                if vi
                else f"WARNING: round {name} used a provisional standard ({names})"
            )
        for prev, cur in zip(self.rounds, self.rounds[1:], strict=False):
            a, b = ", ".join(self.standards(prev)), ", ".join(self.standards(cur))
            if a != b:
                out.append(
                    f"Vòng {prev.name} ({a}) và vòng {cur.name} ({b}) phân loại theo chuẩn khác nhau: "
                    "một phần dịch chuyển có thể do thay đổi chuẩn (xem `chuan-ngheo diff`)"
                    if vi
                    else f"Rounds {prev.name} ({a}) and {cur.name} ({b}) used different standards: "
                    "some moves may come from the rule change (see `chuan-ngheo diff`)"
                )
        return tuple(out)


def _status(row: Mapping[str, Any] | None) -> str | None:
    if row is None:
        return None
    if row.get("error"):
        return ERROR
    return poverty_status(row.get("classification"))


def _outcome(row: Mapping[str, Any] | None) -> str | None:
    if row is None or row.get("error"):
        return None
    return row.get("classification")


def _categorise(before: str, after: str, earlier: Sequence[str | None]) -> str:
    """The category of statuses ``before`` → ``after``; ``earlier`` = the statuses before ``before``."""
    if ERROR in (before, after):
        return "loi"
    if CANNOT_CLASSIFY in (before, after):
        return "khong_xac_dinh"
    poor_before = POOR_CLASS in earlier
    if before == POOR_CLASS:
        stays = {POOR_CLASS: "giu_nguyen_ngheo", NEAR_POOR_CLASS: "thoat_ngheo_sang_can_ngheo"}
        return stays.get(after, "thoat_ngheo")
    if before == NEAR_POOR_CLASS:
        if after == POOR_CLASS:
            return "tai_ngheo" if poor_before else "roi_xuong_ngheo"
        return "giu_nguyen_can_ngheo" if after == NEAR_POOR_CLASS else "thoat_can_ngheo"
    assert before == ABOVE  # every other status was handled above
    if after == POOR_CLASS:
        return "tai_ngheo" if poor_before else "ngheo_phat_sinh_moi"
    if after == NEAR_POOR_CLASS:
        return "tai_can_ngheo" if NEAR_POOR_CLASS in earlier else "can_ngheo_phat_sinh_moi"
    return "giu_nguyen_tren_can_ngheo"


Names = tuple[str, ...]


def _indicator_changes(
    prev: Round, cur: Round, a: Mapping[str, Any], b: Mapping[str, Any], keys: Iterable[str], lang: str
) -> tuple[Names, Names, Names]:
    vi = lang == "vi"
    became, stopped, other = [], [], []
    for key in keys:
        in_a, in_b = prev.has(key), cur.has(key)
        x = a.get(key) if in_a else None
        y = b.get(key) if in_b else None
        if in_a and in_b:
            if x is not True and y is True:
                became.append(key)
            elif x is True and y is False:
                stopped.append(key)
            elif x is True and y is None:
                other.append(f"{key}: {'thiếu hụt → chưa rõ' if vi else 'deprived → unknown'}")
            elif x is False and y is None:
                other.append(f"{key}: {'không thiếu hụt → chưa rõ' if vi else 'not deprived → unknown'}")
        elif in_b and y is True:
            other.append(f"{key}: {'thiếu hụt (chỉ số mới)' if vi else 'deprived (added indicator)'}")
        elif in_a and x is True:
            other.append(f"{key}: {'thiếu hụt (chỉ số bị bỏ)' if vi else 'deprived (removed indicator)'}")
    return tuple(became), tuple(stopped), tuple(other)


def _index(rnd: Round, t: Transitions, lang: str) -> dict[str, Mapping[str, Any]]:
    """id -> row of one round; rows without an id and repeated ids go to the errors list."""
    vi = lang == "vi"
    by_id: dict[str, Mapping[str, Any]] = {}
    first_line: dict[str, int] = {}
    lines = rnd.lines or tuple(range(2, len(rnd.rows) + 2))
    for line, row in zip(lines, rnd.rows, strict=True):
        hid = row.get("id")
        where = (rnd.name, rnd.path.name, line, row.get("row"))  # the first four columns of an error
        if row.get("error"):
            t.errors.append((*where, hid, str(row["error"])))
        if hid is None:
            t.unlinkable[rnd.name] += 1
            if not row.get("error"):
                vi_text = "không có mã hộ: không nối được giữa các vòng"
                t.errors.append(
                    (*where, None, vi_text if vi else "no household id: cannot be linked between rounds")
                )
            continue
        if hid in by_id:
            t.unlinkable[rnd.name] += 1
            vi_text = f"mã hộ trùng với dòng {first_line[hid]}; dòng này không được nối"
            t.errors.append(
                (*where, hid, vi_text if vi else f"id repeats line {first_line[hid]}; this row is not linked")
            )
            continue
        by_id[hid] = row
        first_line[hid] = line
    return by_id


def compare_rounds(
    rounds: Sequence[Round],
    *,
    by: str | None = None,
    indicator_keys: Iterable[str] | None = None,
    lang: str = "vi",
) -> Transitions:
    """Categorise every household for each pair of consecutive rounds (oldest first)."""
    if len(rounds) < 2:
        raise InputError("transitions needs at least two result files (oldest first)")
    if by is not None:
        if by not in AREA_LEVELS:
            raise InputError(f"cannot group by {by!r}: use one of {', '.join(AREA_LEVELS)}")
        for rnd in rounds:
            if not rnd.has(by):
                raise InputError(
                    f"{rnd.path.name} has no {by!r} column, needed by --by {by}: classify the "
                    "round again with a version that writes the place columns, or drop --by"
                )
    names = [r.name for r in rounds]
    rounds = tuple(
        attrs.evolve(r, name=f"{r.name} #{i + 1}") if names.count(r.name) > 1 else r
        for i, r in enumerate(rounds)
    )
    t = Transitions(rounds=rounds, by=by)
    keys = sorted(set(indicator_keys if indicator_keys is not None else known_indicator_keys()))
    indexed = [_index(r, t, lang) for r in rounds]
    vi = lang == "vi"
    for k in range(1, len(rounds)):
        prev, cur = rounds[k - 1], rounds[k]
        pair = f"{prev.name} → {cur.name}"
        t.pairs.append(pair)
        t.history[pair] = k >= 2
        a_rows, b_rows = indexed[k - 1], indexed[k]
        shared = [key for key in keys if prev.has(key) or cur.has(key)]
        for hid in dict.fromkeys([*b_rows, *a_rows]):
            a, b = a_rows.get(hid), b_rows.get(hid)
            place_row = b if b is not None else a
            assert place_row is not None  # hid comes from one of the two rounds
            place = {key: place_row.get(key) for key in t.place_keys}
            if a is None or b is None:
                cat = "chi_co_o_vong_sau" if a is None else "chi_co_o_vong_truoc"
                t.movements.append(Movement(pair, hid, place, cat, _outcome(a), _outcome(b)))
                continue
            earlier = [_status(indexed[j].get(hid)) for j in range(k - 1)]
            cat = _categorise(_status(a) or ERROR, _status(b) or ERROR, earlier)
            became, stopped, other = _indicator_changes(prev, cur, a, b, shared, lang)
            note = None
            if cat == "loi":
                note = "; ".join(str(r["error"]) for r in (a, b) if r.get("error"))
            elif cat in _MAYBE_REPOOR and not t.history[pair]:
                near = cat == "can_ngheo_phat_sinh_moi"
                note = (
                    f"có thể là hộ tái {'cận nghèo' if near else 'nghèo'}: chưa đủ lịch sử "
                    "(cần ≥ 3 vòng) để phân biệt"
                    if vi
                    else f"may be re-{'near-poor' if near else 'poor'}: not enough history "
                    "(needs ≥ 3 rounds) to tell"
                )
            t.movements.append(
                Movement(
                    pair,
                    hid,
                    place,
                    cat,
                    _outcome(a),
                    _outcome(b),
                    income_before=a.get(INCOME_COLUMN),
                    income_after=b.get(INCOME_COLUMN),
                    count_before=a.get("deprivation_count"),
                    count_after=b.get("deprivation_count"),
                    became_deprived=became,
                    no_longer_deprived=stopped,
                    other_changes=other,
                    note=note,
                )
            )
    return t


def transitions_files(
    paths: Sequence[str | Path], *, by: str | None = None, rules_root: Path | None = None, lang: str = "vi"
) -> Transitions:
    """Read the result files (oldest first) and compare them."""
    rounds = [read_round(p) for p in paths]
    return compare_rounds(rounds, by=by, indicator_keys=known_indicator_keys(rules_root), lang=lang)


# -- tables ----------------------------------------------------------------------------------------


def _history_note(lang: str) -> str:
    if lang == "vi":
        return (
            "chưa tách được hộ tái nghèo, tái cận nghèo (cần lịch sử ≥ 3 vòng): nếu có, chúng được tính "
            "vào hộ nghèo phát sinh mới, hộ cận nghèo trở thành hộ nghèo hoặc hộ cận nghèo phát sinh mới"
        )
    return (
        "re-poor and re-near-poor households cannot be told apart (needs ≥ 3 rounds of history): any are "
        "counted as newly poor, near-poor → poor or newly near-poor"
    )


def _categories_table(t: Transitions, lang: str) -> Table:
    columns = (
        Column("pair", "Các vòng", "Rounds"),
        Column("category", "Mã loại", "Category"),
        Column("label", "Loại", "Category name"),
        Column("households", "Số hộ", "Households"),
        Column("note", "Ghi chú", "Note"),
    )
    rows = []
    for pair in t.pairs:
        counts = t.counts(pair)
        for cat in CATEGORIES:
            note = cat.note(lang)
            count: int | None = counts.get(cat.id, 0)
            if cat.id in ("tai_ngheo", "tai_can_ngheo") and not t.history[pair]:
                count, note = None, _history_note(lang)
            rows.append((pair, cat.id, cat.label(lang), count, note))
    return Table("categories", "Tổng hợp theo loại", "Totals by category", columns, rows)


def _by_area_table(t: Transitions, lang: str) -> Table:
    keys = t.place_keys
    columns = (
        *place_columns(keys),
        Column("pair", "Các vòng", "Rounds"),
        Column("category", "Mã loại", "Category"),
        Column("label", "Loại", "Category name"),
        Column("households", "Số hộ", "Households"),
    )
    order = {c.id: i for i, c in enumerate(CATEGORIES)}
    cells: Counter[tuple[tuple[str, ...], str, str]] = Counter(
        (tuple(str(m.place.get(k) or "") for k in keys), m.pair, m.category) for m in t.movements
    )
    pair_order = {p: i for i, p in enumerate(t.pairs)}
    rows = [
        (*place_cells(unit, lang), pair, cat, category(cat).label(lang), n)
        for (unit, pair, cat), n in sorted(
            cells.items(), key=lambda kv: (kv[0][0], pair_order[kv[0][1]], order[kv[0][2]])
        )
    ]
    return Table("by_area", "Theo địa bàn", "By area", columns, rows)


def _households_table(t: Transitions, lang: str) -> Table:
    keys = t.place_keys
    columns = (
        Column("pair", "Các vòng", "Rounds"),
        Column("id", "Mã hộ", "Household id"),
        *place_columns(keys),
        Column("category", "Mã loại", "Category"),
        Column("label", "Loại", "Category name"),
        Column("class_before", "Lớp vòng trước", "Class, earlier round"),
        Column("class_after", "Lớp vòng sau", "Class, later round"),
        Column("income_before", "Thu nhập vòng trước", "Income, earlier round"),
        Column("income_after", "Thu nhập vòng sau", "Income, later round"),
        Column("deprivations_before", "Số thiếu hụt vòng trước", "Deprivations, earlier round"),
        Column("deprivations_after", "Số thiếu hụt vòng sau", "Deprivations, later round"),
        Column("became_deprived", "Chỉ số mới thiếu hụt", "Became deprived"),
        Column("no_longer_deprived", "Chỉ số hết thiếu hụt", "No longer deprived"),
        Column("other_indicator_changes", "Thay đổi chỉ số khác", "Other indicator changes"),
        Column("what_moved", "Điều làm thay đổi", "What moved it"),
        Column("note", "Ghi chú", "Note"),
    )
    rows = [
        (
            m.pair,
            m.household_id,
            *(m.place.get(k) for k in keys),
            m.category,
            category(m.category).label(lang),
            m.before,
            m.after,
            m.income_before,
            m.income_after,
            m.count_before,
            m.count_after,
            list(m.became_deprived),
            list(m.no_longer_deprived),
            list(m.other_changes),
            m.what_moved(lang),
            m.note,
        )
        for m in t.movements
    ]
    return Table("households", "Danh sách hộ", "Households", columns, rows)


def _errors_table(t: Transitions) -> Table:
    columns = (
        Column("round", "Vòng", "Round"),
        Column("file", "Tệp", "File"),
        Column("line", "Dòng trong tệp kết quả", "Line in the result file"),
        Column("row", "Dòng dữ liệu gốc", "Input row"),
        Column("id", "Mã hộ", "Household id"),
        Column("error", "Lỗi", "Error"),
    )
    return Table("errors", "Lỗi", "Errors", columns, t.errors)


def _summary_table(t: Transitions, lang: str) -> Table:
    vi = lang == "vi"
    items: list[tuple[str, str, Any]] = []

    def add(key: str, label_vi: str, label_en: str, value: Any) -> None:
        items.append((key, label_vi if vi else label_en, value))

    for rnd in t.rounds:
        std = ", ".join(t.standards(rnd)) or "?"
        add(
            "round",
            "Vòng",
            "Round",
            f"{rnd.name}: {rnd.path.name}, {len(rnd.rows):,} {'dòng' if vi else 'rows'}, {std}",
        )
    for pair in t.pairs:
        counts = t.counts(pair)
        linked = sum(n for c, n in counts.items() if not c.startswith("chi_co_o"))
        add(
            "pair",
            "Các vòng",
            "Rounds",
            f"{pair}: {'nối được' if vi else 'linked'} {linked:,}, "
            f"{'chỉ có ở vòng trước' if vi else 'only earlier'} {counts['chi_co_o_vong_truoc']:,}, "
            f"{'chỉ có ở vòng sau' if vi else 'only later'} {counts['chi_co_o_vong_sau']:,}",
        )
        if not t.history[pair]:
            add("history", "Tái nghèo", "Re-poverty", f"{pair}: {_history_note(lang)}")
    for rnd in t.rounds:
        if t.unlinkable[rnd.name]:
            see = "xem bảng Lỗi" if vi else "see Errors"
            add(
                "unlinkable",
                "Dòng không nối được",
                "Rows not linked",
                f"{rnd.name}: {t.unlinkable[rnd.name]:,} ({see})",
            )
    for cat in CATEGORIES:
        if not cat.verified:
            add("unverified", "Chưa xác minh", "Unverified", f"{cat.label(lang)}: {cat.note(lang)}")
    if t.by:
        add("by", "Nhóm theo địa bàn", "Grouped by", t.by)
    for warning in t.warnings(lang):
        add("warning", "Cảnh báo", "Warning", warning)
    columns = (
        Column("item", "Mục", "Item"),
        Column("label", "Nội dung", "Description"),
        Column("value", "Giá trị", "Value"),
    )
    return Table("summary", "Ghi chú", "Notes", columns, items)


def transitions_report(t: Transitions, lang: str = "vi") -> Report:
    """The transitions as a Report: notes, totals by category, per area (with ``by``), households, errors."""
    tables = [_summary_table(t, lang), _categories_table(t, lang)]
    if t.by is not None:
        tables.append(_by_area_table(t, lang))
    tables += [_households_table(t, lang), _errors_table(t)]
    meta = {
        "rounds": [
            {"name": r.name, "file": str(r.path), "rows": len(r.rows), "standards": t.standards(r)}
            for r in t.rounds
        ],
        "pairs": [
            {"pair": p, "repoverty_decidable": t.history[p], "counts": dict(t.counts(p))} for p in t.pairs
        ],
        "provisional": bool(t.provisional_rounds),
    }
    return Report("transitions", tables, primary="households", warnings=t.warnings(lang), meta=meta)


def render_transitions(t: Transitions, lang: str = "vi") -> str:
    """The text printed to stdout: per pair, the count of every category; notes; per area with ``by``."""
    lines = [f"! {w}" for w in t.warnings(lang)]
    table = _categories_table(t, lang)
    for pair in t.pairs:
        rows = [r[2:] for r in table.rows if r[0] == pair]
        sub = Table("categories", pair, pair, table.columns[2:], rows)
        lines += ["", render_table(sub, lang)]
    errors = len(t.errors)
    if errors:
        lines += ["", f"{'Lỗi' if lang == 'vi' else 'Errors'}: {errors:,}"]
    if t.by is not None:
        lines += ["", render_table(_by_area_table(t, lang), lang, max_rows=60)]
    return "\n".join(lines).lstrip("\n")
