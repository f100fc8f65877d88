"""`chuan-ngheo round new|import|classify|status|export|depart|log` and `chuan-ngheo report measures`.

Kept out of ``classifier/cli.py`` (which only registers these parsers) so the database libraries load
only when a register command runs.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from classifier.cli import _date  # the command line's one date argument type
from classifier.errors import InputError

__all__ = ["add_measures_parser", "add_round_parser", "cmd_measures", "cmd_round", "export_rows"]

EXAMPLES = """\
examples (one command per step of a review round, on the bundled two-round sample):
  chuan-ngheo round new 2025 --year 2025 --reference-date 2025-11-01
  chuan-ngheo round import 2025 classifier/data/sample/rounds/ho-2025.json
  chuan-ngheo round classify 2025
  chuan-ngheo round new 2026 --year 2026 --reference-date 2026-11-01
  chuan-ngheo round import 2026 classifier/data/sample/rounds/ho-2026.json
  chuan-ngheo round depart 2026 HPH-0010 --reason moved_out
  chuan-ngheo round classify 2026
  chuan-ngheo round status 2026 --previous 2025 --by village
  chuan-ngheo round export 2026 -o ket-qua-2026.xlsx --pseudonymise
"""


def _who() -> str:
    return os.environ.get("CHUAN_NGHEO_USER") or getpass.getuser()


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        type=Path,
        default=None,
        help="register file (SQLite; default: register.sqlite in the current folder)",
    )
    p.add_argument(
        "--db-url", default=None, help="database URL instead of a file, e.g. postgresql://user@host/register"
    )
    p.add_argument(
        "--who",
        default=None,
        help="who is making the change, for the change log (default: $CHUAN_NGHEO_USER or the login)",
    )


def add_round_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `round ...` under ``sub``."""
    r = sub.add_parser(
        "round",
        help="the register of review rounds: new, import, classify, status, export",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rsub = r.add_subparsers(dest="round_command", required=True, metavar="ACTION")

    n = rsub.add_parser("new", help="open a review round")
    n.add_argument("name", help="the round's name, e.g. 2026 or 2026-05 for a monthly review")
    n.add_argument("--year", type=int, required=True, help="the year of the review")
    n.add_argument(
        "--kind",
        choices=("periodic", "regular"),
        default="periodic",
        help="periodic (yearly, default) or regular (monthly, on a household's request)",
    )
    n.add_argument("--standard", default="nd-07-2021", help="standard id (default: nd-07-2021)")
    n.add_argument(
        "--reference-date", type=_date, required=True, help="date ages are computed at, YYYY-MM-DD"
    )
    n.add_argument("--rules-dir", type=Path, default=None, help="rules root folder")
    _add_db(n)

    i = rsub.add_parser("import", help="add or update the households of a round from a file")
    i.add_argument("name", help="the round")
    i.add_argument("input", type=Path, help="households file: .json, .jsonl, .csv, .xlsx")
    i.add_argument("--members", type=Path, default=None, help="members file for a two-file CSV input")
    i.add_argument(
        "--errors", type=Path, default=None, help="write the refused records' problems to this CSV"
    )
    i.add_argument("--quiet", action="store_true", help="no progress output")
    i.add_argument("--rules-dir", type=Path, default=None, help="rules root folder")
    _add_db(i)

    c = rsub.add_parser("classify", help="classify every household of a round (earlier results are kept)")
    c.add_argument("name", help="the round")
    c.add_argument("--no-trace", action="store_true", help="do not store the explanation traces")
    c.add_argument("--quiet", action="store_true", help="no progress output")
    c.add_argument("--rules-dir", type=Path, default=None, help="rules root folder")
    _add_db(c)

    s = rsub.add_parser("status", help="counts of a round; with --previous, the movement tables")
    s.add_argument("name", nargs="?", default=None, help="the round (default: list every round)")
    s.add_argument("--previous", default=None, help="an earlier round: print the movements since it")
    s.add_argument("--by", choices=("province", "commune", "village"), default=None, help="rows per unit")
    s.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="with --previous: write the movement tables to .xlsx, .json or .csv (one file per table)",
    )
    _add_db(s)

    e = rsub.add_parser("export", help="a round's households and results to .csv or .xlsx")
    e.add_argument("name", help="the round")
    e.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help=".xlsx (households and members sheets) or .csv (plus <name>.members.csv)",
    )
    e.add_argument(
        "--previous",
        default=None,
        help="an earlier round: adds each household's movement and label (nghèo cũ/mới/tái nghèo)",
    )
    e.add_argument(
        "--pseudonymise",
        action="store_true",
        help="replace names and identity numbers by stable keyed pseudonyms",
    )
    _add_db(e)

    d = rsub.add_parser("depart", help="record why a household of an earlier round is not in this one")
    d.add_argument("name", help="the (later) round the household is missing from")
    d.add_argument("household", help="the household code")
    d.add_argument("--reason", required=True, help="moved_out, merged, dissolved or missing")
    _add_db(d)

    lg = rsub.add_parser("log", help="the change log (who, when, field, old -> new, reason)")
    lg.add_argument("name", nargs="?", default=None, help="only this round")
    lg.add_argument("--household", default=None, help="only this household code")
    lg.add_argument(
        "--show-values",
        action="store_true",
        help="print old and new values (they may be personal data; off by default)",
    )
    _add_db(lg)


