"""The streaming file pipeline (classifier.batch.run_batch) against the per-record path.

The batch pipeline types cells in SQL and hands every row it does not accept to the per-record
parser, so its output file must be the per-record path's output, line for line, errors included.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import attrs
import duckdb
import pytest

from classifier.batch import run_batch
from classifier.engine.durable import DurableEngine
from classifier.io import ResultWriter, known_indicator_keys, parse_records, read_records
from classifier.rules import load_ruleset

REF = dt.date(2025, 11, 1)
RULESET = load_ruleset("nd-07-2021")

HOUSEHOLDS = """\
id,area,income_per_capita_month,income_total_month,member_count,floor_area_m2,walls_durable,water_source,latrine_type,uses_phone,reference_date,deprivations.employment
H1,rural,1400000,,,20,false,nước máy,septic,có,,
H2,rural,1.500,,,20,x,piped,septic,true,,
H3,Nông thôn,,5800000,,25,true,nuoc may,open,không,01/11/2025,1
H1,urban,100,,,,,,,,,
,rural,100,,,,,,,,,
H6,,100,,,,,,,,,
H7,rural,,,,,,,,,,
,,,,,,,,,,,
H8,urban,2000000,6000001,,,,,,,,
H9,urban,1999999,,5,,,,,,,yes
H10,rural,"1.500.000",,,,,,,,,
H11,rural,1500000.5,,,31.99,FALSE,rainwater,pour_flush,1,2025-02-30,
H12,rural,  1500000 ,,,8.0,True,surface_water,none,0,2025-11-01,0
"""
MEMBERS = """\
household_id,id,birth_date,age,has_health_insurance,in_school,education,employment_status,is_dependant
H1,a,2015-03-01,,true,false,primary,,false
H1,b,,40,false,,upper_secondary,unemployed,
H2,,1990-01-01,,true,,,,
H3,,,7,yes,no,,,
H3,,,300,yes,no,,,
H8,x,,30,true,,,,
H8,x,,31,true,,,,
H8,,,32,true,,,,
H9,,,2,true,true,,,true
H12,p,29/02/2020,,false,,,,
H12,q,,6,,,,,
ZZ,,,,,,,,
,,,5,,,,,
ZZ,,,,true,,,,
"""


@pytest.fixture()
def gallery(tmp_path: Path) -> tuple[Path, Path]:
    households, members = tmp_path / "ho.csv", tmp_path / "thanh-vien.csv"
    households.write_text(HOUSEHOLDS, encoding="utf-8")
    members.write_text(MEMBERS, encoding="utf-8")
    return households, members


def _per_record(households: Path, members: Path | None, out: Path) -> list[str]:
    """The per-record path (classifier.io + durable engine), named as batch so rows compare."""
    engine = DurableEngine(RULESET)
    with ResultWriter(out, RULESET) as writer:
        for record, result in parse_records(
            read_records(households, members_path=members),
            catalogue=RULESET.facts,
            indicator_keys=known_indicator_keys(),
        ):
            if isinstance(result, list):
                writer.write(record, result)
            else:
                found = engine.classify(result, result.reference_date or REF, with_trace=False)
                writer.write(record, attrs.evolve(found, engine="batch"))
    return out.read_text(encoding="utf-8-sig").splitlines()


def test_bad_rows_are_counted_and_reported_like_the_per_record_path(
    gallery: tuple[Path, Path], tmp_path: Path
) -> None:
    """Every input record comes out once (read = classified + errored), with the per-record path's
    own error messages, and orphan member rows are reported last."""
    households, members = gallery
    out, errors = tmp_path / "ket-qua.csv", tmp_path / "loi.csv"
    summary = run_batch(
        households,
        out,
        ruleset=RULESET,
        reference_date=REF,
        members_path=members,
        errors_path=errors,
        chunk_rows=4,
    )
    assert (summary.read, summary.classified, summary.errored) == (14, 3, 11)
    assert summary.read == summary.classified + summary.errored
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert out.read_text(encoding="utf-8-sig").splitlines() == _per_record(
        households, members, tmp_path / "ref.csv"
    )
    assert out.read_bytes() == (tmp_path / "ref.csv").read_bytes()  # CRLF and quoting too
    lines = errors.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "record_id,row,source,field,value,expected"
    assert lines[1].startswith("H2,3,ho.csv,walls_durable,x,")
    assert "H1,5,ho.csv,id,H1,an id not used by an earlier record in this file (first used at row 2)" in lines
    assert "H3,6,thanh-vien.csv,members[2].age,300,a whole number of at most 130" in lines
    assert lines[-1] == ",14,thanh-vien.csv,household_id,,a household id (the id of a household in ho.csv)"


def test_jsonl_and_parquet_inputs_give_the_csv_results(gallery: tuple[Path, Path], tmp_path: Path) -> None:
    """The same clean households read from JSON Lines or Parquet get the same classifications."""
    households, members = gallery
    run_batch(households, tmp_path / "c.jsonl", ruleset=RULESET, reference_date=REF, members_path=members)
    from_csv = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text(encoding="utf-8").splitlines()]
    chosen = [
        r
        for r in read_records(households, members_path=members)
        if r.source == "ho.csv" and r.row in (2, 12, 14)
    ]
    jsonl = tmp_path / "ho.jsonl"
    jsonl.write_text("".join(json.dumps(r.raw, ensure_ascii=False) + "\n" for r in chosen), encoding="utf-8")
    run_batch(jsonl, tmp_path / "j.jsonl", ruleset=RULESET, reference_date=REF)
    from_jsonl = [
        json.loads(line) for line in (tmp_path / "j.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    expected = [
        {k: v for k, v in r.items() if k != "row"}
        for r in from_csv
        if r["row"] in (2, 12, 14) and r["id"] in ("H1", "H10", "H12")
    ]
    assert [{k: v for k, v in r.items() if k != "row"} for r in from_jsonl] == expected
    assert [r["id"] for r in from_jsonl if r["classification"]] == ["H1", "H10", "H12"]

    con = duckdb.connect()
    flat = tmp_path / "flat.csv"
    flat.write_text(HOUSEHOLDS.split("\n", 1)[0] + "\nH20,urban,2500000,,3,,,,,,,\n", encoding="utf-8")
    con.execute(
        f"COPY (SELECT * FROM read_csv('{flat}', all_varchar = true)) TO '{tmp_path / 'ho.parquet'}' "
        "(FORMAT parquet)"
    )
    summary = run_batch(tmp_path / "ho.parquet", tmp_path / "p.parquet", ruleset=RULESET, reference_date=REF)
    rows = con.execute(f"SELECT id, classification, engine FROM '{tmp_path / 'p.parquet'}'").fetchall()
    assert (summary.read, rows) == (1, [("H20", "muc_song_trung_binh", "batch")])


def test_an_interrupted_run_leaves_no_output(gallery: tuple[Path, Path], tmp_path: Path) -> None:
    """A run stopped mid-way (here by its progress callback) leaves no output file, not even a part."""
    households, members = gallery
    out = tmp_path / "ket-qua.csv"
    calls: list[tuple[int, int | None]] = []

    def stop(done: int, total: int | None) -> None:
        calls.append((done, total))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(
            households,
            out,
            ruleset=RULESET,
            reference_date=REF,
            members_path=members,
            chunk_rows=4,
            progress=stop,
            errors_path=tmp_path / "loi.csv",
        )
    assert calls == [(4, 12)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ho.csv", "thanh-vien.csv"]


def test_progress_reports_each_chunk_up_to_the_total(gallery: tuple[Path, Path], tmp_path: Path) -> None:
    """Progress is called once per chunk with (rows done, rows in the file)."""
    households, members = gallery
    calls: list[tuple[int, int | None]] = []
    run_batch(
        households,
        tmp_path / "o.csv",
        ruleset=RULESET,
        reference_date=REF,
        members_path=members,
        chunk_rows=5,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(5, 12), (9, 12), (12, 12)]  # row 9 is a blank spacer row


PLACES = (
    "id,area,province,commune,village,income_per_capita_month,income_total_month,member_count,"
    "deprivations.employment\n"
    'P1,rural,Tỉnh A,"Xã B, C",Thôn 1,,4000000,3,1\n'  # 1333333.333…: a non-whole per-capita figure
    'P2,urban,Tỉnh A,"Xã ""Mới""",\tThôn 2\t,1500000.5,,,0\n'  # tabs are stripped as the parser does
    "P3,city,Tỉnh A,,Thôn 3,100,,,\n"  # an error row keeps its place
    "P4,rural, ,Xã D,Thôn 4,0.25,,,1\n"  # a blank province is no province
    "\tP5\t,rural,Tỉnh E,Xã E,,1.500.000,,2,\n"  # the slow path (a Vietnamese-style number)
    "P6,rural,Tỉnh F,Xã F,Thôn 6,,10,4,0\n"  # 2.5 exactly
    "\tP7\t,urban,Tỉnh G,Xã G,Thôn 7,2000000,,,1\n"  # a tab-padded id on the fast path is 'P7'
)


