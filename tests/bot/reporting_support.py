"""What the residents' tests share: a ward with its groups, and reading the service's state."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from core.db import Database
from domain.chats.service import issue_link_code, record_chat, redeem_link_code
from domain.outbox.service import messages_for
from tests.conftest import FIXTURES
from tests.factories import make_area
from tests.harness import Running, load_json
from tests.people import TelegramPerson

TRIAGE = -1001000000555  # the police of Sơn La province, on Telegram
GROUP = -1001000000777  # "Camera an ninh tổ 3", the residents of phường Tô Hiệu, on Telegram
ZALO_GROUP = "g_7788990011"  # the residents of phường Tô Hiệu, on Zalo
UNLINKED = -1001000000888  # a group nobody linked
_ids = itertools.count(990_000)


def link(session: Session, *, channel: str, chat_id: int | str, area: str, role: str) -> None:
    """Link a group to an area in a role, as `/link CODE` would."""
    chat = record_chat(session, channel=channel, chat_id=str(chat_id), kind="group", title="Nhóm")
    code = issue_link_code(session, area_code=area, role=role)
    redeem_link_code(session, chat=chat, typed=code.code)


def make_wards(db: Database) -> None:
    """Sơn La, its phường Tô Hiệu (formerly Chiềng Lề) with tổ 3, and phường Chiềng An.

    The police of the province triage on Telegram; Tô Hiệu's residents have a Telegram and a
    Zalo group.
    """
    with db.session() as session:
        province = make_area(session, code="SL", name="Sơn La", kind="province")
        ward = make_area(
            session,
            code="SL-TH",
            name="Tô Hiệu",
            parent=province,
            aliases=["phường Chiềng Lề"],
            lat=21.3265,
            lon=103.9128,
        )
        make_area(session, code="SL-TH-T3", name="Tổ 3", kind="hamlet", parent=ward)
        make_area(
            session, code="SL-CA", name="Chiềng An", parent=province, lat=21.3431, lon=103.9452
        )
        link(session, channel="telegram", chat_id=TRIAGE, area="SL", role="triage")
        link(session, channel="telegram", chat_id=GROUP, area="SL-TH", role="community")
        link(session, channel="zalo", chat_id=ZALO_GROUP, area="SL-TH", role="community")


def reports(db: Database) -> list[dict[str, Any]]:
    """Every report row, with its area's code, in filing order."""
    query = (
        "SELECT r.*, a.code AS area_code FROM reports r"
        " LEFT JOIN areas a ON a.id = r.area_id ORDER BY r.id"
    )
    with db.engine.connect() as connection:
        return [dict(row) for row in connection.execute(text(query)).mappings()]


async def handled(running: Running, *, chat: int | str | None = None, timeout: float = 15) -> None:
    """Wait until the stored updates (of one chat, if given) are handled; fail if one raised."""
    query = (
        "SELECT status, attempts, last_error FROM inbox"
        " WHERE (status IN ('pending', 'failed') OR attempts > 0)"
    ) + ("" if chat is None else " AND chat_key = :chat")
    key = None if chat is None else str(chat)
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        with running.db.engine.connect() as connection:
            rows = connection.execute(text(query), {"chat": key}).all()
        crashed = [row.last_error for row in rows if row.status == "failed" or row.attempts]
        assert not crashed, f"handling an update raised: {crashed}"
        if not rows:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the updates were not handled in time")


def queued(db: Database, channel: str, chat_id: int | str) -> list[str]:
    """Texts the bot wrote to a chat, sent or still waiting for the chat's pace, in order."""
    with db.session() as session:
        rows = messages_for(session, channel=channel, chat_id=str(chat_id))
        return [str(json.loads(row.body)["text"]) for row in rows if row.kind == "text"]


def private_update(person: TelegramPerson, key: str, **content: Any) -> dict[str, Any]:
    """A Telegram update of a private message ("message" or "edited_message") with this content."""
    update = copy.deepcopy(load_json(FIXTURES, "telegram/edited_message.json"))
    message = update.pop("edited_message")
    message.pop("text")
    user = {"id": person.user_id, "is_bot": False, "first_name": person.first_name}
    message |= {"from": user, "chat": {"id": person.user_id, "type": "private"}} | content
    message["message_id"] = next(_ids)
    return {"update_id": next(_ids), key: message}
