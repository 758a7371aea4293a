"""The database: one engine per process, SQLite (WAL) or PostgreSQL, and aware UTC times."""

from __future__ import annotations

import contextlib
import logging
import select
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel

# Named constraints, so that migrations can drop and alter them on both engines.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


READ_ONLY = "tinbao_read_only"
# SQLite's WAL is copied back into the database by a thread of its own, every second,
# instead of by whichever commit crosses 1,000 pages: that commit took 3 to 6 times longer,
# and the webhooks waiting for it were the slowest (docs/benchmarks.md).
CHECKPOINT_EVERY = 1.0
log = logging.getLogger(__name__)
RECYCLE_SECONDS = 1800


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC that comes back aware, also from SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive times and store aware ones in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Tinbao stores aware UTC times only")
        value = value.astimezone(UTC)
        # SQLite keeps no zone: store the UTC wall time and restore the zone on reading.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Give back an aware UTC time whatever the engine returned."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str, *, synchronous: str = "NORMAL", busy_seconds: float = 30.0) -> Engine:
    """An engine for SQLite (WAL, busy timeout, immediate transactions) or PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # No pre-ping: a round trip before every transaction. Connections are replaced after
        # half an hour instead, and one the server has closed is noticed at checkout.
        engine = create_engine(
            url,
            pool_recycle=RECYCLE_SECONDS,
            pool_size=10,
            max_overflow=20,
            pool_timeout=30,
            # An unreachable server fails a connection in seconds, not after the kernel's minutes.
            connect_args={"connect_timeout": 10},
        )
        event.listen(engine, "checkout", _refuse_closed)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        poolclass=QueuePool,
        pool_size=5,
        max_overflow=10,
        connect_args={"check_same_thread": False, "timeout": busy_seconds},
    )
    _tune_sqlite(engine, synchronous=synchronous, busy_seconds=busy_seconds)
    return engine


def _refuse_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Make the pool replace a connection the server has closed, without a round trip."""
    # An idle connection has nothing to read unless the server said goodbye (a restart, a
    # terminated backend) or hung up: a zero-timeout poll of its socket tells, for free.
    if dbapi_connection.closed:
        raise DisconnectionError("connection closed")
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError) as error:
        raise DisconnectionError("connection unusable") from error
    if readable:
        raise DisconnectionError("the server closed the connection")


PAGE_CACHE_KIB = 512


def _tune_sqlite(engine: Engine, *, synchronous: str, busy_seconds: float) -> None:
    """Put SQLite in WAL mode and make every transaction take the write lock up front."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # How long a write waits for another process's lock before it fails (webhooks: 503).
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # 512 KiB of pages a connection, not SQLite's 2 MiB: the pool keeps up to 15, and the
        # file's pages stay in the system's cache anyway (docs/benchmarks.md, section 8).
        cursor.execute(f"PRAGMA cache_size={-PAGE_CACHE_KIB}")
        cursor.execute("PRAGMA wal_autocheckpoint=0")  # the Checkpointer does it
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred transaction that later writes can fail with SQLITE_BUSY without
        # waiting; IMMEDIATE waits for the lock under busy_timeout instead. Reads need no
        # lock at all in WAL mode: they begin deferred.
        reading = connection.get_execution_options().get(READ_ONLY, False)
        # query_only makes a write in a reading session fail loudly ("attempt to write a
        # readonly database") instead of quietly taking the writer's lock. Switched only when
        # the connection changes roles: a pragma costs a round trip through the library.
        record = connection.connection
        if record.info.get(READ_ONLY, False) != reading:
            connection.exec_driver_sql(f"PRAGMA query_only={int(reading)}")
            record.info[READ_ONLY] = reading
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


class Database:
    """The engine and the sessions of one process."""

    def __init__(
        self, url: str, *, synchronous: str = "NORMAL", busy_seconds: float = 30.0
    ) -> None:
        self.url = url
        self.engine = make_engine(url, synchronous=synchronous, busy_seconds=busy_seconds)
        # SQLite has one writer: threads of this process queue here, handed over at once,
        # instead of sleeping in SQLite's busy handler (which backs off up to 100 ms a try).
        self._writers: AbstractContextManager[Any] = (
            threading.RLock() if self.is_sqlite else contextlib.nullcontext()
        )
        path = make_url(url).database if self.is_sqlite else None
        self._checkpointer = (
            Checkpointer(path) if path and path != ":memory:" and "mode=memory" not in url else None
        )

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded SQLite engine."""
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with self._writers, Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only: it takes no write lock, waits for no writer, and refuses writes.

        SQLite begins it deferred with query_only on; PostgreSQL as a READ ONLY transaction.
        """
        options: dict[str, Any] = {READ_ONLY: True}
        if not self.is_sqlite:
            options["postgresql_readonly"] = True
        # Closing ends the transaction without expiring what was read (a rollback would).
        with Session(self.engine, expire_on_commit=False) as session:
            session.connection(execution_options=options)
            yield session

    def dispose(self) -> None:
        """Close every pooled connection, and stop checkpointing."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.engine.dispose()


class Checkpointer:
    """Copies an SQLite database's WAL back into it, on a thread, outside every commit."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish the checkpoint under way, if any, and end the thread."""
        self._stopping.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while not self._stopping.wait(CHECKPOINT_EVERY):
                if not Path(self._path).exists():
                    return  # the database was removed: nothing left to checkpoint
                try:
                    if connection is None:
                        # mode=rw: a database deleted meanwhile is not created again, empty.
                        connection = sqlite3.connect(
                            f"file:{quote(self._path)}?mode=rw", uri=True, timeout=0
                        )
                    # PASSIVE takes no lock that writers wait for; what it cannot copy now
                    # (frames a reader still needs) it copies on a later turn.
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as error:  # busy, or the file went away: try again
                    log.debug("SQLite checkpoint skipped: %s", error)
                    if connection is not None:
                        connection.close()
                    connection = None
        finally:
            if connection is not None:
                connection.close()