def test_place_and_income_columns_equal_the_per_record_path(tmp_path: Path) -> None:
    """Place codes and the exact per-capita income (divided totals, decimals) are written
    by the SQL fast path, the Python slow path and error rows exactly as the per-record path writes them."""
    households = tmp_path / "ho.csv"
    households.write_text(PLACES, encoding="utf-8")
    out = tmp_path / "ket-qua.csv"
    summary = run_batch(households, out, ruleset=RULESET, reference_date=REF, chunk_rows=3)
    assert (summary.read, summary.errored) == (7, 1)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines == _per_record(households, None, tmp_path / "ref.csv")
    assert out.read_bytes() == (tmp_path / "ref.csv").read_bytes()
    rows = {r["id"]: r for r in csv.DictReader(lines)}
    assert rows["P1"]["income_per_capita_month"] == "1333333.3333333333"
    assert (rows["P2"]["commune"], rows["P2"]["village"]) == ('Xã "Mới"', "Thôn 2")
    assert (rows["P3"]["village"], rows["P3"]["classification"]) == ("Thôn 3", "")
    assert (rows["P4"]["province"], rows["P4"]["income_per_capita_month"]) == ("", "0.25")
    assert (rows["P5"]["province"], rows["P5"]["income_per_capita_month"]) == ("Tỉnh E", "1500000")
    assert rows["P6"]["income_per_capita_month"] == "2.5"
    assert rows["P7"]["village"] == "Thôn 7"


