"""The web application and HTTP API (``chuan-ngheo serve``): server-rendered pages and ``/api/v1``.

An application, not core: it sits on the public API (:mod:`classifier.api`), :mod:`classifier.io` and
:mod:`classifier.explain`, and nothing in the core imports it. FastAPI is imported only here and below.

    from classifier.web import Settings, create_app
    app = create_app(Settings.load(data_dir=Path("du-lieu")))
"""

from classifier.web.app import create_app
from classifier.web.settings import Settings

__all__ = ["Settings", "create_app"]
