"""The web application and HTTP API (``chuan-ngheo serve``): server-rendered pages and ``/api/v1``.

An application, not core: it sits on the public API (:mod:`classifier.api`), :mod:`classifier.io` and
:mod:`classifier.explain`, and nothing in the core imports it. FastAPI is imported only here and below.

    from classifier.web import Settings, create_app
    app = create_app(Settings.load(data_dir=Path("du-lieu")))

Both names load on first use: the command line imports ``classifier.web.commands`` to declare
``serve`` and ``user``, and every other command should not pay for importing FastAPI (~0.6 s).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from classifier.web.app import create_app
    from classifier.web.settings import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from classifier.web.app import create_app

        return create_app
    if name == "Settings":
        from classifier.web.settings import Settings

        return Settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
