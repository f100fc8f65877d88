"""Papers for one household: the result letter and the certificate of a poor or near-poor household."""

from __future__ import annotations

from typing import Any

from classifier.errors import InputError
from classifier.explain import render_text, render_what_would_change, what_would_change
from classifier.model import Classification, Household
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
    round_values,
    texts,
)
from classifier.papers.document import Document, Para, Signature, TableBlock, Title
from classifier.report.vocabulary import NEAR_POOR_CLASS, POOR_CLASS
from classifier.rules.ruleset import RuleSet

__all__ = ["certificate", "result_letter"]


def _text_paras(text: str, skip_first: bool = False) -> list[Para]:
    """Plain-text explanation lines as paragraphs: headings bold, bullets kept, indentation kept."""
    lines = [line for line in text.splitlines() if line.strip()]
    if skip_first:
        lines = lines[1:]
    out = []
    for line in lines:
        depth = len(line) - len(line.lstrip(" "))
        heading = depth == 0 and len(line) < 60 and not line.rstrip().endswith(".")
        out.append(
            Para(("\u00a0" * depth * 2) + line.strip(), bold=heading, size=12, indent=False, align="left")
        )
    return out


def result_letter(
    household: Household, result: Classification, ruleset: RuleSet, pseudonym: Pseudonym | None = None
) -> Document:
    """The household's result letter: its class, why (with the clauses), what would change it, and how
    to ask for a review (the monthly regular review and its answer period, from the procedure data)."""
    t = texts()["letter"]
    if result.trace is None:
        raise InputError(
            f"household {household.id}: the letter needs the result's trace (classify with trace)"
        )
    values: dict[str, Any] = {
        **round_values(household, result, ruleset),
        **household_details(household, pseudonym),
    }
    review = procedures()["regular_review"]
    values.update(
        request_form=review["request_form_vi"],
        addressee=review["addressee_vi"],
        frequency=review["frequency_vi"],
        days=review["answer_days"],
        refusal=review["refusal_vi"],
        citation=citation_text(review),
    )
    changes = what_would_change(household, result, standard=ruleset)
    change_paras = (
        _text_paras(render_what_would_change(changes, lang="vi"), skip_first=True)
        if changes
        else [Para(t["change_none"], size=12)]
    )
    blocks: list[Any] = [
        header(values["commune"], t["number"], result.reference_date),
        Title(t["title"], fill(t["subtitle"], values)),
        Para(fill(t["to"], values), indent=False, align="center"),
        Para(fill(t["result"], values), bold=True),
        Para(t["why_head"], bold=True, indent=False),
        *_text_paras(render_text(result, ruleset, lang="vi")),
        Para(t["change_head"], bold=True, indent=False),
        *change_paras,
        Para(t["review_head"], bold=True, indent=False),
        Para(fill(t["review"], values)),
        Para(fill(t["review_source"], values), italic=True, size=11, indent=False),
        Signature((("",), tuple(texts()["common"]["chair_block"]))),
        *recipients(t["recipients"]),
        draft_mark(),
    ]
    return Document(tuple(blocks), title=f"Thông báo kết quả rà soát, hộ {values['code']}")


def certificate(
    household: Household, result: Classification, ruleset: RuleSet, pseudonym: Pseudonym | None = None
) -> Document:
    """The certificate of a poor or near-poor household (Số …/GCN-HN.HCN) with its members."""
    if result.outcome not in (POOR_CLASS, NEAR_POOR_CLASS):
        raise InputError(
            f"household {household.id}: a certificate is issued to poor and near-poor households "
            f"only; this household's result is {result.outcome}"
        )
    t = texts()["certificate"]
    proc = procedures()["certificate"]
    values: dict[str, Any] = {
        **round_values(household, result, ruleset),
        **household_details(household, pseudonym),
    }
    kind = "hộ nghèo" if result.outcome == POOR_CLASS else "hộ cận nghèo"
    values.update(kind=kind, kind_upper=kind.upper())
    members = values["members"]
    rows = tuple(
        tuple(
            str(v) if v not in (None, "") else BLANK
            for v in (m["no"], m["name"], m["gender"], m["birth_year"], m["relation"], m["id_number"])
        )
        for m in members
    ) or ((BLANK,) * 6,)
    blocks: list[Any] = [
        header(values["commune"], f"Số: …/{proc['number_suffix']}", result.reference_date),
        Title(t["title"], fill(t["subtitle"], values)),
        Para(fill(t["issuer"], values), bold=True, align="center", indent=False),
        *(Para(fill(t["basis"], {"basis": basis}), italic=True) for basis in proc["legal_bases_vi"]),
        Para(fill(t["basis_result"], values), italic=True),
        Para(t["certify"], bold=True, align="center", indent=False),
        Para(fill(t["household"], values)),
        Para(fill(t["residence"], values)),
        Para(fill(t["is_kind"], values), bold=True),
        Para(t["members_head"], indent=False),
        TableBlock((tuple(t["members_columns"]),), rows, (0.5, 2.4, 0.9, 0.9, 1.4, 1.9), size=11),
        Signature((("",), tuple(t["chair_block"]))),
        draft_mark(),
    ]
    return Document(tuple(blocks), title=f"Giấy chứng nhận {kind}, hộ {values['code']}")
