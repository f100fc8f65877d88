"""Test helpers for users of chuan-ngheo: hypothesis strategies for households and members.

Everything here reads the standard's rule files, so property tests written with these strategies
follow a corrected threshold or list without edits. hypothesis is a runtime dependency only because
of this package (and ``rules verify``).
"""

from classifier.testing.strategies import (
    LEANS,
    age_boundaries,
    ages,
    areas,
    completions,
    deprivation_cutoffs,
    flag_sets,
    floor_area_boundaries,
    households,
    income_thresholds,
    incomes,
    members,
    reference_dates,
    score_a_cutoffs,
    score_b_range,
    score_households,
    scores_a,
)

__all__ = [
    "LEANS",
    "age_boundaries",
    "ages",
    "areas",
    "completions",
    "deprivation_cutoffs",
    "flag_sets",
    "floor_area_boundaries",
    "households",
    "income_thresholds",
    "incomes",
    "members",
    "reference_dates",
    "score_a_cutoffs",
    "score_b_range",
    "score_households",
    "scores_a",
]
