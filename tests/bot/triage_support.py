"""What the police's tests share: officers who tap cards, and finding what reached whom."""

from __future__ import annotations

import copy
import itertools
import json
import re
from typing import Any

from tests.conftest import FIXTURES
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import Running, load_json
from tests.people import TelegramPerson

ZALO_TRIAGE = "g_2200334455"  # the police of phường Chiềng An, on Zalo
_ids = itertools.count(700_000)


async def press(
    running: Running, officer: TelegramPerson, data: str, *, message_id: int, chat_id: int
) -> str:
    """Tap a button under a bot message in a group, as Telegram posts it; the callback id."""
    callback_id = f"cq{next(_ids)}"
    update = copy.deepcopy(load_json(FIXTURES, "telegram/callback_query_in_triage.json"))
    update["update_id"] = next(_ids)
    query = update["callback_query"]
    query["id"], query["data"], query["from"] = callback_id, data, officer._user()
    query["message"]["message_id"] = message_id
    query["message"]["chat"] = {"id": chat_id, "type": "supergroup", "title": "Công an"}
    response = await running.post_telegram(update)
    assert response.status_code == 200
    return callback_id


def card_of(telegram: FakeTelegram, chat_id: int, code: str) -> tuple[int, dict[str, Any]]:
    """The message id and the current state of a report's card in a Telegram chat."""
    header = re.compile(rf"^\S+ Tin báo {code} · ")
    found = [
        (message_id, message)
        for (chat, message_id), message in telegram.messages.items()
        if chat == str(chat_id) and header.match(str(message.get("text", "")))
    ]
    assert found, f"no card of {code} in {chat_id}"
    return found[0]


def buttons_of(message: dict[str, Any]) -> list[str]:
    """The callback data of every button under a message."""
    keyboard = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in keyboard for button in row]


def button_answers(telegram: FakeTelegram) -> list[dict[str, Any]]:
    """Every answerCallbackQuery call, in order."""
    return [call.params for call in telegram.sent("answerCallbackQuery")]


def everything_sent_to(telegram: FakeTelegram, zalo: FakeZalo, chats: list[str]) -> str:
    """Every parameter of every call the fakes received for these chats, as one text."""
    calls = [c for c in [*telegram.sent(), *zalo.sent()] if c.chat_id in chats]
    return json.dumps([c.params for c in calls], ensure_ascii=False, default=repr)


def zalo_texts(zalo: FakeZalo, chat_id: str) -> list[str]:
    """Texts the bot sent to a Zalo chat, in order."""
    return [str(call.params.get("text")) for call in zalo.sent("sendMessage", chat_id)]
