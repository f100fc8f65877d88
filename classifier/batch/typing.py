"""Typing raw text cells in SQL, following rules/facts.yaml and classifier/io/values.py.

The SQL accepts a deliberately *narrower* set of spellings than the per-record parser
(classifier/io/values.py): plain digits and a dot decimal, bool words, enum codes and Vietnamese
labels, ISO and DD/MM/YYYY dates. Whatever it does not accept is not an error here: the row is sent
to the per-record parser, which either types it (a "1.500.000"-style number, a label typed without
diacritics) or reports exactly the error the per-record path would. So the fast path can never
accept a cell the reference parser would refuse, nor type it differently, and every error message
comes from one place.

:func:`typed_cell` returns ``(typed_sql, empty_sql)``: the typed value (NULL when empty or not
accepted) and whether the cell is empty. A cell is accepted when it is empty or its typed value is
not NULL; the caller evaluates both once per cell and combines them in an outer query.
"""

from __future__ import annotations

from classifier.engine.sql import literal
from classifier.rules.ruleset import FactSpec

__all__ = [
    "BOOL_FALSE",
    "BOOL_TRUE",
    "PY_WHITESPACE",
    "WS_CODES",
    "accepted_sql",
    "blank_text_sql",
    "empty_sql",
    "fast_text_sql",
    "fast_typed_cell",
    "income_text_sql",
    "strip_sql",
    "typed_cell",
]

# The bool words of classifier/io/values.py (same lists; the Python parser is the reference).
BOOL_TRUE = ("true", "1", "yes", "có", "co")
BOOL_FALSE = ("false", "0", "no", "không", "khong")

# Digits only, at most 15 so that the value is exact as a DOUBLE.
_INT_RE = "[0-9]{1,15}"
_DEC_RE = "[0-9]{1,15}\\.[0-9]{1,15}"
# "1.500" is ambiguous (1500 or 1.5): the reference parser refuses it, so the fast path must too.
_AMBIGUOUS_RE = "[1-9][0-9]{0,2}\\.[0-9]{3}"


#: Every character Python's str.strip() removes. DuckDB's one-argument trim() keeps tabs and line
#: breaks, so a cell " H1\t" would keep its tab in SQL and lose it in classifier/io: ids, place
#: names and blank-cell checks strip exactly this set instead.
PY_WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
_WS = literal(PY_WHITESPACE)


# RE2 class of the same characters, by code point (\x{...}), to find a cell that needs stripping.
_WS_CLASS = "[" + "".join(f"\\x{{{ord(ch):x}}}" for ch in PY_WHITESPACE) + "]"
_EDGE_WS = literal(f"^{_WS_CLASS}|{_WS_CLASS}$")
_ALL_WS = literal(f"{_WS_CLASS}*")


def strip_sql(cell: str) -> str:
    """The cell with Python's ``str.strip()`` applied (what classifier/io's to_text returns).

    trim() with a character list is ~15x slower than a regex test in DuckDB, and almost no cell
    has whitespace at its edges, so only those cells are trimmed.
    """
    return f"(CASE WHEN regexp_matches({cell}, {_EDGE_WS}) THEN trim({cell}, {_WS}) ELSE {cell} END)"


def blank_text_sql(text: str) -> str:
    """Non-NULL text made only of whitespace (as str.strip() sees it), or empty."""
    return f"regexp_full_match({text}, {_ALL_WS})"


def empty_sql(cell: str) -> str:
    """A NULL or blank cell (blank as classifier/io.values.is_empty sees it): an unknown answer."""
    return f"({cell} IS NULL OR {strip_sql(cell)} = '')"


def _bounds(value: str, spec: FactSpec) -> str:
    checks = []
    if spec.minimum is not None:
        checks.append(f"{value} >= {literal(float(spec.minimum))}")
    if spec.maximum is not None:
        checks.append(f"{value} <= {literal(float(spec.maximum))}")
    return " AND ".join(checks) or "TRUE"


def typed_cell(cell: str, spec: FactSpec) -> tuple[str, str]:
    """(typed value, cell is empty) for one raw VARCHAR cell of fact ``spec``."""
    t = f"trim({cell})"
    if spec.type == "bool":
        low = f"lower({t})"
        typed = (
            f"CASE WHEN {low} IN ({', '.join(literal(v) for v in BOOL_TRUE)}) THEN TRUE "
            f"WHEN {low} IN ({', '.join(literal(v) for v in BOOL_FALSE)}) THEN FALSE END"
        )
    elif spec.type == "integer":
        value = f"TRY_CAST({t} AS BIGINT)"
        typed = f"CASE WHEN regexp_full_match({t}, '{_INT_RE}') AND {_bounds(value, spec)} THEN {value} END"
    elif spec.type == "number":
        value = f"TRY_CAST({t} AS DOUBLE)"
        shape = (
            f"(regexp_full_match({t}, '{_INT_RE}') OR (regexp_full_match({t}, '{_DEC_RE}') "
            f"AND NOT regexp_full_match({t}, '{_AMBIGUOUS_RE}')))"
        )
        typed = f"CASE WHEN {shape} AND {_bounds(value, spec)} THEN {value} END"
    elif spec.type == "enum":
        low = f"lower({t})"
        arms = []
        for code in spec.values:
            spellings = {code.lower()}
            label = spec.value_labels_vi.get(code)
            if label:
                spellings.add(label.lower())
            arms.append(
                f"WHEN {low} IN ({', '.join(literal(s) for s in sorted(spellings))}) THEN {literal(code)}"
            )
        typed = f"CASE {' '.join(arms)} END"
    elif spec.type == "date":
        typed = (
            f"CASE WHEN regexp_full_match({t}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
            f"THEN CAST(try_strptime({t}, '%Y-%m-%d') AS DATE) "
            f"WHEN regexp_full_match({t}, '[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}}') "
            f"THEN CAST(try_strptime({t}, '%d/%m/%Y') AS DATE) END"
        )
    else:
        stripped = strip_sql(cell)
        typed = f"CASE WHEN {stripped} <> '' THEN {stripped} END"
    return f"(CASE WHEN {empty_sql(cell)} THEN NULL ELSE ({typed}) END)", empty_sql(cell)


