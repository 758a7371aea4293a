"""The database: connections the server closed are replaced without an error."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from domain.db import Database
from domain.inbox.service import NewUpdate, store_updates


def test_database_recovers_from_connections_the_server_closed(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite has no server to close connections")
    with db.session() as session:
        own = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    # What a server restart does to the pool (waiting up to 5 s until the backend is gone).
    other = Database(db.url)
    with other.session() as session:
        session.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": own})
    other.dispose()
    update = NewUpdate(channel="telegram", update_key="1", chat_key="5", payload="{}")
    assert store_updates(db, [update]) == {("telegram", "1")}
    with db.reading() as session:
        assert session.execute(text("SELECT pg_backend_pid()")).scalar_one() != own
