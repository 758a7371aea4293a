"""Migrations: an empty database reaches the newest schema, which matches the models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import broadcasts.models  # noqa: F401  (the broadcasts' tables)
import domain.models  # noqa: F401  (every table on the metadata)
from core.db import Database
from migrations.runner import current_revision, head_revision, upgrade_to_head
from tests.conftest import ENGINES


@pytest.fixture(params=ENGINES)
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no schema at all."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'empty.db'}")
        yield database
        database.dispose()
        return
    server = request.getfixturevalue("postgres_server")
    name = "e_" + uuid.uuid4().hex[:12]
    server.create_database(name)
    database = Database(server.url(name))
    yield database
    database.dispose()
    server.drop_database(name)


def test_upgrade_brings_an_empty_database_to_head(empty_db: Database) -> None:
    assert current_revision(empty_db) is None
    upgrade_to_head(empty_db)
    assert current_revision(empty_db) == head_revision()
    tables = set(inspect(empty_db.engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


def test_upgrade_is_safe_to_run_again(empty_db: Database) -> None:
    upgrade_to_head(empty_db)
    upgrade_to_head(empty_db)
    assert current_revision(empty_db) == head_revision()


def test_migrated_schema_matches_the_models(empty_db: Database) -> None:
    upgrade_to_head(empty_db)
    with empty_db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_every_constraint_has_a_name(empty_db: Database) -> None:
    upgrade_to_head(empty_db)
    inspector = inspect(empty_db.engine)
    for table in SQLModel.metadata.tables:
        names = [fk["name"] for fk in inspector.get_foreign_keys(table)]
        names += [uq["name"] for uq in inspector.get_unique_constraints(table)]
        assert all(names), f"unnamed constraint on {table}"
