"""Hypothesis settings profiles for the property tests, chosen by ``HYPOTHESIS_PROFILE``.

- ``ci`` (default): 100 examples per property, derandomized so a CI failure reproduces exactly on
  a developer's machine; the whole fast suite (this included) must stay under 60 s on a 2-core
  machine, and the examples are chosen at the boundaries (the strategies draw incomes, ages and
  counts at and beside every threshold), so more random examples add little at this level.
- ``long``: 5,000 examples per property, randomized, for a deliberate search before a release or
  after a rule change (``HYPOTHESIS_PROFILE=long python -m pytest tests/property``).

No deadline in either: timing depends on the machine, and a test must not fail because a shared CI
runner was slow (no timed assertions).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Households with up to 8 members of ~14 answers each are large inputs by hypothesis' measure.
_SLOW_INPUTS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]

settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=_SLOW_INPUTS,
)
settings.register_profile(
    "long",
    max_examples=5000,
    deadline=None,
    suppress_health_check=_SLOW_INPUTS,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
