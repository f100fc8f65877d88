"""Condition trees as readable text, for `rules show`, `rules audit` and the diff report."""

from __future__ import annotations

from classifier.rules.conditions import Condition, format_value

__all__ = ["describe_condition", "format_value"]


def describe_condition(cond: Condition, lang: str = "en", top: bool = True) -> str:
    """One line of text for a condition tree, parameters named beside their values (kinds word themselves)."""
    return cond.describe(lang, top)
