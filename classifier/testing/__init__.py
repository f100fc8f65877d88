"""Test helpers for users of chuan-ngheo: hypothesis strategies for households and members.

Everything here reads the standard's rule files, so property tests written with these strategies
follow a corrected threshold or list without edits. hypothesis is a runtime dependency only because
of this package (and ``rules verify``).
"""

from classifier.testing.strategies import *  # noqa: F403 (the package's surface is the strategies')
from classifier.testing.strategies import __all__ as __all__
