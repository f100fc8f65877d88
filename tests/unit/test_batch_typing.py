"""SQL cell typing of the batch pipeline (classifier/batch/typing.py) against the Python reference.

The batch fast path writes some values from SQL that the per-record path writes from Python; these
pin that the two spell them identically, so output files stay line-for-line equal.
"""

from __future__ import annotations

import random

import duckdb

from classifier.batch.typing import PY_WHITESPACE, blank_text_sql, empty_sql, income_text_sql, strip_sql
from classifier.io.values import is_empty
from classifier.io.writers import format_income


def test_income_text_in_sql_is_format_income() -> None:
    """DuckDB's spelling of an income double equals format_income's (digits when whole, else repr,
    exponents included), over whole, divided, tiny and large figures."""
    rng = random.Random(2026)
    values = [0.0, 1.0, 2.5, 1e-05, 0.0001, 1500000.5, 4_000_000 / 3, 999_999_999_999_999.0, 1e15 + 0.5]
    values += [rng.randint(0, 10**15) / rng.randint(1, 40) for _ in range(3000)]
    values += [rng.random() * 10 ** rng.randint(-8, 15) for _ in range(3000)]
    con = duckdb.connect()
    got = con.execute(
        f"SELECT list({income_text_sql('x')} ORDER BY i) FROM "
        "(SELECT unnest($1::DOUBLE[]) AS x, unnest(range(len($1))) AS i)",
        [values],
    ).fetchone()
    assert got is not None
    assert got[0] == [format_income(v) for v in values]


def test_strip_and_blank_follow_python() -> None:
    """Ids and place names lose exactly the whitespace str.strip() removes (tabs and line breaks too,
    which DuckDB's plain trim keeps), and a cell of such whitespace is blank, as is_empty says."""
    rng = random.Random(7)
    pool = [*PY_WHITESPACE, "a", "đ", "ơ", " ", "x"]
    cells = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 6))) for _ in range(2000)]
    cells += ["\tH1\t", "\r\n", "\xa0Thôn 1\u3000"]
    con = duckdb.connect()
    got = con.execute(
        f"SELECT list({strip_sql('c')} ORDER BY i), list({empty_sql('c')} ORDER BY i), "
        f"list({blank_text_sql('c')} ORDER BY i) FROM "
        "(SELECT unnest($1::VARCHAR[]) AS c, unnest(range(len($1))) AS i)",
        [cells],
    ).fetchone()
    assert got is not None
    assert got[0] == [c.strip() for c in cells]
    assert got[1] == [is_empty(c) for c in cells]
    assert got[2] == [is_empty(c) for c in cells]  # the whole-row spacer test
