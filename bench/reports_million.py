"""A province's two years of reports: lists, a report, statistics, /queue, /stats, the chart, the sweep.

Generates the history of tests/support/history.py (one province, 100 wards of 20 hamlets,
`--reports` reports over two years, about 2.8 timeline events and half a file each; a fixed
seed; multi-row INSERTs on SQLite, COPY on PostgreSQL) in a child process, then serves the
whole service in this process (uvicorn on a loopback port) and asks every question with one
client and with 8 at once, recording p50/p95 and this process's resident memory (VmRSS now,
VmHWM the peak: the server and the client together, the generation excluded).

API questions go over HTTP with the admin token. The chat's reads (/queue, /stats, /stats 366,
the chart) are typed in a police group linked to the area and read ahead as the desk reads
them before its transaction (bot/facts.py: in the service's reading turns, the same command
of the same group asked at once read once), at the present time rather than the history's;
the leader's overdue sweep is read as its loop reads it (in a thread, no turn).

    .venv/bin/python bench/reports_million.py                        # 1,000,000 reports, both
    .venv/bin/python bench/reports_million.py --reports 200000 --calls 20
    # keep the SQLite history in a folder, and measure it again without generating it
    .venv/bin/python bench/reports_million.py --engines sqlite --keep /var/tmp/million
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from _common import ROOT, machine, memory_kb, table, verdict, write_results

from bot.events import ChatRef, Command
from bot.triage.overdue import remind_overdue
from core.db import Database, utcnow
from core.settings import Settings
from domain.chats.models import Channel, Chat, ChatKind, LinkRole
from domain.chats.service import get_chat
from domain.reports.deadlines import overdue_reports
from migrations.runner import upgrade_to_head
from tests.harness import ADMIN_TOKEN, make_settings, serving
from tests.support.history import NOW, History, code_of, describe, generate
from tinbao.service import Service
from tinbao.startup import settle_heap
from webhooks.admin.paging import encode_cursor

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TARGET_ONE_MS = 50.0
TARGET_EIGHT_MS = 200.0
TARGET_MB = 300.0
CLIENTS = 8

Ask = Callable[[], Awaitable[None]]


def _generate(url: str, reports: int, out: Path) -> None:
    """In a child process: migrate, generate, and write what was generated as JSON."""
    db = Database(url)
    upgrade_to_head(db)
    started = time.perf_counter()
    history = generate(db, reports=reports)
    db.dispose()
    data = history.__dict__ | {"seconds": round(time.perf_counter() - started, 1)}
    out.write_text(json.dumps(data, ensure_ascii=False))


def generated(url: str, reports: int, workdir: Path) -> tuple[History, float]:
    """The history, generated in a child process so that its memory is not the server's."""
    out = workdir / "history.json"
    subprocess.run(
        [sys.executable, __file__, "--generate", url, "--reports", str(reports), "--to", str(out)],
        check=True,
    )
    data = json.loads(out.read_text())
    seconds = data.pop("seconds")
    return History(**data), seconds


def triage_chat(db: Database, area_id: int) -> ChatRef:
    """A police group linked to the area, as the desk's reads need one (made once, then kept)."""
    chat_id = f"-100{area_id}"
    with db.session() as session:
        if get_chat(session, channel=Channel.TELEGRAM.value, chat_id=chat_id) is None:
            session.add(
                Chat(
                    channel=Channel.TELEGRAM.value,
                    chat_id=chat_id,
                    kind=ChatKind.GROUP.value,
                    area_id=area_id,
                    role=LinkRole.TRIAGE.value,
                )
            )
    return ChatRef(channel=Channel.TELEGRAM.value, chat_id=chat_id, kind=ChatKind.GROUP.value)


