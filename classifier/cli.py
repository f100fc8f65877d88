"""The `chuan-ngheo` command line: parse arguments, call the API, map errors to exit codes.

Exit codes: 0 all records classified; 1 some records had errors (they are still in the output);
2 bad usage, unreadable input or a problem of the machine (disk full, no permission, output locked by
another run); 3 broken rule files; 4 engine failure (a bug); 130 Ctrl-C, 128+n another stopping signal
(SIGTERM 143, SIGHUP 129). Every command can be run in-process through ``main(argv)``, which is how
the tests drive it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import errno
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import attrs

from classifier.errors import ChuanNgheoError, EngineError, InputError, RuleFileError

__all__ = ["main"]

EXIT_OK = 0
EXIT_RECORD_ERRORS = 1
EXIT_USAGE = 2

EXAMPLES = """\
examples (each runs from the repository root on the bundled sample):
  chuan-ngheo classify classifier/data/sample/commune.json -o results.csv
  chuan-ngheo classify classifier/data/sample/households.csv --members classifier/data/sample/members.csv \\
      -o results.xlsx --reference-date 2026-11-01
  chuan-ngheo explain classifier/data/sample/commune.json --household H000017
  chuan-ngheo explain classifier/data/sample/commune.jsonl --household H000017 --lang en --what-if
  chuan-ngheo rules check rules/nd-07-2021
  chuan-ngheo rules show nd-07-2021
  chuan-ngheo rules new my-province --from nd-07-2021
  chuan-ngheo diff classifier/data/sample/commune.json --from nd-07-2021 --to nd-351-2025 \\
      --by commune -o impact.xlsx
  chuan-ngheo classify classifier/data/sample/commune.jsonl -o results-2025.csv
  chuan-ngheo transitions results-2025.csv results.csv --by village -o transitions.xlsx
  chuan-ngheo user add admin --role officer && chuan-ngheo serve
  chuan-ngheo report tables classifier/data/sample/commune.json --commune "Xã Hợp Hưng" -o bao-cao.pdf
