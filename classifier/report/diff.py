"""Rule-change impact (`chuan-ngheo diff`): the same records under two standards, and who moves.

Every record is read once and classified under the *from* and the *to* standard (durable engine, with
traces). The report holds:

- the transition matrix from-class by to-class (``khong_du_du_lieu`` included as a class), overall and,
  with ``by``, per area unit (province, commune or village, from ``Household.place``);
- every household whose outcome changed, with the decisive difference computed from the two traces,
  never from knowledge of a particular standard: the thresholds of the rules that fired whose values
  differ between the standards (with the household's value, and whether it lies between them), the
  deprivation count and cut-off under each, the indicators deprived (or unknown) in one but not the
  other (indicators that exist in one standard only are named as added or removed), and a class that
  one standard does not define;
- how many households became decidable or undecidable;
- every record that could not be read or classified, with its errors (never dropped).

Nothing here names a legal number: thresholds come from the two rule sets.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import attrs

from classifier.api import classify
from classifier.errors import InputError, RecordError
from classifier.io import RawRecord
from classifier.io.survey import read_survey
from classifier.model import CANNOT_CLASSIFY, Classification, Household
from classifier.progress import Progress
from classifier.report.describe import format_value
from classifier.report.tables import Column, Report, Table, render_table
from classifier.report.vocabulary import poverty_status
from classifier.rules.conditions import compare_values
from classifier.rules.ruleset import RuleSet

__all__ = [
    "AREA_LEVELS",
    "ChangedHousehold",
    "ErrorRow",
    "Impact",
    "IndicatorChange",
    "ThresholdChange",
    "compare_households",
    "decisive_difference",
    "diff_file",
    "impact_report",
    "render_impact",
]

#: Area levels a report can group by, each with the place keys that identify one unit at that level
#: (village names repeat across communes, so a village is identified with its commune and province).
AREA_LEVELS: Mapping[str, tuple[str, ...]] = {
    "province": ("province",),
    "commune": ("province", "commune"),
    "village": ("province", "commune", "village"),
}
PLACE_LABELS = {
    "province": ("Tỉnh", "Province"),
    "commune": ("Xã", "Commune"),
    "village": ("Thôn", "Village"),
}
UNKNOWN_PLACE = {"vi": "(không rõ)", "en": "(unknown)"}

# Indicator states as compared between two standards.
DEPRIVED, NOT_DEPRIVED, UNKNOWN, ABSENT = "deprived", "not_deprived", "unknown", "absent"
_STATE_WORDS = {
    "vi": {
        DEPRIVED: "thiếu hụt",
        NOT_DEPRIVED: "không thiếu hụt",
        UNKNOWN: "chưa rõ",
        ABSENT: "không có trong chuẩn",
    },
    "en": {
        DEPRIVED: "deprived",
        NOT_DEPRIVED: "not deprived",
        UNKNOWN: "unknown",
        ABSENT: "not in the standard",
    },
}


@attrs.frozen
class ThresholdChange:
    """A threshold of a rule that fired (under either standard) whose value differs between them.

    ``from_value``/``to_value`` are None when that standard has no such parameter. ``crossed`` is True
    when the household's value satisfies the comparison against one value and not the other (it lies
    between them), None when one side is missing or the value unknown.
    """

    param: str
    fact: str
    op: str
    from_value: Any
    to_value: Any
    household_value: Any
    crossed: bool | None
    label_vi: str | None = None
    label_en: str | None = None

    def text(self, lang: str) -> str:
        """``income_line_rural 1,000 → 2,000; household 1,500/month`` (numbers as in the rule data)."""
        absent = "không có" if lang == "vi" else "none"
        values = " → ".join(
            format_value(v) if v is not None else f"({absent})" for v in (self.from_value, self.to_value)
        )
        who = "hộ" if lang == "vi" else "household"
        value = format_value(self.household_value) if self.household_value is not None else "?"
        return f"{self.param} {values}; {who} {value}{_per(self.fact, lang)}"

    def to_dict(self, lang: str) -> dict[str, Any]:
        """JSON form, with the sentence under ``text`` (what CSV/XLSX show)."""
        return {
            "param": self.param,
            "fact": self.fact,
            "op": self.op,
            "from": self.from_value,
            "to": self.to_value,
            "household": self.household_value,
            "crossed": self.crossed,
            "text": self.text(lang),
        }


@attrs.frozen
class IndicatorChange:
    """An indicator whose state differs between the standards (deprived / not / unknown / absent)."""

    id: str
    from_state: str
    to_state: str
    label_vi: str
    label_en: str

    @property
    def kind(self) -> str:
        """``added`` (only in the to-standard), ``removed`` (only in the from-standard) or ``changed``."""
        if self.from_state == ABSENT:
            return "added"
        if self.to_state == ABSENT:
            return "removed"
        return "changed"

    def text(self, lang: str) -> str:
        """``waste_handling: không có trong chuẩn → thiếu hụt (chỉ số mới)``."""
        words = _STATE_WORDS[lang]
        tag = {
            "added": {"vi": " (chỉ số mới)", "en": " (added)"},
            "removed": {"vi": " (chỉ số bị bỏ)", "en": " (removed)"},
        }.get(self.kind, {}).get(lang, "")
        return f"{self.id}: {words[self.from_state]} → {words[self.to_state]}{tag}"

    def to_dict(self, lang: str) -> dict[str, Any]:
        """JSON form, with the sentence under ``text``."""
        return {
            "indicator": self.id,
            "label": self.label_vi if lang == "vi" else self.label_en,
            "from": self.from_state,
            "to": self.to_state,
            "kind": self.kind,
            "text": self.text(lang),
        }


@attrs.frozen
class ChangedHousehold:
    """One household whose outcome differs between the two standards, and why."""

    household_id: str
    place: Mapping[str, str]
    area: str | None
    income_per_capita_month: Any
    from_outcome: str
    to_outcome: str
    from_count: int
    to_count: int
    from_unknown: int
    to_unknown: int
    from_cutoff: int | None
    to_cutoff: int | None
    thresholds: tuple[ThresholdChange, ...]
    indicators: tuple[IndicatorChange, ...]
    class_not_in_other: tuple[tuple[str, str], ...]  # (class id, standard id that lacks it)
    # True when the rule data declare the two classes the same (``same_as``): a relabel, not a move.
    relabel: bool = False

    @property
    def status_changed(self) -> bool:
        """Whether poor / near-poor / neither / undecidable changed (not only the class id)."""
        return poverty_status(self.from_outcome) != poverty_status(self.to_outcome)

    def decisive(self, lang: str) -> str:
        """One sentence: what moved this household (see the module docstring)."""
        vi = lang == "vi"
        if self.relabel:
            return (
                f"chỉ đổi tên lớp: {self.from_outcome} và {self.to_outcome} được khai báo là cùng một lớp"
                if vi
                else f"relabel only: {self.from_outcome} and {self.to_outcome} are declared the same class"
            )
        parts = [
            (f"lớp {cls} không có trong {std}" if vi else f"class {cls} does not exist in {std}")
            for cls, std in self.class_not_in_other
        ]
        crossed = [t for t in self.thresholds if t.crossed]
        shown = crossed or [t for t in self.thresholds if t.crossed is None]
        parts += [t.text(lang) for t in shown]
        cut = (
            f"{self.from_cutoff}"
            if self.from_cutoff == self.to_cutoff
            else f"{self.from_cutoff} → {self.to_cutoff}"
        )
        count = (
            f"thiếu hụt {self.from_count} → {self.to_count} (ngưỡng {cut})"
            if vi
            else f"deprivations {self.from_count} → {self.to_count} (cut-off {cut})"
        )
        if self.from_unknown or self.to_unknown:
            count += (
                f", chưa rõ {self.from_unknown} → {self.to_unknown}"
                if vi
                else f", unknown {self.from_unknown} → {self.to_unknown}"
            )
        moved = [i.text(lang) for i in self.indicators]
        parts.append(count + (": " + ", ".join(moved) if moved else ""))
        return "; ".join(parts)


@attrs.frozen
class ErrorRow:
    """One problem with one record; ``standard`` is set when only classifying under it failed."""

    source: str | None
    row: int | None
    record_id: str | None
    standard: str | None
    field: str
    value: Any
    expected: str
    message: str


@attrs.define
class Impact:
    """Everything the diff found; turned into tables by :func:`impact_report`."""

    from_standard: RuleSet
    to_standard: RuleSet
    by: str | None = None
    reference_date: dt.date | None = None
    read: int = 0
    compared: int = 0
    errored: int = 0
    matrix: Counter[tuple[str, str]] = attrs.field(factory=Counter)
    by_unit: dict[tuple[str, ...], Counter[tuple[str, str]]] = attrs.field(factory=dict)
    # Real moves only; households whose classes the rule data declare the same (``same_as``) are in
    # ``relabelled``.
    changed: list[ChangedHousehold] = attrs.field(factory=list)
    relabelled: list[ChangedHousehold] = attrs.field(factory=list)
    errors: list[ErrorRow] = attrs.field(factory=list)

    @property
    def became_decidable(self) -> int:
        """Households undecidable under the from-standard and classified under the to-standard."""
        return sum(n for (a, b), n in self.matrix.items() if a == CANNOT_CLASSIFY and b != CANNOT_CLASSIFY)

    @property
    def became_undecidable(self) -> int:
        """Households classified under the from-standard and undecidable under the to-standard."""
        return sum(n for (a, b), n in self.matrix.items() if a != CANNOT_CLASSIFY and b == CANNOT_CLASSIFY)

    @property
    def provisional(self) -> bool:
        """Whether either standard is provisional (then every output carries the warning)."""
        return self.from_standard.provisional or self.to_standard.provisional

    def warnings(self, lang: str = "vi") -> tuple[str, ...]:
        """The standards' own warnings, plus a Vietnamese one for a provisional standard."""
        out: list[str] = []
        for rs in (self.from_standard, self.to_standard):
            if rs.provisional and lang == "vi":
                out.append(
                    f"CẢNH BÁO: {rs.id} là chuẩn tạm thời — một phần nội dung chưa được đối chiếu với "
                    "văn bản gốc; kết quả chỉ để tham khảo"
                )
            out.extend(w for w in rs.warnings if w not in out)
        return tuple(out)


