"""Identical questions asked at once share one reading, never one that began before they asked."""

from __future__ import annotations

import asyncio

import pytest

from core.shared_reads import Begun, SharedReads
from tests.support.loop import spin_until


async def test_questions_asked_during_a_reading_share_the_next_one_not_it() -> None:
    shared = SharedReads()
    first_may_end = asyncio.Event()
    began: list[int] = []  # the readings, numbered in the order they began

    async def read(begun: Begun) -> int:
        begun()
        began.append(len(began) + 1)
        number = began[-1]
        if number == 1:
            await first_may_end.wait()
        return number

    first = asyncio.ensure_future(shared.answer("province", read))
    await spin_until(lambda: began == [1])
    later = [asyncio.ensure_future(shared.answer("province", read)) for _ in range(7)]
    await spin_until(lambda: shared.asked == 8)
    first_may_end.set()
    answers = await asyncio.gather(first, *later)
    # The first asker gets the reading it began; the seven who asked during it share one
    # reading that began after all of them had asked.
    assert answers == [1, 2, 2, 2, 2, 2, 2, 2]
    assert shared.readings == 2


async def test_different_questions_are_read_apart_and_a_later_question_reads_again() -> None:
    shared = SharedReads()
    counted = iter(range(100))

    async def read_a(begun: Begun) -> tuple[str, int]:
        begun()
        return "a", next(counted)

    async def read_b(begun: Begun) -> tuple[str, int]:
        begun()
        return "b", next(counted)

    assert await shared.answer("a", read_a) == ("a", 0)
    assert await shared.answer("b", read_b) == ("b", 1)
    assert await shared.answer("a", read_a) == ("a", 2)  # nothing kept
    assert shared.readings == 3


async def test_a_reading_that_fails_fails_for_all_who_share_it_and_the_next_question_reads_afresh() -> (
    None
):
    shared = SharedReads()
    may_fail = asyncio.Event()

    async def broken(begun: Begun) -> int:
        begun()
        await may_fail.wait()
        raise RuntimeError("database away")

    async def seven(begun: Begun) -> int:
        begun()
        return 7

    askers = [asyncio.ensure_future(shared.answer("a", broken)) for _ in range(3)]
    await spin_until(lambda: shared.readings == 1)
    may_fail.set()
    for asker in askers:
        with pytest.raises(RuntimeError, match="database away"):
            await asker
    assert shared.readings == 1
    assert await shared.answer("a", seven) == 7


async def test_an_asker_who_leaves_does_not_take_the_reading_from_those_who_share_it() -> None:
    shared = SharedReads()
    may_end = asyncio.Event()

    async def read(begun: Begun) -> str:
        begun()
        await may_end.wait()
        return "figures"

    leaving = asyncio.ensure_future(shared.answer("a", read))
    staying = asyncio.ensure_future(shared.answer("a", read))
    await spin_until(lambda: shared.asked == 2 and shared.readings == 1)
    leaving.cancel()  # the first asker's client hung up
    may_end.set()
    assert await staying == "figures"
    assert shared.readings == 1


async def test_questions_that_arrive_while_a_reading_waits_for_its_turn_share_it() -> None:
    shared = SharedReads()
    turn = asyncio.Event()  # held by someone else until set
    told: list[str] = []

    async def read(begun: Begun) -> str:
        await turn.wait()
        begun()
        return f"read after {shared.asked} questions"

    askers = [asyncio.ensure_future(shared.answer("a", read, begun=lambda: told.append("a")))]
    await spin_until(lambda: shared.asked == 1)
    askers += [asyncio.ensure_future(shared.answer("a", read)) for _ in range(7)]
    await spin_until(lambda: shared.asked == 8)
    assert shared.readings == 0 and told == []  # none began: all eight wait for the turn
    turn.set()
    assert await asyncio.gather(*askers) == ["read after 8 questions"] * 8
    assert shared.readings == 1 and told == ["a"]
    # Asked once that reading began: a reading of its own.
    assert await shared.answer("a", read) == "read after 9 questions"
    assert shared.readings == 2


async def test_a_reading_that_fails_before_it_begins_lets_the_next_question_read() -> None:
    shared = SharedReads()

    async def refused(begun: Begun) -> str:
        raise RuntimeError("no turn")

    async def read(begun: Begun) -> str:
        begun()
        return "figures"

    with pytest.raises(RuntimeError, match="no turn"):
        await shared.answer("a", refused)
    assert await shared.answer("a", read) == "figures"
    assert shared.readings == 1
