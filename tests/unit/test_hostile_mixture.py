"""The closing check of issue 8: one file mixing every hostile record kind the review found, among 60
sample households, through both engines: read = classified + errors, the same outputs, and each
error naming the record, the field and the value (personal values withheld)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from classifier.cli import main
from classifier.data import sample_path

SAMPLE = sample_path("commune.jsonl")
REFERENCE_DATE = "2026-11-01"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _hostile_lines() -> dict[str, str]:
    """One JSON line per hostile record kind of issue 8 (families 2, 3 and 7), by a short name."""
    base = {"id": "X", "area": "rural", "income_per_capita_month": 2_000_000}
    member = {"id": "m1", "birth_date": "1990-01-01"}

    def line(record_id: str, **fields: object) -> str:
        return json.dumps({**base, "id": record_id, **fields}, ensure_ascii=False)

    repeated = line("X-REPEAT")
    return {
        "repeated key": repeated[:-1] + ', "area": "urban"}',
        "born after the reference date": line("X-FUTURE", members=[{**member, "birth_date": "2030-01-01"}]),
        "born 200 years back": line("X-OLD", members=[{**member, "birth_date": "1820-01-01"}]),
        "NFC id": line("X-\u1ed8"),
        "NFD id (a duplicate)": line("X-O\u0323\u0302"),
        "null record": "null",
        "400-digit income": line("X-BIGINCOME", income_per_capita_month=int("9" * 400)),
        "huge member_count": line("X-BIGCOUNT", member_count=10**30),
        "140,000-character cell": line("X-LONG", water_source="x" * 140_000),
        "nested 1,000 deep": '{"id": "X-DEEP", "area": ' + "[" * 1000 + "]" * 1000 + "}",
        "a float beyond any income": line("X-FLOAT", income_per_capita_month=1e300),
        "an array, not a record": "[1, 2]",
        "not JSON": "{id: X-BROKEN",
        "formula id (classified, neutralised)": line('=HYPERLINK("http://x")'),
        "more digits than a double holds": line("X-DECIMALS", income_per_capita_month=0)[:-2]
        + "1500000.0000000001}",
    }


def test_a_mixed_hostile_file_is_fully_accounted_for_on_both_engines(tmp_path: Path) -> None:
    """Every record comes out once; the two engines write the same rows; every error row has lines in the
    errors file naming its record (id, else row), field and value."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    hostile = _hostile_lines()
    mixed = lines[:20] + list(hostile.values()) + lines[20:60]
    source = tmp_path / "hon-hop.jsonl"
    source.write_text("\n".join(mixed) + "\n", encoding="utf-8")
    results = {}
    for engine in ("batch", "durable"):
        out = tmp_path / f"kq-{engine}.csv"
        code, _, err = run(
            "classify",
            str(source),
            "-o",
            str(out),
            "--engine",
            engine,
            "--quiet",
            "--reference-date",
            REFERENCE_DATE,
        )
        assert code == 1, err
        rows = read_csv(out)
        errors = read_csv(tmp_path / f"kq-{engine}.errors.csv")
        classified = [r for r in rows if r["classification"]]
        failed = [r for r in rows if not r["classification"]]
        assert f"read {len(mixed)} = classified {len(classified)} + errors {len(failed)}" in err
        assert len(rows) == len(mixed) and all(bool(r["error"]) == (not r["classification"]) for r in rows)
        for row in failed:
            mine = [
                e for e in errors if (row["id"] and e["record_id"] == row["id"]) or e["row"] == row["row"]
            ]
            assert mine, f"no errors-file line for {row['id'] or row['row']}"
            for e in mine:
                assert e["field"], e
                assert e["value"] or "value not shown" in row["error"] or e["field"] == "id", e
        results[engine] = (
            [{k: v for k, v in r.items() if k != "engine"} for r in rows],
            (tmp_path / f"kq-{engine}.errors.csv").read_bytes(),
        )
    assert results["batch"] == results["durable"]
    rows = results["batch"][0]
    by_id = {r["id"]: r for r in rows}
    # Every hostile kind is an error but two that are classified: the formula id (neutralised) and the
    # NFC spelling of the id whose NFD spelling comes after it (that one is the repeated id).
    assert len([r for r in rows if r["error"]]) == len(hostile) - 2
    assert by_id["X-\u1ed8"]["classification"]
    assert by_id['\'=HYPERLINK("http://x")']["classification"]
    assert "1500000.0000000001" in by_id["X-DECIMALS"]["error"]  # never rounded onto the line
    assert "repeated" in by_id["X-REPEAT"]["error"]
    assert "not after the reference date" in by_id["X-FUTURE"]["error"]
    assert "at most 130" in by_id["X-OLD"]["error"]
    assert "an id not used by an earlier record" in rows[20 + 4]["error"]
