"""Webhooks first: handling gives way while webhooks wait for their commit, but never stops."""

from __future__ import annotations

import asyncio
import contextlib
import time

from sqlalchemy import text

from bot.inbox_worker import InboxWorker
from core.db import Database
from core.metrics import Metrics
from domain.inbox.models import InboxStatus, InboxUpdate
from domain.inbox.service import NewUpdate, finish_update, store_updates


class BusyIngest:
    """An ingest with webhooks waiting until `quiet` is set."""

    def __init__(self) -> None:
        self.quiet = asyncio.Event()
        self.waits = 0

    async def wait_quiet(self, at_most: float) -> None:
        """Wait for quiet, at most `at_most` seconds."""
        self.waits += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.quiet.wait(), at_most)


class MarkingHandler:
    """Marks each update done."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.handled: list[str] = []

    async def handle(self, row: InboxUpdate) -> InboxStatus:
        """Mark done and record."""
        assert row.id is not None
        with self.db.session() as session:
            finish_update(session, update_id=row.id, status=InboxStatus.DONE)
        self.handled.append(row.update_key)
        return InboxStatus.DONE


def pending(db: Database) -> int:
    """How many updates wait."""
    with db.engine.connect() as connection:
        count: int = connection.execute(
            text("SELECT count(*) FROM inbox WHERE status = 'pending'")
        ).scalar_one()
    return count


def store(db: Database, count: int) -> None:
    """Store `count` updates of one chat."""
    store_updates(
        db,
        [
            NewUpdate(channel="telegram", update_key=str(n), chat_key="1", payload="{}")
            for n in range(count)
        ],
    )


async def test_inbox_worker_handles_nothing_while_webhooks_wait_then_everything(
    db: Database,
) -> None:
    store(db, 3)
    ingest, handler = BusyIngest(), MarkingHandler(db)
    worker = InboxWorker(
        db=db, handler=handler, metrics=Metrics(), holder="w", ingest=ingest, give_way_at_most=30
    )
    running = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.5)
        assert handler.handled == [] and ingest.waits >= 1
        ingest.quiet.set()
        deadline = time.monotonic() + 10
        while pending(db) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert handler.handled == ["0", "1", "2"]
    finally:
        worker.stop()
        ingest.quiet.set()
        await running


async def test_inbox_worker_goes_on_when_webhooks_never_stop(db: Database) -> None:
    store(db, 4)
    ingest, handler = BusyIngest(), MarkingHandler(db)
    worker = InboxWorker(
        db=db, handler=handler, metrics=Metrics(), holder="w", ingest=ingest, give_way_at_most=0.05
    )
    running = asyncio.create_task(worker.run())
    try:
        deadline = time.monotonic() + 10
        while pending(db) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert handler.handled == ["0", "1", "2", "3"]
        assert ingest.waits >= 4  # it gave way before each update
    finally:
        worker.stop()
        await running
