"""Member-level answers → the deprivation indicators of a standard, driven by its rule files."""

from classifier.indicators.evaluate import age_at, evaluate_indicators, household_view

__all__ = ["age_at", "evaluate_indicators", "household_view"]
