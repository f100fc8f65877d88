"""Papers for a village or the commune: the meeting list, pre-filled minutes, the list to post publicly
and the draft recognition decision. Built from the round's households and results (and the previous
round's, when given, to show who escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from classifier.errors import InputError
from classifier.model import CANNOT_CLASSIFY, Classification, Household
from classifier.papers.common import (
    BLANK,
    Pseudonym,
    citation_text,
    draft_mark,
    fill,
    header,
    household_details,
    procedures,
    recipients,
    texts,
)
from classifier.papers.document import Document, PageBreak, Para, Signature, TableBlock, Title
from classifier.report.vocabulary import NEAR_POOR_CLASS, POOR_CLASS
from classifier.rules.ruleset import RuleSet

__all__ = ["Entry", "decision", "entries", "meeting_list", "minutes", "posting_list"]


@attrs.frozen
class Entry:
    """One household as the commune papers list it."""

    household: Household
    result: Classification
    previous: str | None  # previous round's outcome, None when absent or not given
    details: dict[str, Any]


def entries(
    pairs: Sequence[tuple[Household, Classification]],
    previous: dict[str, str] | None,
    pseudonym: Pseudonym | None = None,
) -> list[Entry]:
    """The households with their details; ``previous`` maps household code -> earlier outcome."""
    out = []
    for household, result in pairs:
        details = household_details(household, pseudonym)
        out.append(Entry(household, result, (previous or {}).get(details["code"]), details))
    return out


def _v(value: Any) -> str:
    return BLANK if value in (None, "") else str(value)


def _change(entry: Entry, ruleset: RuleSet, has_previous: bool) -> str:
    if not has_previous:
        return ""
    if entry.previous is None:
        return "mới có trong danh sách"
    if entry.previous == entry.result.outcome:
        return "không đổi"
    return f"trước: {ruleset.class_label(entry.previous)}"


def _selected_for_meeting(entry: Entry) -> bool:
    listed = (POOR_CLASS, NEAR_POOR_CLASS)
    return (
        entry.result.outcome in listed or entry.previous in listed or entry.result.outcome == CANNOT_CLASSIFY
    )


def _meeting_rows(
    items: Sequence[Entry], ruleset: RuleSet, has_previous: bool
) -> tuple[tuple[str, ...], ...]:
    return tuple(
        (
            str(i),
            e.details["code"],
            _v(e.details["head_name"]),
            _v(e.details["persons"]),
            ruleset.class_label(e.result.outcome),
            str(e.result.deprivation_count),
            _change(e, ruleset, has_previous),
            "",
            "",
        )
        for i, e in enumerate(items, start=1)
    )


def _village(items: Sequence[Entry], village: str) -> list[Entry]:
    chosen = [e for e in items if e.household.place.get("village") == village]
    if not chosen:
        villages = sorted({str(e.household.place.get("village")) for e in items})
        raise InputError(f"no household in village {village!r} (villages: {', '.join(villages)})")
    return chosen


def meeting_list(items: Sequence[Entry], village: str, ruleset: RuleSet, has_previous: bool) -> Document:
    """The households put to the village meeting: poor and near-poor now, those who were before (who
    escaped), and those that cannot be classified; columns for the vote."""
    t = texts()["meeting_list"]
    chosen = [e for e in _village(items, village) if _selected_for_meeting(e)]
    first = chosen[0] if chosen else _village(items, village)[0]
    commune = first.household.place.get("commune")
    values = {
        "village": village,
        "commune": commune,
        "year": first.result.reference_date.year,
        "n": len(chosen),
        "movement_part": t["movement_part"] if has_previous else "",
    }
    rows = _meeting_rows(chosen, ruleset, has_previous) or (("",) * 9,)
    blocks: list[Any] = [
        header(commune, None, first.result.reference_date),
        Title(t["title"], fill(t["subtitle"], values)),
        Para(fill(t["intro"], values)),
        TableBlock((tuple(t["columns"]),), rows, (0.5, 1.2, 2.0, 0.8, 1.3, 0.9, 1.3, 0.9, 0.9), size=10),
        Signature(tuple(tuple(b) for b in t["signatures"])),
    ]
    return Document(tuple(blocks), title=f"Danh sách bình xét, {village}")


def minutes(items: Sequence[Entry], village: str, ruleset: RuleSet, has_previous: bool) -> Document:
    """Pre-filled minutes of the village meeting, with the list to vote on attached."""
    t = texts()["minutes"]
    rule = procedures()["village_meeting"]
    in_village = _village(items, village)
    chosen = [e for e in in_village if _selected_for_meeting(e)]
    first = in_village[0]
    counts = {
        k: sum(e.result.outcome == k for e in in_village)
        for k in (POOR_CLASS, NEAR_POOR_CLASS, CANNOT_CLASSIFY)
    }
    values = {
        "village": village,
        "commune": first.household.place.get("commune"),
        "year": first.result.reference_date.year,
        "listed": len(in_village),
        "households": len(in_village),
        "poor": counts[POOR_CLASS],
        "near_poor": counts[NEAR_POOR_CLASS],
        "unclassified": counts[CANNOT_CLASSIFY],
        "n": len(chosen),
        "share": rule["approval_share_percent"],
        "citation": citation_text(rule),
    }
    issuer = ("ỦY BAN NHÂN DÂN", str(values["commune"] or BLANK).upper(), village.upper())
    hdr = header(values["commune"], None, first.result.reference_date)
    blocks: list[Any] = [
        attrs.evolve(hdr, issuer=issuer),
        Title(t["title"], fill(t["subtitle"], values)),
        Para(fill(t["opening"], values)),
        Para(t["attendance_head"], bold=True, indent=False),
        *(Para(fill(line, values)) for line in t["attendance"]),
        Para(t["content_head"], bold=True, indent=False),
        Para(fill(t["content"], values)),
        Para(fill(t["rule"], values)),
        Para(t["result_head"], bold=True, indent=False),
        Para(t["result"]),
        Para(t["opinions_head"], bold=True, indent=False),
        Para(t["opinions"]),
        Para(t["closing"]),
        Signature(tuple(tuple(b) for b in t["signatures"])),
        PageBreak(),
        *meeting_list(items, village, ruleset, has_previous).blocks[1:4],
        draft_mark(),
    ]
    return Document(tuple(blocks), title=f"Biên bản họp bình xét, {village}")


def posting_list(items: Sequence[Entry], ruleset: RuleSet, village: str | None = None) -> Document:
    """The list to post publicly: the head's name, village and class only (no identity number, no
    ethnicity: the posted list shows what the public needs to check, nothing more)."""
    t = texts()["posting"]
    chosen = [
        e
        for e in (_village(items, village) if village else items)
        if e.result.outcome in (POOR_CLASS, NEAR_POOR_CLASS)
    ]
    first = (chosen or list(items))[0]
    commune = first.household.place.get("commune")
    values = {"commune": commune, "year": first.result.reference_date.year, "where": village or commune}
    rows = tuple(
        (
            str(i),
            _v(e.details["head_name"]),
            e.details["code"],
            _v(e.household.place.get("village")),
            ruleset.class_label(e.result.outcome),
            "",
        )
        for i, e in enumerate(chosen, start=1)
    ) or (("",) * 6,)
    blocks: list[Any] = [
        header(commune, None, first.result.reference_date),
        Title(t["title"], fill(t["subtitle"], values)),
        Para(fill(t["intro"], values)),
        TableBlock((tuple(t["columns"]),), rows, (0.5, 2.4, 1.2, 1.6, 1.3, 1.0), size=11),
        Signature(tuple(tuple(b) for b in t["signatures"])),
    ]
    return Document(tuple(blocks), title="Danh sách niêm yết")


def decision(items: Sequence[Entry], ruleset: RuleSet) -> Document:
    """A draft decision of the commune chair recognising the poor and near-poor households, with the list."""
    t = texts()["decision"]
    proc = procedures()["certificate"]
    chosen = [e for e in items if e.result.outcome in (POOR_CLASS, NEAR_POOR_CLASS)]
    first = (chosen or list(items))[0]
    commune = str(first.household.place.get("commune") or BLANK)

    def persons(kind: str) -> int:
        return sum(int(e.details["persons"] or 0) for e in chosen if e.result.outcome == kind)

    values = {
        "commune": commune,
        "commune_upper": commune.upper(),
        "year": first.result.reference_date.year,
        "standard": ruleset.title_vi,
        "poor": sum(e.result.outcome == POOR_CLASS for e in chosen),
        "near_poor": sum(e.result.outcome == NEAR_POOR_CLASS for e in chosen),
        "poor_persons": persons(POOR_CLASS),
        "near_poor_persons": persons(NEAR_POOR_CLASS),
    }
    rows = tuple(
        (
            str(i),
            e.details["code"],
            _v(e.details["head_name"]),
            _v(e.household.place.get("village")),
            _v(e.details["persons"]),
            "x" if e.result.outcome == POOR_CLASS else "",
            "x" if e.result.outcome == NEAR_POOR_CLASS else "",
        )
        for i, e in enumerate(chosen, start=1)
    ) or (("",) * 7,)
    blocks: list[Any] = [
        header(commune, t["number"], first.result.reference_date),
        Title(t["title"], fill(t["subtitle"], values)),
        Para(fill(t["issuer"], values), bold=True, align="center", indent=False),
        *(Para(fill("Căn cứ {basis};", {"basis": b}), italic=True) for b in proc["legal_bases_vi"]),
        Para(fill(t["basis_result"], values), italic=True),
        Para(t["proposal"], italic=True),
        Para(t["decides"], bold=True, align="center", indent=False),
        Para(fill(t["article1"], values)),
        Para(t["article2"]),
        Para(t["article3"]),
        Signature((("",), tuple(t["chair_block"]))),
        *recipients(t["recipients"]),
        PageBreak(),
        Title(fill(t["annex_title"], values), fill(t["annex_subtitle"], values)),
        TableBlock((tuple(t["columns"]),), rows, (0.5, 1.2, 2.2, 1.6, 0.9, 0.8, 0.9), size=11),
        draft_mark(),
    ]
    return Document(tuple(blocks), title="Dự thảo quyết định công nhận hộ nghèo, hộ cận nghèo")
