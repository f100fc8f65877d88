"""SQL text for rule-data values: identifiers and literals (no database import; used by the nodes and the
batch engine alike). Record values never become SQL text: only validated rule data goes through here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

__all__ = ["EMPTY", "concat", "literal", "quote_ident", "when"]

#: The empty list of names (missing answers, triggering members).
EMPTY = "[]::VARCHAR[]"


def quote_ident(name: str) -> str:
    """A double-quoted SQL identifier (embedded quotes doubled)."""
    if "\x00" in name:
        raise ValueError(f"identifier {name!r} contains a NUL character")
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A SQL literal for a rule-data value: bool, int, float, str or date; lists are not literals."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return f"CAST({value} AS BIGINT)" if abs(value) < 2**63 else _float_literal(float(value))
    if isinstance(value, float):
        return _float_literal(value)
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"string literal {value!r} contains a NUL character")
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return f"DATE '{value.isoformat()}'"
    raise TypeError(f"cannot render {value!r} ({type(value).__name__}) as a SQL literal")


def _float_literal(value: float) -> str:
    # repr round-trips a double exactly; a bare 0.5 would be a DECIMAL in DuckDB.
    return f"CAST('{value!r}' AS DOUBLE)"


def concat(parts: Sequence[str]) -> str | None:
    """One list expression from several (None when there are none: the node never adds names)."""
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return "list_concat(" + ", ".join(parts) + ")"


def when(test: str, expr: str) -> str:
    """``expr`` when ``test`` is TRUE, else the empty list."""
    return f"(CASE WHEN {test} THEN {expr} ELSE {EMPTY} END)"
