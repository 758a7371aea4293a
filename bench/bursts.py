"""Triage under a burst: how fast every report reaches the police, and how good the suggestions are.

Two measurements:

1. Visibility. 300 residents of one ward report within 60 seconds (5 a second, by
   `/report TEXT` in their Telegram community groups, through /webhooks/telegram of a whole
   service in this process) while the ward's police group is on a FakeTelegram that enforces
   Telegram's limits (20 messages a minute into a group; a 429 for any call past them). The
   texts come from the labelled set below, so a burst holds several events told many ways.
   Measured: the seconds from the first post until every report's code can be read in the
   police group (in a card, a cluster card or a digest), the calls refused with 429, and the
   messages the group received. Without digests and clusters a card each would need 15
   minutes at 20 a minute.
2. Suggestions. bench/data/duplicates.json holds Vietnamese reports labelled by the event
   they tell (several ways of telling one event; different events told alike). Each report,
   in time order, is compared with the earlier ones by the same rules as the cards
   (domain/reports/similar.py, default TINBAO_DUPLICATE_* settings): precision is the share
   of suggestions that name a report of the same event, recall the share of reports with an
   earlier report of their event that got such a suggestion.

    .venv/bin/python bench/bursts.py                 # both, SQLite
    .venv/bin/python bench/bursts.py --postgres      # the burst on PostgreSQL as well
    .venv/bin/python bench/bursts.py --quality-only
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from _common import machine, table, write_results  # puts the repository on sys.path
from sqlalchemy import text as sql

from core.db import Database
from domain.chats.service import issue_link_code, record_chat, redeem_link_code
from domain.reports.similar import Rules, Told, most_alike
from migrations.runner import upgrade_to_head
from tests.factories import make_area
from tests.fakes import FakeTelegram
from tests.harness import TELEGRAM_SECRET, make_settings, serving, with_telegram

DATA = Path(__file__).resolve().parent / "data" / "duplicates.json"
TRIAGE = -1009000000000
CODE = re.compile(r"\b[2-9A-HJKMNP-Z]{6}\b")
START = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Labelled:
    """One report of the labelled set, and the event it tells."""

    event: str
    told: Told


def labelled_set() -> list[Labelled]:
    """The labelled reports, in time order, as the similarity rules read them."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    wards = {code: index for index, code in enumerate(data["wards"], start=1)}
    found: list[Labelled] = []
    for event in data["events"]:
        ward_lat, ward_lon = data["wards"][event["ward"]]
        for number, (minute, text, located) in enumerate(event["reports"]):
            lat = lon = None
            if located and event["at"] is not None:
                # Residents stand around the event: up to about 80 m from it, each elsewhere.
                angle = (len(found) * 2.39996) % (2 * math.pi)
                metres = 20 + (number * 17) % 60
                lat = event["at"][0] + metres * math.cos(angle) / 111_320
                lon = event["at"][1] + metres * math.sin(angle) / 103_900
            told = Told(
                id=len(found) + 1,
                code=f"R{len(found) + 1:05d}",
                category=event["category"],
                created_at=START + timedelta(minutes=minute, seconds=number),
                text=text,
                ward_id=wards[event["ward"]],
                ward_lat=ward_lat,
                ward_lon=ward_lon,
                latitude=lat,
                longitude=lon,
            )
            found.append(Labelled(event=event["id"], told=told))
    return sorted(found, key=lambda r: (r.told.created_at, r.told.id))


def suggestion_quality(rules: Rules) -> dict[str, Any]:
    """Precision and recall of the suggestions over the labelled set."""
    reports = labelled_set()
    suggested = correct = findable = found = 0
    wrong: list[tuple[str, str]] = []
    for index, report in enumerate(reports):
        earlier = reports[:index]
        best = most_alike(report.told, [r.told for r in earlier], rules=rules)
        has_twin = any(r.event == report.event for r in earlier)
        findable += has_twin
        if best is None:
            continue
        suggested += 1
        twin = next(r for r in earlier if r.told.id == best[0].id)
        if twin.event == report.event:
            correct += 1
            found += 1
        else:
            wrong.append((report.told.text, twin.told.text))
    return {
        "reports": len(reports),
        "events": len({r.event for r in reports}),
        "suggested": suggested,
        "correct": correct,
        "precision": round(correct / suggested, 3) if suggested else None,
        "recall": round(found / findable, 3) if findable else None,
        "wrong": wrong,
    }


def prepare(url: str, groups: int) -> None:
    """Migrate; a ward with its police group on Telegram and `groups` community groups."""
    db = Database(url)
    upgrade_to_head(db)
    with db.session() as session:
        province = make_area(session, code="SL", name="Sơn La", kind="province")
        make_area(session, code="SL-TH", name="Tô Hiệu", parent=province, lat=21.3265, lon=103.91)
        for index in range(groups + 1):
            chat_id = str(TRIAGE) if index == 0 else str(TRIAGE + index)
            chat = record_chat(
                session, channel="telegram", chat_id=chat_id, kind="group", title=f"G{index}"
            )
            role = "triage" if index == 0 else "community"
            area = "SL-TH"
            redeem_link_code(
                session, chat=chat, typed=issue_link_code(session, area_code=area, role=role).code
            )
    db.dispose()


