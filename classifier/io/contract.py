"""The typing contract (classifier/io/contract.yaml) as Python objects.

One declaration of the accepted spellings of each cell type; classifier/io/values.py (the
per-record parser, the reference) and classifier/batch/typing.py (the SQL typing of the batch
path) are both built from :data:`CONTRACT`, and :func:`spellings_table` renders it for the README.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import attrs
import yaml

__all__ = ["CONTRACT", "Contract", "DateForm", "NumberShape", "load_contract", "spellings_table"]


@attrs.frozen
class NumberShape:
    """One accepted way of writing a number (after an optional sign)."""

    name: str
    example: str
    pattern: str
    remove: str = ""
    decimal: str | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    def canonical(self, body: str) -> str:
        """The digits (and a '.' decimal mark) of a cell matching this shape."""
        text = "".join(ch for ch in body if ch not in self.remove)
        return text.replace(self.decimal, ".") if self.decimal else text


@attrs.frozen
class DateForm:
    """One accepted way of writing a date: a pattern with three groups, and what each group is."""

    name: str
    example: str
    pattern: str
    order: tuple[str, str, str]

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


@attrs.frozen
class Contract:
    """Everything a cell may look like, by type."""

    bool_true: tuple[str, ...]
    bool_false: tuple[str, ...]
    number_shapes: tuple[NumberShape, ...]
    ambiguous: str
    max_integer: int
    max_number: int
    max_significant_digits: int
    date_forms: tuple[DateForm, ...]
    min_year: int
    diacritic_free_labels: bool
    max_text_length: int
    age_fact: str | None

    @property
    def bool_words(self) -> Mapping[str, bool]:
        return {**{w: True for w in self.bool_true}, **{w: False for w in self.bool_false}}


def _parse(data: Mapping[str, Any]) -> Contract:
    number, date = data["number"], data["date"]
    return Contract(
        bool_true=tuple(str(w) for w in data["bool"]["true"]),
        bool_false=tuple(str(w) for w in data["bool"]["false"]),
        number_shapes=tuple(
            NumberShape(
                name=s["name"],
                example=str(s["example"]),
                pattern=s["pattern"],
                remove=s.get("remove", ""),
                decimal=s.get("decimal"),
            )
            for s in number["shapes"]
        ),
        ambiguous=number["ambiguous"],
        max_integer=int(number["max_integer"]),
        max_number=int(number["max_number"]),
        max_significant_digits=int(number["max_significant_digits"]),
        date_forms=tuple(
            DateForm(name=f["name"], example=str(f["example"]), pattern=f["pattern"], order=tuple(f["order"]))
            for f in date["forms"]
        ),
        min_year=int(date["min_year"]),
        diacritic_free_labels=bool(data["enum"]["diacritic_free_labels"]),
        max_text_length=int(data["text"]["max_length"]),
        age_fact=data.get("birth_date", {}).get("age_fact"),
    )


@cache
def load_contract() -> Contract:
    """The contract shipped with the package."""
    text = resources.files("classifier.io").joinpath("contract.yaml").read_text(encoding="utf-8")
    return _parse(yaml.safe_load(text))


CONTRACT = load_contract()


def spellings_table() -> str:
    """A Markdown table of the accepted spellings, for the README (tests keep the README in step)."""
    c = CONTRACT
    rows = [
        (
            "yes/no (bool)",
            ", ".join(c.bool_true) + " / " + ", ".join(c.bool_false),
            "case and Unicode form ignored; an empty cell is unknown, never false",
        ),
        *(("number", f"`{s.example}`", s.name) for s in c.number_shapes),
        (
            "number",
            "refused: `1.500`, `1,500`",
            "one mark followed by exactly three digits is ambiguous (1500 or 1.5)",
        ),
        (
            "number",
            f"at most {c.max_integer:,} for counts (`member_count`, `age`), {c.max_number:,} for amounts",
            "a larger figure is that record's error",
        ),
        (
            "number",
            f"at most {c.max_significant_digits} significant digits when not whole",
            "compared exactly as written; `1234567.0000000001` is refused, not rounded to a whole figure",
        ),
        *(("date", f"`{f.example}`", f.name) for f in c.date_forms),
        ("date", f"years from {c.min_year}", "a date that does not exist (31/02/2026) is refused"),
        (
            "choice (enum)",
            "the code or its Vietnamese label",
            "case, spaces, NFC/NFD ignored"
            + (
                "; a label typed without diacritics when only one label matches"
                if c.diacritic_free_labels
                else ""
            ),
        ),
        ("text", f"up to {c.max_text_length:,} characters", "surrounding spaces removed"),
        (
            "birth date",
            "not after the reference date",
            f"nor implying an age above the `{c.age_fact}` fact's maximum" if c.age_fact else "",
        ),
    ]
    lines = ["| Type | Accepted | Notes |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {n} |" for a, b, n in rows]
    return "\n".join(lines)
