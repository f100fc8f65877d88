"""Typing one raw cell: bool, integer, number, enum, date, string.

Each ``to_*`` function returns the typed value, or raises :class:`BadValue` carrying what would
have been accepted (the record parser turns it into a RecordError naming record and field).
Empty cells never reach these functions: an empty cell is an unknown answer, not a value.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from classifier.io.columns import strip_diacritics

__all__ = [
    "BOOL_EXPECTED",
    "BadValue",
    "is_empty",
    "to_bool",
    "to_date",
    "to_enum",
    "to_number",
    "to_text",
]


class BadValue(ValueError):
    """A cell that cannot be typed; ``expected`` says what would be accepted."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def is_empty(value: Any) -> bool:
    """None or blank text: an unknown answer (never false, never zero)."""
    return value is None or (isinstance(value, str) and not value.strip())


# -- bool -------------------------------------------------------------------------------------------

_TRUE = ("true", "1", "yes", "có", "co")
_FALSE = ("false", "0", "no", "không", "khong")
BOOL_EXPECTED = (
    "true/false, 1/0, yes/no or có/không (an empty cell means unknown; a mark such as 'x' is not "
    "accepted, because a blank beside it would then have to mean 'no')"
)


def to_bool(value: Any) -> bool:
    """``true/false``, ``1/0``, ``yes/no``, ``có/không`` (with or without diacritics)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFC", value.strip().casefold())
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise BadValue(BOOL_EXPECTED)


# -- numbers ----------------------------------------------------------------------------------------

_DIGITS = re.compile(r"\d+")
# Thousands groupings: two or more separators leave no doubt ("1.234.567", "1,234,567"); a space
# grouping ("1 500 000") is never a decimal.
_GROUPED = {sep: re.compile(rf"[1-9]\d{{0,2}}(?:{re.escape(sep)}\d{{3}})+") for sep in (".", ",", " ")}


def _parse_decimal_text(text: str) -> Decimal:
    body = text.replace("\u00a0", " ").replace("\u202f", " ").strip()
    sign = 1
    if body[:1] in "+-":
        sign = -1 if body[0] == "-" else 1
        body = body[1:].strip()
    if _DIGITS.fullmatch(body):
        return sign * Decimal(body)
    for sep, pattern in _GROUPED.items():
        if pattern.fullmatch(body) and (sep == " " or body.count(sep) >= 2):
            return sign * Decimal(body.replace(sep, ""))
    if "." in body and "," in body:
        # Both marks: the last one is the decimal mark, the other must group thousands properly
        # ("1.234.567,5" in Vietnamese style, "1,234,567.5" in English style).
        cut = max(body.rfind("."), body.rfind(","))
        decimal_mark, whole, fraction = body[cut], body[:cut], body[cut + 1:]
        grouping = "," if decimal_mark == "." else "."
        if decimal_mark not in whole and _DIGITS.fullmatch(fraction) and (
            _DIGITS.fullmatch(whole) or _GROUPED[grouping].fullmatch(whole)
        ):
            return sign * Decimal(f"{whole.replace(grouping, '')}.{fraction}")
        raise BadValue("a number such as 1234567, 1.234.567, 1,234,567 or 25,5")
    for mark in (".", ","):
        if body.count(mark) == 1:
            whole, fraction = body.split(mark)
            if not (_DIGITS.fullmatch(whole) and _DIGITS.fullmatch(fraction)):
                break
            if len(fraction) == 3 and re.fullmatch(r"[1-9]\d{0,2}", whole):
                as_decimal = f"{whole}.{fraction.rstrip('0')}".rstrip(".")
                raise BadValue(
                    f"an unambiguous number: {text.strip()!r} could be {whole}{fraction} (thousands "
                    f"mark) or {as_decimal} (decimal mark); write {whole}{fraction} without a separator, "
                    f"or a decimal with other than 3 digits after the mark"
                )
            return sign * Decimal(f"{whole}.{fraction}")
    raise BadValue("a number such as 1234567, 1.234.567, 1,234,567 or 25,5")


def to_number(value: Any, *, integer: bool = False) -> int | float:
    """A number from a JSON/XLSX number or text in Vietnamese or English notation.

    Whole values come back as ``int`` (exact), others as ``float``. Text with one separator followed
    by exactly three digits ("1.500") is refused as ambiguous: 1500 in Vietnamese, 1.5 in English.
    """
    what = "a whole number" if integer else "a number"
    if isinstance(value, bool):
        raise BadValue(f"{what}, not true/false")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise BadValue(f"{what} (not NaN or infinity)")
        if value.is_integer():
            return int(value)
        if integer:
            raise BadValue(what)
        return value
    if isinstance(value, Decimal):
        value = str(value)
    if not isinstance(value, str):
        raise BadValue(f"{what}, got {type(value).__name__}")
    number = _parse_decimal_text(value)
    if number == number.to_integral_value():
        return int(number)
    if integer:
        raise BadValue(what)
    return float(number)


# -- enums ------------------------------------------------------------------------------------------


def _has_diacritics(text: str) -> bool:
    return strip_diacritics(text) != text.casefold()


def to_enum(value: Any, codes: Sequence[str], labels_vi: Mapping[str, str]) -> str:
    """The enum code for a code or its Vietnamese label, ignoring case.

    Diacritics are ignored only when the cell has none (typed without a Vietnamese keyboard): a cell
    that does carry them must match exactly, because they change meaning ("nước mưa" is rainwater,
    "nước mua" is bought water).
    """
    if isinstance(value, str):
        text = unicodedata.normalize("NFC", " ".join(value.split())).casefold()
        for code in codes:
            label = unicodedata.normalize("NFC", labels_vi.get(code, "")).casefold()
            if text in (code.casefold(), label):
                return code
        if not _has_diacritics(text):
            hits = {code for code, label in labels_vi.items()
                    if code in codes and strip_diacritics(unicodedata.normalize("NFC", label)) == text}
            if len(hits) == 1:
                return hits.pop()
    choices = ", ".join(f"{c} ({labels_vi[c]})" if c in labels_vi else c for c in codes)
    raise BadValue(f"one of {choices}")


# -- dates and text ---------------------------------------------------------------------------------

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
DATE_EXPECTED = "a date as YYYY-MM-DD or DD/MM/YYYY"


def to_date(value: Any) -> dt.date:
    """A date from ISO ``YYYY-MM-DD``, Vietnamese ``DD/MM/YYYY``, or a spreadsheet date cell."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0, 0):
            raise BadValue(f"{DATE_EXPECTED} (a date without a time of day)")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        iso, dmy = _ISO.fullmatch(text), _DMY.fullmatch(text)
        try:
            if iso:
                return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
            if dmy:
                return dt.date(int(dmy[3]), int(dmy[2]), int(dmy[1]))
        except ValueError as exc:  # 31/02/2020: right shape, no such day
            raise BadValue(f"{DATE_EXPECTED} that exists ({exc})") from None
    raise BadValue(DATE_EXPECTED)


def to_text(value: Any) -> str:
    """Text; whole numbers (a code read from a spreadsheet as 12345.0) become their digits."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        raise BadValue("text")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    raise BadValue("text")