def _open(args: argparse.Namespace) -> Any:
    from classifier.register import Register

    return Register.open(db=args.db, db_url=args.db_url)


def _progress(label: str, quiet: bool, err: TextIO) -> tuple[Any, Any]:
    from classifier.progress import Progress

    bar = Progress(None, label=label, stream=err, quiet=quiet)

    def update(done: int, total: int | None) -> None:
        bar.total = total
        bar.update(done)

    return bar, update


def cmd_round(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run one `round` action; exit 1 when some records were refused (they are listed)."""
    who = args.who or _who()
    with _open(args) as reg:
        action = args.round_command
        if action == "new":
            info = reg.new_round(
                args.name,
                year=args.year,
                kind=args.kind,
                standard=args.standard,
                reference_date=args.reference_date,
                who=who,
                rules_root=args.rules_dir,
            )
            out.write(
                f"round {info.name} opened: {info.kind}, {info.standard} (rules {info.rules_digest[:12]}), "
                f"reference date {info.reference_date}\n"
            )
            return 0
        if action == "import":
            _check_errors_file(args)
            bar, update = _progress("import", args.quiet, err)
            summary = reg.import_file(
                args.name,
                args.input,
                members_path=args.members,
                who=who,
                rules_root=args.rules_dir,
                progress=update,
            )
            bar.close()
            out.write(
                f"round {args.name}: {summary.added} added, {summary.changed} changed, "
                f"{summary.unchanged} unchanged, {len(summary.errors)} problem(s)\n"
            )
            return _report_errors(summary.errors, args.errors, err, [args.input, args.members])
        if action == "classify":
            bar, update = _progress("classify", args.quiet, err)
            result = reg.classify(
                args.name, who=who, trace=not args.no_trace, rules_root=args.rules_dir, progress=update
            )
            bar.close()
            counts = ", ".join(f"{k} {v}" for k, v in sorted(result.outcomes.items()))
            out.write(
                f"round {args.name}: {result.classified} classified, {result.current} already current, "
                f"{result.failed} refused; {counts}\n"
            )
            return _report_errors(result.errors, None, err)
        if action == "status":
            return _status(reg, args, out)
        if action == "export":
            written = export_round(
                reg,
                args.name,
                args.output,
                previous=args.previous,
                pseudonymise=args.pseudonymise,
                inputs=[getattr(args, "db", None)],
            )
            out.write(f"wrote {', '.join(str(p) for p in written)}\n")
            return 0
        if action == "depart":
            reg.record_departure(args.name, args.household, args.reason, who=who)
            out.write(f"round {args.name}: household {args.household} recorded as {args.reason}\n")
            return 0
        for entry in reg.change_log(args.name, args.household):
            values = f": {entry.old!r} -> {entry.new!r}" if args.show_values else ""
            out.write(
                f"{entry.at:%Y-%m-%d %H:%M:%S} {entry.who} [{entry.round or '-'}] "
                f"{entry.household or '-'} {entry.field}{values} ({entry.reason})\n"
            )
        return 0


def _check_errors_file(args: argparse.Namespace) -> None:
    """`round import --errors` naming the file imported (or its members file) is refused before the
    import: the errors would be written over the survey data (classifier/io/outputs.py)."""
    from classifier.io.outputs import OutputFiles

    if args.errors is not None:
        OutputFiles([args.errors], [args.input, args.members]).check()


def _report_errors(
    errors: Sequence[Any], path: Path | None, err: TextIO, inputs: Sequence[Path | None] = ()
) -> int:
    if not errors:
        return 0
    for error in errors[:20]:
        err.write(f"  {error}\n")  # personal values are withheld by RecordError itself
    if len(errors) > 20:
        err.write(f"  ... and {len(errors) - 20} more{'' if path else ' (see --errors FILE)'}\n")
    if path is not None:
        from classifier.io.outputs import write_file
        from classifier.io.writers import ErrorsFile

        def write(tmp: Path) -> None:
            with ErrorsFile(tmp) as errors_file:  # the file classify writes (BOM, CRLF: Excel reads it)
                errors_file.write(errors)

        write_file(path, write, inputs)
        err.write(f"wrote {path}\n")
    return 1


def _status(reg: Any, args: argparse.Namespace, out: TextIO) -> int:
    from collections import Counter

    from tabulate import tabulate

    if args.output is not None and not args.previous:
        raise InputError("round status -o writes the movement tables: give --previous ROUND too")
    if args.name is None:
        rows = [
            (
                r.name,
                r.year,
                r.kind,
                r.standard,
                r.rules_digest[:12],
                r.reference_date,
                r.status,
                len(reg.households(r.name)),
            )
            for r in reg.rounds()
        ]
        headers = ("round", "year", "kind", "standard", "rules", "reference date", "status", "households")
        out.write(tabulate(rows, headers=headers) + "\n")
        return 0
    info = reg.round(args.name)
    households = reg.households(args.name)
    outcomes = Counter(h.outcome or "(not classified)" for h in households)
    out.write(
        f"round {info.name} ({info.kind}, {info.year}), {info.standard}, rules {info.rules_digest[:12]}, "
        f"status {info.status}: {len(households)} households, "
        f"{sum(h.member_count or 0 for h in households)} persons\n"
    )
    out.write(tabulate(sorted(outcomes.items()), headers=("outcome", "households")) + "\n")
    stale = sum(1 for h in households if h.outcome is not None and not h.current)
    if stale:
        out.write(
            f"{stale} household(s) changed since their last result: run `chuan-ngheo round classify "
            f"{info.name}`\n"
        )
    if args.previous:
        from classifier.register.movements import round_movements, table_rows

        movements = round_movements(reg, args.previous, args.name, by=args.by)
        for warning in movements.warnings:
            out.write(f"warning: {warning}\n")
        if args.output is not None:
            from classifier.register.movements import movements_report
            from classifier.report.tables import write_report

            written = write_report(movements_report(movements), args.output)
            out.write(f"wrote {', '.join(str(p) for p in written)}\n")
        for table in (movements.poor, movements.near_poor):
            title = "hộ nghèo" if table.kind == "poor" else "hộ cận nghèo"
            out.write(f"\nbiến động {title} {args.previous} → {args.name} (hộ / nhân khẩu)\n")
            cells = [
                [row["unit"], *(f"{row[c + '_households']}/{row[c + '_persons']}" for c in table.columns)]
                for row in table_rows(table)
            ]
            out.write(
                tabulate(cells, headers=("unit", *[f"[{i}] {c}" for i, c in enumerate(table.columns, 1)]))
                + "\n"
            )
    return 0


def export_rows(
    reg: Any, round_name: str, *, previous: str | None = None, pseudonymise: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The export of a round: one row per household, one per member (names/CCCD pseudonymised on request)."""
    from classifier.io.admin import admin_catalogue, is_ethnic_minority, pseudonym

    admin = admin_catalogue()
    info = reg.round(round_name)
    key = reg.pseudonym_key() if pseudonymise else b""
    labels: dict[str, Any] = {}
    if previous is not None:
        from classifier.register.movements import round_movements

        labels = {m.code: m for m in round_movements(reg, previous, round_name).households}

    def shown(spec_name: str, level: str, value: Any) -> Any:
        spec = admin.field(level, spec_name)
        if value is None or not pseudonymise or spec.pseudonymise is None:
            return ";".join(value) if isinstance(value, list) else value
        return pseudonym(key, spec.pseudonymise, str(value))

    households: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    for h in reg.households(round_name):
        row: dict[str, Any] = {
            "round": info.name,
            "household_code": h.code,
            "id": h.record_id,
            **h.place,
            "area": h.area,
            "member_count": h.member_count,
        }
        for name in admin.household:
            if name != "household_code":
                row[name] = shown(name, "household", h.answers.get(name))
        row["ethnic_minority"] = is_ethnic_minority(h.answers.get("ethnicity"))
        row["classification"] = h.outcome
        row["deprivation_count"] = h.deprivation_count
        row["unknown_count"] = h.unknown_count
        for indicator, deprived in h.indicators.items():
            row[indicator] = None if deprived is None else int(deprived)
        row["rules_digest"] = h.rules_digest
        row["results_kept"] = h.results
        row["version"] = h.version
        if previous is not None:
            movement = labels.get(h.code)
            row["poor_movement"] = movement.poor_column if movement else None
            row["near_poor_movement"] = movement.near_poor_column if movement else None
            row["label"] = movement.label_text("vi") if movement else None
        households.append(row)
        for number, member in enumerate(h.answers.get("members") or [], start=1):
            item = {"household_code": h.code, "member_no": number, "member_id": member.get("id")}
            for name in admin.member:
                item[name] = shown(name, "member", member.get(name))
            item["birth_date"] = member.get("birth_date")
            members.append(item)
    return households, members


def export_round(
    reg: Any,
    round_name: str,
    output: Path,
    *,
    previous: str | None = None,
    pseudonymise: bool = False,
    inputs: Sequence[Path | None] = (),
) -> list[Path]:
    """Write the export to ``output`` (.xlsx with two sheets, or .csv plus ``<stem>.members.csv``),
    guarded like classify's outputs (not over one of ``inputs``, locked, written together)."""
    from classifier.io.outputs import OutputFiles
    from classifier.io.writers import excel_safe_cell, xlsx_text

    households, members = export_rows(reg, round_name, previous=previous, pseudonymise=pseudonymise)
    suffix = output.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(f"export {output.name}: expected a .csv or .xlsx file")
    if not output.parent.is_dir():
        raise InputError(f"output folder does not exist: {output.parent}")
    tables = [("households", households), ("members", members)]
    targets = [output] if suffix == ".xlsx" else [output, output.with_name(f"{output.stem}.members.csv")]
    with OutputFiles(targets, inputs) as files:
        # Survey text (ids, names, villages) may start like a formula: Excel must show it, not run it.
        if suffix == ".xlsx":
            from openpyxl import Workbook

            workbook = Workbook(write_only=True)
            for title, rows in tables:
                sheet = workbook.create_sheet(title)
                columns = _columns(rows)
                sheet.append(columns)
                for row in rows:
                    sheet.append([xlsx_text(sheet, row.get(c)) for c in columns])
            workbook.save(files.temp(output))
        else:
            for (_, rows), path in zip(tables, targets, strict=True):
                with files.temp(path).open("w", encoding="utf-8-sig", newline="") as handle:
                    writer = csv.DictWriter(handle, fieldnames=_columns(rows))
                    writer.writeheader()
                    writer.writerows({k: excel_safe_cell(v) for k, v in row.items()} for row in rows)
        files.commit()
    return targets


def _columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for row in rows for k in row)) or ["household_code"]


