"""Shared fixtures. ``database_url``: a fresh, empty register database on SQLite and on PostgreSQL.

The PostgreSQL parameter is marked ``postgres`` and takes its server from ``CHUAN_NGHEO_TEST_PG_URL``
(``eval "$(.ci/postgres.sh start)"`` starts a throwaway one). Without that variable the PostgreSQL
cases are skipped on a developer's machine but FAIL in CI (``CI=true``), so a CI that forgot to start
the server can never pass by skipping. Each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# pytest caches its assertion-rewritten test modules as bytecode, but not when PYTHONDONTWRITEBYTECODE
# is set (as on this project's machines): every run then re-rewrites ~180 modules in every worker
# (~6 s of a fast-suite run). The caches go to the git-ignored __pycache__ folders.
sys.dont_write_bytecode = False

PG_ENV = "CHUAN_NGHEO_TEST_PG_URL"


def _pg_admin_url(url: str) -> str:
    if url.startswith("postgresql+psycopg://"):
        return "postgresql://" + url.split("://", 1)[1]
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL of an empty database, once per backend (SQLite file; PostgreSQL database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'register.sqlite'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        message = f'{PG_ENV} is not set: start a server with `eval "$(.ci/postgres.sh start)"`'
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    import psycopg

    admin = _pg_admin_url(base)
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    prefix, _, _ = admin.rpartition("/")
    try:
        yield f"postgresql+psycopg://{prefix.split('://', 1)[1]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
