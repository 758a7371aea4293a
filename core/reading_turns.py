"""Long reads take turns, one at a time, so that figures never starve the webhooks.

A reading holds Python's interpreter lock for much of its work. Eight at once left the
webhooks a small share of it, and each reader waited for the others' rows at every step;
two at a time read no faster than one (21–22 reads a second either way) and left ingest
32 % of what it stores alone, one at a time 54 % (docs/benchmarks.md, section 8). The
admin API's reads and the desk's figures (/queue, /stats, the chart) share these turns.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TypeVar

READINGS_AT_ONCE = 1

T = TypeVar("T")


class ReadingTurns:
    """Turns for long reads; waiting for one costs the event loop nothing."""

    def __init__(self, at_once: int = READINGS_AT_ONCE) -> None:
        self._free = asyncio.Semaphore(at_once)
        # Threads of their own: in the event loop's default pool, readings took the threads
        # the inbox workers handle updates on.
        self._threads = ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="reading")

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold a turn for the block: a thread is taken only once one is free."""
        async with self._free:
            yield

    async def read(self, read: Callable[[], T]) -> T:
        """Run a blocking read in a thread, in its turn."""
        context = contextvars.copy_context()  # as asyncio.to_thread passes it on
        async with self._free:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._threads, context.run, read)
