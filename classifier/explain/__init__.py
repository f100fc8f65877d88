"""Household-facing explanations of a result: text (Vietnamese first, English), JSON, what-would-change.

Entry points for the CLI and for callers::

    render_text(classification, ruleset, lang="vi")   # plain text to read to the household
    render_json(classification)                       # dict for json.dumps, stable key order
    what_would_change(household, classification)      # smallest single changes, re-classified
    render_what_would_change(changes, lang="vi")

Submodules are imported on first use so that ``import classifier.explain`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Change", "render_json", "render_text", "render_what_would_change", "what_would_change"]

_HOME = {
    "render_text": "classifier.explain.text",
    "render_json": "classifier.explain.json",
    "what_would_change": "classifier.explain.whatif",
    "render_what_would_change": "classifier.explain.whatif",
    "Change": "classifier.explain.whatif",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'classifier.explain' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