# -- report measures ----------------------------------------------------------------------------------


def add_measures_parser(rsub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `report measures` under the `report` command's actions."""
    m = rsub.add_parser(
        "measures",
        help="poverty rates and Alkire–Foster measures (H, A, M0, per indicator) per unit",
        epilog="examples:\n  chuan-ngheo classify classifier/data/sample/commune.json -o results.csv\n"
        "  chuan-ngheo report measures results.csv --input classifier/data/sample/commune.json --by village "
        "-o measures.csv\n  chuan-ngheo report measures --round 2026 --by village -o measures.xlsx",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    m.add_argument(
        "results",
        type=Path,
        nargs="?",
        default=None,
        help="result file of `chuan-ngheo classify` (.csv, .jsonl, .xlsx); or use --round",
    )
    m.add_argument(
        "--input",
        type=Path,
        default=None,
        help="the households file the results were made from (for member counts)",
    )
    m.add_argument("--members", type=Path, default=None, help="its members file (two-file CSV)")
    m.add_argument("--round", default=None, help="a round of the register instead of a result file")
    m.add_argument("--by", choices=("province", "commune", "village"), default=None, help="one row per unit")
    m.add_argument(
        "--weight",
        choices=("households", "persons"),
        default="households",
        help="weigh households equally (default) or by their members",
    )
    m.add_argument(
        "--standard",
        default=None,
        help="standard of the results (default: the results' own, else nd-07-2021)",
    )
    m.add_argument("--rules-dir", type=Path, default=None, help="rules root folder")
    m.add_argument("-o", "--output", type=Path, default=None, help=".csv, .json or .xlsx (default: print)")
    m.add_argument("--format", choices=("csv", "json", "xlsx"), default=None, help="output format")
    m.add_argument("--lang", choices=("vi", "en"), default="vi", help="language of titles (default: vi)")
    _add_db(m)


def cmd_measures(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Compute and print (and write) the measures."""
    from tabulate import tabulate

    from classifier.api import load_standard
    from classifier.report.measures import (
        compute_measures,
        cutoff_of,
        inputs_from_register,
        inputs_from_results,
        measures_report,
    )
    from classifier.report.tables import report_format, write_report

    if (args.results is None) == (args.round is None):
        raise InputError("report measures needs a result file or --round NAME (one of the two)")
    if args.output is not None:
        report_format(args.output, args.format)
    if args.round is not None:
        with _open(args) as reg:
            info = reg.round(args.round)
            ruleset = load_standard(args.standard or info.standard, args.rules_dir)
            rows = inputs_from_register(reg, args.round, by=args.by)
    else:
        standard = args.standard
        if standard is None:
            from classifier.report.transitions import read_round

            first = next((r for r in read_round(args.results).rows if r.get("standard")), None)
            standard = str(first["standard"]) if first else "nd-07-2021"
        ruleset = load_standard(standard, args.rules_dir)
        rows = inputs_from_results(
            args.results,
            ruleset,
            by=args.by,
            input_path=args.input,
            members_path=args.members,
            rules_root=args.rules_dir,
        )
    measures = compute_measures(
        rows,
        indicators=ruleset.indicator_ids,
        cutoff=cutoff_of(ruleset),
        weight=args.weight,
        by_unit=args.by is not None,
    )
    shown = (
        "unit",
        "households",
        "persons",
        "poor",
        "near_poor",
        "rate_poor",
        "rate_near_poor",
        "rate_multidimensional",
        "af_unknown",
        "H",
        "A",
        "M0",
    )
    out.write(tabulate([[m[c] for c in shown] for m in measures], headers=shown) + "\n")
    report = measures_report(measures, ruleset, by=args.by, weight=args.weight)
    for warning in report.warnings:
        err.write(f"warning: {warning}\n")
    if args.output is not None:
        written = write_report(report, args.output, fmt=args.format, lang=args.lang)
        err.write(f"wrote {', '.join(str(p) for p in written)}\n")
    return 0
