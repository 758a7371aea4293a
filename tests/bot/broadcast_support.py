"""What the tests of broadcasts from the police's chat share: a ward, officers, waiting."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text

from tests.bot.reporting_support import GROUP, TRIAGE, ZALO_GROUP, link, make_wards
from tests.bot.triage_support import ZALO_TRIAGE
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import ADMIN_TOKEN, Running, make_settings, serving, with_platforms
from tests.people import TelegramPerson, ZaloPerson, texts_to

WARD_TRIAGE = -1001000000666  # the police of phường Tô Hiệu, on Telegram
CA_GROUP = "g_ca_community"  # the residents of phường Chiềng An, on Zalo
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
__all__ = ["GROUP", "TRIAGE", "ZALO_GROUP", "ZALO_TRIAGE"]


@asynccontextmanager
async def ward_serving(
    database_url: str,
    tmp_path: Path,
    platforms: tuple[FakeTelegram, FakeZalo],
    **overrides: Any,
) -> AsyncIterator[Running]:
    """Sơn La's police (Telegram), Tô Hiệu's (Telegram) and Chiềng An's (Zalo), their groups.

    No quiet hours: the tests run at any hour.
    """
    settings = make_settings(
        database_url, tmp_path, quiet_hours="", **with_platforms(platforms) | overrides
    )
    async with serving(settings) as running:
        make_wards(running.db)
        with running.db.session() as session:
            link(session, channel="telegram", chat_id=WARD_TRIAGE, area="SL-TH", role="triage")
            link(session, channel="zalo", chat_id=ZALO_TRIAGE, area="SL-CA", role="triage")
            link(session, channel="zalo", chat_id=CA_GROUP, area="SL-CA", role="community")
        yield running


def hung(running: Running) -> TelegramPerson:
    """Officer Hùng of Tô Hiệu, who writes broadcasts."""
    return TelegramPerson(running, user_id=880001, first_name="Hùng", last_name="Trần")


def lan(running: Running) -> TelegramPerson:
    """Officer Lan of Tô Hiệu, who approves them."""
    return TelegramPerson(running, user_id=880002, first_name="Lan", last_name="Phạm")


def minh(running: Running) -> ZaloPerson:
    """Officer Minh of Chiềng An, on Zalo."""
    return ZaloPerson(running, user_id="5810000000009990001", display_name="Minh Lê")


def last_text(fake: Any, chat_id: int | str) -> str:
    """The newest text the bot sent to a chat."""
    texts = texts_to(fake, chat_id)
    assert texts, f"nothing reached {chat_id}"
    return texts[-1]


def last_message(telegram: FakeTelegram, chat_id: int) -> tuple[int, dict[str, Any]]:
    """The newest message the bot has in a Telegram chat, as it stands now (edits included)."""
    found = [(mid, m) for (chat, mid), m in telegram.messages.items() if chat == str(chat_id)]
    assert found, f"no message in {chat_id}"
    return max(found, key=lambda item: item[0])


def buttons(message: dict[str, Any]) -> list[str]:
    """The callback data of the buttons under a message."""
    keyboard = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in keyboard for button in row]


def broadcasts(running: Running) -> list[dict[str, Any]]:
    """Every broadcast row, oldest first."""
    with running.db.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM broadcasts ORDER BY id")).mappings()
        return [dict(row) for row in rows]


def runs(running: Running) -> list[dict[str, Any]]:
    """Every run row."""
    with running.db.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM broadcast_runs ORDER BY id")).mappings()
        return [dict(row) for row in rows]


async def api_broadcast(running: Running, broadcast_id: int) -> dict[str, Any]:
    """GET /api/v1/broadcasts/{id}."""
    response = await running.client.get(f"/api/v1/broadcasts/{broadcast_id}", headers=AUTH)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def until(check: Callable[[], bool], *, what: str, timeout: float = 20) -> None:
    """Wait for something a user would notice; fail with what did not happen."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} did not happen in time")


async def done(running: Running, broadcast_id: int) -> dict[str, Any]:
    """Wait for a broadcast to be done (its one run sent); its API view."""
    found: dict[str, Any] = {}
    deadline = asyncio.get_running_loop().time() + 20
    while asyncio.get_running_loop().time() < deadline:
        found = await api_broadcast(running, broadcast_id)
        if found["status"] == "done":
            await running.settle()
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"broadcast {broadcast_id} never finished: {json.dumps(found)}")
