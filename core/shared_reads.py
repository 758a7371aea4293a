"""Identical questions asked at once share one answer, never one older than the question.

A question asked while the same one is being answered does not take that answer (its
reading began before the question arrived): it waits for that answer to be done, then is
answered by one fresh reading shared with every identical question that arrived meanwhile.
Eight commanders opening the same figures at once cost two readings, not eight, and each
gets figures read after they asked.

Readings run as tasks of the event loop: a question whose asker leaves (a client that hangs
up) does not take its reading away from those who share it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any


class SharedReads:
    """Runs each question once for all identical questions that arrived before its reading began."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Task[Any]] = {}
        self._next: dict[Hashable, asyncio.Task[Any]] = {}
        self.asked = 0  # how many questions arrived
        self.readings = 0  # how many readings began for them

    async def answer(self, key: Hashable, read: Callable[[], Awaitable[Any]]) -> Any:
        """The answer to the question `key`, read by `read` or by an identical question's reading."""
        self.asked += 1
        reading = self._next.get(key)
        if reading is None:
            reading = asyncio.ensure_future(self._read(key, self._running.get(key), read))
            # Taken here, so that a reading nobody waits for any more leaves no warning.
            reading.add_done_callback(lambda done: done.cancelled() or done.exception())
            self._next[key] = reading
        return await asyncio.shield(reading)

    async def _read(
        self, key: Hashable, before: asyncio.Task[Any] | None, read: Callable[[], Awaitable[Any]]
    ) -> Any:
        """Wait for the reading before this one, then read: questions from now on wait for the next."""
        if before is not None:
            await asyncio.wait([before])  # its answer, or its error, is not this reading's
        mine = self._next.pop(key)
        self._running[key] = mine
        self.readings += 1
        try:
            return await read()
        finally:
            if self._running.get(key) is mine:
                del self._running[key]
