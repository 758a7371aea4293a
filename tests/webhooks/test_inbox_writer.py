"""The inbox writer: group commit, answers only after the commit, busy while requests wait."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import text

from core.db import Database, utcnow
from domain.inbox.models import InboxStatus, InboxUpdate
from domain.inbox.service import NewUpdate
from webhooks.inbox_writer import InboxWriter


def update(key: str, chat: str = "1") -> NewUpdate:
    """A Telegram update with the given key."""
    return NewUpdate(channel="telegram", update_key=key, chat_key=chat, payload="{}")


def stored_keys(db: Database) -> list[str]:
    """The update keys in the inbox, in the order stored."""
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT update_key FROM inbox ORDER BY id")).all()
    return [key for (key,) in rows]


class HeldInsert(threading.Thread):
    """An uncommitted transaction holding update `key`: a writer storing it has to wait."""

    def __init__(self, db: Database, key: str) -> None:
        super().__init__(daemon=True)
        self.db, self.key = db, key
        self.holding, self.release = threading.Event(), threading.Event()

    def run(self) -> None:
        with self.db.session() as session:
            session.add(
                InboxUpdate(
                    channel="telegram",
                    update_key=self.key,
                    chat_key="1",
                    payload="{}",
                    status=InboxStatus.PENDING.value,
                    attempts=0,
                    received_at=utcnow(),
                )
            )
            session.flush()
            self.holding.set()
            self.release.wait(10)


async def test_inbox_writer_answers_each_request_and_counts_a_repeat_once(db: Database) -> None:
    writer = InboxWriter(db)
    keys = [str(n) for n in range(40)] + ["7", "7", "39"]
    try:
        answers = await asyncio.gather(*(writer.store(update(key)) for key in keys))
    finally:
        await writer.stop()
    assert answers == [True] * 40 + [False] * 3
    assert sorted(stored_keys(db), key=int) == [str(n) for n in range(40)]


async def test_inbox_writer_is_busy_until_the_commit(db: Database) -> None:
    writer = InboxWriter(db)
    held = HeldInsert(db, "5")
    held.start()
    assert await asyncio.to_thread(held.holding.wait, 10)
    try:
        assert not writer.busy
        storing = asyncio.create_task(writer.store(update("5")))
        await asyncio.sleep(0)  # the request reaches the writer
        await writer.wait_quiet(0.2)  # gives up waiting: the commit cannot happen yet
        assert writer.busy and not storing.done()
    finally:
        held.release.set()
    assert await storing is False  # the held transaction stored it first
    assert not writer.busy
    await asyncio.wait_for(writer.wait_quiet(10), 1)  # quiet: returns at once
    await writer.stop()
    await asyncio.to_thread(held.join, 10)


async def test_inbox_writer_stop_commits_what_is_waiting(db: Database) -> None:
    writer = InboxWriter(db)
    storing = [asyncio.create_task(writer.store(update(str(n)))) for n in range(20)]
    await asyncio.sleep(0)
    await writer.stop()
    assert all(task.done() for task in storing)
    assert [task.result() for task in storing] == [True] * 20
    assert len(stored_keys(db)) == 20


async def test_inbox_writer_starts_again_after_a_stop(db: Database) -> None:
    writer = InboxWriter(db)
    assert await writer.store(update("1"))
    await writer.stop()
    assert await writer.store(update("2"))
    await writer.stop()
    assert sorted(stored_keys(db)) == ["1", "2"]


async def test_inbox_writer_is_not_quiet_while_requests_keep_coming(db: Database) -> None:
    writer = InboxWriter(db)
    loop = asyncio.get_running_loop()

    async def burst() -> None:
        for n in range(100):  # one after another: at moments none is waiting
            await writer.store(update(str(n)))
            await asyncio.sleep(0.002)

    storing = asyncio.create_task(burst())
    await asyncio.sleep(0.02)
    started = loop.time()
    await writer.wait_quiet(0.1)
    assert loop.time() - started >= 0.09 and not storing.done()
    await storing
    started = loop.time()
    await writer.wait_quiet(5)
    assert loop.time() - started < 1
    await writer.stop()
