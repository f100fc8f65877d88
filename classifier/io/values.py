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
from classifier.io.contract import CONTRACT

__all__ = [
    "BOOL_EXPECTED",
    "TEXT_EXPECTED",
    "BadValue",
    "WrittenNumber",
    "is_empty",
    "parse_number_text",
    "to_bool",
    "to_date",
    "to_enum",
    "to_number",
    "to_text",
    "too_long",
]


class WrittenNumber(float):
    """A JSON number as a float that remembers how it was written (``json.loads(parse_float=...)``):
    ``1234567.0000000001`` is the double 1234567.0, but its text says it is above a 1,234,567 line.
    It prints as written."""

    text: str

    def __new__(cls, text: str) -> WrittenNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __repr__(self) -> str:
        return self.text


class BadValue(ValueError):
    """A cell that cannot be typed; ``expected`` says what would be accepted."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def is_empty(value: Any) -> bool:
    """None or blank text: an unknown answer (never false, never zero)."""
    return value is None or (isinstance(value, str) and not value.strip())


# -- bool -------------------------------------------------------------------------------------------

_WORDS = CONTRACT.bool_words
BOOL_EXPECTED = (
    f"{'/'.join(CONTRACT.bool_true[:1] + CONTRACT.bool_false[:1])}, 1/0, yes/no or có/không (an empty cell "
    "means unknown; a mark such as 'x' is not accepted, because a blank beside it would then have to "
    "mean 'no')"
)
TEXT_EXPECTED = f"text of at most {CONTRACT.max_text_length:,} characters"


def too_long(value: Any) -> bool:
    """Text longer than any cell of a survey record may be (the contract's text.max_length)."""
    return isinstance(value, str) and len(value) > CONTRACT.max_text_length


def to_bool(value: Any) -> bool:
    """The contract's bool words (``true/false``, ``1/0``, ``yes/no``, ``có/không``, ``co/khong``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and not too_long(value):
        found = _WORDS.get(unicodedata.normalize("NFC", value.strip().casefold()))
        if found is not None:
            return found
    raise BadValue(BOOL_EXPECTED)


# -- numbers ----------------------------------------------------------------------------------------

_SHAPES = tuple((shape, shape.regex) for shape in CONTRACT.number_shapes)
_AMBIGUOUS = re.compile(CONTRACT.ambiguous)
NUMBER_EXPECTED = "a number such as 1234567, 1.234.567, 1,234,567 or 25,5"


def parse_number_text(text: str) -> Decimal:
    """The exact value of a number cell, following the contract's number shapes."""
    body = text.strip()
    sign = 1
    if body[:1] in ("+", "-"):
        sign = -1 if body[0] == "-" else 1
        body = body[1:].strip()
    if _AMBIGUOUS.fullmatch(body):
        whole, fraction = body[:-4], body[-3:]
        as_decimal = f"{whole}.{fraction.rstrip('0')}".rstrip(".")
        raise BadValue(
            f"an unambiguous number: {text.strip()!r} could be {whole}{fraction} (thousands "
            f"mark) or {as_decimal} (decimal mark); write {whole}{fraction} without a separator, "
            f"or a decimal with other than 3 digits after the mark"
        )
    for shape, regex in _SHAPES:
        if regex.fullmatch(body):
            number = Decimal(shape.canonical(body))  # exact: no context rounding
            return number.copy_negate() if sign < 0 else number
    raise BadValue(NUMBER_EXPECTED)


def _in_range(number: int | Decimal, what: str, integer: bool) -> None:
    limit = CONTRACT.max_integer if integer else CONTRACT.max_number
    if number > limit or number < -limit:
        raise BadValue(f"{what} of at most {limit:,} in size")


def to_number(value: Any, *, integer: bool = False) -> int | float:
    """A number from a JSON/XLSX number or text in Vietnamese or English notation.

    Whole values come back as ``int`` (exact), others as ``float``. Text with one separator followed
    by exactly three digits ("1.500") is refused as ambiguous: 1500 in Vietnamese, 1.5 in English.
    A figure larger than the contract's limits (64-bit whole numbers, 2**53 otherwise) is refused.
    """
    what = "a whole number" if integer else "a number"
    if isinstance(value, bool):
        raise BadValue(f"{what}, not true/false")
    if isinstance(value, int):
        _in_range(value, what, integer)
        return value
    if isinstance(value, WrittenNumber):  # a JSON number: its exact text, not the double
        try:
            return _exact(Decimal(value.text), what, integer)
        except ArithmeticError:
            raise BadValue(NUMBER_EXPECTED) from None
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise BadValue(f"{what} (not NaN or infinity)")
        if value.is_integer():
            _in_range(int(value), what, integer)
            return int(value)
        if integer:
            raise BadValue(what)
        _in_range(Decimal(value), what, integer)
        return value
    if isinstance(value, Decimal):
        value = str(value)
    if not isinstance(value, str):
        raise BadValue(f"{what}, got {type(value).__name__}")
    if too_long(value):
        raise BadValue(NUMBER_EXPECTED)
    return _exact(parse_number_text(value), what, integer)


def _exact(number: Decimal, what: str, integer: bool) -> int | float:
    """The typed value of an exactly known number: int when whole, else a float that is exactly
    comparable (at most the contract's significant digits)."""
    if not number.is_finite():
        raise BadValue(f"{what} (not NaN or infinity)")
    _in_range(number, what, integer)
    if number == number.to_integral_value():
        return int(number)
    if integer:
        raise BadValue(what)
    if _significant_digits(number) > CONTRACT.max_significant_digits:
        # 1234567.0000000001 would become the double 1234567.0 and sit on a line of 1,234,567: refused
        # rather than compared as something other than what was written.
        raise BadValue(
            f"{what} of at most {CONTRACT.max_significant_digits} significant digits (a longer figure "
            "cannot be compared exactly)"
        )
    return float(number)


def _significant_digits(number: Decimal) -> int:
    digits = "".join(map(str, number.as_tuple().digits)).lstrip("0").rstrip("0")
    return len(digits)


# -- enums ------------------------------------------------------------------------------------------


def _has_diacritics(text: str) -> bool:
    return strip_diacritics(text) != text.casefold()


def to_enum(value: Any, codes: Sequence[str], labels_vi: Mapping[str, str]) -> str:
    """The enum code for a code or its Vietnamese label, ignoring case.

    Diacritics are ignored only when the cell has none (typed without a Vietnamese keyboard): a cell
    that does carry them must match exactly, because they change meaning ("nước mưa" is rainwater,
    "nước mua" is bought water).
    """
    if isinstance(value, str) and not too_long(value):
        text = unicodedata.normalize("NFC", " ".join(value.split())).casefold()
        for code in codes:
            label = unicodedata.normalize("NFC", labels_vi.get(code, "")).casefold()
            if text in (code.casefold(), label):
                return code
        if CONTRACT.diacritic_free_labels and not _has_diacritics(text):
            hits = {
                code
                for code, label in labels_vi.items()
                if code in codes and strip_diacritics(unicodedata.normalize("NFC", label)) == text
            }
            if len(hits) == 1:
                return hits.pop()
    choices = ", ".join(f"{c} ({labels_vi[c]})" if c in labels_vi else c for c in codes)
    raise BadValue(f"one of {choices}")


# -- dates and text ---------------------------------------------------------------------------------

_FORMS = tuple((form, form.regex) for form in CONTRACT.date_forms)
DATE_EXPECTED = "a date as YYYY-MM-DD or DD/MM/YYYY"


def to_date(value: Any) -> dt.date:
    """A date in one of the contract's forms (ISO ``YYYY-MM-DD``, Vietnamese ``DD/MM/YYYY``), or a
    spreadsheet date cell."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0, 0):
            raise BadValue(f"{DATE_EXPECTED} (a date without a time of day)")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and not too_long(value):
        text = value.strip()
        for form, regex in _FORMS:
            found = regex.fullmatch(text)
            if not found:
                continue
            parts = dict(zip(form.order, (int(g) for g in found.groups()), strict=True))
            if parts["year"] < CONTRACT.min_year:
                raise BadValue(
                    f"{DATE_EXPECTED} that exists (year {parts['year']} is before year {CONTRACT.min_year})"
                )
            try:
                return dt.date(parts["year"], parts["month"], parts["day"])
            except ValueError as exc:  # 31/02/2020: right shape, no such day
                raise BadValue(f"{DATE_EXPECTED} that exists ({exc})") from None
    raise BadValue(DATE_EXPECTED)


def to_text(value: Any) -> str:
    """Text; whole numbers (a code read from a spreadsheet as 12345.0) become their digits."""
    if isinstance(value, str):
        if too_long(value):
            raise BadValue(TEXT_EXPECTED)
        return value.strip()
    if isinstance(value, bool):
        raise BadValue("text")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    raise BadValue("text")
