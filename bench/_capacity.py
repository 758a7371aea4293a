"""Sender capacity: one Sender with neither pacer nor platform limits, and the fake's own rate.

The rows are one broadcast run's, written by advance_broadcasts before the clock starts. The
pacer is set to 1,000,000 a second (as TINBAO_TELEGRAM_MESSAGES_PER_SECOND would) and
FakeTelegram runs without limits in a process of its own. The baseline is the same fake driven
on 64 connections by a plain httpx loop and by raw keep-alive HTTP/1.1 over asyncio streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import ROOT
from _fake_process import FakeTelegramProcess
from _runs import create, fresh_db, settings_for
from sender import BROADCAST, TOKEN, CountingTransport, measure, unfinished
from telegram import Bot

from bot.sender.loop import Sender
from bot.sender.outcomes import Delivery
from bot.sender.telegram import TelegramTransport
from bot.telegram.client import make_bot
from broadcasts.runs import advance_broadcasts
from core.db import utcnow
from core.leadership import acquire_leadership
from core.metrics import Metrics

UNPACED = 1_000_000.0  # TINBAO_TELEGRAM_MESSAGES_PER_SECOND for the capacity run
BASELINE_CONNECTIONS = 64  # as many as make_bot's pool
PROFILE_SECONDS = 15  # of the capacity run: its first seconds are its steady state


class WatchedTransport(CountingTransport):
    """The real transport, counted; also the most calls in flight at once, optionally bounded."""

    def __init__(self, inner: TelegramTransport, *, bound: int | None) -> None:
        super().__init__(inner)
        self._bound = asyncio.Semaphore(bound) if bound else None
        self.in_flight = 0
        self.most_in_flight = 0

    async def deliver(self, delivery: Delivery) -> str | None:
        """Deliver, at most `bound` at a time when bounded."""
        async with self._bound or contextlib.nullcontext():
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                return await super().deliver(delivery)
            finally:
                self.in_flight -= 1


def bot_for(client: str, url: str) -> Bot:
    """The service's Bot (make_bot), or a variant of its HTTP client to compare with."""
    if client == "service" or client.startswith("inflight"):
        return make_bot(token=TOKEN, api_url=url)
    import httpx
    from telegram.request import HTTPXRequest

    # "keepalive": make_bot's pool of 64, all kept alive (httpx keeps 20 unless told).
    # "poolN": at most N connections, so at most N calls in flight.
    # "inflightN" (above): make_bot's client, with at most N of the sender's calls in flight.
    size = 64 if client == "keepalive" else int(client.removeprefix("pool"))
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    request = HTTPXRequest(
        connection_pool_size=size, pool_timeout=60.0, httpx_kwargs={"limits": limits}
    )
    return Bot(token=TOKEN, base_url=f"{url}/bot", base_file_url=f"{url}/file/bot", request=request)


