"""The register of review rounds (issue 10): rounds, households across rounds, results, change log.

Public entry points for the command line, the reports and the web application::

    from classifier.register import Register
    with Register.open(db="register.sqlite") as reg:       # or Register.open(db_url="postgresql://...")
        reg.new_round("2026", year=2026, reference_date=dt.date(2026, 11, 1), who="cán bộ xã")
        reg.import_file("2026", "ho-2026.xlsx", who="cán bộ xã")
        reg.classify("2026", who="cán bộ xã")

See docs/internals.md, section "Register".
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from classifier.register.store import *  # noqa: F403 (the package's surface is the store's)
    from classifier.register.store import __all__ as __all__


def __getattr__(name: str) -> Any:
    # The store loads on first use (SQLAlchemy and Alembic, ~0.3 s): the command line imports
    # classifier.register.cli to declare `round`, and every other command should not pay for it.
    store = importlib.import_module("classifier.register.store")  # not `from . import`: that recurses
    if name == "__all__":
        return store.__all__
    if name in store.__all__:
        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
