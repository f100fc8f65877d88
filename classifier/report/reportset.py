"""The report set of one commune: read and classify a round (and the previous one), compute every table.

This is the adapter between today's inputs (households files, classified here through the public
API) and the templates; a register can build the same :class:`~classifier.report.frame.Frame` and
call :func:`compute_report_set` directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from classifier.api import classify_many, load_standard
from classifier.errors import InputError
from classifier.io import known_indicator_keys, parse_records
from classifier.io.survey import read_survey
from classifier.model import Classification, Household
from classifier.report.frame import Frame, build_frame, pseudonymise_frame
from classifier.report.templates import ComputedTable, TableTemplate, compute_table, load_templates
from classifier.rules.ruleset import RuleSet

__all__ = ["ReportSet", "Round", "classify_round", "compute_report_set", "load_round", "write_report_set"]

UNCONFIRMED = (
    "Các biểu được dựng lại theo mẫu Excel của một tỉnh; việc đối chiếu với số hiệu biểu mẫu "
    "trong Công báo (Thông tư 07/2021/TT-BLĐTBXH, sửa đổi bởi Thông tư 02/2022/TT-BLĐTBXH) "
    "chưa được xác nhận."
)


@attrs.frozen
class Round:
    """One review round's households and their results (trace kept for the papers)."""

    households: tuple[Household, ...]
    results: tuple[Classification, ...]
    ruleset: RuleSet

    def pairs(self) -> list[tuple[Household, Classification | None]]:
        return list(zip(self.households, self.results, strict=True))


@attrs.frozen
class ReportSet:
    """Every computed table with what the header block needs."""

    tables: tuple[ComputedTable, ...]
    skipped: tuple[tuple[str, str], ...]  # (template id, why)
    commune: str | None
    reference_date: dt.date | None
    standard: RuleSet
    frame: Frame


def load_round(
    path: Path,
    members: Path | None,
    ruleset: RuleSet,
    commune: str | None,
    reference_date: dt.date | None = None,
    rules_root: Path | None = None,
) -> Round:
    """Read (with the columns of ``rules_root``, the folder ``ruleset`` comes from), type and classify a
    households file; records with errors stop the report (listed by id)."""
    households: list[Household] = []
    errors = []
    for _record, result in read_survey(path, ruleset, rules_root=rules_root, members_path=members):
        if isinstance(result, list):
            errors.extend(result)
            continue
        households.append(result)
    if errors:
        raise InputError(
            f"{path.name}: {len(errors)} error(s) in the records; fix them before the reports "
            f"(`chuan-ngheo classify` writes them all): {errors[0]}",
            errors,
        )
    return classify_round(households, ruleset, commune, reference_date)


def register_round(
    register: Any, name: str, ruleset: RuleSet, commune: str | None, rules_root: Path | None = None
) -> Round:
    """A round of the register (``chuan-ngheo round …``): its records typed again (flags: of every
    standard under ``rules_root``, the folder ``ruleset`` comes from) and classified with traces; refused
    when a result differs from the one the register keeps (the rules changed since ``round classify``:
    classify the round again first), so reports never contradict the register."""
    from classifier.io.records import RawRecord

    stored = register.households(name)
    raws = [RawRecord(raw=dict(h.answers), row=i, source=f"round {name}") for i, h in enumerate(stored, 1)]
    households = []
    keys = known_indicator_keys(rules_root)
    for _raw, result in parse_records(raws, catalogue=ruleset.facts, indicator_keys=keys):
        if isinstance(result, list):
            raise InputError(f"round {name}: a stored record no longer reads ({result[0]})", result)
        households.append(result)
    unclassified = [h.code for h in stored if h.outcome is None]
    if unclassified:
        raise InputError(
            f"round {name}: {len(unclassified)} household(s) not classified yet (e.g. "
            f"{unclassified[0]}): run `chuan-ngheo round classify {name}` first"
        )
    current = classify_round(households, ruleset, commune)
    kept = {h.record_id: h.outcome for h in stored}
    differ = [
        h.id for h, r in zip(current.households, current.results, strict=True) if r.outcome != kept.get(h.id)
    ]
    if differ:
        raise InputError(
            f"round {name}: {len(differ)} result(s) differ from the register's (e.g. record "
            f"{differ[0]}); the rules changed since: run `chuan-ngheo round classify {name}`"
        )
    return current


def classify_round(
    households: Sequence[Household],
    ruleset: RuleSet,
    commune: str | None,
    reference_date: dt.date | None = None,
) -> Round:
    """Classify (with traces) the households of one commune."""
    communes = sorted({h.place.get("commune") or "" for h in households})
    if commune is None and len(communes) > 1:
        raise InputError(
            f"the file holds {len(communes)} communes ({', '.join(communes)}): choose one "
            "with --commune (reports and papers are issued by one commune)"
        )
    chosen = [h for h in households if commune is None or h.place.get("commune") == commune]
    if not chosen:
        raise InputError(f"no household of commune {commune!r} (communes in the file: {', '.join(communes)})")
    results = tuple(classify_many(chosen, ruleset, reference_date=reference_date, trace=True))
    return Round(tuple(chosen), results, ruleset)


def compute_report_set(
    current: Round,
    previous: Round | None = None,
    templates: Sequence[TableTemplate] | None = None,
    *,
    pseudonym: Callable[[str, str], str] | None = None,
    earlier: Sequence[Round] = (),
    departures: Mapping[str, str] | None = None,
) -> ReportSet:
    """Every template computed over the round; tables needing the previous round are skipped without it."""
    ruleset = current.ruleset
    frame = build_frame(
        current.pairs(),
        ruleset.indicator_ids,
        previous.pairs() if previous is not None else None,
        earlier=[r.pairs() for r in earlier],
        departures=departures,
    )
    if pseudonym is not None:
        frame = pseudonymise_frame(frame, pseudonym)
    tables = []
    skipped = []
    for template in templates if templates is not None else load_templates():
        if "previous" in template.requires and not frame.has_previous:
            skipped.append((template.id, "cần kết quả vòng rà soát trước (--previous)"))
            continue
        tables.append(compute_table(template, frame))
    first = current.households[0]
    dates = {h.reference_date for h in current.households if h.reference_date}
    return ReportSet(
        tuple(tables),
        tuple(skipped),
        first.place.get("commune"),
        max(dates) if dates else None,
        ruleset,
        frame,
    )


def standard_of(name: str | None, rules_dir: Path | None) -> RuleSet:
    """The standard by id (default nd-07-2021)."""
    return load_standard(name or "nd-07-2021", rules_dir)


def describe(report: ReportSet) -> dict[str, Any]:
    """A small summary for the command line: tables and their row counts (no personal data)."""
    return {"tables": [(t.template.id, len(t.rows)) for t in report.tables], "skipped": list(report.skipped)}


def write_report_set(report: ReportSet, path: Path, inputs: Sequence[Path | None] = ()) -> None:
    """Write ``report`` as ``path``'s suffix says: .xlsx (the tables with the column-code row), .pdf
    (print-ready) or else the HTML report with charts; never over one of ``inputs``. The one place that
    picks the writer for `report tables|html` and the web's report download; each library loads only
    when used."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from classifier.report.forms_xlsx import write_report_xlsx

        write_report_xlsx(report, path, inputs)
    elif suffix == ".pdf":
        from classifier.report.forms_pdf import write_report_pdf

        write_report_pdf(report, path, inputs)
    else:
        from classifier.report.html import write_report_html

        write_report_html(report, path, inputs)
