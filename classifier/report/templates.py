"""The report set as data: one YAML template per table, loaded, checked and computed over a frame.

A template (``classifier/data/report_templates/*.yaml``, or a folder given with ``--templates``) has::

    id: overall                  # file stem by default
    order: 1                     # position in the report set
    form: "Biểu 01 (?)"          # the form it resembles; the mapping to the gazette is unconfirmed
    title: "KẾT QUẢ ..."         # printed title; `subtitle` optional
    page: A4 | A3                # landscape either way
    level: households | members | movements   # what a row of the frame is
    where: "poor or near_poor"   # optional filter (a formula)
    requires: [previous]         # optional: needs the previous round (movement tables)
    kind: summary | list
    rows: {by: [area_label, village], total: "Tổng cộng"}       # summary tables
    group_by: village                                            # list tables
    columns:
      - {code: "1", label: "Tổng số hộ", group: "Hộ", sum: "household"}
      - {code: "4", label: "Tỷ lệ (%)", formula: "pct([3], [1])", digits: 2}
      - {code: "3", label: "Họ và tên", value: "name"}            # list tables
      - {code: "a", label: "...", sum: "...", hidden: true}      # computed, checked, not printed
    checks:
      - {label: "Cuối kỳ = đầu kỳ − giảm + tăng", rule: "[9] == [1] - [2] + [5]"}

Every summary table checks its identities when computed: each total or subtotal row equals the sum of
the rows under it (column by column, computed independently), and every ``checks`` rule holds on
every row. A list checks that it lists every household its filter selects. A failed check raises
:class:`ReportCheckError` naming the table, row and values: a report that does not add up is never
written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import yaml

from classifier.errors import ChuanNgheoError, InputError
from classifier.report import expr
from classifier.report.frame import Frame
from classifier.rules.yamlload import safe_load_text

__all__ = [
    "ComputedRow",
    "ComputedTable",
    "ReportCheckError",
    "TableTemplate",
    "compute_table",
    "default_templates_dir",
    "load_templates",
]

LEVELS = ("households", "members", "movements")
UNKNOWN_GROUP = "(không rõ)"


class ReportCheckError(ChuanNgheoError):
    """A computed table breaks one of its identities: a bug or an inconsistent input, never printed."""

    exit_code = 4


@attrs.frozen
class ColumnSpec:
    code: str
    label: str
    group: str | None
    sum: expr.Node | None
    formula: expr.Node | None
    value: expr.Node | None
    digits: int
    width: float
    hidden: bool = False


@attrs.frozen
class CheckSpec:
    label: str
    rule: expr.Node
    text: str


@attrs.frozen
class TableTemplate:
    """One table of the report set, parsed and checked against the frame's variables."""

    id: str
    order: int
    form: str | None
    title: str
    subtitle: str | None
    page: str
    level: str
    kind: str
    where: expr.Node | None
    requires: tuple[str, ...]
    by: tuple[str, ...]
    total_label: str
    group_by: str | None
    columns: tuple[ColumnSpec, ...]
    checks: tuple[CheckSpec, ...]
    notes: tuple[str, ...]
    source: str


@attrs.frozen
class ComputedRow:
    label: str
    depth: int  # 0 total, 1.. groups; for lists 0 = group header, 1 = a line
    values: Mapping[str, Any]
    kind: str  # total | group | line | header


@attrs.frozen
class ComputedTable:
    template: TableTemplate
    rows: tuple[ComputedRow, ...]
    notes: tuple[str, ...]
    checks_passed: tuple[str, ...]


def default_templates_dir() -> Path:
    """The templates shipped with the package."""
    return Path(str(resources.files("classifier.data") / "report_templates"))


def _err(source: str, message: str) -> InputError:
    return InputError(f"report template {source}: {message}")


def _formula(source: str, where: str, text: Any) -> expr.Node:
    try:
        return expr.parse(text)
    except InputError as exc:
        raise _err(source, f"{where}: {exc}") from None


