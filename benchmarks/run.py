"""Throughput and memory benchmark of the batch and durable paths (issue 3). Not a test: no assertions.

Measures, in one run, for each ``--households`` size:

* floor   — DuckDB reading every cell of the households + members CSVs and writing them back
  to CSV (child process; the issue's "reading and writing the same files");
* batch   — end-to-end ``run_batch`` CSV -> CSV, wall time and peak RSS of its child process;
* ratio   — batch / floor (and batch / a read-only floor, the definition of earlier rounds);
* I/O floor — the read-only floor plus DuckDB writing the rows of our own output file (loaded
  beforehand, untimed): the least a DuckDB tool must read and write for this job, whose output
  (31 columns) is wider than its input; ``ratio_to_io_floor`` = batch / I/O floor;
* durable — the durable-rules path with full traces, households/s, on already-typed households.

Populations come from the seeded generator ``tools.population`` (about 3.5 members per
household) and are cached under ``--data``. Peak memory is ``ru_maxrss`` of a child process that
does only that step (DuckDB allocates outside Python, so tracemalloc would not see it).

    python benchmarks/run.py --households 1000000 --households 3000000 --durable 20000
    python benchmarks/run.py --households 0 --durable 20000    # the durable rate alone
    python benchmarks/run.py --households 1000000 --durable 0 --repeat 3   # medians of 3 alternated runs
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REF = dt.date(2025, 11, 1)
SEED = 2026
# The population generator lives in tools/ at the repository root (not in the shipped package).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def ensure_population(n: int, data: Path) -> tuple[Path, Path]:
    """Households and members CSVs for ``n`` households (generated once per size and seed)."""
    from classifier.rules import load_ruleset
    from tools.population import generate_records, write_csv

    households, members = data / f"ho-{n}-{SEED}.csv", data / f"tv-{n}-{SEED}.csv"
    if not (households.exists() and members.exists()):
        data.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        write_csv(
            generate_records(n, seed=SEED, reference_date=REF),
            households.with_suffix(".tmp"),
            members.with_suffix(".tmp"),
            ruleset=load_ruleset("nd-07-2021"),
        )
        households.with_suffix(".tmp").rename(households)
        members.with_suffix(".tmp").rename(members)
        print(f"  generated {n:,} households in {time.monotonic() - started:.0f}s", file=sys.stderr)
    return households, members


def child(code: str, *args: str) -> tuple[float, int, str]:
    """Run ``code`` in a fresh interpreter: (wall seconds, peak RSS bytes, its stdout)."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    if status != 0:
        raise SystemExit(f"benchmark step failed ({status}): {code[:60]}...")
    return wall, usage.ru_maxrss * 1024, out  # ru_maxrss is in KiB on Linux


def ids_in_input_order(source: Path, output: Path) -> bool:
    """Whether ``output`` (a result CSV) names the households of ``source`` (the first column of a
    households CSV) in the same order, one row each: a fast run that scrambles or loses rows is no
    result. Checked outside the timed run; plain streaming, so it holds at 10 million rows."""
    with (
        source.open(encoding="utf-8-sig", newline="") as a,
        output.open(encoding="utf-8-sig", newline="") as b,
    ):
        given, written = csv.reader(a), csv.reader(b)
        next(given, None), next(written, None)
        return all(x[:1] == y[:1] for x, y in itertools.zip_longest(given, written, fillvalue=[None]))


FLOOR = """
import sys, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # DuckDB would draw it on our stdout
# Issue 7 item 10: the floor is DuckDB reading and writing the same files (every cell read as text
# and written back to a CSV), the least any CSV-to-CSV tool must do with them.
for i, path in enumerate(sys.argv[1:3]):
    con.execute(f"COPY (SELECT * FROM read_csv('{path}', all_varchar = true)) TO '{sys.argv[3]}.{i}.csv' "
                "(FORMAT csv, HEADER true)")
"""

# The floor of earlier rounds, reported beside it: DuckDB merely reading (counting) every cell.
READ_ONLY = """
import sys, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # DuckDB would draw it on our stdout
for path in sys.argv[1:]:
    probe = con.execute(f"SELECT * FROM read_csv('{path}', all_varchar = true) LIMIT 0")
    cols = [d[0] for d in probe.description]
    counts = ", ".join(f'count("{c}")' for c in cols)
    con.execute(f"SELECT {counts} FROM read_csv('{path}', all_varchar = true)").fetchall()
"""

# DuckDB writing the rows of our output file (read in first, untimed): the output half of the I/O floor.
WRITE_OUTPUT = """
import sys, time, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # DuckDB would draw it on our stdout
con.execute(f"CREATE TABLE o AS SELECT * FROM read_csv('{sys.argv[1]}', all_varchar = true)")
started = time.perf_counter()
con.execute(f"COPY o TO '{sys.argv[2]}' (FORMAT csv, HEADER true)")
print(time.perf_counter() - started)
"""


def write_output_s(output: Path) -> float:
    """Seconds DuckDB takes to write the rows of ``output`` (our result CSV) to a CSV of its own."""
    copy = output.with_name(output.name + ".copy.csv")
    try:
        return float(child(WRITE_OUTPUT, str(output), str(copy))[2].strip().splitlines()[-1])
    finally:
        copy.unlink(missing_ok=True)