async def capacity(
    url: str, fake: FakeTelegramProcess, n: int, workdir: Path, py_spy: str | None, client: str
) -> dict[str, Any]:
    """How many deliveries a second one Sender records when neither pacer nor platform limits it."""
    db, codes, chats = fresh_db(url, n, noise=False)
    settings = settings_for(url, workdir, telegram_messages_per_second=UNPACED)
    due = utcnow() + timedelta(seconds=1)
    await asyncio.to_thread(create, db, settings, codes, due)
    passed = await asyncio.to_thread(
        advance_broadcasts, db, settings=settings, now=due + timedelta(seconds=1)
    )
    assert passed.started == 1, passed
    bot = bot_for(client, fake.url)
    await bot.initialize()
    fake.reset()
    lease = acquire_leadership(db, name="leader", holder="bench", ttl=timedelta(hours=1))
    assert lease is not None
    bound = int(client.removeprefix("inflight")) if client.startswith("inflight") else None
    transport = WatchedTransport(
        TelegramTransport(bot, per_second=settings.telegram_messages_per_second), bound=bound
    )
    sender = Sender(db, {"telegram": transport}, Metrics(), lambda: lease)
    profile = None
    if py_spy:
        from _profile import record

        out = (
            ROOT
            / "bench"
            / "results"
            / "profiles"
            / f"broadcasts-capacity-{_engine(url)}-{client}.raw"
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        profile = (record(py_spy, os.getpid(), PROFILE_SECONDS, out, mode="gil"), out)
        await asyncio.sleep(1.0)  # py-spy attaches
    cpu_before = time.process_time()
    started = time.monotonic()
    task = asyncio.create_task(sender.run())
    give_up = started + 240
    try:
        while transport.delivered < n and time.monotonic() < give_up:
            transport.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(transport.changed.wait(), 0.5)
        delivered_at = time.monotonic()
        while time.monotonic() < give_up and await asyncio.to_thread(unfinished, db) > 0:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        recorded_at = time.monotonic()
    finally:
        sender.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 30)
        await bot.shutdown()
    cpu = time.process_time() - cpu_before
    left = await asyncio.to_thread(unfinished, db)
    db.dispose()
    calls, violations = fake.calls()
    result = measure(
        calls, violations, n, chats, False, (started, None, delivered_at, recorded_at), left
    )
    seconds = recorded_at - started
    result |= {
        "client": client,
        "most_calls_in_flight": transport.most_in_flight,
        "recorded_per_s": round(n / seconds, 1),
        "calls_per_s": result.pop("achieved_per_s"),
        "cpu_ms_per_delivery": round(1000 * cpu / n, 3),
        "cpu_share_of_wall": round(cpu / seconds, 2),
    }
    for key in ("ratio", "bound_s", "messages_in_span"):
        result.pop(key)
    if profile is not None:
        from _profile import compress, report

        profile[0].wait()
        result["profile"] = str(compress(profile[1]).relative_to(ROOT))
        result["profile_report"] = report(profile[1].with_suffix(".raw.gz"), mode="gil")
    return result


async def baseline(fake: FakeTelegramProcess, n: int) -> dict[str, Any]:
    """The fake's own rate for n sendMessage calls on 64 connections: httpx, then raw HTTP/1.1."""
    import httpx

    url = f"{fake.url}/bot{TOKEN}/sendMessage"
    limits = httpx.Limits(max_connections=BASELINE_CONNECTIONS)
    found: dict[str, Any] = {"requests": n, "connections": BASELINE_CONNECTIONS}
    fake.reset()
    queue = iter(range(n))
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            for i in queue:
                answer = await client.post(
                    url, json={"chat_id": -1002000000000 - i, "text": BROADCAST}
                )
                answer.raise_for_status()

        found["httpx_per_s"], found["httpx_cpu_ms"] = await _timed(worker, n)
    fake.reset()
    host, port = fake.url.removeprefix("http://").split(":")
    queue = iter(range(n))

    async def raw_worker() -> None:
        # Keep-alive HTTP/1.1 over asyncio streams: what the fake serves with no client cost.
        reader, writer = await asyncio.open_connection(host, int(port))
        for i in queue:
            body = json.dumps({"chat_id": -1002000000000 - i, "text": BROADCAST}).encode()
            head = f"POST /bot{TOKEN}/sendMessage HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            writer.write(head.encode() + body)
            answer = await reader.readuntil(b"\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 200"), answer[:40]
            length = next(
                x for x in answer.lower().split(b"\r\n") if x.startswith(b"content-length")
            )
            await reader.readexactly(int(length.split(b":")[1]))
        writer.close()

    found["raw_per_s"], found["raw_cpu_ms"] = await _timed(raw_worker, n)
    return found


async def _timed(worker: Any, n: int) -> tuple[float, float]:
    """(calls a second, client CPU ms a call) of BASELINE_CONNECTIONS workers making n calls."""
    cpu = time.process_time()
    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(BASELINE_CONNECTIONS)))
    seconds = time.monotonic() - started
    return round(n / seconds, 1), round(1000 * (time.process_time() - cpu) / n, 3)


def _engine(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"
