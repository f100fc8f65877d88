"""The one-file flags CSV benchmark (issue 7 item 10). Not a test: no assertions.

One file with the flags as columns (id, area, income, member_count, the 12 indicator flags of
ND 07/2021 as ``deprivations.<key>``: true/false/1/0/blank), generated with DuckDB (seeded), and in
one run, each in a child process with its peak RSS:

* floor — DuckDB reading every cell of the file and writing the same columns to a CSV;
* batch — ``run_batch`` end to end, CSV -> CSV with an errors file;
* ratio — batch / floor;
* I/O floor — DuckDB reading every cell of the file plus writing the rows of our output file
  (benchmarks/run.py, ``write_output_s``): the output has 31 columns against the input's 16, and
  writing it costs more than the whole floor; ``ratio_to_io_floor`` = batch / I/O floor.

    python benchmarks/flags.py --households 1000000
    python benchmarks/flags.py --households 1000000 --repeat 3   # medians of 3 alternated runs
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import READ_ONLY, alternate, child, ids_in_input_order, write_output_s

FLOOR = """
import sys, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # DuckDB would draw it on our stdout
con.execute(f"COPY (SELECT * FROM read_csv('{sys.argv[1]}', all_varchar = true)) TO '{sys.argv[2]}' "
            "(FORMAT csv, HEADER true)")
"""

BATCH = """
import sys, datetime as dt, json
from classifier.batch import run_batch
from classifier.rules import load_ruleset
s = run_batch(sys.argv[1], sys.argv[2], ruleset=load_ruleset("nd-07-2021"),
              reference_date=dt.date(2026, 11, 1), errors_path=sys.argv[3])
print(json.dumps([s.read, s.classified, s.errored, s.seconds]))
"""


def ensure_flags_file(n: int, data: Path) -> Path:
    """The flags CSV of ``n`` households (generated once per size; seeded)."""
    import duckdb

    from classifier.rules import load_ruleset

    path = data / f"flags-{n}.csv"
    if path.exists():
        return path
    data.mkdir(parents=True, exist_ok=True)
    keys = load_ruleset("nd-07-2021").indicator_ids
    spellings = "['true', 'false', '1', '0', '', 'false', 'false', '0']"
    flags = ", ".join(
        f'{spellings}[1 + CAST(floor(random() * 8) AS INTEGER)] AS "deprivations.{k}"' for k in keys
    )
    con = duckdb.connect()
    con.execute("SELECT setseed(0.2026)")
    con.execute(
        f"COPY (SELECT 'H' || lpad(CAST(i AS VARCHAR), 8, '0') AS id, "
        "CASE WHEN random() < 0.7 THEN 'rural' ELSE 'urban' END AS area, "
        "CAST(500000 + floor(random() * 3000000) AS BIGINT) AS income_per_capita_month, "
        f"CAST(1 + floor(random() * 7) AS INTEGER) AS member_count, {flags} "
        f"FROM range({n}) AS t(i)) TO '{path}.tmp' (FORMAT csv, HEADER true)"
    )
    con.close()
    Path(f"{path}.tmp").rename(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "chuan-ngheo-bench")
    parser.add_argument(
        "--repeat", type=int, default=1, help="floor and batch runs, alternated; medians reported (default 1)"
    )
    args = parser.parse_args(argv)
    source = ensure_flags_file(args.households, args.data)
    with tempfile.TemporaryDirectory() as work:
        runs = alternate(
            args.repeat,
            (FLOOR, str(source), str(Path(work) / "copy.csv")),
            (BATCH, str(source), str(Path(work) / "out.csv"), str(Path(work) / "out.errors.csv")),
        )
        in_order = ids_in_input_order(source, Path(work) / "out.csv")
        io_floor_s = child(READ_ONLY, str(source))[0] + write_output_s(Path(work) / "out.csv")
    read, classified, errored, _ = json.loads(runs.pop("printed").strip().splitlines()[-1])
    print(
        json.dumps(
            {
                "form": "one-file flags CSV",
                "households": args.households,
                "input_mb": round(source.stat().st_size / 2**20),
                **runs,
                "io_floor_s": round(io_floor_s, 1),
                "ratio_to_io_floor": round(runs["batch_s"] / io_floor_s, 2),
                "read": read,
                "classified": classified,
                "errored": errored,
                "output_in_input_order": in_order,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
