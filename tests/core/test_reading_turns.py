"""Reading turns: one at a time, the ends of a question under way first."""

from __future__ import annotations

import asyncio

from core.reading_turns import ReadingTurns
from tests.support.loop import spin_until


async def test_readings_run_one_at_a_time_and_those_that_finish_a_question_go_first() -> None:
    turns = ReadingTurns()
    order: list[str] = []
    may_end = asyncio.Event()

    async def held() -> None:
        async with turns.turn():
            order.append("held")
            await may_end.wait()

    async def reading(name: str, *, first: bool = False) -> None:
        await turns.read(lambda: order.append(name), first=first)

    holder = asyncio.ensure_future(held())
    await spin_until(lambda: order == ["held"])
    waiting = [
        asyncio.ensure_future(reading("a question begins")),
        asyncio.ensure_future(reading("another begins")),
    ]
    await asyncio.sleep(0.05)
    waiting.append(asyncio.ensure_future(reading("a question ends", first=True)))
    await asyncio.sleep(0.05)
    assert order == ["held"]  # nobody reads while the turn is held
    may_end.set()
    await asyncio.gather(holder, *waiting)
    assert order == ["held", "a question ends", "a question begins", "another begins"]


async def test_a_reader_who_leaves_while_waiting_hands_the_turn_on() -> None:
    turns = ReadingTurns()
    may_end = asyncio.Event()
    read: list[str] = []

    async def held() -> None:
        async with turns.turn():
            await may_end.wait()

    holder = asyncio.ensure_future(held())
    await asyncio.sleep(0)
    leaving = asyncio.ensure_future(turns.read(lambda: read.append("left")))
    staying = asyncio.ensure_future(turns.read(lambda: read.append("stayed")))
    await asyncio.sleep(0.05)
    leaving.cancel()
    may_end.set()
    await asyncio.gather(holder, staying)
    assert read == ["stayed"]
    await turns.read(lambda: read.append("later"))  # the turn came back free
    assert read == ["stayed", "later"]


async def test_while_webhooks_wait_the_next_reading_waits_out_a_rest() -> None:
    webhooks_waiting = True
    turns = ReadingTurns(webhooks_waiting=lambda: webhooks_waiting)
    loop = asyncio.get_running_loop()
    began: dict[str, float] = {}

    async def reading(name: str, seconds: float) -> float:
        async with turns.turn():
            began[name] = loop.time()
            await asyncio.sleep(seconds)
        return loop.time()

    first = asyncio.ensure_future(reading("first", 0.05))
    second = asyncio.ensure_future(reading("second", 0))
    first_answered = await first
    assert "second" not in began  # the first reader has its answer; the second rests
    await second
    assert began["second"] - first_answered >= 2 * 0.05 * 0.9  # twice the first reading

    webhooks_waiting = False  # the webhooks have their commits: no more rest
    third = asyncio.ensure_future(reading("third", 0.05))
    fourth = asyncio.ensure_future(reading("fourth", 0))
    third_answered = await third
    await spin_until(lambda: "fourth" in began)
    assert began["fourth"] - third_answered < 0.05
    await fourth
