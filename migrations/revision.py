"""Which schema a database is at, read without Alembic: `serve` need not load it (10 MB)."""

from __future__ import annotations

from sqlalchemy import inspect, text

from core.db import Database

# The newest migration in versions/. tests/test_migrations.py holds it to Alembic's own head,
# so a new migration that forgets it fails the tests.
HEAD_REVISION = "0011"


def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with db.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        revision: str | None = connection.execute(
            text("SELECT version_num FROM alembic_version")
        ).scalar()
        return revision
