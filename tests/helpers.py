"""Helpers and expectations shared by several test modules (``from tests.helpers import copy_rules``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from classifier.rules import default_rules_root


def copy_rules(dest: Path, standard: str = "nd-07-2021") -> Path:
    """A private rules root ``dest/rules`` holding facts.yaml and a copy of one real standard's folder
    (Decree 07/2021 unless named), for a test that edits or breaks rule files; returns the root."""
    root = dest / "rules"
    shutil.copytree(default_rules_root() / standard, root / standard)
    shutil.copy2(default_rules_root() / "facts.yaml", root / "facts.yaml")
    return root


#: The twelve indicators of Decree 07/2021/NĐ-CP's Appendix, items 1–12 in order: what the tests expect the
#: shipped rules/nd-07-2021 folder to hold, written out here independently of it.
DECREE_07_INDICATORS = (
    "employment",
    "dependants",
    "nutrition",
    "health_insurance",
    "adult_education",
    "child_schooling",
    "housing_quality",
    "housing_area",
    "water_source",
    "sanitation",
    "telecom",
    "information_access",
)
