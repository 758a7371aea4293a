"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core.db import Database
from migrations.runner import upgrade_to_head
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import Running, make_settings, serving, with_platforms

ENGINES = ["sqlite", "postgresql"]
FIXTURES = Path(os.environ.get("TINBAO_FIXTURES_DIR", Path(__file__).resolve().parent / "fixtures"))


def _postgres_unavailable_reason() -> str:
    return "PostgreSQL server binaries not installed (Debian package postgresql)"


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real PostgreSQL server for the whole run, with a migrated template database."""
    from tests.support.postgres import PostgresServer, find_pg_bin

    if find_pg_bin() is None:
        if os.environ.get("CI") == "true":
            pytest.fail(_postgres_unavailable_reason())
        pytest.skip(_postgres_unavailable_reason())
    server = PostgresServer.start(tmp_path_factory.mktemp("pg"))
    server.create_database("tinbao_template")
    template = Database(server.url("tinbao_template"))
    upgrade_to_head(template)
    template.dispose()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    template = Database(f"sqlite:///{path}")
    upgrade_to_head(template)
    # Closing the last connection checkpoints the WAL into the file that tests copy.
    template.dispose()
    return path


@pytest.fixture(scope="session")
def national_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with Vietnam's 34 provinces and 3,321 wards, built once a run
    from the vietnamadminunits package, as `tinbao areas import-vietnam` builds them."""
    from domain.areas.importer import import_vietnam

    path = tmp_path_factory.mktemp("national") / "national.db"
    shutil.copyfile(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    import_vietnam(database)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def national(
    national_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """The national areas, shared by the tests of a run: read them, never write."""
    path = tmp_path_factory.mktemp("national-read") / "national.db"
    shutil.copyfile(national_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def national_copy(national_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A copy of the national areas of one's own, to write to."""
    path = tmp_path / "national.db"
    shutil.copyfile(national_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture(params=ENGINES)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """The URL of a fresh, migrated database of the engine under test."""
    if request.param == "sqlite":
        path = tmp_path / "tinbao.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres_server")
    name = "t_" + uuid.uuid4().hex[:12]
    server.create_database(name, template="tinbao_template")
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture
def platforms() -> Iterator[tuple[FakeTelegram, FakeZalo]]:
    """Fake Telegram and Zalo Bot APIs on loopback."""
    with FakeTelegram() as telegram, FakeZalo() as zalo:
        yield telegram, zalo


@pytest.fixture
async def running(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> AsyncIterator[Running]:
    """The whole service on a loopback port, with Telegram and Zalo on, against the fakes."""
    settings = make_settings(database_url, tmp_path, **with_platforms(platforms))
    async with serving(settings) as service:
        yield service


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A Database on a fresh, migrated database of the engine under test."""
    database = Database(database_url)
    yield database
    database.dispose()
