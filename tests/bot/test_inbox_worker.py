"""Inbox workers: one chat at a time and in order, retries, parking, redaction."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Set as AbstractSet
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import select

from bot.inbox_worker import InboxWorker
from core.db import Database, utcnow
from core.metrics import Metrics
from domain.inbox.models import InboxStatus, InboxUpdate
from domain.inbox.service import NewUpdate, finish_update, redact_payloads, store_updates


class RecordingHandler:
    """Handles updates slowly, records the order, fails the ones it is told to."""

    def __init__(
        self, db: Database, *, fail_keys: AbstractSet[str] = frozenset(), delay: float = 0.01
    ) -> None:
        self.db = db
        self.fail_keys = fail_keys
        self.delay = delay
        self.handled: dict[str, list[str]] = defaultdict(list)
        self.busy: set[str] = set()
        self.overlaps = 0
        self.attempts: dict[str, int] = defaultdict(int)

    async def handle(self, row: InboxUpdate) -> InboxStatus:
        """Record, maybe fail, then mark done in a transaction of its own."""
        assert row.id is not None
        self.attempts[row.update_key] += 1
        if row.chat_key in self.busy:
            self.overlaps += 1
        self.busy.add(row.chat_key)
        try:
            await asyncio.sleep(self.delay)
            if row.update_key in self.fail_keys:
                raise RuntimeError("this update cannot be handled")
            with self.db.session() as session:
                if finish_update(session, update_id=row.id, status=InboxStatus.DONE):
                    self.handled[row.chat_key].append(row.update_key)
        finally:
            self.busy.discard(row.chat_key)
        return InboxStatus.DONE


def updates(chats: int, per_chat: int) -> list[NewUpdate]:
    """Updates interleaved across chats, keys numbered in order within each chat."""
    return [
        NewUpdate(
            channel="telegram", update_key=f"{chat}-{n:03d}", chat_key=str(chat), payload="{}"
        )
        for n in range(per_chat)
        for chat in range(chats)
    ]


async def run_until(db: Database, workers: list[InboxWorker], *, timeout: float = 20.0) -> None:
    """Run workers until nothing is pending."""
    tasks = [asyncio.create_task(w.run()) for w in workers]
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with db.engine.connect() as connection:
                pending = connection.execute(
                    text("SELECT count(*) FROM inbox WHERE status = 'pending'")
                ).scalar_one()
            if pending == 0:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("updates still pending")
    finally:
        for worker in workers:
            worker.stop()
        await asyncio.gather(*tasks)


def statuses(db: Database) -> dict[str, tuple[str, int, str | None]]:
    """Each update's status, attempts and error."""
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT update_key, status, attempts, last_error FROM inbox")
        ).all()
    return {key: (status, attempts, error) for key, status, attempts, error in rows}


async def test_inbox_worker_handles_each_chat_in_order_and_one_at_a_time(db: Database) -> None:
    store_updates(db, updates(chats=6, per_chat=8))
    handler = RecordingHandler(db)
    workers = [
        InboxWorker(db=db, handler=handler, metrics=Metrics(), holder=f"w{i}", concurrency=3)
        for i in range(2)
    ]
    await run_until(db, workers)
    assert handler.overlaps == 0
    assert set(handler.handled) == {str(c) for c in range(6)}
    for chat, keys in handler.handled.items():
        assert keys == sorted(keys), f"chat {chat} out of order"
        assert len(keys) == 8
    assert all(n == 1 for n in handler.attempts.values())


async def test_inbox_worker_retries_then_parks_a_failing_update_and_goes_on(db: Database) -> None:
    store_updates(db, updates(chats=2, per_chat=3))
    handler = RecordingHandler(db, fail_keys=frozenset({"0-001"}))
    metrics = Metrics()
    worker = InboxWorker(
        db=db, handler=handler, metrics=metrics, holder="w", max_attempts=3, first_retry_delay=0.05
    )
    await run_until(db, [worker])
    final = statuses(db)
    status, attempts, error = final["0-001"]
    assert (status, attempts) == ("failed", 3)
    assert error is not None and "cannot be handled" in error
    assert handler.handled["0"] == ["0-000", "0-002"]  # the chat went on after parking
    assert handler.handled["1"] == ["1-000", "1-001", "1-002"]
    assert (
        metrics.registry.get_sample_value("tinbao_updates_failed_total", {"channel": "telegram"})
        == 1
    )


async def test_inbox_worker_waits_for_a_retry_before_the_chat_goes_on(db: Database) -> None:
    store_updates(db, updates(chats=1, per_chat=2))
    handler = RecordingHandler(db, fail_keys=frozenset({"0-000"}))
    worker = InboxWorker(
        db=db, handler=handler, metrics=Metrics(), holder="w", max_attempts=2, first_retry_delay=0.3
    )
    started = time.monotonic()
    await run_until(db, [worker])
    assert handler.handled["0"] == ["0-001"]
    assert time.monotonic() - started >= 0.3  # the later update waited for the retry


async def test_redaction_erases_old_handled_payloads_only(db: Database) -> None:
    store_updates(
        db,
        [
            NewUpdate(channel="zalo", update_key=k, chat_key="c", payload='{"text": "secret"}')
            for k in ("a", "b", "c")
        ],
    )
    with db.session() as session:
        rows = {r.update_key: r for r in session.exec(select(InboxUpdate)).all()}
        rows["a"].status = InboxStatus.DONE.value
        rows["a"].received_at = utcnow() - timedelta(days=31)
        rows["b"].received_at = utcnow() - timedelta(days=31)  # still pending: kept
        session.add_all(rows.values())
    assert redact_payloads(db, older_than=timedelta(days=30)) == 1
    with db.engine.connect() as connection:
        payloads: dict[str, str | None] = dict(
            connection.execute(text("SELECT update_key, payload FROM inbox")).all()
        )
    assert payloads == {"a": None, "b": '{"text": "secret"}', "c": '{"text": "secret"}'}


async def test_store_updates_reports_only_new_updates(db: Database) -> None:
    batch = updates(chats=1, per_chat=3)
    assert store_updates(db, batch) == {("telegram", u.update_key) for u in batch}
    assert store_updates(db, batch + batch) == set()
