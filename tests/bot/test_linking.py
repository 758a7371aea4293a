"""Linking groups to areas with one-time codes, end to end through both webhooks."""

from __future__ import annotations

import copy
import itertools
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import select

from domain.chats.models import LinkCode
from tests.conftest import FIXTURES
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import (
    ADMIN_TOKEN,
    Running,
    load_json,
)

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
GROUP = -1001000000222
_update_ids = itertools.count(700_000)


@pytest.fixture(autouse=True)
async def areas(running: Running) -> None:
    """A province and two of its wards, created through the admin API."""
    for area in (
        {"code": "SL", "name": "Sơn La", "kind": "province"},
        {
            "code": "SL-TH",
            "name": "Tô Hiệu",
            "kind": "ward",
            "parent_code": "SL",
            "aliases": ["Chiềng Lề"],
        },
        {"code": "SL-CA", "name": "Chiềng An", "kind": "ward", "parent_code": "SL"},
    ):
        response = await running.client.post("/api/v1/areas", json=area, headers=AUTH)
        assert response.status_code == 201


async def issue_code(running: Running, area: str, role: str) -> str:
    """A link code from the admin API."""
    response = await running.client.post(
        "/api/v1/link-codes", json={"area_code": area, "role": role}, headers=AUTH
    )
    assert response.status_code == 201
    code: str = response.json()["code"]
    return code


def telegram_group_command(text_: str, chat_id: int = GROUP) -> dict[str, Any]:
    """A group message carrying a command, as Telegram posts it."""
    update: dict[str, Any] = copy.deepcopy(
        load_json(FIXTURES, "telegram/group_report_command.json")
    )
    update["update_id"] = next(_update_ids)
    update["message"]["text"] = text_
    update["message"]["chat"]["id"] = chat_id
    update["message"]["entities"] = [
        {"offset": 0, "length": len(text_.split()[0]), "type": "bot_command"}
    ]
    return update


def zalo_group_command(text_: str, chat_id: str = "g_7788990011") -> dict[str, Any]:
    """A group mention carrying a command, as the Zalo Bot Platform posts it."""
    update: dict[str, Any] = copy.deepcopy(load_json(FIXTURES, "zalo/bot_group_mention.json"))
    message = update["result"]["message"]
    message["text"] = f"@Tin báo {text_}"
    message["message_id"] = f"z{next(_update_ids)}"
    message["chat"]["id"] = chat_id
    return update


def texts_to(fake: FakeTelegram | FakeZalo, chat_id: int | str) -> list[str]:
    """Texts the bot sent to a chat, in order."""
    return [str(call.params.get("text")) for call in fake.sent("sendMessage", chat_id)]


def links(running: Running) -> list[tuple[str, str, str | None, str | None]]:
    """Every chat with its linked area code and role."""
    with running.db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT chats.channel, chats.chat_id, areas.code, chats.role FROM chats"
                " LEFT JOIN areas ON areas.id = chats.area_id ORDER BY chats.id"
            )
        ).all()
    return [(a, b, c, d) for a, b, c, d in rows]