# -- computing -------------------------------------------------------------------------------------


def _state(deprived: bool | None) -> str:
    return DEPRIVED if deprived is True else NOT_DEPRIVED if deprived is False else UNKNOWN


def _per(fact: str, lang: str) -> str:
    if fact.endswith("_month"):
        return "/tháng" if lang == "vi" else "/month"
    if fact.endswith("_year"):
        return "/năm" if lang == "vi" else "/year"
    return ""


def _param_value(ruleset: RuleSet, param: str) -> Any:
    found = ruleset.parameters.get(param)
    return found.value if found is not None else None


def decisive_difference(
    household: Household,
    before: Classification,
    after: Classification,
    from_standard: RuleSet,
    to_standard: RuleSet,
) -> ChangedHousehold:
    """What differs between the two results of one household, from their traces alone."""
    if before.trace is None or after.trace is None:
        raise ValueError("decisive_difference needs results classified with trace=True")
    # Thresholds: every parameter a fired (or candidate) rule compared against, under either standard.
    seen: dict[str, Any] = {}
    for margin in (*before.trace.margins, *after.trace.margins):
        if margin.param is not None and margin.param not in seen:
            seen[margin.param] = margin
    thresholds = []
    for param, margin in seen.items():
        old, new = _param_value(from_standard, param), _param_value(to_standard, param)
        if old == new:
            continue
        value = margin.value
        crossed: bool | None = None
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (old, new, value))
        if numbers:
            crossed = compare_values(margin.op, value, old) != compare_values(margin.op, value, new)
        spec = from_standard.parameters.get(param) or to_standard.parameters.get(param)
        thresholds.append(
            ThresholdChange(
                param,
                margin.fact,
                margin.op,
                old,
                new,
                value,
                crossed,
                spec.label_vi if spec else None,
                spec.label_en if spec else None,
            )
        )
    # Indicators: states under each; absent from one standard is a state of its own.
    old_steps = {s.id: s for s in before.trace.indicators}
    new_steps = {s.id: s for s in after.trace.indicators}
    indicators = []
    for ind_id in dict.fromkeys([*old_steps, *new_steps]):
        old_step, new_step = old_steps.get(ind_id), new_steps.get(ind_id)
        a = _state(old_step.deprived) if old_step else ABSENT
        b = _state(new_step.deprived) if new_step else ABSENT
        # An indicator added or removed that is not deprived changes nothing: leave it out.
        if a == b or {a, b} == {ABSENT, NOT_DEPRIVED}:
            continue
        step = old_step or new_step
        assert step is not None  # one of the two exists by construction of the key list
        indicators.append(IndicatorChange(ind_id, a, b, step.label_vi, step.label_en))
    missing = []
    if before.outcome != CANNOT_CLASSIFY and before.outcome not in to_standard.classes:
        missing.append((before.outcome, to_standard.id))
    if not missing and after.outcome != CANNOT_CLASSIFY and after.outcome not in from_standard.classes:
        missing.append((after.outcome, from_standard.id))
    return ChangedHousehold(
        household_id=household.id,
        place=dict(household.place),
        area=household.area,
        income_per_capita_month=household.income_per_capita_month,
        from_outcome=before.outcome,
        to_outcome=after.outcome,
        from_count=before.deprivation_count,
        to_count=after.deprivation_count,
        from_unknown=before.unknown_count,
        to_unknown=after.unknown_count,
        from_cutoff=before.trace.deprivation_cutoff,
        to_cutoff=after.trace.deprivation_cutoff,
        thresholds=tuple(thresholds),
        indicators=tuple(indicators),
        class_not_in_other=tuple(missing),
        relabel=from_standard.same_class(before.outcome, to_standard, after.outcome),
    )