def _column(source: str, raw: Any, kind: str) -> ColumnSpec:
    if not isinstance(raw, Mapping) or "code" not in raw or "label" not in raw:
        raise _err(source, f"column {raw!r}: expected a mapping with at least `code` and `label`")
    code = str(raw["code"])
    exprs = {
        k: _formula(source, f"column [{code}] {k}", raw[k]) for k in ("sum", "formula", "value") if k in raw
    }
    if len(exprs) != 1:
        raise _err(source, f"column [{code}]: give exactly one of `sum`, `formula` or `value`")
    if kind == "list" and "value" not in exprs:
        raise _err(source, f"column [{code}]: a list table's columns take `value`")
    if kind == "summary" and "value" in exprs:
        raise _err(source, f"column [{code}]: a summary table's columns take `sum` or `formula`")
    return ColumnSpec(
        code=code,
        label=str(raw["label"]),
        group=raw.get("group"),
        sum=exprs.get("sum"),
        formula=exprs.get("formula"),
        value=exprs.get("value"),
        digits=int(raw.get("digits", 2)),
        width=float(raw.get("width", 1)),
        hidden=bool(raw.get("hidden", False)),
    )


def parse_template(data: Any, source: str) -> TableTemplate:
    """A template from its YAML mapping; every formula parsed and every reference checked."""
    if not isinstance(data, Mapping):
        raise _err(source, "expected a mapping at the top level")
    for key in ("title", "columns"):
        if key not in data:
            raise _err(source, f"missing `{key}`")
    kind = str(data.get("kind", "summary"))
    level = str(data.get("level", "members" if kind == "list" else "households"))
    if kind not in ("summary", "list"):
        raise _err(source, f"kind {kind!r}: expected summary or list")
    if level not in LEVELS:
        raise _err(source, f"level {level!r}: expected one of {', '.join(LEVELS)}")
    page = str(data.get("page", "A4"))
    if page not in ("A4", "A3"):
        raise _err(source, f"page {page!r}: expected A4 or A3")
    columns = tuple(_column(source, c, kind) for c in data["columns"])
    codes = [c.code for c in columns]
    if len(set(codes)) != len(codes):
        raise _err(source, f"column codes repeat: {codes}")
    for col in columns:
        if col.formula is not None and (missing := expr.refs(col.formula) - set(codes)):
            raise _err(source, f"column [{col.code}] refers to unknown column(s) {sorted(missing)}")
    checks = []
    for raw in data.get("checks") or ():
        if not isinstance(raw, Mapping) or "rule" not in raw:
            raise _err(source, f"check {raw!r}: expected a mapping with `rule`")
        node = _formula(source, "check", raw["rule"])
        if missing := expr.refs(node) - set(codes):
            raise _err(source, f"check {raw['rule']!r} refers to unknown column(s) {sorted(missing)}")
        checks.append(CheckSpec(label=str(raw.get("label", raw["rule"])), rule=node, text=str(raw["rule"])))
    rows = data.get("rows") or {}
    return TableTemplate(
        id=str(data.get("id") or Path(source).stem),
        order=int(data.get("order", 99)),
        form=data.get("form"),
        title=str(data["title"]),
        subtitle=data.get("subtitle"),
        page=page,
        level=level,
        kind=kind,
        where=_formula(source, "where", data["where"]) if data.get("where") else None,
        requires=tuple(data.get("requires") or ()),
        by=tuple(rows.get("by") or ()),
        total_label=str(rows.get("total", "Tổng cộng")),
        group_by=data.get("group_by"),
        columns=columns,
        checks=tuple(checks),
        notes=tuple(str(n) for n in data.get("notes") or ()),
        source=source,
    )


