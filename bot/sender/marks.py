"""The 'sent' marks of finished sends, written together: one transaction for many sends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from core.db import Database
from domain.outbox import delivery as store


class SentMarks:
    """Records sends as sent, in batches, and waits for the database through an outage.

    A send returns once its mark is committed, so its chat stays busy until then: a row left
    'sending' is sent again by the next leader, and none of the chat's rows go out meanwhile.
    Whoever finds no batch being written writes the waiting marks, as the inbox's group commit
    does: at a thousand sends a second, one transaction each was the sender's bottleneck.
    """

    def __init__(self, db: Database, *, giving_up: Callable[[], bool]) -> None:
        self._db = db
        self._giving_up = giving_up
        self._waiting: list[tuple[int, str | None, asyncio.Future[None]]] = []
        self._writing = False

    async def record(self, row_id: int, platform_message_id: str | None) -> None:
        """Mark the row sent with the platform's message id; return once it is committed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((row_id, platform_message_id, done))
        if not self._writing:
            self._writing = True
            batch: list[tuple[int, str | None, asyncio.Future[None]]] = []
            try:
                while self._waiting:
                    batch, self._waiting = self._waiting, []
                    await self._write(batch)
            except BaseException:
                # Cancelled while writing (a stop): the others must not wait for good.
                for *_, waiting in batch + self._waiting:
                    if waiting is not done:
                        waiting.cancel()
                self._waiting = []
                raise
            finally:
                self._writing = False
        await done

    async def _write(self, batch: list[tuple[int, str | None, asyncio.Future[None]]]) -> None:
        marks = [(row_id, message_id) for row_id, message_id, _ in batch]
        failures = 0
        while True:
            try:
                await asyncio.to_thread(store.mark_sent_many, self._db, sent=marks)
                break
            except Exception as error:  # the database is away: the sends wait for it
                failures += 1
                if self._giving_up() and failures >= 3:
                    for *_, done in batch:
                        if not done.done():
                            done.set_exception(error)
                    return
                await asyncio.sleep(min(0.25 * 2**failures, 5.0))
        for *_, done in batch:
            if not done.done():
                done.set_result(None)
