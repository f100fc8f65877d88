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

__all__ = ["BOOL_FALSE", "BOOL_TRUE", "empty_sql", "typed_cell"]

# The bool words of classifier/io/values.py (same lists; the Python parser is the reference).
BOOL_TRUE = ("true", "1", "yes", "có", "co")
BOOL_FALSE = ("false", "0", "no", "không", "khong")

# Digits only, at most 15 so that the value is exact as a DOUBLE.
_INT_RE = "[0-9]{1,15}"
_DEC_RE = "[0-9]{1,15}\\.[0-9]{1,15}"
# "1.500" is ambiguous (1500 or 1.5): the reference parser refuses it, so the fast path must too.
_AMBIGUOUS_RE = "[1-9][0-9]{0,2}\\.[0-9]{3}"


def empty_sql(cell: str) -> str:
    """A NULL or blank cell: an unknown answer."""
    return f"({cell} IS NULL OR trim({cell}) = '')"


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
        typed = f"CASE WHEN {t} <> '' THEN {t} END"
    return f"(CASE WHEN {empty_sql(cell)} THEN NULL ELSE ({typed}) END)", empty_sql(cell)
