"""Identical questions asked at once share one answer, never one older than the question.

A reading is open to questions until it begins (it may first wait for a turn: the figures
are those of the moment it begins). A question asked once it has begun does not take its
answer: it waits for that answer to be done, then is answered by the next reading, shared
with every identical question that arrived before that one began. Eight commanders opening
the same figures at once cost one or two readings, not eight, and each gets figures read
after they asked.

Readings run as tasks of the event loop: a question whose asker leaves (a client that hangs
up) does not take its reading away from those who share it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

Begun = Callable[[], None]  # called by a reading at the moment it begins


@dataclass(eq=False)
class _Reading:
    """One reading and those to tell when it begins."""

    task: asyncio.Task[Any] | None = None
    on_begun: list[Begun] = field(default_factory=list)
    begun: bool = False


class SharedReads:
    """Runs each question once for all identical questions that arrived before its reading began."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Task[Any]] = {}
        self._open: dict[Hashable, _Reading] = {}
        self.asked = 0  # how many questions arrived
        self.readings = 0  # how many readings began for them

    async def answer(
        self, key: Hashable, read: Callable[[Begun], Awaitable[Any]], *, begun: Begun | None = None
    ) -> Any:
        """The answer to the question `key`, read by `read` or by an identical question's reading.

        `read` calls the function it is given at the moment its reading begins: questions
        that arrive later wait for the next reading. `begun`, if given, is called then too.
        """
        self.asked += 1
        reading = self._open.get(key)
        if reading is None:
            reading = _Reading()
            task = asyncio.ensure_future(self._read(key, reading, self._running.get(key), read))
            # Taken here, so that a reading nobody waits for any more leaves no warning.
            task.add_done_callback(lambda done: done.cancelled() or done.exception())
            reading.task = task
            self._open[key] = reading
        if begun is not None:
            reading.on_begun.append(begun)
        assert reading.task is not None
        return await asyncio.shield(reading.task)

    async def _read(
        self,
        key: Hashable,
        reading: _Reading,
        before: asyncio.Task[Any] | None,
        read: Callable[[Begun], Awaitable[Any]],
    ) -> Any:
        """Wait for the reading before this one, then read, closed to questions once it begins."""
        if before is not None:
            await asyncio.wait([before])  # its answer, or its error, is not this reading's

        def begins() -> None:
            if reading.begun:
                return
            reading.begun = True
            self._close(key, reading)
            assert reading.task is not None
            self._running[key] = reading.task
            self.readings += 1
            for tell in reading.on_begun:
                tell()

        try:
            return await read(begins)
        finally:
            self._close(key, reading)  # a reading that failed before it began
            if self._running.get(key) is reading.task:
                del self._running[key]

    def _close(self, key: Hashable, reading: _Reading) -> None:
        if self._open.get(key) is reading:
            del self._open[key]