def _unit(place: Mapping[str, str], by: str) -> tuple[str, ...]:
    return tuple(place.get(key, "") or "" for key in AREA_LEVELS[by])


def _errors_of(record: RawRecord, errors: Sequence[RecordError], standard: str | None) -> Iterator[ErrorRow]:
    raw_id = record.raw.get("id") if isinstance(record.raw, Mapping) else None
    for e in errors:
        rid = e.record_id if e.record_id is not None else (str(raw_id) if raw_id not in (None, "") else None)
        yield ErrorRow(
            e.source or record.source,
            e.row if e.row is not None else record.row,
            rid,
            standard,
            e.field,
            e.value,
            e.expected,
            e.message,
        )


def compare_households(
    parsed: Iterable[tuple[RawRecord, Household | list[RecordError]]],
    from_standard: RuleSet,
    to_standard: RuleSet,
    *,
    reference_date: dt.date | None = None,
    by: str | None = None,
    progress: Progress | None = None,
) -> Impact:
    """Classify each parsed record under both standards and collect the impact."""
    if by is not None and by not in AREA_LEVELS:
        raise InputError(f"cannot group by {by!r}: use one of {', '.join(AREA_LEVELS)}")
    impact = Impact(from_standard, to_standard, by=by, reference_date=reference_date)
    for record, household in parsed:
        impact.read += 1
        if progress is not None:
            progress.update(impact.read)
        if not isinstance(household, Household):
            impact.errored += 1
            impact.errors.extend(_errors_of(record, household, None))
            continue
        results: list[Classification] = []
        failed = False
        for standard in (from_standard, to_standard):
            try:
                results.append(
                    classify(household, standard, reference_date=reference_date, engine="durable", trace=True)
                )
            except InputError as exc:
                failed = True
                impact.errors.extend(
                    _errors_of(
                        record,
                        exc.errors or [RecordError(household.id, "<record>", None, str(exc))],
                        standard.id,
                    )
                )
        if failed:
            impact.errored += 1
            continue
        before, after = results
        impact.compared += 1
        cell = (before.outcome, after.outcome)
        impact.matrix[cell] += 1
        if by is not None:
            impact.by_unit.setdefault(_unit(household.place, by), Counter())[cell] += 1
        if before.outcome != after.outcome:
            change = decisive_difference(household, before, after, from_standard, to_standard)
            if change.relabel:
                impact.relabelled.append(change)
            else:
                impact.changed.append(change)
    if progress is not None:
        progress.close()
    return impact


