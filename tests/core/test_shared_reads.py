"""Identical questions asked at once share one reading, never one that began before they asked."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.shared_reads import SharedReads


def _until(condition: Callable[[], bool]) -> None:
    """Wait for a condition other threads make true, for 10 s at most."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_questions_asked_during_a_reading_share_the_next_one_not_it() -> None:
    shared = SharedReads()
    first_may_end = threading.Event()
    began: list[int] = []  # the readings, numbered in the order they began

    def read() -> int:
        began.append(len(began) + 1)
        number = began[-1]
        if number == 1:
            first_may_end.wait(10)
        return number

    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(shared.answer, "province", read)
        _until(lambda: began == [1])
        later = [pool.submit(shared.answer, "province", read) for _ in range(7)]
        _until(lambda: shared.asked == 8)
        first_may_end.set()
        answers = [first.result(10), *(f.result(10) for f in later)]
    # The first asker gets the reading it began; the seven who asked during it share one
    # reading that began after all of them had asked.
    assert answers == [1, 2, 2, 2, 2, 2, 2, 2]
    assert shared.readings == 2


def test_different_questions_are_read_apart_and_a_later_question_reads_again() -> None:
    shared = SharedReads()
    counted = iter(range(100))
    assert shared.answer("a", lambda: ("a", next(counted))) == ("a", 0)
    assert shared.answer("b", lambda: ("b", next(counted))) == ("b", 1)
    assert shared.answer("a", lambda: ("a", next(counted))) == ("a", 2)  # nothing kept
    assert shared.readings == 3


def test_a_reading_that_fails_fails_for_all_who_share_it_and_the_next_question_reads_afresh() -> (
    None
):
    shared = SharedReads()

    def broken() -> int:
        raise RuntimeError("database away")

    with pytest.raises(RuntimeError, match="database away"):
        shared.answer("a", broken)
    assert shared.answer("a", lambda: 7) == 7
