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
from classifier.io.contract import CONTRACT
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
    "text_ok_sql",
    "typed_cell",
]

# The bool words of the typing contract (classifier/io/contract.yaml), shared with classifier/io.
BOOL_TRUE = CONTRACT.bool_true
BOOL_FALSE = CONTRACT.bool_false

#: Significant digits the SQL typing reads itself: a decimal number of at most 15 digits is the
#: same double whether Python or DuckDB converts it; longer ones go to the per-record parser.
EXACT_DIGITS = 15
#: The number shapes DuckDB's DOUBLE cast reads as written (no thousands marks, '.' decimal):
#: the SQL accepts only these, with at most EXACT_DIGITS digits; every other shape of the contract
#: is left to the per-record parser.
_SQL_SHAPES = tuple(s.pattern for s in CONTRACT.number_shapes if not s.remove and s.decimal in (None, "."))
_AMBIGUOUS_RE = CONTRACT.ambiguous


#: Every character Python's str.strip() removes. DuckDB's one-argument trim() keeps tabs and line
#: breaks, so a cell " H1\t" would keep its tab in SQL and lose it in classifier/io: ids, place
#: names and blank-cell checks strip exactly this set instead. Written out (scanning every code point
#: for str.isspace() cost each process ~0.1 s at import); tests/unit/test_batch_typing.py holds it equal
#: to that scan.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
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


def _number_sql(t: str, spec: FactSpec) -> str:
    """Typed number of the stripped text ``t``, NULL when the SQL does not read it itself."""
    target = "BIGINT" if spec.type == "integer" else "DOUBLE"
    value = f"TRY_CAST({t} AS {target})"
    shapes = " OR ".join(f"regexp_full_match({t}, {literal(p)})" for p in _SQL_SHAPES)
    digits = f"length(regexp_replace({t}, '[^0-9]', '', 'g')) <= {EXACT_DIGITS}"
    accepted = f"({shapes}) AND {digits} AND NOT regexp_full_match({t}, {literal(_AMBIGUOUS_RE)})"
    if spec.type == "integer":  # a whole number: the digits-only shape (25.0 goes to the parser)
        accepted = f"regexp_full_match({t}, '[0-9]+') AND {digits}"
    return f"CASE WHEN {accepted} AND {_bounds(value, spec)} THEN {value} END"


def _date_sql(t: str) -> str:
    """Typed date of the stripped text ``t`` in one of the contract's forms, NULL otherwise."""
    arms = []
    for form in CONTRACT.date_forms:
        parts = f"regexp_extract({t}, {literal(form.pattern)}, {list(form.order)!r})"
        made = (
            f"try(make_date(CAST({parts}.year AS INTEGER), CAST({parts}.month AS INTEGER), "
            f"CAST({parts}.day AS INTEGER)))"
        )
        arms.append(
            f"WHEN regexp_full_match({t}, {literal(form.pattern)}) THEN "
            f"(CASE WHEN CAST({parts}.year AS INTEGER) >= {CONTRACT.min_year} THEN {made} END)"
        )
    return f"CASE {' '.join(arms)} END"


def typed_cell(cell: str, spec: FactSpec) -> tuple[str, str]:
    """(typed value, cell is empty) for one raw VARCHAR cell of fact ``spec``.

    Built from the typing contract; never wider than classifier/io/values.py: a cell it does not
    type comes out NULL and not empty, which sends the record to the per-record parser.
    """
    t = f"trim({cell})"
    if spec.type == "bool":
        low = f"lower({t})"
        typed = (
            f"CASE WHEN {low} IN ({', '.join(literal(v) for v in BOOL_TRUE)}) THEN TRUE "
            f"WHEN {low} IN ({', '.join(literal(v) for v in BOOL_FALSE)}) THEN FALSE END"
        )
    elif spec.type in ("integer", "number"):
        typed = _number_sql(t, spec)
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
        typed = _date_sql(t)
    else:
        stripped = strip_sql(cell)
        typed = (
            f"CASE WHEN {stripped} <> '' AND length({cell}) <= {CONTRACT.max_text_length} THEN {stripped} END"
        )
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
    """Python-exact stripped text, NULL when blank; the exact trim only for the rare padded cell.

    A cell longer than the contract allows is typed all the same: :func:`text_ok_sql` refers it."""
    return (
        f"(CASE WHEN {cell} IS NULL OR {cell} = '' THEN NULL WHEN {no_edge_space_sql(cell)} THEN {cell} "
        f"ELSE NULLIF(trim({cell}, {_WS}), '') END)"
    )


def text_ok_sql(cell: str) -> str:
    """The text cell is not longer than the contract allows (else the record parser refuses it)."""
    return f"coalesce(length({cell}) <= {CONTRACT.max_text_length}, TRUE)"


def fast_typed_cell(cell: str, spec: FactSpec) -> tuple[str, bool]:
    """(typed value, whether acceptance must be checked) for one raw VARCHAR cell of ``spec``.

    The typed value is NULL for an empty or refused cell; a cell is accepted when it is NULL, its
    typed value is not NULL, or it is only spaces (:func:`accepted_sql`, over the typed column
    and the raw text). Text is always accepted.
    """
    if spec.type == "string":
        # Text is accepted unless too long: the check rides on the typed value (same length or less).
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
        canonical = f"length({cell}) <= {EXACT_DIGITS} AND CAST({value} AS VARCHAR) = {cell}"
        return (
            f"(CASE WHEN {cell} IS NULL THEN NULL WHEN {canonical} "
            f"THEN (CASE WHEN {_bounds(fast, spec)} THEN {fast} END) ELSE {general} END)",
            True,
        )
    if spec.type == "date":
        # ISO dates as DuckDB writes them (4-digit year from the contract's first year on): the
        # DATE cast round-trips exactly.
        value = f"TRY_CAST({cell} AS DATE)"
        return (
            f"(CASE WHEN {cell} IS NULL THEN NULL "
            f"WHEN length({cell}) = 10 AND CAST({value} AS VARCHAR) = {cell} "
            f"AND {cell} >= '{CONTRACT.min_year:04d}-01-01' THEN {value} ELSE {general} END)",
            True,
        )
    return general, True


def accepted_sql(cell: str, typed: str) -> str:
    """The cell is an answer the fast path took: typed, NULL, or spaces only.

    A CASE, not OR: DuckDB evaluates every operand of an OR in a projection, but each WHEN only on
    the rows still undecided, so trim() runs only on the rare cell that was refused.
    """
    return f"(CASE WHEN {typed} IS NOT NULL OR {cell} IS NULL THEN TRUE ELSE trim({cell}) = '' END)"