def diff_file(
    input_path: Path,
    *,
    from_standard: RuleSet,
    to_standard: RuleSet,
    members_path: Path | None = None,
    reference_date: dt.date | None = None,
    by: str | None = None,
    rules_root: Path | None = None,
    quiet: bool = True,
    err: TextIO | None = None,
) -> Impact:
    """Read ``input_path`` once (with its members file) and compare the two standards on it."""
    if by is not None and by not in AREA_LEVELS:
        raise InputError(f"cannot group by {by!r}: use one of {', '.join(AREA_LEVELS)}")
    parsed = read_survey(
        input_path,
        from_standard,
        rules_root=rules_root,
        members_path=members_path,
        reference_date=reference_date,
    )
    progress = Progress(None, label="diff", stream=err, quiet=quiet)
    return compare_households(
        parsed, from_standard, to_standard, reference_date=reference_date, by=by, progress=progress
    )


# -- tables ----------------------------------------------------------------------------------------


def _ordered_classes(ruleset: RuleSet, seen: Iterable[str]) -> list[str]:
    """The standard's classes by rank, then the undecidable outcome, then anything else seen."""
    out = [c.id for c in sorted(ruleset.classes.values(), key=lambda c: c.rank)] + [CANNOT_CLASSIFY]
    out += sorted(set(seen) - set(out))
    return out


