"""Poverty measures per unit (`chuan-ngheo report measures`): official rates and Alkire–Foster measures.

Per unit (village, commune, province, or the whole file) and for the whole area (``Tổng``):

- ``households``, ``persons``; ``poor``, ``near_poor`` (households); ``cannot_classify``; ``errors``
  (rows that carry an error instead of a class: counted here, in no other column);
- ``rate_poor``, ``rate_near_poor``, ``rate_multidimensional`` (poor + near-poor, the official "tỷ lệ nghèo
  đa chiều"), in percent, over the classified and unclassifiable households (or their members with
  ``--weight persons``);
- Alkire–Foster over the standard's indicators, equal weights 1/d, poverty cut-off k = the standard's
  ``deprivation_cutoff`` parameter (3 of 12 under Decree 07): ``H`` the share with at least k
  deprivations, ``A`` their average deprivation share, ``M0`` = H × A, and per indicator
  ``uncensored_<key>`` (share deprived), ``censored_<key>`` (share deprived and AF-poor) and
  ``contribution_<key>`` (its share of M0: censored × (1/d) / M0). Fractions in 0–1. Households with an
  unknown indicator are counted apart (``af_unknown``) and left out of H, A, M0 and the indicator shares
  (``af_counted`` is the base), never taken as not deprived. These are analysts' measures, not an
  official series: the legal rule also needs the income line, so H is not the poor rate.

Weights: by household (default) or by person (each household weighs its member count).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from classifier.errors import InputError
from classifier.model import CANNOT_CLASSIFY
from classifier.report.tables import Column, Report, Table
from classifier.report.vocabulary import NEAR_POOR_CLASS, POOR_CLASS
from classifier.rules.ruleset import RuleSet

__all__ = [
    "WEIGHTS",
    "MeasureInput",
    "compute_measures",
    "inputs_from_register",
    "inputs_from_results",
    "measure_columns",
    "measures_report",
]

WEIGHTS = ("households", "persons")
TOTAL_VI = "Tổng"
_DIGITS = 6


@attrs.frozen
class MeasureInput:
    """One household: its unit, outcome (None: an error row), member count and indicator verdicts."""

    unit: str | None
    outcome: str | None
    persons: int | None
    deprived: Mapping[str, bool | None]


def measure_columns(indicators: Sequence[str]) -> tuple[str, ...]:
    """The output columns, in order, for a standard with these indicator ids."""
    per = [f"{kind}_{key}" for kind in ("uncensored", "censored", "contribution") for key in indicators]
    return (
        "unit",
        "households",
        "persons",
        "poor",
        "near_poor",
        "cannot_classify",
        "errors",
        "rate_poor",
        "rate_near_poor",
        "rate_multidimensional",
        "af_counted",
        "af_unknown",
        "H",
        "A",
        "M0",
        *per,
    )


def _ratio(num: float, den: float, scale: float = 1.0) -> float | None:
    return None if den == 0 else round(num / den * scale, _DIGITS)


def _unit_measures(
    rows: Sequence[MeasureInput], indicators: Sequence[str], cutoff: int, weight: str
) -> dict[str, Any]:
    def w(row: MeasureInput) -> float:
        return 1.0 if weight == "households" else float(row.persons or 0)

    classified = [r for r in rows if r.outcome is not None]
    out: dict[str, Any] = {
        "households": len(classified),
        "persons": None
        if any(r.persons is None for r in classified)
        else sum(r.persons or 0 for r in classified),
        "poor": sum(r.outcome == POOR_CLASS for r in classified),
        "near_poor": sum(r.outcome == NEAR_POOR_CLASS for r in classified),
        "cannot_classify": sum(r.outcome == CANNOT_CLASSIFY for r in classified),
        "errors": len(rows) - len(classified),
    }
    total = sum(w(r) for r in classified)
    poor = sum(w(r) for r in classified if r.outcome == POOR_CLASS)
    near = sum(w(r) for r in classified if r.outcome == NEAR_POOR_CLASS)
    out["rate_poor"] = _ratio(poor, total, 100)
    out["rate_near_poor"] = _ratio(near, total, 100)
    out["rate_multidimensional"] = _ratio(poor + near, total, 100)

    d = len(indicators)
    known = [r for r in classified if all(r.deprived.get(k) is not None for k in indicators)]
    out["af_counted"] = len(known)
    out["af_unknown"] = len(classified) - len(known)
    base = sum(w(r) for r in known)
    counts = {id(r): sum(bool(r.deprived[k]) for k in indicators) for r in known}
    af_poor = [r for r in known if counts[id(r)] >= cutoff]
    q = sum(w(r) for r in af_poor)
    out["H"] = _ratio(q, base)
    intensity = sum(w(r) * counts[id(r)] / d for r in af_poor)
    out["A"] = _ratio(intensity, q)
    m0 = None if base == 0 else intensity / base
    out["M0"] = None if m0 is None else round(m0, _DIGITS)
    censored = {key: sum(w(r) for r in af_poor if r.deprived[key]) for key in indicators}
    for key in indicators:
        out[f"uncensored_{key}"] = _ratio(sum(w(r) for r in known if r.deprived[key]), base)
    for key in indicators:
        out[f"censored_{key}"] = _ratio(censored[key], base)
    for key in indicators:
        out[f"contribution_{key}"] = None if not m0 else round(censored[key] / base / d / m0, _DIGITS)
    return out


def compute_measures(
    rows: Iterable[MeasureInput],
    *,
    indicators: Sequence[str],
    cutoff: int,
    weight: str = "households",
    by_unit: bool = True,
) -> list[dict[str, Any]]:
    """One dict per unit (sorted) and the total (last, unit ``Tổng``), keyed by :func:`measure_columns`."""
    if weight not in WEIGHTS:
        raise InputError(f"weight {weight!r}: expected households or persons")
    rows = list(rows)
    if weight == "persons":
        missing = [r for r in rows if r.outcome is not None and r.persons is None]
        if missing:
            raise InputError(
                f"--weight persons needs every household's member count; {len(missing)} "
                "household(s) have none (give the households file with --input)"
            )
    out = []
    if by_unit:
        units = sorted({r.unit or "-" for r in rows})
        for unit in units:
            out.append(
                {
                    "unit": unit,
                    **_unit_measures(
                        [r for r in rows if (r.unit or "-") == unit], indicators, cutoff, weight
                    ),
                }
            )
    out.append({"unit": TOTAL_VI, **_unit_measures(rows, indicators, cutoff, weight)})
    return out


def cutoff_of(ruleset: RuleSet) -> int:
    """The standard's deprivation cut-off k (the ``deprivation_cutoff`` parameter of its rule data)."""
    parameter = ruleset.parameters.get("deprivation_cutoff")
    if parameter is None or isinstance(parameter.value, bool) or not isinstance(parameter.value, int | float):
        raise InputError(
            f"standard {ruleset.id} has no numeric deprivation_cutoff parameter: "
            "the Alkire–Foster cut-off comes from the rule data"
        )
    return int(parameter.value)


