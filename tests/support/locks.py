"""Another connection that holds a lock, to show who waits for it and who does not."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

import psycopg
from sqlalchemy.engine import make_url


@contextlib.contextmanager
def writer_holding_the_lock(url: str) -> Iterator[None]:
    """Another connection that took the write lock and keeps it (SQLite) or locks out writers."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database is not None
        # The service's own loops write now and then: wait for their commit to take the lock.
        connection = sqlite3.connect(parsed.database, isolation_level=None, timeout=15)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE reports SET text = text || '!'")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as server:
        # EXCLUSIVE lets readers in and holds every writer of the table out.
        server.execute("LOCK TABLE reports IN EXCLUSIVE MODE")
        server.execute("UPDATE reports SET text = text || '!'")
        yield
        server.rollback()


@contextlib.contextmanager
def areas_locked(url: str) -> Iterator[None]:
    """Another connection locks the areas table against readers too, until the block ends."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as server:
        server.execute("LOCK TABLE areas IN ACCESS EXCLUSIVE MODE")
        yield
        server.rollback()