def update(n: int, groups: int, words: str) -> dict[str, Any]:
    """The n-th resident's /report in one of the groups."""
    return {
        "update_id": 1_000_000 + n,
        "message": {
            "message_id": n + 1,
            "from": {"id": 500_000 + n, "is_bot": False, "first_name": f"Cư dân {n}"},
            "chat": {"id": TRIAGE + 1 + n % groups, "type": "supergroup", "title": "Tổ dân phố"},
            "date": 1795300000,
            "text": f"/report {words}",
            "entities": [{"offset": 0, "length": 7, "type": "bot_command"}],
        },
    }


def burst_texts(count: int) -> list[str]:
    """`count` texts of the labelled set as a burst in one ward: seven tenths about its six
    busiest events, told in turn, the rest one report each of the other events (then again)."""
    by_event: dict[str, list[str]] = {}
    for report in labelled_set():
        by_event.setdefault(report.event, []).append(report.told.text)
    events = sorted(by_event.values(), key=len, reverse=True)
    busy = [text for told in events[:6] for text in told]
    others = [told[0] for told in events[6:]]
    texts: list[str] = []
    while len(texts) < count:
        texts += busy[: count * 7 // 10 - len(texts)] if len(texts) < count * 7 // 10 else []
        texts += others[: count - len(texts)]
        busy = busy * 2
    # Interleaved as residents would write: the events' reports mixed in time.
    return [texts[(index * 7) % len(texts)] for index in range(len(texts))]


def visible(telegram: FakeTelegram) -> set[str]:
    """The codes the police group can read now."""
    return {
        code
        for (chat, _id), message in list(telegram.messages.items())
        if chat == str(TRIAGE)
        for code in CODE.findall(str(message.get("text", "")))
    }


async def run_burst(url: str, workdir: Path, reports: int, seconds: float) -> dict[str, Any]:
    """Post `reports` reports evenly over `seconds`; time until the police can read them all."""
    groups = 20
    prepare(url, groups)
    texts = burst_texts(reports)
    with FakeTelegram() as telegram:  # with Telegram's limits: 20 a minute into a group
        settings = make_settings(url, workdir, reports_per_day=1000, **with_telegram(telegram.url))
        async with serving(settings) as running:
            headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
            started = time.perf_counter()
            async with httpx.AsyncClient(base_url=running.url, timeout=60) as client:

                async def post(n: int) -> int:
                    await asyncio.sleep(
                        max(0.0, started + n * seconds / reports - time.perf_counter())
                    )
                    response = await client.post(
                        "/webhooks/telegram", json=update(n, groups, texts[n]), headers=headers
                    )
                    return response.status_code

                statuses = await asyncio.gather(*(post(n) for n in range(reports)))
            posted = time.perf_counter() - started
            codes: set[str] = set()
            while True:
                with running.db.engine.connect() as connection:
                    codes = {r[0] for r in connection.execute(sql("SELECT code FROM reports"))}
                if len(codes) >= reports and codes <= visible(telegram):
                    break
                if time.perf_counter() - started > 20 * 60:
                    break
                await asyncio.sleep(0.1)
            elapsed = time.perf_counter() - started
            with running.db.engine.connect() as connection:
                rows = connection.execute(
                    sql(
                        "SELECT details, count(*) FROM report_events WHERE kind = 'routed'"
                        " GROUP BY details"
                    )
                ).all()
                shown = {str(details): int(n) for details, n in rows}
    to_police = [c for c in telegram.calls if c.chat_id == str(TRIAGE)]
    return {
        "reports": reports,
        "over_s": seconds,
        "non_200": sum(s != 200 for s in statuses),
        "posted_s": round(posted, 1),
        "all_visible_s": round(elapsed, 1),
        "missing": len(codes - visible(telegram)),
        "refused_429": sum(1 for c in telegram.calls if c.status == 429),
        "police_messages": sum(1 for c in to_police if c.status == 200),
        "shown": {json.loads(k).get("shown", "?"): int(v) for k, v in shown.items()},
    }


def main() -> None:
    """Measure, print tables and write the results."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--quality-only", action="store_true")
    args = parser.parse_args()
    quality = suggestion_quality(Rules())
    print(
        table(
            ["reports", "events", "suggested", "correct", "precision", "recall"],
            [
                [
                    quality[k]
                    for k in ("reports", "events", "suggested", "correct", "precision", "recall")
                ]
            ],
        )
    )
    for text, other in quality["wrong"]:
        print(f"  wrong: {text!r} -> {other!r}")
    results: list[dict[str, Any]] = []
    if not args.quality_only:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            sqlite = asyncio.run(
                run_burst(f"sqlite:///{work / 'bench.db'}", work, args.reports, args.seconds)
            )
            results.append({"engine": "sqlite", **sqlite})
            if args.postgres:
                from _postgres import start_postgres

                server = start_postgres(work / "pg", durable=True)
                try:
                    server.create_database("bench")
                    pg = asyncio.run(
                        run_burst(server.url("bench"), work, args.reports, args.seconds)
                    )
                    results.append({"engine": "postgresql", **pg})
                finally:
                    server.stop()
        headers = [
            "engine",
            "reports",
            "over_s",
            "posted_s",
            "all_visible_s",
            "missing",
            "refused_429",
            "police_messages",
            "shown",
        ]
        print(table(headers, [[r[h] for h in headers] for r in results]))
    path = write_results("bursts", {"machine": machine(), "quality": quality, "bursts": results})
    print(f"results: {path}")


if __name__ == "__main__":
    main()
