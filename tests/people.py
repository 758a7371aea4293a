"""People who talk to the bot in tests: they build real Telegram and Zalo updates and post them."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import FIXTURES
from tests.harness import Running, load_json

_update_ids = itertools.count(900_000)
_message_ids = itertools.count(5_000)


@dataclass
class TelegramPerson:
    """A Telegram user, writing privately or in a group."""

    running: Running
    user_id: int = 770001
    first_name: str = "Lan"
    last_name: str = "Nguyễn"
    username: str | None = "lan_nguyen_92"
    sent_message_ids: list[int] = field(default_factory=list)

    def _user(self) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": self.user_id,
            "is_bot": False,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "language_code": "vi",
        }
        if self.username:
            user["username"] = self.username
        return user

    def _message(self, chat_id: int | None, **content: Any) -> dict[str, Any]:
        message_id = next(_message_ids)
        self.sent_message_ids.append(message_id)
        chat = (
            {"id": self.user_id, "type": "private", "first_name": self.first_name}
            if chat_id is None
            else {"id": chat_id, "type": "supergroup", "title": "Camera an ninh tổ 3"}
        )
        return {
            "update_id": next(_update_ids),
            "message": {
                "message_id": message_id,
                "from": self._user(),
                "chat": chat,
                "date": 1795300000,
                **content,
            },
        }

    async def says(
        self, text: str, *, group: int | None = None, reply_to: int | None = None
    ) -> None:
        """Send a text (a command if it starts with a slash), privately or in a group."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [
                {"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}
            ]
        if reply_to is not None:
            content["reply_to_message"] = {
                "message_id": reply_to,
                "date": 1795299000,
                "text": "...",
                "from": {
                    "id": 7000000001,
                    "is_bot": True,
                    "first_name": "Tin báo",
                    "username": "tinbao_demo_bot",
                },
                "chat": {"id": group, "type": "supergroup", "title": "Camera an ninh tổ 3"},
            }
        response = await self.running.post_telegram(self._message(group, **content))
        assert response.status_code == 200

    async def sends_photo(
        self,
        file_id: str,
        *,
        caption: str | None = None,
        size: int = 1000,
        group: int | None = None,
    ) -> None:
        """Send a photo (already registered on the fake with add_file), privately or in a group."""
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": file_id[-8:],
                "file_size": size,
                "width": 800,
                "height": 600,
            }
        ]
        content: dict[str, Any] = {"photo": photo}
        if caption:
            content["caption"] = caption
            if caption.startswith("/"):
                command = caption.split()[0]
                content["caption_entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(command)}
                ]
        await self.running.post_telegram(self._message(group, **content))

    async def shares_location(self, latitude: float, longitude: float) -> None:
        """Share a location privately."""
        await self.running.post_telegram(
            self._message(None, location={"latitude": latitude, "longitude": longitude})
        )

    async def presses(self, data: str, *, message_id: int = 1) -> str:
        """Press a button of the bot's private message; returns the callback id."""
        callback_id = f"cb{next(_update_ids)}"
        update = copy.deepcopy(load_json(FIXTURES, "telegram/callback_query_in_triage.json"))
        update["update_id"] = next(_update_ids)
        query = update["callback_query"]
        query["id"], query["data"], query["from"] = callback_id, data, self._user()
        query["message"]["message_id"] = message_id
        query["message"]["chat"] = {
            "id": self.user_id,
            "type": "private",
            "first_name": self.first_name,
        }
        await self.running.post_telegram(update)
        return callback_id


@dataclass
class ZaloPerson:
    """A Zalo user, writing privately or mentioning the bot in a group."""

    running: Running
    user_id: str = "5810000000001234567"
    display_name: str = "Hoa Trần"

    async def says(self, text: str, *, group: str | None = None) -> None:
        """Send a text privately, or in a group as a mention of the bot."""
        body = copy.deepcopy(load_json(FIXTURES, "zalo/bot_text_wrapped.json"))
        message = body["result"]["message"]
        message["from"] = {"id": self.user_id, "display_name": self.display_name, "is_bot": False}
        message["message_id"] = f"zm{next(_update_ids)}"
        if group is None:
            message["chat"] = {"id": self.user_id, "chat_type": "PRIVATE"}
            message["text"] = text
        else:
            message["chat"] = {"id": group, "chat_type": "GROUP"}
            message["text"] = f"@Tin báo {text}"
        response = await self.running.post_zalo(body)
        assert response.status_code == 200

    async def sends_photo(self, url: str, *, caption: str | None = None) -> None:
        """Send a photo by its Zalo URL."""
        body = copy.deepcopy(load_json(FIXTURES, "zalo/bot_image.json"))
        message = body["result"]["message"]
        message["from"] = {"id": self.user_id, "display_name": self.display_name, "is_bot": False}
        message["chat"] = {"id": self.user_id, "chat_type": "PRIVATE"}
        message["message_id"] = f"zm{next(_update_ids)}"
        message["photo_url"] = url
        if caption is None:
            message.pop("caption", None)
        else:
            message["caption"] = caption
        await self.running.post_zalo(body)


def texts_to(fake: Any, chat_id: int | str) -> list[str]:
    """Texts the bot sent to a chat, in order."""
    return [str(call.params.get("text")) for call in fake.sent("sendMessage", chat_id)]
