"""Identical questions asked at once share one answer, never one older than the question.

A question asked while the same one is being answered does not take that answer (its
reading began before the question arrived): it waits for that answer to be done, then is
answered by one fresh reading shared with every identical question that arrived meanwhile.
Eight commanders opening the same figures at once cost two readings, not eight, and each
gets figures read after they asked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Reading:
    """One reading of a question, and the answer it gave, once done."""

    done: threading.Event = field(default_factory=threading.Event)
    answer: Any = None
    error: BaseException | None = None


class SharedReads:
    """Runs each question once for all identical questions that arrived before its reading began."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[Hashable, _Reading] = {}
        self._next: dict[Hashable, _Reading] = {}
        self.asked = 0  # how many questions arrived
        self.readings = 0  # how many readings ran for them

    def answer(self, key: Hashable, read: Callable[[], Any]) -> Any:
        """The answer to the question `key`, read by `read` or by an identical question's reading."""
        before: _Reading | None = None
        with self._lock:
            self.asked += 1
            running = self._running.get(key)
            if running is None:
                mine, reads = _Reading(), True
                self._running[key] = mine
            elif key in self._next:
                mine, reads = self._next[key], False
            else:
                mine, reads, before = _Reading(), True, running
                self._next[key] = mine
        if not reads:
            mine.done.wait()
        else:
            if before is not None:
                before.done.wait()  # then this reading runs: the one before it made way
            self._read(key, mine, read)
        if mine.error is not None:
            raise mine.error
        return mine.answer

    def _read(self, key: Hashable, mine: _Reading, read: Callable[[], Any]) -> None:
        """Read, hand the answer to those who share it, and make way for the next reading."""
        try:
            mine.answer = read()
        except BaseException as error:  # every sharer gets the error this reading met
            mine.error = error
        finally:
            with self._lock:
                self.readings += 1
                waiting = self._next.pop(key, None)
                if waiting is None:
                    del self._running[key]
                else:
                    self._running[key] = waiting
            mine.done.set()
