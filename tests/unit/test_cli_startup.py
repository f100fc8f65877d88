"""The command line starts without loading the web application or the register's database layer."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("fastapi", "starlette", "sqlalchemy", "alembic", "uvicorn")


def test_building_the_command_line_loads_no_web_or_database_library() -> None:
    """`build_parser` declares `serve`, `user` and `round` by importing classifier.web.commands and
    classifier.register.cli; the packages around them used to import FastAPI and SQLAlchemy at once,
    which added ~0.7 s to every command (`chuan-ngheo --help` 0.85 -> 0.14 s). Their public names
    (classifier.web.create_app, classifier.register.Register) now load on first use."""
    code = (
        "import sys\n"
        "from classifier.cli import build_parser\n"
        "build_parser()\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_the_lazy_package_names_still_resolve() -> None:
    """`from classifier.register import Register` and `from classifier.web import create_app,
    Settings` give the real objects; an unknown name is still an AttributeError."""
    import classifier.register as register
    import classifier.web as web
    from classifier.register.store import Register
    from classifier.web.app import create_app
    from classifier.web.settings import Settings

    assert register.Register is Register
    assert web.create_app is create_app and web.Settings is Settings
    assert "Register" in register.__all__
    with pytest.raises(AttributeError):
        register.no_such_name  # noqa: B018
