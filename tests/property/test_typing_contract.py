"""The typing invariant (issue 7 item 4; classifier/io/contract.yaml).

For arbitrary cell text and every cell type, the SQL typing of the batch path gives either "refer to
the per-record parser" (NULL and not empty) or exactly the value the Python parser gives; and a
cell the SQL calls empty is one the parser calls empty. Both the general typing (``typed_cell``)
and the one-pass typing of CSV/Parquet (``fast_typed_cell`` + ``accepted_sql``) are checked.
Cells are drawn from arbitrary text and from the contract's own spellings, varied in case, spacing,
Unicode form, separators and digit counts, so that both sides of every boundary are visited.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.batch.typing import PY_WHITESPACE, accepted_sql, fast_typed_cell, typed_cell
from classifier.io.contract import CONTRACT
from classifier.io.values import BadValue, is_empty, to_bool, to_date, to_enum, to_number, to_text
from classifier.rules import load_ruleset
from classifier.rules.ruleset import FactSpec

FACTS = load_ruleset("nd-07-2021").facts
SPECS = {
    "bool": FACTS.household["walls_durable"],
    "integer": FactSpec(name="member_count", level="household", type="integer", minimum=1),
    "age": FACTS.member["age"],  # integer with bounds 0..130
    "number": FactSpec(name="money", level="household", type="number", minimum=0),
    "area": FACTS.household["floor_area_m2"],
    "enum": FACTS.household["water_source"],
    "date": FACTS.member["birth_date"],
    "string": FactSpec(name="village", level="household", type="string"),
}
CON = duckdb.connect()


def _python(spec: FactSpec, cell: str) -> Any:
    """The per-record parser's reading: ('empty',), ('value', v) or ('refused',)."""
    if is_empty(cell):
        return ("empty",)
    try:
        if spec.type == "bool":
            return ("value", to_bool(cell))
        if spec.type in ("integer", "number"):
            value = to_number(cell, integer=spec.type == "integer")
            if spec.minimum is not None and value < spec.minimum:
                return ("refused",)
            if spec.maximum is not None and value > spec.maximum:
                return ("refused",)
            return ("value", value)
        if spec.type == "enum":
            return ("value", to_enum(cell, spec.values, spec.value_labels_vi))
        if spec.type == "date":
            return ("value", to_date(cell))
        return ("value", to_text(cell))
    except BadValue:
        return ("refused",)


def _sql(spec: FactSpec, cells: list[str]) -> list[tuple[Any, bool, Any, bool]]:
    """Per cell: (general typed, general empty, fast typed, fast accepted)."""
    typed, empty = typed_cell("c", spec)
    fast, check = fast_typed_cell("c", spec)
    accepted = accepted_sql("c", "f") if check else "TRUE"
    rows = CON.execute(
        f"SELECT g, e, f, {accepted} FROM (SELECT i, c, {typed} AS g, {empty} AS e, {fast} AS f FROM "
        "(SELECT unnest($1::VARCHAR[]) AS c, unnest(range(len($1))) AS i)) ORDER BY i",
        [cells],
    ).fetchall()
    return [tuple(r) for r in rows]


def _same(spec: FactSpec, sql_value: Any, py_value: Any) -> bool:
    if spec.type == "number":
        return float(sql_value) == float(py_value)
    if spec.type == "date" and isinstance(sql_value, dt.datetime):
        return bool(sql_value.date() == py_value)
    return bool(sql_value == py_value) and type(sql_value) is type(py_value)


def _check(spec: FactSpec, cells: list[str]) -> None:
    for cell, (general, empty, fast, accepted) in zip(cells, _sql(spec, cells), strict=True):
        reference = _python(spec, cell)
        if empty:
            assert reference == ("empty",), (cell, reference)
        if general is not None:
            assert reference[0] == "value" and _same(spec, general, reference[1]), (cell, general, reference)
        if fast is not None and accepted:
            assert reference[0] == "value" and _same(spec, fast, reference[1]), (cell, fast, reference)
        if fast is None and accepted:
            assert reference == ("empty",), (cell, reference)


# -- cells ------------------------------------------------------------------------------------------

_SPACE = st.sampled_from(["", "", "", " ", "\t", "\xa0", "\u3000", "\n", "  "])


def _variants(words: list[str]) -> st.SearchStrategy[str]:
    """A contract word re-cased, re-spaced, in NFC or NFD, sometimes with one character changed."""

    @st.composite
    def build(draw: Callable[..., Any]) -> str:
        word = draw(st.sampled_from(words))
        if draw(st.booleans()):
            word = draw(st.sampled_from([word.upper(), word.title(), word.swapcase()]))
        word = unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), word)
        if word and draw(st.integers(0, 5)) == 0:
            i = draw(st.integers(0, len(word) - 1))
            word = word[:i] + draw(st.sampled_from(["", "x", " ", "đ", "ơ", "\u0301"])) + word[i + 1 :]
        return str(draw(_SPACE) + word + draw(_SPACE))

    return build()


