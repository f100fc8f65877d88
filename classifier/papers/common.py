"""What every paper shares: its wording (``classifier/data/papers/texts.yaml``), the procedure facts
(``rules/procedures/review-round.yaml``), the household's details and the header block."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import string
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from classifier.io.admin import admin_catalogue, pseudonym
from classifier.model import Classification, Household
from classifier.papers.document import NationalHeader, Para
from classifier.rules import default_rules_root
from classifier.rules.ruleset import RuleSet
from classifier.rules.yamlload import safe_load_text

__all__ = [
    "BLANK",
    "Pseudonym",
    "fill",
    "header",
    "household_details",
    "procedures",
    "pseudonymiser",
    "recipients",
    "texts",
]

#: What a paper prints where the data have no value: the official fills it in by hand.
BLANK = "…"
Pseudonym = Callable[[str, str], str]
#: Words naming the kind of commune-level unit, dropped from the place name in "Hợp Hưng, ngày …".
UNIT_WORDS = ("Xã", "Phường", "Thị trấn", "Đặc khu")


def pseudonymiser() -> Pseudonym:
    """Names and identity numbers -> stable keyed pseudonyms (``classifier.io.admin.pseudonym``).

    The key is ``CHUAN_NGHEO_PSEUDONYM_KEY`` (hex; the register's convention, so the same person gets
    the same pseudonym in register exports and here), else a fresh random key for this run only.
    """
    env = os.environ.get("CHUAN_NGHEO_PSEUDONYM_KEY")
    key = bytes.fromhex(env) if env else secrets.token_bytes(32)
    return lambda kind, value: pseudonym(key, kind, value)


@cache
def texts() -> dict[str, Any]:
    """The papers' wording."""
    path = Path(str(resources.files("classifier.data") / "papers" / "texts.yaml"))
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def procedures(rules_root: Path | None = None) -> dict[str, Any]:
    """The procedure facts (review period, answer days, approval share, certificate bases), cited."""
    path = (rules_root or default_rules_root()) / "procedures" / "review-round.yaml"
    data: dict[str, Any] = safe_load_text(path.read_text(encoding="utf-8"))
    return data


def citation_text(item: Mapping[str, Any]) -> str:
    """ "Quyết định 24/2021/QĐ-TTg, Điều 5" from a procedure item's citation."""
    c = item["citation"]
    where = f"Điều {c['article']}" if c.get("article") else c.get("appendix", "")
    return f"{c['instrument']}, {where}".rstrip(", ")


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return BLANK


def fill(frame: str, values: Mapping[str, Any]) -> str:
    """``frame`` with its {placeholders} filled; a missing (None) value prints as "…"."""
    clean = _Blank({k: (BLANK if v is None else v) for k, v in values.items()})
    return string.Formatter().vformat(frame, (), clean)


def _labels(field: str) -> Mapping[str, str]:
    catalogue = admin_catalogue()
    if field == "ethnicity":
        return dict(catalogue.ethnic_groups)
    spec = catalogue.member.get(field) or catalogue.household.get(field)
    return dict(spec.value_labels_vi) if spec is not None else {}


def household_details(household: Household, pseudonym: Pseudonym | None = None) -> dict[str, Any]:
    """Names, code, place, ethnicity and members of a household (pseudonymised when asked)."""
    admin = household.admin

    def name(value: Any, kind: str = "name") -> Any:
        return pseudonym(kind, str(value)) if pseudonym is not None and value else value

    members = []
    head_id = None
    genders, relations = _labels("gender"), _labels("relation")
    for no, m in enumerate(household.members, start=1):
        ma = m.admin
        birth = m.facts.get("birth_date")
        year = birth.year if isinstance(birth, dt.date) else ma.get("birth_year")
        ident = name(ma.get("id_number"), "id_number")
        if ma.get("relation") == "head":
            head_id = ident
        members.append(
            {
                "no": no,
                "name": name(ma.get("name")),
                "gender": genders.get(ma.get("gender") or "", ma.get("gender")),
                "birth_year": year,
                "relation": relations.get(ma.get("relation") or "", ma.get("relation")),
                "id_number": ident,
            }
        )
    ethnicity = admin.get("ethnicity")
    return {
        "code": household.code,
        "head_name": name(admin.get("head_name")),
        "head_id_number": head_id,
        "ethnicity": _labels("ethnicity").get(ethnicity or "", ethnicity),
        "village": household.place.get("village"),
        "commune": household.place.get("commune"),
        "province": household.place.get("province"),
        "persons": household.effective_member_count,
        "members": members,
    }


def round_values(household: Household, result: Classification, ruleset: RuleSet) -> dict[str, Any]:
    """The values every paper's frames may use."""
    commune = household.place.get("commune") or ""
    return {
        "year": result.reference_date.year,
        "commune": commune,
        "commune_upper": commune.upper(),
        "standard": ruleset.title_vi,
        "label": ruleset.class_label(result.outcome),
    }


def place_date(commune: str | None, date: dt.date | None) -> str:
    """ "Hợp Hưng, ngày … tháng … năm 2026": the day left for the official to date the paper."""
    place = commune or BLANK
    for unit in UNIT_WORDS:
        if place.startswith(unit + " "):
            place = place[len(unit) + 1 :]
            break
    year = date.year if date is not None else BLANK
    return f"{place}, ngày … tháng … năm {year}"


def header(commune: str | None, number: str | None, date: dt.date | None) -> NationalHeader:
    """The header block of a paper issued by the commune."""
    issuer = ("ỦY BAN NHÂN DÂN", (commune or BLANK).upper())
    return NationalHeader(issuer, number=number, place_date=place_date(commune, date))


def recipients(lines: list[str]) -> list[Para]:
    """The "Nơi nhận" block (bottom left, small)."""
    out = [
        Para(
            texts()["common"]["recipients_head"], bold=True, italic=True, size=12, indent=False, align="left"
        )
    ]
    out += [Para(line, size=11, indent=False, align="left") for line in lines]
    return out


def draft_mark() -> Para:
    """The note that the paper is a draft to check (data-driven bases are unverified)."""
    return Para(texts()["common"]["draft_mark"], italic=True, size=9, indent=False, align="left")
