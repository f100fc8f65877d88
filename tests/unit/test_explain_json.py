"""The JSON form of an explanation: complete, JSON-serialisable, in a stable key order."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from classifier.api import classify, load_standard
from classifier.explain import render_json
from classifier.model import Household, Member

REF = dt.date(2025, 11, 1)


@pytest.fixture(scope="module")
def rs():
    """The Decree 07/2021 rule set, loaded once."""
    return load_standard("nd-07-2021")


def sample() -> Household:
    """A rural flags-and-answers household with a birth date (a date value inside the trace)."""
    return Household(
        id="J1",
        area="rural",
        income_per_capita_month=1_450_000,
        members=(Member({"birth_date": dt.date(1985, 3, 4), "has_health_insurance": False}, "J1-1"),),
        facts={"latrine_type": "open"},
        flags={"employment": True, "other_key": True},
        reference_date=REF,
    )


def test_outcome_fields_come_first_then_the_trace(rs):
    """Consumers read the outcome without digging into the trace; the trace is the last key."""
    out = render_json(classify(sample(), rs))
    keys = list(out)
    assert keys[:4] == ["format_version", "household_id", "outcome", "outcome_label_vi"]
    assert keys[-1] == "trace"
    assert out["household_id"] == "J1"
    assert out["reference_date"] == "2025-11-01"
    assert out["ignored_flags"] == ["other_key"]
    assert "employment" in out["deprived_indicators"]
    assert out["trace"]["outcome"] == out["outcome"]


def test_json_is_serialisable_and_byte_stable(rs):
    """Two runs on the same household give identical JSON text (dates as ISO strings, tuples as lists)."""
    a = json.dumps(render_json(classify(sample(), rs)), ensure_ascii=False)
    b = json.dumps(render_json(classify(sample(), rs)), ensure_ascii=False)
    assert a == b
    assert '"reference_date": "2025-11-01"' in a
    assert "hộ" in a  # Vietnamese labels kept as text


def test_trace_part_equals_trace_to_dict(rs):
    """The trace part is exactly Trace.to_dict(): one definition of the explanation data."""
    c = classify(sample(), rs)
    assert render_json(c)["trace"] == c.trace.to_dict()
    assert render_json(c)["outcome_label_vi"] == c.trace.outcome_label_vi


def test_without_trace_the_outcome_fields_remain(rs):
    """A batch run without traces still yields the outcome, digest and missing answers; trace is null."""
    c = classify(sample(), rs, trace=False)
    out = render_json(c)
    assert out["trace"] is None and out["outcome_label_vi"] is None
    assert out["outcome"] == c.outcome and out["rules_digest"] == rs.digest
    json.dumps(out)
