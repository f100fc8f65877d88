"""Rule sets for the web process: loaded once per process, then served from memory.

``classifier.rules.load_ruleset`` re-reads the rule files to check they did not change; a server
answering hundreds of requests a second keeps its rule sets for its lifetime instead (restart the
server after editing rules/).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from classifier.api import load_standard
from classifier.rules import list_standards
from classifier.rules.ruleset import RuleSet

__all__ = ["RuleSets", "standard_summary"]


class RuleSets:
    """Rule sets by id, loaded on first use."""

    def __init__(self, rules_root: Path | None) -> None:
        self.rules_root = rules_root
        self._loaded: dict[str, RuleSet] = {}

    def ids(self) -> list[str]:
        return list_standards(self.rules_root)

    def get(self, standard: str) -> RuleSet:
        """The rule set ``standard``; :class:`classifier.UnknownStandardError` when there is none."""
        ruleset = self._loaded.get(standard)
        if ruleset is None:
            ruleset = self._loaded[standard] = load_standard(standard, self.rules_root)
        return ruleset


def standard_summary(ruleset: RuleSet) -> dict[str, Any]:
    """One standard as JSON-ready data: identity, validity, classes and indicators with citations."""
    return {
        "id": ruleset.id,
        "title_vi": ruleset.title_vi,
        "title_en": ruleset.title_en,
        "status": ruleset.status,
        "provisional": ruleset.provisional,
        "valid_from": ruleset.valid_from.isoformat(),
        "valid_to": ruleset.valid_to.isoformat() if ruleset.valid_to else None,
        "inherits": ruleset.inherits,
        "rules_digest": ruleset.digest,
        "classes": [
            {"id": c.id, "label_vi": c.label_vi, "label_en": c.label_en, "rank": c.rank}
            for c in sorted(ruleset.classes.values(), key=lambda c: c.rank)
        ],
        "indicators": [
            {
                "id": i.id,
                "number": i.number,
                "label_vi": i.label_vi,
                "label_en": i.label_en,
                "citation": i.citation.short("vi"),
                "verified": i.verified,
            }
            for i in ruleset.indicators
        ],
    }