def questions(
    client: httpx.AsyncClient, service: Service, history: History
) -> dict[str, Ask | list[Ask]]:
    """Every question, by name, as a coroutine that asks it once (or one for each client)."""
    ward = history.wards[len(history.wards) // 2]
    ids = history.area_ids
    db = service.db

    def api(path: str, **params: str) -> Ask:
        async def ask() -> None:
            response = await client.get(path, params=params, headers=AUTH)
            assert response.status_code == 200, response.text

        return ask

    def read(call: Callable[[Any], object]) -> Ask:
        """A read as the leader's loop makes it: in a thread."""

        def once() -> None:
            with db.reading() as session:
                call(session)

        async def ask() -> None:
            await asyncio.to_thread(once)

        return ask

    def stats(area: str, days: int, shift: int = 0) -> Ask:
        until = NOW - timedelta(hours=shift)
        since = (until - timedelta(days=days)).isoformat()
        return api("/api/v1/stats", area=area, since=since, until=until.isoformat())

    def apart(area: str, days: int) -> list[Ask]:
        """The same question over periods an hour apart: one per client, none shared."""
        return [stats(area, days, shift) for shift in range(CLIENTS)]

    chats = {area: triage_chat(db, ids[area]) for area in (history.province, ward)}

    def chat(area: str, command: str, words: str = "") -> Ask:
        """A command typed in the area's police group, read ahead as the desk reads it."""

        async def ask() -> None:
            typed = Command(
                chat=chats[area], sender=None, message_id=None, sent_at=utcnow(),
                name=command, args=words,
            )  # fmt: skip
            assert await service.facts.read_ahead(typed) is not None

        return ask

    month_ago = (NOW - timedelta(days=30)).isoformat()
    leader = Settings()  # built once, as the leader's loop holds its settings
    return {
        "list: newest": api("/api/v1/reports"),
        "list: quiet hamlet": api("/api/v1/reports", area=history.quiet_hamlet),
        "list: ward": api("/api/v1/reports", area=ward),
        "list: province": api("/api/v1/reports", area=history.province),
        "list: status new": api("/api/v1/reports", status="new"),
        "list: status duplicate": api("/api/v1/reports", status="duplicate"),
        "list: category, 30 days": api("/api/v1/reports", category="fire", since=month_ago),
        "list: deep page": api(
            "/api/v1/reports", cursor=encode_cursor(history.reports // 10) or ""
        ),
        "report by code": api(f"/api/v1/reports/{code_of(history.reports // 3)}"),
        "stats: ward, 30 days": stats(ward, 30),
        "stats: ward, 2 years": stats(ward, 730),
        "stats: province, 30 days": stats(history.province, 30),
        "stats: province, 2 years": stats(history.province, 730),
        "stats: province, 30 days, 8 periods": apart(history.province, 30),
        "stats: province, 2 years, 8 periods": apart(history.province, 730),
        "/queue: province": chat(history.province, "queue"),
        "/queue: ward": chat(ward, "queue"),
        "/stats: province": chat(history.province, "stats"),
        "/stats 366: ward": chat(ward, "stats", "366"),
        "/stats 366: province": chat(history.province, "stats", "366"),
        "chart: province": chat(history.province, "stats", "chart"),
        "overdue sweep": read(lambda s: overdue_reports(s, settings=leader, now=NOW)),
    }


def tell_overdue(db: Database, settings: Settings) -> int:
    """Send every reminder and escalation due now, as the leader's sweeps would; how many."""
    told = 0
    for _ in range(10):  # reminders, then escalations: a few sweeps at most
        sent = remind_overdue(db, settings=settings)
        if not sent:
            break
        told += sent
    return told


async def timed(ask: Ask) -> float:
    """Milliseconds one call took."""
    started = time.perf_counter()
    await ask()
    return (time.perf_counter() - started) * 1000


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in ms."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return round(statistics.median(ordered), 1), round(p95, 1)


async def measure(
    url: str, workdir: Path, history: History, calls: int, only: list[str]
) -> list[dict[str, Any]]:
    """Serve the service on the history and time every question, alone and 8 at once."""
    rows = []
    settings = make_settings(url, workdir)
    settle_heap()  # as `tinbao serve` does before serving
    async with (
        serving(settings) as running,
        httpx.AsyncClient(base_url=running.url, timeout=120) as client,
    ):
        asked_all = questions(client, running.service, history)
        # The police groups are linked only now: the history's overdue reports of its last
        # week were never told of. The leader's first sweeps tell of them all, a few thousand
        # transactions, once; told before measuring, as they would have been in a province
        # whose groups were linked all along.
        told = await asyncio.to_thread(tell_overdue, running.service.db, settings)
        print(f"overdue notices sent before measuring: {told}", flush=True)
        for name, asked in asked_all.items():
            if only and not any(part in name for part in only):
                continue
            # One question for all 8 clients, or one each (then identical questions at once
            # cannot share a reading: webhooks/admin/stats.py, core/shared_reads.py).
            each = asked if isinstance(asked, list) else [asked] * CLIENTS
            ask = each[0]
            readings = running.service.shared_reads.readings
            days_read = running.service.shared_days.readings
            await ask()  # warm: caches, plans, the pages the question reads
            one = [await timed(ask) for _ in range(calls)]

            async def client_loop(ask: Ask) -> list[float]:
                return [await timed(ask) for _ in range(max(2, calls // 2))]

            eight = [ms for part in await asyncio.gather(
                *(client_loop(mine) for mine in each)) for ms in part]  # fmt: skip
            rss = memory_kb(os.getpid())
            one_p50, one_p95 = percentiles(one)
            eight_p50, eight_p95 = percentiles(eight)
            rows.append(
                {
                    "question": name,
                    # API statistics: readings run for the 8 clients' questions and all
                    # before them (1 + calls + 8 × max(2, calls // 2) asked).
                    "readings": running.service.shared_reads.readings - readings,
                    # ... and the readings of their whole days, shared by periods that have
                    # the same (domain/reports/stats.py).
                    "whole_days_readings": running.service.shared_days.readings - days_read,
                    "one_p50_ms": one_p50,
                    "one_p95_ms": one_p95,
                    "eight_p50_ms": eight_p50,
                    "eight_p95_ms": eight_p95,
                    "rss_mb": round(rss["VmRSS"] / 1024, 1),
                    "peak_rss_mb": round(rss["VmHWM"] / 1024, 1),
                }
            )
            print(rows[-1], flush=True)
    return rows


def run(url: str, workdir: Path, reports: int, calls: int, only: list[str]) -> dict[str, Any]:
    """Generate (unless the folder holds a history of this size), then measure, on one database."""
    kept = workdir / "history.json"
    if kept.exists() and json.loads(kept.read_text())["reports"] == reports:
        data = json.loads(kept.read_text())
        seconds = data.pop("seconds")
        history = History(**data)
    else:
        history, seconds = generated(url, reports, workdir)
    print(describe(history), f"generated in {seconds} s", flush=True)
    return {
        "history": describe(history),
        "generated_s": seconds,
        "questions": asyncio.run(measure(url, workdir, history, calls, only)),
    }


def print_report(results: dict[str, Any]) -> None:
    """One table per engine, with verdicts against the targets."""
    for engine, part in results["engines"].items():
        print(f"{engine}: {part['history']} (generated in {part['generated_s']} s)")
        rows = [
            [
                q["question"], q["one_p50_ms"], q["one_p95_ms"], q["eight_p50_ms"],
                q["eight_p95_ms"], q["peak_rss_mb"],
                verdict(q["one_p95_ms"] < TARGET_ONE_MS and q["eight_p95_ms"] < TARGET_EIGHT_MS
                        and q["peak_rss_mb"] < TARGET_MB),
            ]
            for q in part["questions"]
        ]  # fmt: skip
        print(
            table(
                ["question", "1 client p50 ms", "p95 ms", "8 clients p50 ms", "p95 ms",
                 "peak RSS MB", "p95 <50/<200 ms, <300 MB"],
                rows,
            )
        )  # fmt: skip
        print()


def main() -> None:
    """Generate the history on SQLite and PostgreSQL, measure, print and record."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=30, help="calls per question, one client")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--only", default="", help="only the questions naming these, a,b")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--keep", type=Path, help="a folder for the SQLite history, reused when it holds one"
    )
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    parser.add_argument("--to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        _generate(args.generate, args.reports, args.to)
        return
    engines = args.engines.split(",")
    only = [part for part in args.only.split(",") if part]
    results: dict[str, Any] = {"machine": machine(), "command": " ".join(sys.argv), "engines": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.keep is not None:
            if "postgresql" in engines:
                parser.error("--keep keeps a SQLite history only: add --engines sqlite")
            work = args.keep
            work.mkdir(parents=True, exist_ok=True)
        if "sqlite" in engines:
            url = f"sqlite:///{work / 'million.db'}"
            results["engines"]["sqlite"] = run(url, work, args.reports, args.calls, only)
        if "postgresql" in engines:
            from _postgres import start_postgres

            server = start_postgres(work / "pg", durable=True)
            try:
                server.create_database("million")
                url = server.url("million")
                results["engines"]["postgresql"] = run(url, work, args.reports, args.calls, only)
            finally:
                server.stop()
    print_report(results)
    path = write_results(f"reports-million-{args.reports}", results, args.out)
    print(f"results: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
