"""`chuan-ngheo papers KIND`: the papers of a review round, as PDF (to print) or DOCX (to edit and sign).

Per household: ``letter`` (result letter), ``certificate`` (poor and near-poor households only): one
household with ``--household CODE`` and ``-o FILE``, or every eligible household with ``-o FOLDER``
(one file each, named by household code). Per village: ``meeting-list``, ``minutes`` (``--village``).
Per commune (or village): ``posting``; per commune: ``decision``. Names never reach the terminal:
messages carry household codes and counts only.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

__all__ = ["add_papers_parser", "cmd_papers"]

KINDS = ("letter", "certificate", "meeting-list", "minutes", "posting", "decision")
EXAMPLES = """\
examples:
  S=classifier/data/sample/commune.json
  chuan-ngheo papers letter $S --commune "Xã Hợp Hưng" --household H000042 -o tb.pdf
  chuan-ngheo papers certificate $S --commune "Xã Hợp Hưng" -o giay-chung-nhan/
  chuan-ngheo papers minutes $S --commune "Xã Hợp Hưng" --village "Thôn Đoài" -o bb.docx
"""


def add_papers_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `papers KIND` under ``sub``."""
    from classifier.report.commands import add_input_options

    p = sub.add_parser(
        "papers",
        help="papers to print and sign: letters, certificates, village lists and "
        "minutes, the posted list, a draft decision (PDF or DOCX)",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("kind", choices=KINDS, help="which paper")
    add_input_options(p)
    p.add_argument("--household", default=None, help="household code (letter, certificate): one paper")
    p.add_argument(
        "--village", default=None, help="village (meeting-list, minutes: required; posting: optional)"
    )
    p.add_argument("--previous", type=Path, default=None, help="households file of the previous round")
    p.add_argument("--previous-members", type=Path, default=None, help="its members file (two-file CSV)")
    p.add_argument(
        "--format",
        choices=("pdf", "docx"),
        default=None,
        help="format when -o is a folder (default pdf; else from the file's extension)",
    )
    p.add_argument(
        "--pseudonymise",
        action="store_true",
        help="replace names and identity numbers by keyed pseudonyms (key: CHUAN_NGHEO_PSEUDONYM_KEY)",
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="output .pdf or .docx file, or a folder")


def _write(doc: Any, path: Path, args: argparse.Namespace) -> None:
    """Write one paper (DOCX for a .docx name, else PDF), never over a file the command read."""
    from classifier.papers.document import write_document
    from classifier.report.commands import input_files

    write_document(doc, path, input_files(args))


def cmd_papers(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Build and write the papers asked for."""
    from classifier.errors import InputError
    from classifier.papers import commune as cp
    from classifier.papers import household as hp
    from classifier.papers.common import pseudonymiser
    from classifier.report.commands import load_rounds
    from classifier.report.vocabulary import NEAR_POOR_CLASS, POOR_CLASS

    single = args.output.suffix.lower() in (".pdf", ".docx")
    if args.kind in ("letter", "certificate"):
        if args.household is not None and not single:
            raise InputError(f"output {args.output}: with --household give a .pdf or .docx file")
        if args.household is None and single:
            raise InputError(
                "without --household the papers of every household are written: give a folder as -o"
            )
    elif not single:
        raise InputError(f"output {args.output}: expected a .pdf or .docx file")
    if args.kind in ("meeting-list", "minutes") and not args.village:
        raise InputError(f"papers {args.kind}: --village is required")
    if single:
        from classifier.report.commands import check_output_early

        check_output_early(args)
    current, previous, _, _ = load_rounds(args)
    ruleset = current.ruleset
    pseudonym = pseudonymiser() if args.pseudonymise else None
    pairs = current.pairs()
    if args.kind in ("letter", "certificate"):
        build = hp.result_letter if args.kind == "letter" else hp.certificate
        codes = {h.code: (h, r) for h, r in pairs}
        if args.household is not None:
            if args.household not in codes:
                raise InputError(
                    f"no household with code {args.household!r} in commune "
                    f"{current.households[0].place.get('commune')!r}"
                )
            household, result = codes[args.household]
            _write(build(household, result, ruleset, pseudonym), args.output, args)
            out.write(f"wrote {args.output}\n")
            return 0
        fmt = args.format or "pdf"
        args.output.mkdir(parents=True, exist_ok=True)
        written = 0
        for code, (household, result) in codes.items():
            if args.kind == "certificate" and result.outcome not in (POOR_CLASS, NEAR_POOR_CLASS):
                continue
            name = f"{'thong-bao' if args.kind == 'letter' else 'giay-chung-nhan'}-{code}.{fmt}"
            _write(build(household, result, ruleset, pseudonym), args.output / name, args)
            written += 1
        out.write(f"wrote {written} {args.kind} file(s) to {args.output}\n")
        return 0
    before = {h.code: r.outcome for h, r in previous.pairs()} if previous is not None else None
    entries = cp.entries(pairs, before, pseudonym)
    has_previous = previous is not None
    if args.kind == "meeting-list":
        doc = cp.meeting_list(entries, args.village, ruleset, has_previous)
    elif args.kind == "minutes":
        doc = cp.minutes(entries, args.village, ruleset, has_previous)
    elif args.kind == "posting":
        doc = cp.posting_list(entries, ruleset, args.village)
    else:
        doc = cp.decision(entries, ruleset)
    _write(doc, args.output, args)
    out.write(f"wrote {args.output}\n")
    return 0
