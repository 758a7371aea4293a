"""What the tests of whole `tinbao serve` processes share: the launcher, a fake, the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from tests.fakes import FakeTelegram
from tests.processes.serve import Launcher


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[Launcher]:
    """Starts `tinbao serve` processes; kills any still running at the end."""
    launcher = Launcher(tmp_path)
    yield launcher
    launcher.close()


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    """A fake Bot API with Telegram's limits, shared by every process of a test."""
    with FakeTelegram() as fake:
        yield fake
        assert fake.internal_errors == []


@pytest.fixture
def sql(database_url: str) -> Iterator[Engine]:
    """A connection to the service's database, to read what it wrote, as an operator would."""
    args = {"timeout": 30} if database_url.startswith("sqlite") else {}
    engine = create_engine(database_url, poolclass=NullPool, connect_args=args)
    yield engine
    engine.dispose()
