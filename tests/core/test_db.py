"""The database: closed connections are replaced, and SQLite checkpoints off the commit path."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import Database
from domain.inbox.service import NewUpdate, store_updates
from tests.factories import make_area


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


def test_sqlite_commits_land_in_the_database_file_without_a_commit_copying_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tinbao.db"
    db = Database(f"sqlite:///{path}")
    try:
        with db.session() as session:
            session.execute(text("CREATE TABLE notes (body TEXT)"))
        for n in range(50):
            with db.session() as session:
                session.execute(text("INSERT INTO notes VALUES (:b)"), {"b": f"{n}" * 2000})
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
        # The database file alone, without its WAL, holds every row once the checkpoint ran.
        copy = tmp_path / "copy.db"
        deadline = time.monotonic() + 10
        while True:
            shutil.copyfile(path, copy)
            with contextlib.closing(sqlite3.connect(copy)) as alone:
                found = (
                    alone.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                    and (alone.execute("SELECT count(*) FROM notes").fetchone()[0])
                )
            if found == 50:
                break
            assert time.monotonic() < deadline, f"only {found} rows reached the database file"
            time.sleep(0.2)
    finally:
        db.dispose()


def test_a_write_in_a_reading_session_fails_loudly_and_the_connection_writes_again_after(
    db: Database,
) -> None:
    with db.session() as session:
        make_area(session, code="X", name="X")
    for _attempt in range(3):  # the same pooled connection, in turn reading and writing
        with pytest.raises(DBAPIError, match=r"(?i)read.?only"), db.reading() as session:
            session.execute(text("UPDATE areas SET name = 'Y' WHERE code = 'X'"))
        with db.session() as session:
            session.execute(text("UPDATE areas SET name = name || '!' WHERE code = 'X'"))
    with db.reading() as session:
        assert session.execute(text("SELECT name FROM areas WHERE code = 'X'")).scalar() == "X!!!"
