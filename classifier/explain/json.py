"""The explanation as JSON-ready data: the outcome fields first, then the full trace.

The key order is fixed by this module (outcome fields) and by the attrs field order of
``classifier.trace`` (the trace), so two runs on the same input give byte-identical JSON.
"""

from __future__ import annotations

from typing import Any

from classifier.model import Classification

__all__ = ["FORMAT_VERSION", "render_json"]

#: Bumped whenever a key is renamed or removed (adding keys keeps the version).
FORMAT_VERSION = 1


def render_json(classification: Classification) -> dict[str, Any]:
    """One result as a dict ready for ``json.dumps``: outcome fields, then ``trace`` (or None).

    The outcome fields are present even when the household was classified without a trace, so a
    batch run with ``trace=False`` still gives a complete, reproducible record.
    """
    c = classification
    trace = c.trace
    out: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "household_id": c.household_id,
        "outcome": c.outcome,
        "outcome_label_vi": trace.outcome_label_vi if trace is not None else None,
        "outcome_label_en": trace.outcome_label_en if trace is not None else None,
        "standard": c.standard,
        "rules_digest": c.rules_digest,
        "provisional": c.provisional,
        "engine": c.engine,
        "method": c.method,
        "reference_date": c.reference_date.isoformat(),
        "income_per_capita_month": c.income_per_capita_month,
        "deprivation_count": c.deprivation_count,
        "unknown_count": c.unknown_count,
        "deprived_indicators": [r.id for r in c.indicators if r.deprived is True],
        "unknown_indicators": [r.id for r in c.indicators if r.deprived is None],
        "fired_rules": list(c.fired_rules),
        "possible_outcomes": list(c.possible_outcomes),
        "missing_fields": list(c.missing_fields),
        "ignored_flags": list(c.ignored_flags),
        "trace": trace.to_dict() if trace is not None else None,
    }
    return out
