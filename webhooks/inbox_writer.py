"""Group commit: webhook updates are stored in batches, each request answered once its batch commits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from core.db import Database
from domain.inbox.service import NewUpdate, store_updates

Waiting = tuple[NewUpdate, asyncio.Future[bool]]

# Quiet means no request has waited for its commit for this long. Between two commits of
# a burst there are instants with none waiting, but never a gap this long.
QUIET_SECONDS = 0.01


class InboxWriter:
    """Collects updates from concurrent requests and commits them together."""

    def __init__(
        self, db: Database, *, max_batch: int = 500, on_stored: Callable[[], None] = lambda: None
    ) -> None:
        self._db = db
        self._on_stored = on_stored
        self._max_batch = max_batch
        self._waiting: list[Waiting] = []
        self._arrived = asyncio.Event()
        self._in_flight = 0  # requests between store() and their answer
        self._last_busy = 0.0  # the loop's time when a request last waited
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None

    @property
    def busy(self) -> bool:
        """Whether a request is waiting for its commit."""
        return self._in_flight > 0

    async def store(self, update: NewUpdate) -> bool:
        """Store one update durably; True if it was new, False for a duplicate."""
        if self._task is None or self._task.done():
            self.start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._in_flight += 1
        self._quiet.clear()
        try:
            self._waiting.append((update, future))
            self._arrived.set()
            return await future
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._last_busy = loop.time()
                self._quiet.set()

    async def wait_quiet(self, at_most: float) -> None:
        """Return once requests have stopped coming for a moment, or after `at_most` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + at_most
        while (now := loop.time()) < deadline:
            if self._in_flight:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._quiet.wait(), deadline - now)
                continue
            idle = now - self._last_busy
            if idle >= QUIET_SECONDS:
                return
            await asyncio.sleep(min(QUIET_SECONDS - idle, deadline - now))

    def start(self) -> None:
        """Start the committing task on the running loop."""
        if self._executor is None:
            # Its own thread: a commit never queues behind handling in the default executor.
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbox-writer")
        self._task = asyncio.get_running_loop().create_task(self._run(), name="inbox-writer")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is None:
            return
        while self._waiting or self._in_flight:
            await self.wait_quiet(0.1)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def _run(self) -> None:
        while True:
            await self._arrived.wait()
            # While one batch commits, the next accumulates: one fsync serves many requests.
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            if not self._waiting:
                self._arrived.clear()
            await self._commit(batch)

    async def _commit(self, batch: list[Waiting]) -> None:
        updates = [u for u, _ in batch]
        loop = asyncio.get_running_loop()
        try:
            stored = await loop.run_in_executor(self._executor, store_updates, self._db, updates)
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