@st.composite
def _numbers(draw: Callable[..., Any]) -> str:
    """Whole parts of 1 to 20 digits, grouped by '.', ',' or spaces or not, a decimal part of 0 to 4
    digits after '.' or ',', a sign, leading zeros, padding: every number shape and its neighbours."""
    size = draw(st.sampled_from([1, 3, 4, 6, 7, 10, 15, 16, 19]))
    digits = str(draw(st.integers(0, 10**size)))
    if draw(st.integers(0, 5)) == 0:
        digits = "0" + digits
    mark = draw(st.sampled_from(["", ".", ",", " ", "\xa0"]))
    body = digits
    if mark and len(digits) > 3:
        head = len(digits) % 3 or 3
        body = digits[:head] + "".join(mark + digits[i : i + 3] for i in range(head, len(digits), 3))
    if draw(st.integers(0, 2)) == 0:
        body += draw(st.sampled_from([".", ","])) + draw(st.text("0123456789", min_size=0, max_size=4))
    if draw(st.integers(0, 4)) == 0:
        body = draw(st.sampled_from(["-", "+", "- "])) + body
    if draw(st.integers(0, 3)) == 0:
        body = draw(_SPACE) + body + draw(_SPACE)
    return body


@st.composite
def _dates(draw: Callable[..., Any]) -> str:
    year = draw(st.sampled_from([0, 1, 99, 1900, 2000, 2024, 9999, 10000]) | st.integers(0, 10000))
    month, day = draw(st.integers(0, 13)), draw(st.sampled_from([1, 28, 29, 30, 31]) | st.integers(0, 32))
    form = draw(
        st.sampled_from(
            [
                "{y:04d}-{m:02d}-{d:02d}",
                "{d}/{m}/{y:04d}",
                "{d:02d}/{m:02d}/{y}",
                "{y}-{m}-{d}",
                "{d}.{m}.{y}",
            ]
        )
    )
    return str(draw(_SPACE) + form.format(y=year, m=month, d=day) + draw(_SPACE))


_ENUM_WORDS = [*SPECS["enum"].values, *SPECS["enum"].value_labels_vi.values()]
_ENUM_WORDS += [unicodedata.normalize("NFD", w) for w in _ENUM_WORDS]
_ANY = st.text(alphabet=st.characters(codec="utf-8"), max_size=12) | st.text(
    alphabet=["0", "1", "5", ".", ",", " ", "-", "/", "\t", "a", "đ", "\xa0", "e", "+", "x"], max_size=12
)
_SHORT = st.text(alphabet="xX01yYnNcC ", max_size=3)
CELLS = {
    "bool": _variants([*CONTRACT.bool_true, *CONTRACT.bool_false]) | _ANY | _SHORT,
    "integer": _numbers() | _ANY,
    "age": _numbers() | _ANY,
    "number": _numbers() | _ANY,
    "area": _numbers() | _ANY,
    "enum": _variants(_ENUM_WORDS) | _ANY,
    "date": _dates() | _ANY,
    "string": _ANY | st.text(alphabet=[*PY_WHITESPACE[:8], "a", "b"], max_size=6),
}


@pytest.mark.parametrize("kind", list(SPECS))
def test_sql_typing_refers_or_agrees_with_the_python_parser(kind: str) -> None:
    """Over 100 lists of up to 30 cells per type in the ci profile, 2,500 in the long one (see the
    module docstring for what is checked)."""

    @settings(max_examples=max(100, settings().max_examples // 2))
    @given(st.lists(CELLS[kind], min_size=1, max_size=30))
    def check(cells: list[str]) -> None:
        _check(SPECS[kind], cells)

    check()


def test_boundary_spellings_of_the_contract() -> None:
    """Named cells at the contract's edges: each is refused, referred, or typed as Python types it."""
    cells = {
        "number": [
            "1.500",
            "1,500",
            "1.234,500",
            "1 500 000",
            "999999999999999",
            "9999999999999999",
            "0,5",
            "25.0",
            "1500000.0000000001",
            "-0",
            "007",
        ],
        "date": ["0000-01-01", "0001-01-01", "29/02/2023", "29/02/2024", "1/1/2020", "2020-1-1"],
        "bool": ["CÓ", "co\u0301", "Không", "TRUE", "x", "1"],
        "enum": ["Nước máy", "nuoc may", "NƯỚC MƯA", "nu\u031bo\u031b\u0301c ma\u0301y", "piped"],
        "age": ["130", "131", "-1", "0"],
    }
    for kind, values in cells.items():
        _check(SPECS[kind], values)
    assert _python(SPECS["number"], "1500000.0000000001") == ("refused",)
    assert _python(SPECS["date"], "0000-01-01") == ("refused",)
