"""Group commit: webhook updates are stored in batches, each request answered once its batch commits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from domain.db import Database
from domain.inbox.service import NewUpdate, store_updates


class InboxWriter:
    """Collects updates from concurrent requests and commits them together."""

    def __init__(
        self, db: Database, *, max_batch: int = 500, on_stored: Callable[[], None] = lambda: None
    ) -> None:
        self._db = db
        self._on_stored = on_stored
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[NewUpdate, asyncio.Future[bool]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def store(self, update: NewUpdate) -> bool:
        """Store one update durably; True if it was new, False for a duplicate."""
        if self._task is None or self._task.done():
            self.start()
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self._queue.put((update, future))
        return await future

    def start(self) -> None:
        """Start the committing task on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="inbox-writer")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            # While one batch commits, the next accumulates: one fsync serves many requests.
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._commit(batch)
            for _ in batch:
                self._queue.task_done()

    async def _commit(self, batch: list[tuple[NewUpdate, asyncio.Future[bool]]]) -> None:
        try:
            stored = await asyncio.to_thread(store_updates, self._db, [u for u, _ in batch])
        except Exception as error:  # the requests answer 503 and the platform re-sends
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        seen: set[tuple[str, str]] = set()
        for update, future in batch:
            key = (update.channel, update.update_key)
            # Only the first of equal updates in one batch counts as new.
            is_new = key in stored and key not in seen
            seen.add(key)
            if not future.done():
                future.set_result(is_new)
        if stored:
            self._on_stored()
