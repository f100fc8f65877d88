"""The public API is small and deliberate: adding or removing a name must be a conscious change."""

import classifier

EXPECTED = {
    "CANNOT_CLASSIFY",
    "DEFAULT_STANDARD",
    "ChuanNgheoError",
    "Classification",
    "EngineError",
    "Household",
    "IndicatorResult",
    "InputError",
    "Member",
    "RecordError",
    "RuleFileError",
    "RuleProblem",
    "RuleSet",
    "Trace",
    "UnknownStandardError",
    "classify",
    "classify_many",
    "list_standards",
    "load_standard",
}


def test_public_names_are_pinned() -> None:
    """classifier.__all__ lists exactly the pinned names, and each of them exists."""
    assert set(classifier.__all__) == EXPECTED
    for name in classifier.__all__:
        assert hasattr(classifier, name), name


def test_public_callables_have_docstrings() -> None:
    """Everything public carries a docstring, since the public surface is documentation too."""
    missing = [
        name
        for name in classifier.__all__
        if callable(getattr(classifier, name)) and not getattr(classifier, name).__doc__
    ]
    assert missing == []