def _matrix_table(impact: Impact, lang: str) -> Table:
    vi = lang == "vi"
    a, b = impact.from_standard, impact.to_standard
    rows_ids = _ordered_classes(a, (k[0] for k in impact.matrix))
    cols_ids = _ordered_classes(b, (k[1] for k in impact.matrix))
    columns = [
        Column("from_class", f"{a.id} \\ {b.id}", f"{a.id} \\ {b.id}"),
        Column("from_label", "Lớp theo chuẩn cũ", "Class under the old standard"),
    ]
    columns += [Column(c, b.class_label(c, "vi"), b.class_label(c, "en")) for c in cols_ids]
    columns.append(Column("total", "Tổng", "Total"))
    rows = []
    for r in rows_ids:
        counts = [impact.matrix.get((r, c), 0) for c in cols_ids]
        rows.append((r, a.class_label(r, lang), *counts, sum(counts)))
    totals = [sum(impact.matrix.get((r, c), 0) for r in rows_ids) for c in cols_ids]
    rows.append(("total", "Tổng" if vi else "Total", *totals, sum(totals)))
    return Table("matrix", "Ma trận chuyển dịch", "Transition matrix", tuple(columns), rows)


def place_columns(keys: Sequence[str]) -> list[Column]:
    """The report columns of these place keys (province, commune, village), labelled in both languages."""
    return [Column(k, PLACE_LABELS[k][0], PLACE_LABELS[k][1]) for k in keys]


def place_cells(values: Sequence[str], lang: str) -> list[str]:
    """The cells of a unit's place values, an empty one shown as unknown (in ``lang``)."""
    return [v or UNKNOWN_PLACE[lang] for v in values]