def income_text_sql(value: str) -> str:
    """A DOUBLE income as classifier.io.writers.format_income writes it: digits when whole, else the
    shortest text that reads back as the same double (DuckDB's DOUBLE -> VARCHAR cast gives exactly
    Python's ``repr`` for such values; tests/unit/test_batch_sql.py pins it).

    Whole values go through HUGEINT so that no exponent appears; the fast path only admits
    incomes of at most 15 digits, so they are exact.
    """
    return (
        f"CASE WHEN {value} IS NULL THEN NULL WHEN {value} = trunc({value}) "
        f"THEN CAST(CAST({value} AS HUGEINT) AS VARCHAR) ELSE CAST({value} AS VARCHAR) END"
    )


# -- the one-pass typing of CSV / Parquet cells --------------------------------------------------------
#
# Same acceptance as typed_cell (never wider), arranged so that the usual cell costs one cheap test:
# the exact canonical spelling is tried first (an equality, or a cast that round-trips to the same
# text), and the general test (trim, lower, regular expressions) runs only on the rows that failed
# it; DuckDB evaluates CASE branches and OR operands only on the rows still undecided.

WS_CODES = ", ".join(str(ord(ch)) for ch in PY_WHITESPACE)


def no_edge_space_sql(cell: str) -> str:
    """The non-empty cell neither starts nor ends with a character Python's str.strip() removes."""
    return f"(unicode({cell}) NOT IN ({WS_CODES}) AND unicode(right({cell}, 1)) NOT IN ({WS_CODES}))"


def fast_text_sql(cell: str) -> str:
    """Python-exact stripped text, NULL when blank; the exact trim only for the rare padded cell."""
    return (
        f"(CASE WHEN {cell} IS NULL OR {cell} = '' THEN NULL WHEN {no_edge_space_sql(cell)} THEN {cell} "
        f"ELSE NULLIF(trim({cell}, {_WS}), '') END)"
    )


def fast_typed_cell(cell: str, spec: FactSpec) -> tuple[str, bool]:
    """(typed value, whether acceptance must be checked) for one raw VARCHAR cell of ``spec``.

    The typed value is NULL for an empty or refused cell; a cell is accepted when it is NULL, its
    typed value is not NULL, or it is only spaces (:func:`accepted_sql`, over the typed column
    and the raw text). Text is always accepted.
    """
    if spec.type == "string":
        return fast_text_sql(cell), False
    general, _ = typed_cell(cell, spec)
    if spec.type == "bool":
        exact = "WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE WHEN '1' THEN TRUE WHEN '0' THEN FALSE"
        return f"(CASE WHEN {cell} IS NULL THEN NULL ELSE (CASE {cell} {exact} ELSE {general} END) END)", True
    if spec.type == "enum":
        arms = []
        for code in spec.values:
            arms.append(f"WHEN {literal(code)} THEN {literal(code)}")
            label = spec.value_labels_vi.get(code)
            if label:
                arms.append(f"WHEN {literal(label)} THEN {literal(code)}")
        return (
            f"(CASE WHEN {cell} IS NULL THEN NULL "
            f"ELSE (CASE {cell} {' '.join(arms)} ELSE {general} END) END)",
            True,
        )
    if spec.type in ("integer", "number"):
        # Plain digits, at most 15 (exact as a DOUBLE): the UBIGINT cast round-trips to the same
        # text only for those (no sign, no leading zero, no spaces).
        value = f"TRY_CAST({cell} AS UBIGINT)"
        target = "BIGINT" if spec.type == "integer" else "DOUBLE"
        fast = f"CAST({value} AS {target})"
        canonical = f"length({cell}) <= 15 AND CAST({value} AS VARCHAR) = {cell}"
        return (
            f"(CASE WHEN {cell} IS NULL THEN NULL WHEN {canonical} "
            f"THEN (CASE WHEN {_bounds(fast, spec)} THEN {fast} END) ELSE {general} END)",
            True,
        )
    if spec.type == "date":
        # ISO dates as DuckDB writes them (4-digit year): the DATE cast round-trips exactly.
        value = f"TRY_CAST({cell} AS DATE)"
        return (
            f"(CASE WHEN {cell} IS NULL THEN NULL "
            f"WHEN length({cell}) = 10 AND CAST({value} AS VARCHAR) = {cell} "
            f"THEN {value} ELSE {general} END)",
            True,
        )
    return general, True


def accepted_sql(cell: str, typed: str) -> str:
    """The cell is an answer the fast path took: typed, NULL, or spaces only.

    A CASE, not OR: DuckDB evaluates every operand of an OR in a projection, but each WHEN only on
    the rows still undecided, so trim() runs only on the rare cell that was refused.
    """
    return f"(CASE WHEN {typed} IS NOT NULL OR {cell} IS NULL THEN TRUE ELSE trim({cell}) = '' END)"