BATCH = """
import sys, datetime as dt, json
from classifier.batch import run_batch
from classifier.rules import load_ruleset
s = run_batch(sys.argv[1], sys.argv[3], ruleset=load_ruleset("nd-07-2021"),
              reference_date=dt.date(2025, 11, 1),
              members_path=sys.argv[2], errors_path=sys.argv[4], memory_limit=sys.argv[5])
print(json.dumps([s.read, s.classified, s.errored, s.seconds]))
"""


def durable_rate(n: int, data: Path) -> tuple[int, float]:
    """Households/s of DurableEngine.classify with a full trace, on typed households."""
    from classifier.engine.durable import DurableEngine
    from classifier.io import known_indicator_keys, parse_records, read_records
    from classifier.rules import load_ruleset

    ruleset = load_ruleset("nd-07-2021")
    households_csv, members_csv = ensure_population(n, data)
    typed = [
        h
        for _, h in parse_records(
            read_records(households_csv, members_path=members_csv),
            catalogue=ruleset.facts,
            indicator_keys=known_indicator_keys(),
        )
        if not isinstance(h, list)
    ]
    engine = DurableEngine(ruleset)
    for household in typed[:200]:  # warm-up: compiled closures, durable host
        engine.classify(household, household.reference_date or REF, with_trace=True)
    started = time.perf_counter()
    for household in typed:
        engine.classify(household, household.reference_date or REF, with_trace=True)
    return len(typed), len(typed) / (time.perf_counter() - started)


def alternate(repeat: int, floor: Sequence[str], batch: Sequence[str]) -> dict[str, Any]:
    """Run the child processes ``floor`` and ``batch`` (``child``'s arguments) alternately ``repeat``
    times (the machine's speed drifts: on a shared 2-core machine one floor run varied by 25 % within
    an hour) and report the medians, every run's seconds, the highest peak RSS of each, and what the
    last batch run printed."""
    floors: list[tuple[float, int, str]] = []
    batches: list[tuple[float, int, str]] = []
    for _ in range(repeat):
        floors.append(child(*floor))
        batches.append(child(*batch))
    floor_s = statistics.median(f[0] for f in floors)
    batch_s = statistics.median(b[0] for b in batches)
    return {
        "floor_s": round(floor_s, 1),
        "floor_peak_mb": round(max(f[1] for f in floors) / 2**20),
        "batch_s": round(batch_s, 1),
        "batch_peak_mb": round(max(b[1] for b in batches) / 2**20),
        "ratio": round(batch_s / floor_s, 2),
        **(
            {
                "floor_runs_s": [round(f[0], 1) for f in floors],
                "batch_runs_s": [round(b[0], 1) for b in batches],
            }
            if repeat > 1
            else {}
        ),
        "printed": batches[-1][2],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, action="append", help="population size (repeatable)")
    parser.add_argument(
        "--durable", type=int, default=20_000, help="households for the durable rate (0: skip)"
    )
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "chuan-ngheo-bench"
    )
    parser.add_argument("--memory-limit", default="512MB", help="DuckDB memory_limit for the batch run")
    parser.add_argument(
        "--repeat", type=int, default=1, help="floor and batch runs, alternated; medians reported (default 1)"
    )
    args = parser.parse_args(argv)
    # --households 0 measures the durable rate alone.
    sizes = [n for n in (args.households or [1_000_000]) if n > 0]
    report = []
    for n in sizes:
        households, members = ensure_population(n, args.data)
        size_mb = (households.stat().st_size + members.stat().st_size) / 1e6
        out, err = args.data / f"out-{n}.csv", args.data / f"err-{n}.csv"
        runs = alternate(
            args.repeat,
            (FLOOR, str(households), str(members), str(args.data / f"floor-{n}")),
            (BATCH, str(households), str(members), str(out), str(err), args.memory_limit),
        )
        read_s, _, _ = child(READ_ONLY, str(households), str(members))
        printed = runs.pop("printed")
        read, classified, errored, _ = json.loads(printed.strip().splitlines()[-1])
        io_floor_s = read_s + write_output_s(out)
        row = {
            "households": n,
            "input_mb": round(size_mb),
            **runs,
            "read_only_s": round(read_s, 1),
            "ratio_to_read_only": round(runs["batch_s"] / read_s, 2),
            "io_floor_s": round(io_floor_s, 1),
            "ratio_to_io_floor": round(runs["batch_s"] / io_floor_s, 2),
            "batch_hh_per_s": round(n / runs["batch_s"]),
            "read": read,
            "classified": classified,
            "errored": errored,
            "output_in_input_order": ids_in_input_order(households, out),
        }
        report.append(row)
        print(json.dumps(row), flush=True)
        out.unlink(missing_ok=True)
        err.unlink(missing_ok=True)
        for copy in args.data.glob(f"floor-{n}.*.csv"):
            copy.unlink()
    if args.durable:
        count, rate = durable_rate(args.durable, args.data)
        print(
            json.dumps({"durable_households": count, "durable_hh_per_s_with_trace": round(rate)}), flush=True
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