def _changed_table(impact: Impact, lang: str) -> Table:
    a, b = impact.from_standard, impact.to_standard
    columns = (
        Column("id", "Mã hộ", "Household id"),
        *place_columns(AREA_LEVELS["village"]),
        Column("area", "Khu vực", "Area"),
        Column(
            "income_per_capita_month", "Thu nhập bình quân đầu người/tháng", "Income per person per month"
        ),
        Column("from_class", f"Lớp theo {a.id}", f"Class under {a.id}"),
        Column("from_label", f"Tên lớp theo {a.id}", f"Class name under {a.id}"),
        Column("to_class", f"Lớp theo {b.id}", f"Class under {b.id}"),
        Column("to_label", f"Tên lớp theo {b.id}", f"Class name under {b.id}"),
        Column("status_changed", "Đổi diện nghèo/cận nghèo", "Poor/near-poor status changed"),
        Column("relabel", "Chỉ đổi tên lớp", "Relabel only"),
        Column("deprivations_from", f"Số thiếu hụt theo {a.id}", f"Deprivations under {a.id}"),
        Column("deprivations_to", f"Số thiếu hụt theo {b.id}", f"Deprivations under {b.id}"),
        Column("cutoff_from", f"Ngưỡng thiếu hụt {a.id}", f"Deprivation cut-off {a.id}"),
        Column("cutoff_to", f"Ngưỡng thiếu hụt {b.id}", f"Deprivation cut-off {b.id}"),
        Column("unknown_from", f"Chỉ số chưa rõ theo {a.id}", f"Unknown indicators under {a.id}"),
        Column("unknown_to", f"Chỉ số chưa rõ theo {b.id}", f"Unknown indicators under {b.id}"),
        Column("thresholds", "Ngưỡng khác nhau (giá trị của hộ)", "Thresholds that differ (household value)"),
        Column("indicators", "Chỉ số khác nhau", "Indicators that differ"),
        Column("decisive", "Khác biệt quyết định", "Decisive difference"),
    )
    rows = [
        (
            c.household_id,
            *(c.place.get(k) for k in AREA_LEVELS["village"]),
            c.area,
            c.income_per_capita_month,
            c.from_outcome,
            a.class_label(c.from_outcome, lang),
            c.to_outcome,
            b.class_label(c.to_outcome, lang),
            c.status_changed,
            c.relabel,
            c.from_count,
            c.to_count,
            c.from_cutoff,
            c.to_cutoff,
            c.from_unknown,
            c.to_unknown,
            [t.to_dict(lang) for t in c.thresholds],
            [i.to_dict(lang) for i in c.indicators],
            c.decisive(lang),
        )
        # Real moves first, then the relabels the rule data declare (same_as).
        for c in (*impact.changed, *impact.relabelled)
    ]
    return Table("changed", "Hộ thay đổi", "Households that change class", columns, rows)


def _by_area_table(impact: Impact, lang: str) -> Table:
    assert impact.by is not None  # only built when grouping was asked for
    a, b = impact.from_standard, impact.to_standard
    columns = (
        *place_columns(AREA_LEVELS[impact.by]),
        Column("from_class", f"Lớp theo {a.id}", f"Class under {a.id}"),
        Column("from_label", f"Tên lớp theo {a.id}", f"Class name under {a.id}"),
        Column("to_class", f"Lớp theo {b.id}", f"Class under {b.id}"),
        Column("to_label", f"Tên lớp theo {b.id}", f"Class name under {b.id}"),
        Column("households", "Số hộ", "Households"),
    )
    order_a = {c: i for i, c in enumerate(_ordered_classes(a, (k[0] for k in impact.matrix)))}
    order_b = {c: i for i, c in enumerate(_ordered_classes(b, (k[1] for k in impact.matrix)))}
    rows = []
    for unit in sorted(impact.by_unit):
        cells = impact.by_unit[unit]
        for x, y in sorted(cells, key=lambda k: (order_a[k[0]], order_b[k[1]])):
            rows.append(
                (
                    *place_cells(unit, lang),
                    x,
                    a.class_label(x, lang),
                    y,
                    b.class_label(y, lang),
                    cells[(x, y)],
                )
            )
    return Table("by_area", "Theo địa bàn", "By area", columns, rows)


