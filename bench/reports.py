"""Reports filed per second, end to end: webhook → inbox → handling → report row and outbox rows.

Posts N `/report TEXT` messages, from N different residents spread over G community groups of
one ward, to /webhooks/telegram of a whole service running in this process (uvicorn on a
loopback port, FakeTelegram as the Bot API), and measures the time from the first post to the
moment every report row and its police and group messages are in the database. Run on SQLite
and, with --postgres, on a throwaway PostgreSQL server.

    .venv/bin/python bench/reports.py                    # 400 reports over 20 groups, SQLite
    .venv/bin/python bench/reports.py --reports 800 --groups 40 --postgres
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _common import machine, table, write_results  # puts the repository on sys.path
from sqlalchemy import text

from core.db import Database
from domain.chats.service import issue_link_code, record_chat, redeem_link_code
from migrations.runner import upgrade_to_head
from tests.factories import make_area
from tests.fakes import FakeTelegram
from tests.harness import TELEGRAM_SECRET, make_settings, serving, with_telegram

TRIAGE = -1009000000000


def prepare(url: str, groups: int) -> None:
    """Migrate, create a ward with its police group and `groups` community groups."""
    db = Database(url)
    upgrade_to_head(db)
    with db.session() as session:
        province = make_area(session, code="SL", name="Sơn La", kind="province")
        make_area(session, code="SL-TH", name="Tô Hiệu", parent=province)
        for index in range(groups + 1):
            chat_id = str(TRIAGE) if index == 0 else str(TRIAGE + index)
            chat = record_chat(
                session, channel="telegram", chat_id=chat_id, kind="group", title=f"G{index}"
            )
            role = "triage" if index == 0 else "community"
            area = "SL" if index == 0 else "SL-TH"
            redeem_link_code(
                session, chat=chat, typed=issue_link_code(session, area_code=area, role=role).code
            )
    db.dispose()


def update(n: int, groups: int) -> dict[str, Any]:
    """The n-th resident's /report in one of the groups."""
    text_ = f"/report xe máy lạ không biển số đỗ trước nhà số {n}"
    return {
        "update_id": 1_000_000 + n,
        "message": {
            "message_id": n + 1,
            "from": {"id": 500_000 + n, "is_bot": False, "first_name": f"Cư dân {n}"},
            "chat": {"id": TRIAGE + 1 + n % groups, "type": "supergroup", "title": "Tổ dân phố"},
            "date": 1795300000,
            "text": text_,
            "entities": [{"offset": 0, "length": 7, "type": "bot_command"}],
        },
    }


async def run(url: str, workdir: Path, reports: int, groups: int) -> dict[str, Any]:
    """File `reports` reports through the webhook and time them."""
    prepare(url, groups)
    with FakeTelegram(limits=False) as telegram:
        settings = make_settings(url, workdir, reports_per_day=1000, **with_telegram(telegram.url))
        async with serving(settings) as running:
            headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
            started = time.perf_counter()
            async with httpx.AsyncClient(base_url=running.url, timeout=60) as client:
                semaphore = asyncio.Semaphore(32)

                async def post(n: int) -> int:
                    async with semaphore:
                        response = await client.post(
                            "/webhooks/telegram", json=update(n, groups), headers=headers
                        )
                        return response.status_code

                statuses = await asyncio.gather(*(post(n) for n in range(reports)))
            acknowledged = time.perf_counter() - started
            while True:
                with running.db.engine.connect() as connection:
                    filed = connection.execute(text("SELECT count(*) FROM reports")).scalar_one()
                    pending = connection.execute(
                        text("SELECT count(*) FROM inbox WHERE status = 'pending'")
                    ).scalar_one()
                if filed >= reports and pending == 0:
                    break
                await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - started
            with running.db.engine.connect() as connection:
                messages = connection.execute(text("SELECT count(*) FROM outbox")).scalar_one()
    return {
        "reports": reports,
        "groups": groups,
        "non_200": sum(s != 200 for s in statuses),
        "acknowledged_s": round(acknowledged, 3),
        "filed_s": round(elapsed, 3),
        "reports_per_s": round(reports / elapsed, 1),
        "outbox_rows": messages,
    }


def main() -> None:
    """Run on SQLite, and on PostgreSQL when asked, and print a table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=400)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sqlite = asyncio.run(run(f"sqlite:///{work / 'bench.db'}", work, args.reports, args.groups))
        results.append({"engine": "sqlite", **sqlite})
        if args.postgres:
            from _postgres import start_postgres

            server = start_postgres(work / "pg", durable=True)
            try:
                server.create_database("bench")
                pg = asyncio.run(run(server.url("bench"), work, args.reports, args.groups))
                results.append({"engine": "postgresql", **pg})
            finally:
                server.stop()
    headers = [
        "engine",
        "reports",
        "groups",
        "non_200",
        "acknowledged_s",
        "filed_s",
        "reports_per_s",
        "outbox_rows",
    ]
    print(table(headers, [[r[h] for h in headers] for r in results]))
    path = write_results(
        "reports", {"benchmark": "reports", "machine": machine(), "results": results}
    )
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
