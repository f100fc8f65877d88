"""`chuan-ngheo report tables|html`: the report set of one commune, as XLSX, PDF or HTML.

Kept out of ``classifier/cli.py`` (which only registers these parsers) so the report code loads on use.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "add_input_options",
    "add_report_parser",
    "check_output_early",
    "cmd_report",
    "input_files",
    "load_rounds",
]

EXAMPLES = """\
examples:
  chuan-ngheo report tables classifier/data/sample/commune.json --commune "Xã Hợp Hưng" -o bao-cao.xlsx
  chuan-ngheo report tables classifier/data/sample/commune.json \\
      --previous classifier/data/sample/commune.jsonl --commune "Xã Hợp Hưng" -o bao-cao.pdf
  chuan-ngheo report html classifier/data/sample/commune.json --commune "Xã Hợp Hưng" -o bao-cao.html
"""


def add_input_options(p: argparse.ArgumentParser) -> None:
    """The round to report on (a households file, classified here, or a register round) and the commune."""
    p.add_argument(
        "input",
        type=Path,
        nargs="?",
        default=None,
        help="households file of this round (.json, .jsonl, .csv, .xlsx); or give --round",
    )
    p.add_argument(
        "--round",
        default=None,
        dest="round_name",
        help="a round of the register instead of a file (--previous then names a round too; the "
        "rounds before it are the history, departures recorded with `round depart` are used)",
    )
    p.add_argument("--db", type=Path, default=None, help="register file (default: register.sqlite here)")
    p.add_argument("--db-url", default=None, help="register database URL instead of a file")
    p.add_argument("--members", type=Path, default=None, help="members file for a two-file CSV input")
    p.add_argument(
        "--commune", default=None, help="the commune reported on (required when the file holds several)"
    )
    p.add_argument("--standard", default=None, help="standard id (default: nd-07-2021)")
    p.add_argument(
        "--rules-dir", type=Path, default=None, help="rules root folder (default: the repository's)"
    )


def input_files(args: argparse.Namespace) -> list[Path]:
    """Every file or folder named by an option (the households and members files, the register, the
    previous round, templates...): the outputs may be none of them (classifier.io.outputs)."""
    return [value for key, value in vars(args).items() if isinstance(value, Path) and key != "output"]


def check_output_early(args: argparse.Namespace) -> None:
    """The refusals of classifier.io.outputs for ``-o`` (an input, a folder, read-only...), before the
    round is read and classified. A missing folder is left to the writer, which makes it."""
    from classifier.io.outputs import OutputFiles

    if args.output.parent.is_dir():
        OutputFiles([args.output], input_files(args)).check()


def add_report_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `report tables` and `report html` under ``sub``."""
    r = sub.add_parser(
        "report",
        help="the report set of a review round: tables (XLSX, PDF) and charts (HTML)",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rsub = r.add_subparsers(dest="report_command", required=True, metavar="ACTION")
    for name, help_text, suffixes in (
        (
            "tables",
            "the report tables as .xlsx (with the column-code row) or print-ready .pdf",
            ".xlsx or .pdf",
        ),
        ("html", "a self-contained HTML report with charts (works offline, prints)", ".html"),
    ):
        p = rsub.add_parser(name, help=help_text)
        add_input_options(p)
        p.add_argument(
            "--previous",
            type=Path,
            default=None,
            help="households file of the previous round (for the movement tables and charts)",
        )
        p.add_argument("--previous-members", type=Path, default=None, help="its members file (two-file CSV)")
        p.add_argument(
            "--earlier",
            type=Path,
            action="append",
            default=None,
            metavar="FILE",
            help="households file of a round before the previous one (repeat, oldest first): the "
            "history that tells re-poor (tái nghèo) households from newly poor ones",
        )
        p.add_argument(
            "--templates",
            type=Path,
            default=None,
            help="folder of report templates (*.yaml) replacing the bundled ones",
        )
        p.add_argument(
            "--pseudonymise",
            action="store_true",
            help="replace names and identity numbers by keyed pseudonyms (key: CHUAN_NGHEO_PSEUDONYM_KEY)",
        )
        p.add_argument("-o", "--output", type=Path, required=True, help=f"output file: {suffixes}")
    from classifier.register.cli import add_measures_parser  # `report measures` (the register's lane)

    add_measures_parser(rsub)


def load_rounds(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The current round, the previous one and the earlier ones when given (same standard and commune)."""
    from classifier.report.reportset import load_round, standard_of

    ruleset = standard_of(args.standard, args.rules_dir)
    if args.round_name is not None:
        return _register_rounds(args, ruleset)
    if args.input is None:
        from classifier.errors import InputError

        raise InputError("give a households file, or --round NAME to report on a round of the register")
    root = args.rules_dir
    current = load_round(args.input, args.members, ruleset, args.commune, rules_root=root)
    commune = current.households[0].place.get("commune")
    previous = None
    if getattr(args, "previous", None) is not None:
        previous = load_round(args.previous, args.previous_members, ruleset, commune, rules_root=root)
    earlier = [
        load_round(path, None, ruleset, commune, rules_root=root)
        for path in getattr(args, "earlier", None) or ()
    ]
    if earlier and previous is None:
        from classifier.errors import InputError

        raise InputError("--earlier needs --previous (the earlier rounds come before the previous one)")
    return current, previous, earlier, {}


def _register_rounds(args: argparse.Namespace, ruleset: Any) -> tuple[Any, Any, list[Any], dict[str, str]]:
    """The rounds from the register: current, previous (by name), the older ones, and the departures."""
    from classifier.errors import InputError
    from classifier.register import Register
    from classifier.report.reportset import register_round

    if args.input is not None:
        raise InputError("give either a households file or --round, not both")
    if args.db_url is None and not (args.db or Path("register.sqlite")).is_file():
        raise InputError(
            f"no register file {args.db or 'register.sqlite'} (create one with `chuan-ngheo round new`)"
        )
    with Register.open(db=args.db, db_url=args.db_url) as reg:
        root = args.rules_dir
        current = register_round(reg, args.round_name, ruleset, args.commune, root)
        commune = current.households[0].place.get("commune")
        if getattr(args, "previous", None) is None:
            return current, None, [], {}
        previous_name = str(args.previous)
        names = [r.name for r in reg.rounds()]
        if previous_name not in names:
            raise InputError(f"no round {previous_name!r} in the register (rounds: {', '.join(names)})")
        previous = register_round(reg, previous_name, ruleset, commune, root)
        earlier = [
            register_round(reg, n, ruleset, commune, root) for n in names[: names.index(previous_name)]
        ]
        return current, previous, earlier, dict(reg.departures(args.round_name))


def cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Compute the report set and write it in the format the output's extension names."""
    from classifier.errors import InputError
    from classifier.report.reportset import compute_report_set, write_report_set
    from classifier.report.templates import load_templates

    if args.report_command == "measures":
        from classifier.register.cli import cmd_measures

        return cmd_measures(args, out, err)

    suffix = args.output.suffix.lower()
    allowed = {"tables": (".xlsx", ".pdf"), "html": (".html", ".htm")}[args.report_command]
    if suffix not in allowed:
        raise InputError(f"output {args.output.name}: expected {' or '.join(allowed)}")
    check_output_early(args)
    templates = load_templates(args.templates)
    current, previous, earlier, departures = load_rounds(args)
    from classifier.papers.common import pseudonymiser

    pseudonym = pseudonymiser() if args.pseudonymise else None
    report = compute_report_set(
        current, previous, templates, pseudonym=pseudonym, earlier=earlier, departures=departures
    )
    write_report_set(report, args.output, input_files(args))
    for tid, why in report.skipped:
        err.write(f"skipped table {tid}: {why}\n")
    out.write(f"wrote {args.output} ({len(report.tables)} tables, {len(current.households)} households)\n")
    return 0