def _unit_summary_table(impact: Impact, lang: str) -> Table:
    """Per unit: households compared, how many change class, status, decidability (printed to stdout)."""
    assert impact.by is not None
    columns = (
        *place_columns(AREA_LEVELS[impact.by]),
        Column("households", "Số hộ", "Households"),
        Column("changed", "Đổi lớp (không kể đổi tên lớp)", "Change class (relabels excluded)"),
        Column("status_changed", "Đổi diện nghèo/cận nghèo", "Poor/near-poor status changed"),
        Column("became_decidable", "Trở nên phân loại được", "Became decidable"),
        Column("became_undecidable", "Trở nên không phân loại được", "Became undecidable"),
    )
    rows = []
    for unit in sorted(impact.by_unit):
        cells = impact.by_unit[unit]
        rows.append(
            (
                *place_cells(unit, lang),
                sum(cells.values()),
                sum(
                    n
                    for (x, y), n in cells.items()
                    if x != y and not impact.from_standard.same_class(x, impact.to_standard, y)
                ),
                sum(n for (x, y), n in cells.items() if poverty_status(x) != poverty_status(y)),
                sum(n for (x, y), n in cells.items() if x == CANNOT_CLASSIFY != y),
                sum(n for (x, y), n in cells.items() if x != CANNOT_CLASSIFY == y),
            )
        )
    return Table("by_area_summary", "Tóm tắt theo địa bàn", "Summary by area", columns, rows)


def _errors_table(impact: Impact) -> Table:
    columns = (
        Column("source", "Tệp", "File"),
        Column("row", "Dòng", "Row"),
        Column("id", "Mã hộ", "Household id"),
        Column("standard", "Chuẩn", "Standard"),
        Column("field", "Trường", "Field"),
        Column("value", "Giá trị", "Value"),
        Column("expected", "Yêu cầu", "Expected"),
        Column("message", "Lỗi", "Error"),
    )
    rows = [
        (
            e.source,
            e.row,
            e.record_id,
            e.standard,
            e.field,
            None if e.value is None else str(e.value),
            e.expected,
            e.message,
        )
        for e in impact.errors
    ]
    return Table("errors", "Lỗi", "Errors", columns, rows)


def _summary_table(impact: Impact, lang: str) -> Table:
    vi = lang == "vi"
    a, b = impact.from_standard, impact.to_standard
    status_changed = sum(1 for c in impact.changed if c.status_changed)
    items: list[tuple[str, str, str, Any]] = [
        ("from_standard", "Chuẩn cũ", "From standard", f"{a.id} ({a.status}, digest {a.short_digest})"),
        ("to_standard", "Chuẩn mới", "To standard", f"{b.id} ({b.status}, digest {b.short_digest})"),
        ("provisional", "Có chuẩn tạm thời", "A standard is provisional", impact.provisional),
        (
            "reference_date",
            "Ngày tham chiếu",
            "Reference date",
            impact.reference_date.isoformat()
            if impact.reference_date
            else ("ngày của từng bản ghi, nếu không thì hôm nay" if vi else "each record's, else today"),
        ),
        ("read", "Số bản ghi đã đọc", "Records read", impact.read),
        ("compared", "Số hộ so sánh được", "Households compared", impact.compared),
        ("errored", "Số bản ghi lỗi (xem bảng Lỗi)", "Records with errors (see Errors)", impact.errored),
        (
            "changed",
            "Số hộ đổi lớp (không kể đổi tên lớp)",
            "Households that change class (relabels excluded)",
            len(impact.changed),
        ),
        (
            "relabelled",
            "Số hộ chỉ đổi tên lớp (lớp tương ứng khai báo trong dữ liệu quy tắc)",
            "Households only relabelled (corresponding classes declared in the rule data)",
            len(impact.relabelled),
        ),
        (
            "status_changed",
            "Số hộ đổi diện nghèo/cận nghèo",
            "Households whose poor/near-poor status changes",
            status_changed,
        ),
        ("became_decidable", "Trở nên phân loại được", "Became decidable", impact.became_decidable),
        (
            "became_undecidable",
            "Trở nên không phân loại được",
            "Became undecidable",
            impact.became_undecidable,
        ),
        ("by", "Nhóm theo địa bàn", "Grouped by", impact.by or ""),
    ]
    items += [("warning", "Cảnh báo", "Warning", w) for w in impact.warnings(lang)]
    columns = (
        Column("item", "Mục", "Item"),
        Column("label", "Nội dung", "Description"),
        Column("value", "Giá trị", "Value"),
    )
    rows = [(key, vi_label if vi else en_label, value) for key, vi_label, en_label, value in items]
    return Table("summary", "Ghi chú", "Notes", columns, rows)