def measures_report(rows: list[dict[str, Any]], ruleset: RuleSet, *, by: str | None, weight: str) -> Report:
    """The measures as a one-table report (CSV, JSON or XLSX through ``write_report``)."""
    columns = measure_columns(ruleset.indicator_ids)
    table = Table(
        key="measures",
        title_vi="Tỷ lệ nghèo và các chỉ số Alkire–Foster",
        title_en="Poverty rates and Alkire–Foster measures",
        columns=tuple(Column(c, c, c) for c in columns),
        rows=tuple(tuple(row.get(c) for c in columns) for row in rows),
    )
    warnings = [f"standard {ruleset.id} is provisional"] if ruleset.provisional else []
    return Report(
        kind="measures",
        tables=(table,),
        primary="measures",
        warnings=tuple(warnings),
        meta={
            "standard": ruleset.id,
            "rules_digest": ruleset.digest,
            "by": by,
            "weight": weight,
            "cutoff": cutoff_of(ruleset),
            "indicators": list(ruleset.indicator_ids),
        },
    )


def inputs_from_results(
    path: str | Path,
    ruleset: RuleSet,
    *,
    by: str | None,
    input_path: str | Path | None = None,
    members_path: str | Path | None = None,
    rules_root: Path | None = None,
) -> list[MeasureInput]:
    """Households from a result file of ``chuan-ngheo classify``; member counts from ``input_path``
    (read with the columns of ``rules_root``, the folder ``ruleset`` comes from).

    The result file has no member count: give the households file it was made from (``--input``) for
    the ``persons`` column and ``--weight persons``; without it ``persons`` is left empty.
    """
    from classifier.report.transitions import read_round

    results = read_round(path)
    missing = [k for k in ruleset.indicator_ids if not results.has(k)]
    if missing:
        raise InputError(
            f"{Path(path).name} has no column for indicator(s) {', '.join(missing)} of "
            f"{ruleset.id}: was it classified under another standard? (--standard)"
        )
    if by is not None and not results.has(by):
        raise InputError(f"{Path(path).name} has no {by!r} column for --by {by}")
    persons: dict[str, int | None] = {}
    if input_path is not None:
        from classifier.io.survey import read_survey

        errors = []
        for _raw, parsed in read_survey(
            input_path, ruleset, rules_root=rules_root, members_path=members_path
        ):
            if isinstance(parsed, list):
                errors.extend(parsed)
            else:
                persons[parsed.id] = parsed.effective_member_count
        if errors:  # a household left out would silently count as one without members
            raise InputError(
                f"{Path(input_path).name}: {len(errors)} error(s) in the records; fix them before the "
                f"measures (`chuan-ngheo classify` writes them all): {errors[0]}",
                errors,
            )
    out = []
    for row in results.rows:
        hid = None if row.get("id") is None else str(row["id"])
        outcome = row.get("classification") if not row.get("error") else None
        out.append(
            MeasureInput(
                unit=None if by is None else row.get(by),
                outcome=None if outcome is None else str(outcome),
                persons=persons.get(hid) if hid is not None else None,
                deprived={k: row.get(k) for k in ruleset.indicator_ids},
            )
        )
    return out


def inputs_from_register(register: Any, round_name: str, *, by: str | None) -> list[MeasureInput]:
    """Households of a register round with their latest results (unclassified ones are errors)."""
    return [
        MeasureInput(
            unit=None if by is None else h.place.get(by),
            outcome=h.outcome,
            persons=h.member_count,
            deprived=dict(h.indicators),
        )
        for h in register.households(round_name)
    ]
