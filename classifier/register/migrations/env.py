"""Alembic environment: run the register's migrations on the connection the package hands over.

Called by :func:`classifier.register.db.upgrade` (never through an alembic.ini): the connection is
passed in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from classifier.register.schema import METADATA

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=METADATA, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