def load_templates(folder: Path | None = None) -> list[TableTemplate]:
    """Every ``*.yaml`` template of ``folder`` (default: the package's), in report order."""
    folder = folder or default_templates_dir()
    if not folder.is_dir():
        raise InputError(f"templates folder {folder}: not a folder")
    out = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = safe_load_text(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise _err(path.name, f"not valid YAML: {exc}") from None
        out.append(parse_template(data, path.name))
    if not out:
        raise InputError(f"templates folder {folder}: no *.yaml template")
    ids = [t.id for t in out]
    if len(set(ids)) != len(ids):
        raise InputError(f"templates folder {folder}: template ids repeat: {ids}")
    return sorted(out, key=lambda t: (t.order, t.id))


def _check_names(template: TableTemplate, frame: Frame) -> None:
    known = frame.variables(template.level)
    nodes = [template.where] + [c.sum or c.formula or c.value for c in template.columns]
    nodes += [c.rule for c in template.checks]
    used = set().union(*(expr.names(n) for n in nodes if n is not None)) | set(template.by)
    if template.group_by:
        used.add(template.group_by)
    if unknown := used - known:
        raise _err(
            template.source, f"unknown variable(s) {sorted(unknown)}; known: {', '.join(sorted(known))}"
        )


def _select(template: TableTemplate, frame: Frame) -> list[Mapping[str, Any]]:
    rows = frame.rows(template.level)
    if template.where is None:
        return list(rows)
    try:
        return [r for r in rows if expr.evaluate(template.where, r)]
    except InputError as exc:
        raise _err(template.source, f"where: {exc}") from None


def compute_table(template: TableTemplate, frame: Frame) -> ComputedTable:
    """The table's rows over ``frame``, with its identities checked (ReportCheckError if broken)."""
    _check_names(template, frame)
    if "previous" in template.requires and not frame.has_previous:
        raise InputError(f"table {template.id}: needs the previous round (give the earlier round's file)")
    selected = _select(template, frame)
    if template.kind == "list":
        return _compute_list(template, frame, selected)
    return _compute_summary(template, selected, frame)


def _sums(
    template: TableTemplate, rows: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], dict[str, int]]:
    values: dict[str, Any] = {}
    unknown: dict[str, int] = {}
    for col in template.columns:
        if col.sum is None:
            continue
        total: int | float = 0
        missing = 0
        for row in rows:
            v = expr.evaluate(col.sum, row)
            if v is None:
                missing += 1
            else:
                total += int(v) if isinstance(v, bool) else v
        values[col.code] = total if missing < len(rows) or not rows else None
        unknown[col.code] = missing
    return values, unknown


def _formulas(template: TableTemplate, values: dict[str, Any]) -> None:
    pending = [c for c in template.columns if c.formula is not None]
    while pending:
        ready = [c for c in pending if expr.refs(c.formula or expr.Const(0)) <= values.keys()]
        if not ready:
            raise _err(
                template.source, f"columns {[c.code for c in pending]} refer to each other in a circle"
            )
        for col in ready:
            values[col.code] = expr.evaluate(col.formula or expr.Const(0), {}, values)
            pending.remove(col)


def _groups(rows: Sequence[Mapping[str, Any]], key: str) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        value = row.get(key)
        out.setdefault(UNKNOWN_GROUP if value is None else str(value), []).append(row)
    return out