"""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _add_rules_dir(p: argparse.ArgumentParser, why: str = "") -> None:
    p.add_argument(
        "--rules-dir",
        type=Path,
        default=None,
        help=f"rules root folder{why} (default: the repository's rules/)",
    )


def _add_reference_date(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--reference-date",
        type=_date,
        default=None,
        help="date at which ages are computed, YYYY-MM-DD (default: the record's, else today)",
    )


def _add_report_output(p: argparse.ArgumentParser, by_help: str) -> None:
    """Options shared by the report commands (diff, transitions)."""
    p.add_argument("--by", choices=("province", "commune", "village"), default=None, help=by_help)
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="report file: .csv (one file per table), .json or .xlsx (default: print only)",
    )
    p.add_argument(
        "--format",
        choices=("csv", "json", "xlsx"),
        default=None,
        help="report format (default: from the output file's extension)",
    )
    p.add_argument("--lang", choices=("vi", "en"), default="vi", help="language of labels (default: vi)")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--standard",
        default=None,
        help="standard id, e.g. nd-07-2021 (default: nd-07-2021, or the one --list-year picks; "
        "see `rules list`)",
    )
    p.add_argument(
        "--list-year",
        type=int,
        default=None,
        help="the year the list will serve (the review of late 2026 makes the 2027 list); picks "
        "the national standard valid that year when --standard is not given",
    )
    _add_rules_dir(p)
    _add_reference_date(p)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and the tests)."""
    parser = argparse.ArgumentParser(
        prog="chuan-ngheo",
        description="Classify households under Vietnam's multidimensional poverty standard "
        "(hộ nghèo, hộ cận nghèo, hộ có mức sống trung bình) and explain every result.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser(
        "classify",
        help="classify every household of a file",
        epilog="example:\n  chuan-ngheo classify classifier/data/sample/commune.json -o results.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("input", type=Path, help="households file: .json, .jsonl, .csv, .xlsx or .parquet")
    c.add_argument("--members", type=Path, default=None, help="members file for a two-file CSV input")
    c.add_argument(
        "-o", "--output", type=Path, required=True, help="results file: .csv, .jsonl, .xlsx or .parquet"
    )
    c.add_argument(
        "--format",
        choices=("csv", "jsonl", "xlsx", "parquet"),
        default=None,
        help="output format (default: from the output file's extension)",
    )
    c.add_argument("--trace", action="store_true", help="add the full explanation trace to JSON Lines output")
    c.add_argument(
        "--engine",
        choices=("auto", "batch", "durable"),
        default="auto",
        help="batch: the rules compiled to SQL (DuckDB), streams CSV/JSONL/Parquet of any size; "
        "durable: durable-rules, one household at a time, full traces; auto (default): batch "
        "for CSV/JSONL/Parquet files, durable for Excel/JSON or with --trace",
    )
    _add_method(c)
    c.add_argument(
        "--errors",
        type=Path,
        default=None,
        help="errors file, one line per problem (default: <output>.errors.csv)",
    )
    c.add_argument("--quiet", action="store_true", help="no progress output")
    _add_common(c)

    e = sub.add_parser(
        "explain",
        help="explain one household's result, in Vietnamese (default) or English",
        epilog="example:\n  chuan-ngheo explain classifier/data/sample/commune.json --household H000017",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    e.add_argument("input", type=Path, help="households file (.json, .jsonl, .csv, .xlsx)")
    e.add_argument("--members", type=Path, default=None, help="members file for a two-file CSV input")
    e.add_argument("--household", required=True, help="the household id to explain")
    e.add_argument("--lang", choices=("vi", "en"), default="vi", help="language of the text (default: vi)")
    e.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    e.add_argument(
        "--what-if", action="store_true", help="also list the smallest changes that would change the class"
    )
    _add_method(e)
    _add_common(e)

    g = sub.add_parser(
        "groups",
        help="groups beside the class: low-income worker candidates (Nghị định 30/2025/NĐ-CP), "
        "middle-living agricultural households",
        epilog="example:\n  chuan-ngheo groups classifier/data/sample/commune.json -o groups.csv\n"
        "  (one row per household, and groups.members.csv: one row per eligible member)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g.add_argument("input", type=Path, help="households file: .json, .jsonl, .csv or .xlsx")
    g.add_argument("--members", type=Path, default=None, help="members file for a two-file CSV input")
    g.add_argument(
        "-o", "--output", type=Path, required=True, help="households CSV (members: <stem>.members.csv)"
    )
    g.add_argument("--engine", choices=("durable", "batch"), default="durable", help="default: durable")
    _add_method(g)
    _add_common(g)

    t = sub.add_parser(
        "template",
        help="an Excel workbook to fill in, with Vietnamese headers and drop-downs",
        epilog="example:\n  chuan-ngheo template -o mau-ra-soat.xlsx",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    t.add_argument("-o", "--output", type=Path, required=True, help="the .xlsx file to write")
    _add_common(t)

    d = sub.add_parser(
        "diff",
        help="who moves between classes when the standard changes, and why",
        epilog="example:\n  chuan-ngheo diff classifier/data/sample/commune.json "
        "--from nd-07-2021 --to nd-351-2025 --by commune "
        "-o impact.xlsx\n\nCSV output writes one file per table: impact.csv (households that change "
        "class),\nimpact.matrix.csv, impact.by_area.csv (with --by), impact.errors.csv, impact.summary.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d.add_argument("input", type=Path, help="households file: .json, .jsonl, .csv or .xlsx")
    d.add_argument("--members", type=Path, default=None, help="members file for a two-file CSV input")
    d.add_argument(
        "--from", dest="from_standard", required=True, help="the standard in use (id or rule folder)"
    )
    d.add_argument(
        "--to", dest="to_standard", required=True, help="the standard to compare with (id or rule folder)"
    )
    _add_report_output(d, "also count transitions per area unit")
    _add_rules_dir(d)
    _add_reference_date(d)
    d.add_argument("--quiet", action="store_true", help="no progress output")

    tr = sub.add_parser(
        "transitions",
        help="escaped, newly poor, re-poor...: households between review rounds",
        epilog="example:\n"
        "  chuan-ngheo transitions results-2025.csv results.csv --by village -o t.xlsx\n\n"
        "Inputs are result files of `chuan-ngheo classify`, oldest first. CSV output writes t.csv\n"
        "(every household) and t.categories.csv, t.by_area.csv (with --by), t.errors.csv, t.summary.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tr.add_argument("results", type=Path, nargs="+", help="result files (.csv, .jsonl, .xlsx), oldest first")
    _add_report_output(tr, "also count categories per area unit (the files need that column)")
    _add_rules_dir(tr, ", for the indicator column names")

    r = sub.add_parser("rules", help="check, show and audit rule sets")
    rsub = r.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    rc = rsub.add_parser(
        "check",
        help="list every problem of rule folders, with file:line",
        epilog="example:\n  chuan-ngheo rules check rules/nd-07-2021",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rc.add_argument("folders", type=Path, nargs="+", help="rule folders (e.g. rules/nd-07-2021)")
    rs = rsub.add_parser(
        "show",
        help="a standard as readable tables with citations",
        epilog="example:\n  chuan-ngheo rules show nd-07-2021 --lang en",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rs.add_argument("standard", help="standard id or rule folder")
    rs.add_argument("--lang", choices=("vi", "en"), default="vi")
    _add_rules_dir(rs)
    ra = rsub.add_parser(
        "audit",
        help="every unverified, provisional or not-modelled item of a standard",
        epilog="example:\n  chuan-ngheo rules audit nd-07-2021",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ra.add_argument("standard", help="standard id or rule folder")
    _add_rules_dir(ra)
    rd = rsub.add_parser(
        "doc",
        help="a standard as one document to review and sign off (wording, rule, parameters, cases)",
        epilog="example:\n  chuan-ngheo rules doc nd-07-2021 -o nd-07-2021.html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rd.add_argument("standard", help="standard id or rule folder")
    rd.add_argument("-o", "--output", type=Path, default=None, help=".html (self-contained) or .md")
    rd.add_argument(
        "--cases-dir",
        type=Path,
        default=None,
        help="golden cases folder (default: cases/<standard> beside the rules folder)",
    )
    _add_rules_dir(rd)
    rv = rsub.add_parser(
        "verify",
        help="property checks of a rule set, with minimal counterexamples",
        epilog="example:\n  chuan-ngheo rules verify rules/my-province",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rv.add_argument("standard", help="standard id or rule folder")
    rv.add_argument("--examples", type=int, default=300, help="households tried per property (default 300)")
    _add_rules_dir(rv)
    rn = rsub.add_parser(
        "new",
        help="start a local overlay that inherits a national standard",
        epilog="example:\n  chuan-ngheo rules new my-province --from nd-07-2021",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rn.add_argument("name", help="id of the new overlay (a folder name: lower-case, digits, dashes)")
    rn.add_argument("--from", dest="parent", required=True, help="standard to inherit, e.g. nd-07-2021")
    _add_rules_dir(rn)
    rl = rsub.add_parser("list", help="the standards available")
    _add_rules_dir(rl)
    from classifier.web.commands import add_parsers as add_web_parsers

    add_web_parsers(sub)
    from classifier.report.commands import add_report_parser  # the report set (issue 10)

    add_report_parser(sub)
    from classifier.register.cli import add_round_parser  # the register of review rounds (issue 10)

    add_round_parser(sub)
    from classifier.papers.commands import add_papers_parser  # papers per household and village (issue 10)

    add_papers_parser(sub)
    return parser


def _ruleset_arg(standard: str, rules_dir: Path | None):  # type: ignore[no-untyped-def]
    from classifier.api import load_standard
    from classifier.rules import load_ruleset_path

    path = Path(standard)
    if (path / "standard.yaml").is_file():
        return load_ruleset_path(path, rules_dir)
    return load_standard(standard, rules_dir)


def _choose_standard(args: argparse.Namespace, err: TextIO):  # type: ignore[no-untyped-def]
    """--standard, else the standard of --list-year, else the default; the choice is always said."""
    from classifier.api import DEFAULT_STANDARD, load_standard
    from classifier.rules import standard_for_list_year

    if args.standard:
        ruleset = load_standard(args.standard, args.rules_dir)
        how = "--standard"
        if args.list_year and not (
            ruleset.valid_from.year <= args.list_year <= (ruleset.valid_to.year if ruleset.valid_to else 9999)
        ):
            err.write(
                f"warning: {ruleset.id} is valid for list years {ruleset.valid_from.year}–"
                f"{ruleset.valid_to.year if ruleset.valid_to else '…'}, not {args.list_year}\n"
            )
    elif args.list_year:
        ruleset = standard_for_list_year(args.list_year, args.rules_dir)
        how = f"list year {args.list_year}"
    else:
        ruleset = load_standard(DEFAULT_STANDARD, args.rules_dir)
        how = "default; choose with --standard or --list-year"
    err.write(
        f"standard: {ruleset.id} ({how}), rules digest {ruleset.short_digest}"
        f"{', PROVISIONAL' if ruleset.provisional else ''}\n"
    )
    for warning in ruleset.warnings:
        err.write(f"warning: {warning}\n")
    return ruleset


def _add_method(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--method",
        choices=("auto", "income", "score"),
        default="auto",
        help="income: the income lines; score: điểm A / điểm B of Thông tư 07/2021/TT-BLĐTBXH (Decree "
        "07/2021 only); auto (default): score when a record carries score_a, income otherwise",
    )


def _cmd_classify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from classifier.runner import classify_file

    ruleset = _choose_standard(args, err)
    summary = classify_file(
        args.input,
        args.output,
        ruleset=ruleset,
        members_path=args.members,
        fmt=args.format,
        reference_date=args.reference_date,
        engine=args.engine,
        with_trace=args.trace,
        quiet=args.quiet,
        err=err,
        rules_root=args.rules_dir,
        errors_path=args.errors,
        method=args.method,
    )
    err.write(summary.line() + "\n")
    if summary.errored:
        err.write(
            f"{summary.errored} record(s) could not be classified; see the 'error' column of "
            f"{args.output} and {summary.errors_path}\n"
        )
        return EXIT_RECORD_ERRORS
    return EXIT_OK


def _cmd_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from classifier.api import classify
    from classifier.explain import render_json, render_text, render_what_would_change, what_would_change
    from classifier.runner import find_household

    ruleset = _choose_standard(args, err)
    household = find_household(
        args.input,
        args.household,
        members_path=args.members,
        ruleset=ruleset,
        rules_root=args.rules_dir,
        reference_date=args.reference_date,
    )
    result = classify(
        household,
        ruleset,
        reference_date=args.reference_date,
        engine="durable",
        trace=True,
        method=args.method,
    )
    changes = None
    if args.what_if:
        changes = what_would_change(
            household, result, standard=ruleset, reference_date=result.reference_date, engine="durable"
        )
    if args.format == "json":
        payload = render_json(result)
        if changes is not None:
            payload["what_would_change"] = [attrs.asdict(change) for change in changes]
        out.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(render_text(result, ruleset, lang=args.lang) + "\n")
        if changes is not None:
            out.write("\n" + render_what_would_change(changes, lang=args.lang) + "\n")
    return EXIT_OK


def _rules_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from classifier.rules import load_ruleset_path

    failed = 0
    for folder in args.folders:
        try:
            ruleset = load_ruleset_path(folder)
        except RuleFileError as exc:
            failed += 1
            err.write(f"{folder}: {len(exc.problems)} problem(s)\n")
            for problem in exc.problems:
                err.write(f"  {problem}\n")
            continue
        out.write(
            f"{folder}: ok ({ruleset.id}, {len(ruleset.indicators)} indicators, "
            f"{len(ruleset.rules)} rules, digest {ruleset.short_digest})\n"
        )
    return 3 if failed else EXIT_OK


def _rules_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from classifier.rules import default_rules_root, list_standards, load_ruleset_path

    root = args.rules_dir or default_rules_root()
    for standard in list_standards(root):
        ruleset = load_ruleset_path(root / standard, root)
        out.write(
            f"{ruleset.id:14} {ruleset.valid_from.year}–"
            f"{ruleset.valid_to.year if ruleset.valid_to else '…'}"
            f"  {ruleset.status:11}  {ruleset.title_vi}\n"
        )
    return EXIT_OK


def _rules_new(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from classifier.rules import default_rules_root
    from classifier.rules.authoring import new_overlay

    folder = new_overlay(args.name, args.parent, args.rules_dir or default_rules_root())
    out.write(
        f"created {folder} (inherits {args.parent}); edit its YAML, then run:\n"
        f"  chuan-ngheo rules check {folder}\n  chuan-ngheo rules verify {folder}\n"
    )
    return EXIT_OK


def _cmd_rules(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from classifier.report.rules_table import render_audit, render_ruleset

    folder_commands = {"check": _rules_check, "list": _rules_list, "new": _rules_new}
    if args.rules_command in folder_commands:
        return folder_commands[args.rules_command](args, out, err)
    ruleset = _ruleset_arg(args.standard, args.rules_dir)
    if args.rules_command == "verify":
        from classifier.testing.verify import verify_ruleset

        results = verify_ruleset(ruleset, examples=args.examples)
        for result in results:
            mark = "ok  " if result.passed else "FAIL"
            out.write(f"{mark} {result.name:22} {result.description}\n")
            if result.counterexample:
                out.write(f"     minimal counterexample: {result.counterexample}\n")
        return EXIT_OK if all(r.passed for r in results) else 3
    if args.rules_command == "doc":
        return _rules_doc(args, ruleset, out, err)
    if args.rules_command == "show":
        out.write(render_ruleset(ruleset, lang=args.lang) + "\n")
    else:
        out.write(render_audit(ruleset) + "\n")
    return EXIT_OK


def _rules_doc(args: argparse.Namespace, ruleset: Any, out: TextIO, err: TextIO) -> int:
    """`rules doc`: the standard as one document (HTML by the output's extension, else Markdown)."""
    from classifier.report.ruledoc import build_sections, render_html, render_markdown

    cases = args.cases_dir or ruleset.source_dir.parent.parent / "cases" / ruleset.id
    sections = build_sections(ruleset, cases)
    if args.output is None:
        out.write(render_markdown(ruleset, sections))
        return EXIT_OK
    from classifier.io.outputs import write_file

    html = args.output.suffix.lower() in (".html", ".htm")
    text = render_html(ruleset, sections) if html else render_markdown(ruleset, sections)
    write_file(args.output, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    err.write(f"{ruleset.id}: {len(sections)} article(s) / appendix item(s) -> {args.output}\n")
    return EXIT_OK


def _cmd_groups(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from classifier.groups import groups_file

    ruleset = _choose_standard(args, err)
    if not ruleset.groups:
        err.write(f"note: {ruleset.id} declares no groups (rules show {ruleset.id})\n")
    written, errored, members = groups_file(
        args.input,
        args.output,
        ruleset=ruleset,
        members_path=args.members,
        reference_date=args.reference_date,
        engine=args.engine,
        method=args.method,
        rules_root=args.rules_dir,
    )
    err.write(
        f"read {written:,} = with groups {written - errored:,} + errors {errored:,} -> {args.output}, "
        f"{members}\n"
    )
    return EXIT_RECORD_ERRORS if errored else EXIT_OK


def _cmd_template(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from classifier.io.template import write_template

    if args.output.suffix.lower() != ".xlsx":
        raise InputError(f"the template is an Excel workbook: name it *.xlsx, not {args.output.name}")
    ruleset = _choose_standard(args, err)
    out.write(f"wrote {write_template(args.output, ruleset)}\n")
    return EXIT_OK


def _report_inputs(args: argparse.Namespace) -> list[Path | None]:
    """The files a diff or transitions report was read from: its ``-o`` may not overwrite them."""
    return [*getattr(args, "results", []), getattr(args, "input", None), getattr(args, "members", None)]


def _check_report_output(args: argparse.Namespace) -> None:
    """A bad ``-o`` (unknown format, one of the inputs, a folder...) fails before the long run."""
    from classifier.io.outputs import OutputFiles
    from classifier.report.tables import report_format

    if args.output is not None:
        report_format(args.output, args.format)
        OutputFiles([args.output], _report_inputs(args)).check()


def _write_report(report, args: argparse.Namespace, err: TextIO) -> None:  # type: ignore[no-untyped-def]
    from classifier.report.tables import write_report

    for warning in report.warnings:
        err.write(f"warning: {warning}\n")
    if args.output is not None:
        inputs = _report_inputs(args)
        written = write_report(report, args.output, fmt=args.format, lang=args.lang, inputs=inputs)
        err.write(f"wrote {', '.join(str(p) for p in written)}\n")


def _cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from classifier.report.diff import diff_file, impact_report, render_impact

    _check_report_output(args)
    before = _ruleset_arg(args.from_standard, args.rules_dir)
    after = _ruleset_arg(args.to_standard, args.rules_dir)
    impact = diff_file(
        args.input,
        from_standard=before,
        to_standard=after,
        members_path=args.members,
        reference_date=args.reference_date,
        by=args.by,
        rules_root=args.rules_dir,
        quiet=args.quiet,
        err=err,
    )
    out.write(render_impact(impact, lang=args.lang) + "\n")
    _write_report(impact_report(impact, lang=args.lang), args, err)
    if impact.errored:
        err.write(f"{impact.errored} record(s) could not be compared; see the errors table\n")
        return EXIT_RECORD_ERRORS
    return EXIT_OK


def _cmd_transitions(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from classifier.report.transitions import render_transitions, transitions_files, transitions_report

    if len(args.results) < 2:
        raise InputError("transitions needs at least two result files, oldest first")
    _check_report_output(args)
    result = transitions_files(args.results, by=args.by, rules_root=args.rules_dir, lang=args.lang)
    out.write(render_transitions(result, lang=args.lang) + "\n")
    _write_report(transitions_report(result, lang=args.lang), args, err)
    if result.errors:
        err.write(f"{len(result.errors)} row(s) with errors in the result files; see the errors table\n")
        return EXIT_RECORD_ERRORS
    return EXIT_OK


#: Commands whose code and libraries (SQLAlchemy, FastAPI, reportlab) load only when one of them runs.
_LAZY_COMMANDS = {
    "round": ("classifier.register.cli", "cmd_round"),
    "serve": ("classifier.web.commands", "run_serve"),
    "user": ("classifier.web.commands", "run_user"),
    "report": ("classifier.report.commands", "cmd_report"),
    "papers": ("classifier.papers.commands", "cmd_papers"),
}


def _run_lazy(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import importlib

    module, function = _LAZY_COMMANDS[args.command]
    return int(getattr(importlib.import_module(module), function)(args, out, err))


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit code instead of exiting (the console script exits)."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return int(exc.code or 0)
    handlers = {
        "classify": _cmd_classify,
        "explain": _cmd_explain,
        "rules": _cmd_rules,
        "template": _cmd_template,
        "groups": _cmd_groups,
        "diff": _cmd_diff,
        "transitions": _cmd_transitions,
        **dict.fromkeys(_LAZY_COMMANDS, _run_lazy),
    }
    try:
        with _signals_as_interrupts():
            return handlers[args.command](args, out, err)
    except InputError as exc:
        err.write(f"error: {exc}\n")
        for record_error in exc.errors[1:]:
            err.write(f"  {record_error}\n")
        return exc.exit_code
    except ChuanNgheoError as exc:
        err.write(f"error: {exc}\n")
        return exc.exit_code
    except Terminated as exc:
        err.write(f"stopped by signal {exc.signum}: no output was presented as complete\n")
        return 128 + exc.signum
    except KeyboardInterrupt:
        err.write("interrupted: no output was presented as complete\n")
        return 130
    except Exception as exc:  # a bug: say so plainly, keep the traceback one variable away
        environment = _environment_problem(exc)
        if environment is not None:
            code, message = environment
            err.write(f"error: {message}\nNo output was presented as complete.\n")
            return code
        if os.environ.get("CHUAN_NGHEO_DEBUG"):
            raise
        err.write(
            f"internal error: {type(exc).__name__}: {exc}\nThis is a bug in chuan-ngheo, not in your "
            "data; no output was presented as complete. Rerun with CHUAN_NGHEO_DEBUG=1 for the "
            "traceback and report it.\n"
        )
        return EngineError.exit_code


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C, so temporary files and work folders are removed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_as_interrupts() -> Iterator[None]:
    """While a command runs, SIGTERM and SIGHUP raise Terminated (their default would kill the process
    without cleanup). Only in the main thread, where Python lets handlers be set; restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Terminated(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


#: What to do about an operating-system error, by errno.
_ENVIRONMENT_HINTS = {
    errno.ENOSPC: "the disk is full: free some space, or write the output to another disk",
    errno.EDQUOT: "the disk quota is used up: free some space, or write the output elsewhere",
    errno.EACCES: "permission denied: choose a file and folder this user may read and write",
    errno.EPERM: "operation not permitted: choose a file and folder this user may read and write",
    errno.EROFS: "the file system is read-only: write the output somewhere else",
    errno.ENOENT: "a file or folder does not exist: check the path",
    errno.EISDIR: "a folder was given where a file is needed: name the file",
    errno.ENOTDIR: "a path goes through something that is not a folder: check the path",
    errno.EMFILE: "too many open files: close other programs or raise the limit (ulimit -n)",
    errno.ENAMETOOLONG: "a file name is too long: choose a shorter one",
    errno.EIO: "the disk reported an input/output error: check the disk, or use another one",
    errno.EFBIG: "a file grew beyond the size allowed (this session's file size limit, see ulimit -f, or the "
    "file system's): raise the limit, or write the output to another disk",
}


def _environment_problem(exc: BaseException) -> tuple[int, str] | None:
    """(exit code, message) when ``exc`` comes from the user's machine rather than from a bug."""
    if isinstance(exc, OSError) and exc.errno in _ENVIRONMENT_HINTS:
        where = f" ({exc.filename})" if exc.filename else ""
        return EXIT_USAGE, f"{_ENVIRONMENT_HINTS[exc.errno]}{where}"
    import duckdb

    if isinstance(exc, duckdb.InterruptException):
        return 130, "interrupted"
    if type(exc) is RuntimeError and str(exc) == "Query interrupted":
        # What DuckDB raises instead of InterruptException when Ctrl-C stops some statements (seen on a
        # CREATE TABLE ... AS SELECT of the batch pipeline; tests/unit/test_output_guard_writers.py).
        return 130, "interrupted"
    if not isinstance(exc, duckdb.Error):
        return None
    text = str(exc)
    first = text.splitlines()[0] if text else type(exc).__name__
    lowered = text.lower()
    for needle, number in _DUCKDB_MACHINE_ERRORS:
        if needle in lowered:
            return EXIT_USAGE, f"{_ENVIRONMENT_HINTS[number]} ({first})"
    if isinstance(exc, duckdb.OutOfMemoryException):
        return EXIT_USAGE, f"not enough memory: close other programs, or free disk space ({first})"
    # DuckDB reports a failed write of its own files (work database, spill, COPY) as IOException, or
    # wrapped in a TransactionException when it happens at commit.
    if isinstance(exc, duckdb.IOException | duckdb.PermissionException) or "could not write file" in lowered:
        return EXIT_USAGE, f"the batch engine could not read or write a file: {first}"
    return None


#: Phrases of DuckDB's messages (it gives no errno) that mean the machine, with the errno whose advice fits.
_DUCKDB_MACHINE_ERRORS = (
    ("no space left", errno.ENOSPC),
    ("disk is full", errno.ENOSPC),
    ("quota exceeded", errno.EDQUOT),
    ("file too large", errno.EFBIG),
    ("permission denied", errno.EACCES),
    ("read-only file system", errno.EROFS),
)


def run() -> None:
    """Console-script entry point. Ctrl-C before a command's own handling starts (while Python loads
    the libraries) is exit 130 with a line, not a traceback: nothing has been written yet."""
    try:
        code = main()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted: nothing was written\n")
        code = 130
    sys.exit(code)