def test_jsonl_output_writes_the_income_as_a_number(tmp_path: Path) -> None:
    """In JSON Lines the income is a JSON number (the exact double), not text."""
    households = tmp_path / "ho.csv"
    households.write_text(PLACES, encoding="utf-8")
    run_batch(households, tmp_path / "r.jsonl", ruleset=RULESET, reference_date=REF)
    rows = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    incomes = [r["income_per_capita_month"] for r in rows]
    assert incomes == [4_000_000 / 3, 1500000.5, None, 0.25, 1500000, 2.5, 2000000]
    assert rows[2]["village"] == "Thôn 3" and rows[4]["id"] == "P5"


def test_members_without_ids_are_named_by_their_place_in_the_household(tmp_path: Path) -> None:
    """Missing answers of members without an id read 'member #2' (second member of that household,
    however the members file interleaves households), as the per-record path writes them."""
    households, members = tmp_path / "ho.csv", tmp_path / "tv.csv"
    households.write_text(
        "id,area,income_per_capita_month\nA,rural,1000000\nB,urban,1000000\n", encoding="utf-8"
    )
    members.write_text(
        "household_id,age,has_health_insurance\nB,30,true\nA,40,\nB,,true\nA,50,true\n", encoding="utf-8"
    )
    out = tmp_path / "ket-qua.csv"
    run_batch(households, out, ruleset=RULESET, reference_date=REF, members_path=members)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines == _per_record(households, members, tmp_path / "ref.csv")
    assert out.read_bytes() == (tmp_path / "ref.csv").read_bytes()  # 'member #1' is not quoted
    rows = {r["id"]: r for r in csv.DictReader(lines)}
    assert "member #1.has_health_insurance" in rows["A"]["missing_fields"].split(";")
    assert "member #2.age" in rows["B"]["missing_fields"].split(";")