def impact_report(impact: Impact, lang: str = "vi") -> Report:
    """The diff as a Report: notes, matrix, changed households, per area (with ``by``), errors."""
    tables = [_summary_table(impact, lang), _matrix_table(impact, lang), _changed_table(impact, lang)]
    if impact.by is not None:
        tables.append(_by_area_table(impact, lang))
    tables.append(_errors_table(impact))
    sides = {"from_standard": impact.from_standard, "to_standard": impact.to_standard}
    meta = {
        **{key: {"id": r.id, "digest": r.digest, "provisional": r.provisional} for key, r in sides.items()},
        "provisional": impact.provisional,
        "counts": {
            "read": impact.read,
            "compared": impact.compared,
            "errored": impact.errored,
            "changed": len(impact.changed),
            "relabelled": len(impact.relabelled),
            "became_decidable": impact.became_decidable,
            "became_undecidable": impact.became_undecidable,
        },
    }
    return Report("diff", tables, primary="changed", warnings=impact.warnings(lang), meta=meta)


def render_impact(impact: Impact, lang: str = "vi") -> str:
    """The text printed to stdout: the matrix, the counts, per-unit summary (with ``by``), errors count."""
    vi = lang == "vi"
    a, b = impact.from_standard, impact.to_standard
    lines = [f"{a.id} → {b.id}"]
    lines += [f"! {w}" for w in impact.warnings(lang)]
    lines += ["", render_table(_wrapped(_matrix_table(impact, lang)), lang, fmt="simple")]
    status_changed = sum(1 for c in impact.changed if c.status_changed)
    if vi:
        lines += [
            "",
            f"Đã đọc {impact.read:,} = so sánh {impact.compared:,} + lỗi {impact.errored:,}",
            f"Đổi lớp: {len(impact.changed):,} (đổi diện nghèo/cận nghèo: {status_changed:,}); "
            f"chỉ đổi tên lớp: {len(impact.relabelled):,}",
            f"Trở nên phân loại được: {impact.became_decidable:,}; "
            f"trở nên không phân loại được: {impact.became_undecidable:,}",
        ]
    else:
        lines += [
            "",
            f"Read {impact.read:,} = compared {impact.compared:,} + errors {impact.errored:,}",
            f"Change class: {len(impact.changed):,} "
            f"(poor/near-poor status changes: {status_changed:,}); "
            f"relabel only: {len(impact.relabelled):,}",
            f"Became decidable: {impact.became_decidable:,}; "
            f"became undecidable: {impact.became_undecidable:,}",
        ]
    if impact.by is not None:
        lines += ["", render_table(_unit_summary_table(impact, lang), lang, max_rows=50)]
    return "\n".join(lines)


def _wrapped(table: Table, width: int = 18) -> Table:
    """Long class labels as several header lines, so the matrix fits a terminal."""
    import textwrap

    columns = tuple(
        Column(c.id, textwrap.fill(c.vi, width), textwrap.fill(c.en, width)) for c in table.columns
    )
    rows = [(r[0], textwrap.fill(str(r[1]), 28), *r[2:]) for r in table.rows]
    return Table(table.key, table.title_vi, table.title_en, columns, rows)
