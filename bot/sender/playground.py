"""Delivering outbox rows of the playground channel to the demo page's feed."""

from __future__ import annotations

from pathlib import Path

from bot.playground.feed import Item, PlaygroundFeed
from bot.sender.limits import DEMO_LIMITS, ChannelLimits
from bot.sender.outcomes import Delivery, Rejected
from domain.outbox.messages import MessageKind, Outgoing

# A demo's pace: Telegram's shape (overall, per group, per private chat), quick enough to
# watch a conversation without waiting, slow enough to see a busy group's messages queue.
MEDIA_URL = "/playground/media/"


class PlaygroundTransport:
    """Sends rows to the page as feed items; a row's id is its message id."""

    channel = "playground"

    def __init__(self, feed: PlaygroundFeed, *, media_dir: Path) -> None:
        self.feed = feed
        self.limits: ChannelLimits = DEMO_LIMITS
        self._media_dir = media_dir.resolve()

    async def deliver(self, delivery: Delivery) -> str | None:
        """Append the row to the feed as the page draws it."""
        message, kind = delivery.message, delivery.kind
        chat = delivery.chat_id
        if kind == MessageKind.ANSWER_BUTTON:
            # A button's answer is queued under the press's id, which starts with its chat.
            chat = (message.callback_id or "").partition("~")[0]
            if message.text:
                self.feed.append({"type": "note", "chat": chat, "text": message.text})
            return None
        if kind == MessageKind.DELETE:
            self.feed.append({"type": "delete", "chat": chat, "id": message.target_message_id})
            return None
        if kind == MessageKind.EDIT_TEXT:
            item = _message(chat, str(message.target_message_id), message) | {"type": "edit"}
            self.feed.append(item)
            return message.target_message_id
        message_id = f"b{delivery.id}"
        item = _message(chat, message_id, message)
        if kind == MessageKind.PHOTO:
            item["photo"] = self._url(str(message.extra.get("path", "")))
        elif kind == MessageKind.LOCATION:
            item["location"] = [message.extra.get("latitude"), message.extra.get("longitude")]
        elif kind != MessageKind.TEXT:
            raise Rejected(f"the playground shows no {kind}")
        self.feed.append(item)
        return message_id

    def _url(self, path: str) -> str:
        file = Path(path).resolve()
        if not file.is_relative_to(self._media_dir):
            raise Rejected("a photo outside the media folder")
        return MEDIA_URL + file.relative_to(self._media_dir).as_posix()


def _message(chat: str, message_id: str, message: Outgoing) -> Item:
    return {
        "type": "message",
        "chat": chat,
        "id": message_id,
        "from_bot": True,
        "text": message.text,
        "reply_to": message.reply_to,
        "buttons": [[{"label": b.label, "data": b.data} for b in row] for row in message.buttons],
    }
