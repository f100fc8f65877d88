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


def test_fast_typing_never_reads_a_cell_differently_from_the_general_typing() -> None:
    """The one-pass typing tries exact spellings first; over canonical, padded, re-cased, ambiguous,
    impossible and blank cells it gives the general typing's value, and accepts no cell the general
    typing refuses (it may send more to the per-record parser, never fewer)."""
    from classifier.batch.typing import accepted_sql, fast_typed_cell, typed_cell
    from classifier.rules import load_ruleset
    from classifier.rules.ruleset import FactSpec

    facts = load_ruleset("nd-07-2021").facts
    specs = [
        facts.household["walls_durable"],
        facts.household["water_source"],
        facts.member["education"],
        FactSpec(name="income", level="household", type="number", minimum=0),
        FactSpec(name="member_count", level="household", type="integer", minimum=1),
        FactSpec(name="age", level="member", type="integer", minimum=0, maximum=130),
        FactSpec(name="reference_date", level="household", type="date"),
        FactSpec(name="province", level="household", type="string"),
    ]
    rng = random.Random(11)
    words = ["true", "false", "1", "0", "True", "FALSE", "có", "Không", "khong", "yes", "x", "T"]
    words += [c for s in specs for c in s.values] + [v for s in specs for v in s.value_labels_vi.values()]
    words += ["0", "7", "007", "130", "131", "1500000", "1.500", "1.5", "1500000.5", "-5", "+5", "1e5"]
    words += ["999999999999999", "9999999999999999", "18446744073709551616", "1 500 000", "1.500.000"]
    words += ["2025-11-01", "2025-02-30", "01/11/2025", "1/2/2020", "0000-01-01", "10000-01-01", "2025-1-1"]
    words += ["Tỉnh A", "", " ", "\t", "\xa0"]
    cells: list[str | None] = [None]
    for _ in range(3000):
        w = rng.choice(words)
        padded = rng.choice(["", " ", "\t", "  "]) + w + rng.choice(["", " ", "\t"])
        cells.append(padded if rng.random() < 0.3 else w)
    con = duckdb.connect()
    for spec in specs:
        fast, check = fast_typed_cell("c", spec)
        general, empty = typed_cell("c", spec)
        accepted = accepted_sql("c", fast) if check else "TRUE"
        rows = con.execute(
            f"SELECT c, {fast}, {general}, {accepted}, ({empty} OR {general} IS NOT NULL) FROM "
            "(SELECT unnest($1::VARCHAR[]) AS c)",
            [cells],
        ).fetchall()
        for cell, got, want, ok_fast, ok_general in rows:
            if spec.type == "string":
                assert got == (cell.strip() or None if cell is not None else None), (spec.name, cell)
                continue
            assert got == want, (spec.name, cell, got, want)
            assert not ok_fast or ok_general, (spec.name, cell)


def test_py_whitespace_is_every_character_str_strip_removes() -> None:
    """The written-out PY_WHITESPACE is exactly the characters for which str.isspace() holds."""
    assert "".join(chr(c) for c in range(0x110000) if chr(c).isspace()) == PY_WHITESPACE
