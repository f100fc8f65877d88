"""A small run (few households, a small input file) skips DuckDB's optimizer and runs on one thread
(classifier/engine/batch.py ``small_run``, classifier/batch/pipeline.py ``SMALL_INPUT_BYTES``): the
same rows must come out as from the ordinary plan, which larger inputs take."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

import classifier.batch.pipeline as pipeline
import classifier.engine.batch as batch_engine
from classifier.batch import run_batch
from classifier.engine.batch import BatchEngine, connect, small_run
from classifier.io import known_indicator_keys, parse_records, read_records
from classifier.rules import load_ruleset

SAMPLE = Path(batch_engine.__file__).resolve().parents[1] / "data" / "sample"
REF = dt.date(2025, 11, 1)
RULESET = load_ruleset("nd-07-2021")


def _settings(con: duckdb.DuckDBPyConnection) -> tuple[object, ...]:
    found = con.execute("SELECT current_setting('enable_optimizer'), current_setting('threads')").fetchone()
    assert found is not None
    return tuple(found)


def test_small_run_restores_the_connections_settings() -> None:
    """Inside the block: no optimizer, one thread; afterwards the settings the connection had (also
    when the block fails); above the limit nothing changes."""
    con = connect(threads=2)
    with small_run(con, 1):
        assert _settings(con) == (False, 1)
    assert _settings(con) == (True, 2)
    with pytest.raises(RuntimeError), small_run(con, batch_engine.SMALL_RUN):
        raise RuntimeError
    assert _settings(con) == (True, 2)
    with small_run(con, batch_engine.SMALL_RUN + 1):
        assert _settings(con) == (True, 2)
    assert _settings(connect(small=True, threads=2)) == (False, 1)


def test_few_households_classify_alike_without_the_optimizer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Households of the sample (traces included) through BatchEngine as a
    small call (refilled tables, prepared query) and as an ordinary one: equal results."""
    records = read_records(SAMPLE / "commune.jsonl")
    parsed = parse_records(records, catalogue=RULESET.facts, indicator_keys=known_indicator_keys())
    # The first 150 of the sample: records with members and records of flags only, unknown answers.
    households = [h for _, h in parsed if not isinstance(h, list)][:150]
    assert {bool(h.members) for h in households} == {True, False}
    engine = BatchEngine(RULESET)
    small = engine.classify_each(households, REF, with_trace=True, method="auto")
    with monkeypatch.context() as patch:
        patch.setattr(batch_engine, "SMALL_RUN", 0)
        ordinary = engine.classify_each(households, REF, with_trace=True, method="auto")
    assert small == ordinary
    # Small again on the same engine (its prepared queries over tables an ordinary call re-created),
    # in slices, and one household per call on a fresh engine, against one call on another.
    again = [
        r for i in range(0, 30, 6) for r in engine.classify_each(households[i : i + 6], REF, method="auto")
    ]
    fresh = BatchEngine(RULESET)
    singles = [fresh.classify_each([h], REF, method="auto")[0] for h in households[:30]]
    assert again == singles == BatchEngine(RULESET).classify_each(households[:30], REF, method="auto")


@pytest.mark.parametrize("members", [True, False], ids=["households+members", "one file"])
def test_a_small_file_gives_the_same_bytes_as_the_ordinary_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, members: bool
) -> None:
    """The bundled sample run as a small input and as an ordinary one: identical output files."""
    households = SAMPLE / ("households.csv" if members else "commune.jsonl")
    kwargs = {"members_path": SAMPLE / "members.csv"} if members else {}
    outputs = []
    for limit in (pipeline.SMALL_INPUT_BYTES, 0):
        monkeypatch.setattr(pipeline, "SMALL_INPUT_BYTES", limit)
        out = tmp_path / f"out-{limit}.csv"
        run_batch(
            households, out, ruleset=RULESET, reference_date=REF, errors_path=tmp_path / "e.csv", **kwargs
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"\n") > 300
