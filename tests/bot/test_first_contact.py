"""A person's first message: the notice that this is an automated police service; help; language."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import FIXTURES
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import Running, load_json

_ids = itertools.count(800_000)
USER = 770001
ZALO_USER = "5810000000001234567"


def telegram_text(text_: str, fixture: str = "telegram/private_start.json") -> dict[str, Any]:
    """A private Telegram message with the given text."""
    update: dict[str, Any] = copy.deepcopy(load_json(FIXTURES, fixture))
    update["update_id"] = next(_ids)
    update["message"]["text"] = text_
    if not text_.startswith("/"):
        update["message"].pop("entities", None)
    return update


def zalo_text(text_: str) -> dict[str, Any]:
    """A private Zalo message with the given text."""
    update: dict[str, Any] = copy.deepcopy(load_json(FIXTURES, "zalo/bot_text_wrapped.json"))
    update["result"]["message"]["text"] = text_
    update["result"]["message"]["message_id"] = f"z{next(_ids)}"
    return update


def texts(fake: FakeTelegram | FakeZalo, chat: int | str) -> list[str]:
    """Texts the bot sent to a chat, in order."""
    return [str(c.params.get("text")) for c in fake.sent("sendMessage", chat)]


async def test_first_message_gets_the_automated_service_notice_once(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    await running.post_telegram(telegram_text("/start"))
    await running.post_telegram(telegram_text("xin chào"))
    await running.settle()
    sent = texts(telegram, USER)
    assert len(sent) == 2
    notice, help_text = sent
    for phrase in (
        "dịch vụ tự động của công an phường",
        "không phải với người",
        "113",
        "114",
        "115",
        "ẩn danh",
    ):
        assert phrase in notice
    assert help_text.startswith("Anh/chị có thể:")


async def test_first_zalo_message_gets_the_notice_in_vietnamese(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    _, zalo = platforms
    await running.post_zalo(zalo_text("alo"))
    await running.settle()
    assert texts(zalo, ZALO_USER)[0].startswith("Xin chào! Đây là Tin báo")


async def test_lang_switches_to_english_and_back_by_vietnamese_alias(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    await running.post_telegram(telegram_text("/start"))
    await running.post_telegram(telegram_text("/lang en"))
    await running.post_telegram(telegram_text("/help"))
    await running.post_telegram(telegram_text("/ngonngu vi"))
    await running.settle()
    sent = texts(telegram, USER)
    assert sent[1] == "Done: I will write to you in English from now on."
    assert sent[2].startswith("What you can do here:")
    assert sent[3] == "Xong: từ giờ tôi sẽ nhắn cho anh/chị bằng tiếng Việt."


async def test_lang_without_a_choice_offers_buttons_and_text(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    await running.post_telegram(telegram_text("/start"))
    await running.post_telegram(telegram_text("/lang"))
    await running.post_zalo(zalo_text("/ngonngu"))
    await running.settle()
    offer = telegram.sent("sendMessage", USER)[-1]
    buttons = [
        b["callback_data"] for row in offer.params["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert buttons == ["lang:vi", "lang:en"]
    assert "/ngonngu en" in texts(zalo, ZALO_USER)[-1]  # Zalo has no buttons: the text says how


async def test_language_button_switches_and_stops_the_spinner(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    await running.post_telegram(telegram_text("/start"))
    press = copy.deepcopy(load_json(FIXTURES, "telegram/callback_query_in_triage.json"))
    press["update_id"] = next(_ids)
    press["callback_query"]["from"]["id"] = USER
    press["callback_query"]["message"]["chat"] = {
        "id": USER,
        "type": "private",
        "first_name": "Lan",
    }
    press["callback_query"]["data"] = "lang:en"
    await running.post_telegram(press)
    await running.settle()
    assert texts(telegram, USER)[-1] == "Done: I will write to you in English from now on."
    assert [c.params["callback_query_id"] for c in telegram.sent("answerCallbackQuery")] == [
        press["callback_query"]["id"]
    ]


@pytest.mark.parametrize(
    "fixture", ["telegram/private_sticker.json", "telegram/edited_message.json"]
)
async def test_odd_messages_are_answered_with_help_or_ignored_never_a_crash(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo], fixture: str
) -> None:
    del platforms  # both fakes run; this test reads the inbox
    await running.post_telegram(telegram_text("/start"))
    await running.post_telegram(load_json(FIXTURES, fixture))
    await running.settle()
    with running.db.engine.connect() as connection:
        statuses = connection.execute(text("SELECT status FROM inbox")).scalars().all()
    assert set(statuses) <= {"done", "ignored"}


async def test_zalo_protected_user_gets_a_kind_answer(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    _, zalo = platforms
    await running.post_zalo(zalo_text("/start"))
    await running.post_zalo(load_json(FIXTURES, "zalo/bot_unsupported.json"))
    await running.settle()
    assert texts(zalo, ZALO_USER)[-1].startswith("Xin lỗi, tôi chưa đọc được loại tin nhắn này")


async def test_identity_is_stored_encrypted_and_apart(running: Running) -> None:
    await running.post_telegram(telegram_text("/start"))
    await running.settle()
    with running.db.engine.connect() as connection:
        people = connection.execute(text("SELECT user_key FROM people")).scalars().all()
        sealed = connection.execute(text("SELECT sealed FROM identities")).scalars().all()
        raw_dump = " ".join(str(v) for v in people) + " ".join(
            bytes(s).decode("latin-1") for s in sealed
        )
    assert len(people) == 1 and len(sealed) == 1
    for secret in (str(USER), "Nguyễn", "lan_nguyen_92"):
        assert secret not in raw_dump


async def test_blocking_the_bot_deactivates_the_private_chat(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    await running.post_telegram(telegram_text("/start"))
    await running.settle()
    await running.post_telegram(load_json(FIXTURES, "telegram/bot_blocked_by_user.json"))
    await running.settle()
    with running.db.engine.connect() as connection:
        active, reason = connection.execute(
            text("SELECT active, inactive_reason FROM chats WHERE chat_id = :c"), {"c": str(USER)}
        ).one()
    assert (bool(active), reason) == (False, "blocked")
