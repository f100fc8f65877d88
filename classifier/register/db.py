"""Open a register database and bring its schema to the newest migration.

SQLite (a file, the default: ``register.sqlite`` in the current folder) or any database SQLAlchemy
reaches by URL (``postgresql+psycopg://user@host/db`` for a province's server). The migrations ship
inside the package and run through Alembic's API: no alembic.ini is needed.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event

__all__ = ["DEFAULT_DB", "HEAD", "database_url", "make_engine", "schema_revision", "upgrade"]

#: The register file used when neither --db nor --db-url is given.
DEFAULT_DB = "register.sqlite"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The newest migration: a database at another revision is upgraded when opened.
HEAD = "0002"


def database_url(db: str | Path | None = None, db_url: str | None = None) -> str:
    """The SQLAlchemy URL for ``--db FILE`` (SQLite) or ``--db-url URL`` (given as is)."""
    if db_url:
        if db_url.startswith("postgresql://") or db_url.startswith("postgres://"):
            # psycopg 3 is the driver this package installs; SQLAlchemy's default is psycopg2.
            return "postgresql+psycopg://" + db_url.split("://", 1)[1]
        return db_url
    return f"sqlite:///{Path(db or DEFAULT_DB)}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on and a wait for a busy file."""
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def schema_revision(engine: Engine) -> str | None:
    """The migration the database is at (None: an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the bundled migrations up to ``revision`` (default: the newest)."""
    script_head = ScriptDirectory.from_config(_config()).get_current_head()
    if script_head != HEAD:  # pragma: no cover - a packaging mistake, caught by the tests
        raise RuntimeError(f"bundled migrations end at {script_head}, expected {HEAD}")
    with engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
