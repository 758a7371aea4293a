"""What the burst tests share: many residents reporting at once, and what the police can see."""

from __future__ import annotations

import asyncio
import re

from tests.bot.reporting_support import ZALO_GROUP, handled, reports
from tests.fakes import FakeTelegram
from tests.harness import Running
from tests.people import ZaloPerson

CODE = re.compile(r"\b[2-9A-HJKMNP-Z]{6}\b")


async def burst(
    running: Running, texts: list[str], *, first_user: int = 1, introduced: bool = False
) -> list[str]:
    """Residents of Tô Hiệu each report one text in their Zalo group, as fast as they can.

    `introduced`: each wrote /start to the bot before, so the bot can tell them the news.
    """
    before = len(reports(running.db))
    for number, words in enumerate(texts, start=first_user):
        resident = ZaloPerson(running, user_id=f"58200000000{number:08d}")
        if introduced:
            await resident.says("/start")
        await resident.says(f"/report {words}", group=ZALO_GROUP)
    await handled(running, timeout=60)
    return [str(r["code"]) for r in reports(running.db)[before:]]


def visible_codes(telegram: FakeTelegram, chat_id: int) -> set[str]:
    """The report codes the police can read in their group: in a card, a cluster or a digest."""
    return {
        code
        for (chat, _id), message in list(telegram.messages.items())
        if chat == str(chat_id)
        for code in CODE.findall(str(message.get("text", "")))
    }


async def until_visible(
    telegram: FakeTelegram, chat_id: int, codes: list[str], *, timeout: float = 30
) -> float:
    """Wait until every code can be read in the group; the seconds it took."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not set(codes) <= visible_codes(telegram, chat_id):
        if loop.time() - start > timeout:
            missing = sorted(set(codes) - visible_codes(telegram, chat_id))
            raise AssertionError(f"reports never shown to the police: {missing}")
        await asyncio.sleep(0.1)
    return loop.time() - start


def refused_for_limits(telegram: FakeTelegram) -> int:
    """How many calls the fake refused with 429 (a limit broken)."""
    return sum(1 for call in telegram.calls if call.status == 429)


def digests_in(telegram: FakeTelegram, chat_id: int) -> list[str]:
    """The texts of the digests the group received."""
    return [
        str(m.get("text"))
        for (chat, _id), m in telegram.messages.items()
        if chat == str(chat_id) and str(m.get("text", "")).startswith("📋 ")
    ]
