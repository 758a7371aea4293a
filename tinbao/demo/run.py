"""`tinbao demo`: the whole service on a demo database, with the playground, on loopback only."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import signal
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import uvicorn
from fastapi import FastAPI
from sqlalchemy import MetaData, func, select

from bot.playground.feed import PlaygroundFeed
from core.db import Database
from core.settings import Settings, settings_from
from domain.areas.models import Area
from migrations.runner import upgrade_to_head
from tinbao.demo.seed import seed_demo
from tinbao.service import Service
from webhooks.playground.routes import Playground, mount_playground

log = logging.getLogger(__name__)

HOST = "127.0.0.1"  # anyone who reaches the page speaks as anyone: never beyond this computer
FEED_FILE = "playground.jsonl"
# Kept on reset: who leads and who holds which chat, or the running service would stall.
_KEPT_TABLES = frozenset({"alembic_version", "leader_leases", "inbox_leases"})


def demo_settings(data_dir: Path) -> Settings:
    """The demo's settings, read from nowhere: a stray .env or TINBAO_* turns on no channel."""
    return settings_from(
        {
            "database_url": f"sqlite:///{(data_dir / 'tinbao.db').as_posix()}",
            "media_dir": data_dir / "media",
            "playground": True,
            "quiet_hours": "",
            "lease_seconds": 6.0,
        }
    )


def wipe(data_dir: Path) -> None:
    """Forget a kept demo: its database, key, photos and page history."""
    for name in ("tinbao.db", "tinbao.db-wal", "tinbao.db-shm", "tinbao.key", FEED_FILE):
        (data_dir / name).unlink(missing_ok=True)
    shutil.rmtree(data_dir / "media", ignore_errors=True)


class Demo:
    """A demo's service, its page's feed, and its reset."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.settings = demo_settings(data_dir)
        self.db = Database(self.settings.database_url)
        upgrade_to_head(self.db)
        self.feed = PlaygroundFeed(data_dir / FEED_FILE)
        self.service = Service(self.settings, db=self.db, playground=self.feed)
        if not self._seeded():
            self._seed()

    def _seeded(self) -> bool:
        with self.db.reading() as session:
            return bool(session.execute(select(func.count()).select_from(Area)).scalar_one())

    def _seed(self) -> None:
        seed_demo(self.db, settings=self.settings, sealer=self.service.sealer)

    def _clear(self) -> None:
        # The tables as the database has them, dependents first: models need not all be imported.
        tables = MetaData()
        tables.reflect(self.db.engine)
        with self.db.session() as session:
            for table in reversed(tables.sorted_tables):
                if table.name in _KEPT_TABLES:
                    continue
                # A tree (areas) restricts deleting a parent before its children: cut it first.
                for key in table.foreign_keys:
                    if key.column.table.name == table.name and key.parent.nullable:
                        session.execute(table.update().values({key.parent.name: None}))
                session.execute(table.delete())

    async def reset(self) -> None:
        """Put the demo back to its first state while it runs."""
        await asyncio.to_thread(self._clear)
        self.feed.clear()
        await asyncio.to_thread(self._seed)
        self.service.sender.notify()
        log.info("the demo was reset to its first state")

    def app(self) -> FastAPI:
        """The service's app with the playground page and endpoints."""
        app = self.service.app()
        mount_playground(app, Playground(feed=self.feed, reset=self.reset))
        return app


class _DemoServer(uvicorn.Server):
    """Uvicorn, ending the page's open streams when asked to stop."""

    def __init__(self, config: uvicorn.Config, feed: PlaygroundFeed, url: str) -> None:
        super().__init__(config)
        self._feed = feed
        self._url = url
        self._loop: asyncio.AbstractEventLoop | None = None
        self.stopped_by: list[int] = []  # the signals that stopped it

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start serving, then say where."""
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)
        if self.started:
            print(f"Tinbao demo: open {self._url} in your browser (Ctrl+C stops it)", flush=True)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Uvicorn's, except that the signal is raised again by run_demo, once it cleaned up."""
        with super().capture_signals():
            try:
                yield
            finally:
                # Uvicorn raises what it caught as it leaves, which would end the process
                # before the temporary folder is removed.
                self.stopped_by = list(self._captured_signals)
                self._captured_signals.clear()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Stop: the streams end first, or shutting down would wait for them."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._feed.close)
        super().handle_exit(sig, frame)


def run_demo(*, port: int, data: Path | None, reset: bool) -> None:
    """Serve the demo until SIGTERM or SIGINT; in a temporary folder unless `data` is given."""
    with contextlib.ExitStack() as stack:
        if data is None:
            data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tinbao-demo-")))
        elif reset:
            wipe(data)
        server = _serve(data, port)
    # As uvicorn would: the process ends as the signal that stopped it says.
    for caught in reversed(server.stopped_by):
        signal.raise_signal(caught)


def _serve(data_dir: Path, port: int) -> _DemoServer:
    demo = Demo(data_dir)
    print(f"Demo data in {data_dir}", flush=True)
    config = uvicorn.Config(
        demo.app(),
        host=HOST,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = _DemoServer(config, demo.feed, f"http://{HOST}:{port}/")
    server.run()
    return server
