"""Formatting shared by the explanation renderers: money, numbers, dates, fact and member labels.

Vietnamese writes ``1.234.567 đồng`` (dot groups thousands, comma marks decimals); English writes
``1,234,567 VND``. Labels for facts and their coded values come from the data contract
(``rules/facts.yaml``), never from this module, so a new survey answer needs no change here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

from classifier.rules.ruleset import RuleSet

__all__ = [
    "LANGS",
    "check_lang",
    "count_ranges",
    "fact_label",
    "format_date",
    "format_money",
    "format_number",
    "format_value",
    "group_missing",
    "lower_first",
    "member_label",
    "split_path",
]

LANGS = ("vi", "en")

# The shortest decimal places that still show a non-integer amount as non-integer (an income of
# 1 499 999,999 đồng must not print as the line itself).
_MAX_DECIMALS = 6
_MONEY_DECIMALS = 2


def check_lang(lang: str) -> str:
    """Reject an unsupported language early, naming the ones that exist."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGS)}")
    return lang


def _decimals(value: float) -> int:
    if float(value).is_integer():
        return 0
    digits = _MONEY_DECIMALS
    while digits < _MAX_DECIMALS and float(round(value, digits)).is_integer():
        digits += 1
    return digits


def format_number(value: int | float, lang: str = "vi") -> str:
    """``1234567`` -> ``1.234.567`` (vi) / ``1,234,567`` (en); fractions keep 2 decimals."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"not a number: {value!r}")
    digits = _decimals(value)
    text = f"{abs(value):,.{digits}f}"
    if digits > _MONEY_DECIMALS:
        text = text.rstrip("0")
    if lang == "vi":
        # Swap the separators: 1,234.5 -> 1.234,5
        text = text.translate(str.maketrans(",.", ".,"))
    return ("-" if value < 0 else "") + text


def format_money(value: int | float, lang: str = "vi") -> str:
    """``1.234.567 đồng`` (vi) or ``1,234,567 VND`` (en)."""
    return f"{format_number(value, lang)} {'đồng' if lang == 'vi' else 'VND'}"


def format_date(value: dt.date, lang: str = "vi") -> str:
    """``01/11/2025`` (vi, day first as on Vietnamese forms) or ``2025-11-01`` (en, ISO)."""
    return value.strftime("%d/%m/%Y") if lang == "vi" else value.isoformat()


def lower_first(text: str) -> str:
    """``Chuẩn thu nhập`` -> ``chuẩn thu nhập`` for use inside a sentence (acronyms kept)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def count_ranges(counts: Iterable[int], lang: str = "vi") -> str:
    """``[3, 4, 5, 7]`` -> ``3 đến 5, 7`` (vi) / ``3 to 5, 7`` (en)."""
    values = sorted(set(counts))
    parts: list[str] = []
    start = prev = None
    for value in [*values, None]:
        if value is not None and prev is not None and value == prev + 1:
            prev = value
            continue
        if start is not None and prev is not None:
            parts.append(str(start) if start == prev else f"{start} {'đến' if lang == 'vi' else 'to'} {prev}")
        start = prev = value
    return ", ".join(parts)


def member_label(label: str, lang: str = "vi") -> str:
    """``member H017-1`` -> ``thành viên H017-1``; ``member #2`` -> ``thành viên thứ 2``."""
    if not label.startswith("member "):
        return label
    rest = label[len("member ") :]
    if lang == "en":
        return label
    if rest.startswith("#"):
        return f"thành viên thứ {rest[1:]}"
    return f"thành viên {rest}"


def split_path(path: str) -> tuple[str | None, str]:
    """``member H1-1.age`` -> (``member H1-1``, ``age``); ``roof_durable`` -> (None, ``roof_durable``)."""
    if path.startswith("member ") and "." in path:
        member, _, fact = path.rpartition(".")
        return member, fact
    return None, path


_UNIT_SUFFIX = re.compile(r"\s*\((đồng|VND)\)$")


def fact_label(ruleset: RuleSet, name: str, lang: str = "vi", level: str | None = None) -> str:
    """The contract's label for a fact (household, member or classification level), else its name."""
    if name == "members":
        return "danh sách thành viên của hộ" if lang == "vi" else "the list of household members"
    catalogue = ruleset.facts
    levels = (level,) if level else ("household", "member", "classification")
    for lvl in levels:
        spec = catalogue.spec(lvl, name)
        if spec is not None:
            label = spec.label_vi if lang == "vi" else spec.label_en
            if label:
                return _UNIT_SUFFIX.sub("", label)
    return name


def format_value(ruleset: RuleSet, name: str, value: Any, lang: str = "vi", level: str | None = None) -> str:
    """An answer as a person reads it: có/không, the coded value's Vietnamese label, grouped numbers."""
    if isinstance(value, bool):
        if lang == "vi":
            return "có" if value else "không"
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return format_number(value, lang)
    if isinstance(value, dt.date):
        return format_date(value, lang)
    if isinstance(value, list | tuple):
        return ", ".join(format_value(ruleset, name, v, lang, level) for v in value)
    if isinstance(value, str) and lang == "vi":
        levels = (level,) if level else ("household", "member")
        for lvl in levels:
            spec = ruleset.facts.spec(lvl, name)
            if spec is not None and value in spec.value_labels_vi:
                return spec.value_labels_vi[value]
    return str(value)


def group_missing(ruleset: RuleSet, paths: Sequence[str], lang: str = "vi") -> list[str]:
    """Missing answers as readable groups: household answers first, then one group per member.

    ``["walls_durable", "member H1-2.age", "member H1-2.in_school"]`` ->
    ``["Tường ...", "thành viên H1-2: Tuổi, Đang đi học / đang đào tạo"]``.
    """
    household: list[str] = []
    members: dict[str, list[str]] = {}
    for path in dict.fromkeys(paths):
        member, fact = split_path(path)
        if member is None:
            household.append(fact_label(ruleset, fact, lang, None if fact == "members" else "household"))
        else:
            members.setdefault(member, []).append(fact_label(ruleset, fact, lang, "member"))
    out = list(household)
    for member, labels in members.items():
        out.append(f"{member_label(member, lang)}: {', '.join(labels)}")
    return out