async def test_link_binds_a_telegram_group_and_confirms_in_vietnamese(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    code = await issue_code(running, "SL-TH", "triage")
    await running.post_telegram(telegram_group_command(f"/link@tinbao_demo_bot {code.lower()}"))
    await running.settle()
    assert links(running) == [("telegram", str(GROUP), "SL-TH", "triage")]
    assert texts_to(telegram, GROUP) == [
        "Đã liên kết: nhóm này nay là nhóm tiếp nhận tin báo của công an của Tô Hiệu."
    ]
    chats = (await running.client.get("/api/v1/chats", headers=AUTH)).json()
    assert chats["items"] == [
        {
            "channel": "telegram",
            "chat_id": str(GROUP),
            "title": "Camera an ninh tổ 3",
            "area_code": "SL-TH",
            "role": "triage",
            "active": True,
        }
    ]


async def test_link_binds_a_zalo_group_by_the_vietnamese_alias(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    _, zalo = platforms
    code = await issue_code(running, "SL-CA", "community")
    await running.post_zalo(zalo_group_command(f"/lienket {code[:4]}-{code[4:]}"))
    await running.settle()
    assert links(running) == [("zalo", "g_7788990011", "SL-CA", "community")]
    assert texts_to(zalo, "g_7788990011") == [
        "Đã liên kết: nhóm này nay là nhóm cư dân của Chiềng An.",
        # Told plainly: a Zalo bot sees mentions only; the OA's groups see every message.
        "Trên Zalo, bot chỉ thấy những tin nhắn trong nhóm có nhắc đến bot: anh/chị gõ "
        "@bot.tinbao trước lệnh (ví dụ @bot.tinbao /baocao ...). Với nhóm cư dân, nên dùng các "
        "nhóm của Zalo Official Account (OA) của phường: ở đó mọi tin nhắn đều đến được Tin báo.",
    ]


async def test_new_code_replaces_the_earlier_link_and_says_so(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    first, second = (
        await issue_code(running, "SL-TH", "community"),
        await issue_code(running, "SL-CA", "triage"),
    )
    await running.post_telegram(telegram_group_command(f"/link {first}"))
    await running.post_telegram(telegram_group_command(f"/link {second}"))
    await running.settle()
    assert links(running) == [("telegram", str(GROUP), "SL-CA", "triage")]
    assert texts_to(telegram, GROUP)[-1] == (
        "Đã liên kết: nhóm này nay là nhóm tiếp nhận tin báo của công an của Chiềng An, "
        "thay cho liên kết trước đây với Tô Hiệu (là nhóm cư dân)."
    )


async def test_used_unknown_and_expired_codes_are_refused_politely(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    used = await issue_code(running, "SL-TH", "community")
    expired = await issue_code(running, "SL-CA", "community")
    with running.db.session() as session:
        row = session.exec(select(LinkCode).where(LinkCode.code == expired)).one()
        row.expires_at = row.created_at - timedelta(seconds=1)
    other_group = -1001000000999
    await running.post_telegram(telegram_group_command(f"/link {used}"))
    await running.settle()  # chats are handled in parallel: make the first use come first
    await running.post_telegram(telegram_group_command(f"/link {used}", chat_id=other_group))
    await running.post_telegram(telegram_group_command("/link ZZZZ2222", chat_id=other_group))
    await running.post_telegram(telegram_group_command(f"/link {expired}", chat_id=other_group))
    await running.post_telegram(telegram_group_command("/link", chat_id=other_group))
    await running.settle()
    assert texts_to(telegram, other_group) == [
        "Mã này đã được dùng cho một nhóm khác. Mỗi mã chỉ dùng được một lần.",
        "Mã này không đúng. Anh/chị vui lòng kiểm tra lại, hoặc xin cấp mã mới.",
        "Mã này đã hết hạn: mỗi mã chỉ dùng được trong 24 giờ. Anh/chị vui lòng xin cấp mã mới.",
        "Để liên kết nhóm này, anh/chị gõ /link kèm theo mã đã được cấp.",
    ]
    assert [link for link in links(running) if link[2] is not None] == [
        ("telegram", str(GROUP), "SL-TH", "community")
    ]


async def test_triage_link_needs_the_bot_as_telegram_administrator(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    telegram.bot_status[GROUP] = "member"
    code = await issue_code(running, "SL-TH", "triage")
    await running.post_telegram(telegram_group_command(f"/link {code}"))
    await running.settle()
    assert "quản trị viên" in texts_to(telegram, GROUP)[0]
    assert [link[2] for link in links(running)] == [None]
    telegram.bot_status[GROUP] = "administrator"
    await running.post_telegram(telegram_group_command(f"/link {code}"))
    await running.settle()
    assert links(running) == [("telegram", str(GROUP), "SL-TH", "triage")]


async def test_link_in_a_private_chat_explains_it_works_in_groups(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    update: dict[str, Any] = copy.deepcopy(load_json(FIXTURES, "telegram/private_start.json"))
    update["message"]["text"] = "/link ABCD2345"
    chat_id = update["message"]["chat"]["id"]
    await running.post_telegram(update)
    await running.settle()
    sent = texts_to(telegram, chat_id)
    assert sent[0].startswith("Xin chào! Đây là Tin báo, dịch vụ tự động của công an phường")
    assert sent[1] == "Lệnh /link chỉ dùng trong nhóm: anh/chị thêm tôi vào nhóm rồi gõ lệnh ở đó."


async def test_bot_added_to_and_removed_from_a_group_is_recorded(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    added = load_json(FIXTURES, "telegram/bot_added_to_group.json")
    removed = load_json(FIXTURES, "telegram/bot_removed_from_group.json")
    await running.post_telegram(added)
    await running.settle()
    chat_id = added["my_chat_member"]["chat"]["id"]
    assert "/link" in texts_to(telegram, chat_id)[0]
    await running.post_telegram(removed)
    await running.settle()
    with running.db.engine.connect() as connection:
        active, member, reason = connection.execute(
            text("SELECT active, bot_is_member, inactive_reason FROM chats WHERE chat_id = :c"),
            {"c": str(removed["my_chat_member"]["chat"]["id"])},
        ).one()
    assert (bool(active), bool(member), reason) == (False, False, "kicked")