def test_ragged_csv_rows_become_record_errors_not_a_failed_run(tmp_path: Path) -> None:
    """A row with too many or too few cells (a stray comma, a cut line) is that record's problem only:
    the batch run pads/spills it like the per-record reader, instead of DuckDB failing the file."""
    households = tmp_path / "ho.csv"
    households.write_text(
        "id,area,income_per_capita_month,member_count\n"
        "A,rural,1000000,2\n"
        "B,rural,1000000,2,extra\n"
        "C,urban,5000000,3\n"
        "D,urban\n"
        "E,rural,2000000,1,,\n"
        'F,urban,"2000000",4\n',
        encoding="utf-8",
    )
    members = tmp_path / "tv.csv"
    members.write_text("household_id,id,age\nA,A-1,30,x\nA,A-2\n", encoding="utf-8")
    out = tmp_path / "ket-qua.csv"
    summary = run_batch(households, out, ruleset=RULESET, reference_date=REF, members_path=members)
    assert summary.read == 6 and summary.read == summary.classified + summary.errored
    _per_record(households, members, tmp_path / "ref.csv")
    assert out.read_bytes() == (tmp_path / "ref.csv").read_bytes()
    text = out.read_text(encoding="utf-8-sig")
    assert "(column 5 has no header)" in text  # B's stray cell is named, not dropped


@pytest.mark.slow  # a real process or a large file: runs in .ci/run, not the fast suite
def test_rows_keep_their_number_and_order_in_a_file_read_in_parallel(tmp_path: Path) -> None:
    """Row numbers come from the typed table's insertion order: in a file large enough for DuckDB to
    scan in several parallel batches (and with a spacer row and a padded cell), every output row
    still carries its own spreadsheet row and id, in input order."""
    n = 60_000
    village = "Thôn " + "Đoàn Kết " * 12  # wide rows: several CSV buffers, so several batches
    lines = ["id,area,income_per_capita_month,province,village"]
    for i in range(n):
        row = i + 2
        if i == 30_000:
            lines.append(",,,,")  # a spacer row keeps its number (it is simply not a record)
            continue
        area = "rural" if i % 3 else " urban"  # a padded cell goes through the general typing
        lines.append(f"H{row},{area},{1_000_000 + row},Tỉnh {row % 7},{village}{row}")
    households = tmp_path / "ho.csv"
    households.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "ket-qua.csv"
    summary = run_batch(households, out, ruleset=RULESET, reference_date=REF, chunk_rows=25_000, threads=2)
    assert (summary.read, summary.errored) == (n - 1, 0)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["row"]) for r in rows] == [i + 2 for i in range(n) if i != 30_000]
    assert all(r["id"] == f"H{r['row']}" for r in rows)
    assert all(r["income_per_capita_month"] == str(1_000_000 + int(r["row"])) for r in rows)
    assert all(r["village"].endswith(r["row"]) for r in rows)


def test_empty_lines_do_not_shift_row_numbers(tmp_path: Path) -> None:
    """DuckDB skips a truly empty line; the per-record reader counts it. A record after one must carry
    the same row number in both paths (it is what a reviewer looks up in the file)."""
    households = tmp_path / "ho.csv"
    households.write_text(
        "id,area,income_per_capita_month,member_count\n"
        "A1,rural,1000000,2\n\n"
        "A3,rural,abc,2\n\r\n"
        "A5,urban,5000000,1\n",
        encoding="utf-8",
    )
    out = tmp_path / "ket-qua.csv"
    summary = run_batch(households, out, ruleset=RULESET, reference_date=REF)
    assert (summary.read, summary.errored) == (3, 1)
    _per_record(households, None, tmp_path / "ref.csv")
    assert out.read_bytes() == (tmp_path / "ref.csv").read_bytes()
    assert "record A3 (ho.csv row 4)" in out.read_text(encoding="utf-8-sig")