def _compute_summary(
    template: TableTemplate, selected: list[Mapping[str, Any]], frame: Frame
) -> ComputedTable:
    out: list[ComputedRow] = []
    unknown_total: dict[str, int] = {}
    passed: list[str] = []

    def node(label: str, rows: list[Mapping[str, Any]], depth: int) -> dict[str, Any]:
        values, unknown = _sums(template, rows)
        if depth == 0:
            unknown_total.update(unknown)
        index = len(out)
        out.append(ComputedRow(label, depth, values, "total" if depth == 0 else "group"))
        if depth < len(template.by):
            children = [node(k, v, depth + 1) for k, v in _groups(rows, template.by[depth]).items()]
            _check_sum(template, label, values, children)
        _formulas(template, values)
        out[index] = attrs.evolve(out[index], values=dict(values))
        return values

    node(template.total_label, selected, 0)
    if template.by:
        passed.append("mỗi dòng tổng = tổng các dòng thành phần")
    for check in template.checks:
        for row in out:
            ok = expr.evaluate(check.rule, {}, row.values)
            if ok is None:
                continue
            if not ok:
                shown = {c: row.values.get(c) for c in sorted(expr.refs(check.rule), key=_code_key)}
                raise ReportCheckError(
                    f"table {template.id}, row {row.label!r}: check {check.text!r} fails "
                    f"({check.label}); values {shown}"
                )
        passed.append(check.label)
    notes = list(template.notes) + list(frame.notes if template.level == "movements" else ())
    missing = [
        f"cột [{c.code}] {unknown_total[c.code]} {_unit(template)}"
        for c in template.columns
        if not c.hidden and unknown_total.get(c.code)
    ]
    if missing:
        notes.append("Chưa có dữ liệu, không được tính: " + "; ".join(missing) + ".")
    return ComputedTable(template, tuple(out), tuple(notes), tuple(passed))


def _unit(template: TableTemplate) -> str:
    return "người" if template.level == "members" else "hộ"


def _code_key(code: str) -> tuple[int, str]:
    return (int(code), "") if code.isdigit() else (10**9, code)


def _check_sum(
    template: TableTemplate, label: str, values: Mapping[str, Any], children: Sequence[Mapping[str, Any]]
) -> None:
    for col in template.columns:
        if col.sum is None:
            continue
        parts = [c[col.code] for c in children if c.get(col.code) is not None]
        expected = sum(parts) if parts or not children else None
        if values.get(col.code) != expected:
            raise ReportCheckError(
                f"table {template.id}, row {label!r}, column [{col.code}]: total "
                f"{values.get(col.code)} != sum of its rows {expected}"
            )


def _compute_list(template: TableTemplate, frame: Frame, selected: list[Mapping[str, Any]]) -> ComputedTable:
    """A list: one line per member, or one per household without a member list (never dropped)."""
    if template.level != "members":
        raise _err(template.source, "a list table has level: members")
    households = [h for h in frame.households if template.where is None or expr.evaluate(template.where, h)]
    by_household: dict[str, list[Mapping[str, Any]]] = {}
    for m in selected:
        by_household.setdefault(m["id"], []).append(m)
    key = template.group_by
    lines: list[Mapping[str, Any]] = []
    no = 0
    for chosen in (_groups(households, key) if key else {"": households}).values():
        for h in chosen:  # numbered in print order: village by village
            no += 1
            members = by_household.get(h["id"]) or [
                {**h, **dict.fromkeys(_member_keys(), None), "member_no": 0}
            ]
            lines.extend({**m, "household_no": no} for m in members)
    out: list[ComputedRow] = []
    groups = _groups(lines, key) if key else {"": lines}
    for label, rows in groups.items():
        if key:
            out.append(ComputedRow(label, 0, {}, "header"))
        for row in rows:
            out.append(
                ComputedRow(
                    "",
                    1,
                    {c.code: expr.evaluate(c.value or expr.Const(None), row) for c in template.columns},
                    "line",
                )
            )
    listed = {row["id"] for row in lines}
    if len(listed) != len(households):
        raise ReportCheckError(
            f"table {template.id}: lists {len(listed)} households, its filter selects {len(households)}"
        )
    if len(selected) > len(lines):
        raise ReportCheckError(f"table {template.id}: {len(selected)} members selected, {len(lines)} listed")
    notes = [*template.notes, f"Số hộ trong danh sách: {len(households)}; số dòng: {len(lines)}."]
    return ComputedTable(template, tuple(out), tuple(notes), ("mọi hộ được chọn đều có trong danh sách",))


def _member_keys() -> set[str]:
    from classifier.report.frame import MEMBER_VARIABLES

    return set(MEMBER_VARIABLES) - {"household_no"}
