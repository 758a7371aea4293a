"""Long reads take turns, one at a time, and rest while webhooks come in.

A reading holds Python's interpreter lock for much of its work. Eight at once left the
webhooks a small share of it, and each reader waited for the others' rows at every step;
two at a time read no faster than one (21–22 reads a second either way) and left ingest
32 % of what it stores alone, one at a time 54 % (docs/benchmarks.md, section 8). Readers
who ask again as soon as they are answered keep even one turn busy all the time, so while
webhooks wait for their commit a turn is handed on only after a rest: readings then take
at most a third of the time. The admin API's reads and the desk's figures (/queue, /stats,
the chart) share these turns.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TypeVar

READINGS_AT_ONCE = 1
# While webhooks come in, a turn rests this many times as long as its reading took.
REST_PER_READING = 2.0

T = TypeVar("T")


def _never() -> bool:
    return False


class ReadingTurns:
    """Turns for long reads; waiting for one costs the event loop nothing.

    Turns go in the order asked, except that a reading which finishes a question already
    under way (`first`) goes before those that begin one: a question's figures read in two
    parts (webhooks/admin/stats.py) wait once, not twice, for the queue; and a reading that
    others may join waits while they finish, gathering more of them.
    """

    def __init__(
        self, at_once: int = READINGS_AT_ONCE, *, webhooks_waiting: Callable[[], bool] = _never
    ) -> None:
        self._webhooks_waiting = webhooks_waiting
        self._free = at_once
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []  # a heap
        self._order = itertools.count()
        # Threads of their own: in the event loop's default pool, readings took the threads
        # the inbox workers handle updates on.
        self._threads = ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="reading")

    @asynccontextmanager
    async def turn(self, *, first: bool = False) -> AsyncIterator[None]:
        """Hold a turn for the block: a thread is taken only once one is free."""
        await self._take(first)
        began = time.monotonic()
        try:
            yield
        finally:
            if self._webhooks_waiting():
                # The reader has its answer; the next one waits out the rest.
                rest = REST_PER_READING * (time.monotonic() - began)
                asyncio.get_running_loop().call_later(rest, self._give)
            else:
                self._give()

    async def read(
        self, read: Callable[[], T], *, begun: Callable[[], None] | None = None, first: bool = False
    ) -> T:
        """Run a blocking read in a thread, in its turn; `begun` is called as the turn comes."""
        context = contextvars.copy_context()  # as asyncio.to_thread passes it on
        async with self.turn(first=first):
            if begun is not None:
                begun()
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._threads, context.run, read)

    async def _take(self, first: bool) -> None:
        if self._free and not self._waiting:
            self._free -= 1
            return
        given = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (0 if first else 1, next(self._order), given))
        try:
            await given
        except asyncio.CancelledError:
            if given.done() and not given.cancelled():
                self._give()  # handed the turn as it was cancelled: hand it on
            raise

    def _give(self) -> None:
        while self._waiting:
            _first, _order, given = heapq.heappop(self._waiting)
            if not given.done():
                given.set_result(None)
                return
        self._free += 1
