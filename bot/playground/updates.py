"""Playground updates (what the demo page posts): inbox keys and channel-neutral events.

The page is ours, but its body is read as warily as a platform's: it comes over HTTP from
whoever reaches the port, and a malformed one must neither crash a worker nor be retried.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from bot.events import (
    ButtonPress,
    ChatRef,
    Command,
    Event,
    EventFields,
    Location,
    Media,
    NotAnUpdate,
    Person,
    ReplyRef,
    TextMessage,
    coordinates,
    is_well_typed,
    parse_command,
)
from domain.chats.models import Channel, ChatKind

__all__ = ["BOT_NAME", "NotAnUpdate", "playground_events", "update_keys"]

log = logging.getLogger(__name__)

BOT_NAME = "Tinbao"
_KINDS = {ChatKind.PRIVATE.value, ChatKind.GROUP.value}
_MAX_ID = 64  # a chat id is stored in 64 characters


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _id(value: object) -> str | None:
    text = _text(value)
    return text if text is not None and len(text) <= _MAX_ID else None


def _update(body: object) -> dict[str, Any]:
    if not isinstance(body, dict) or _id(body.get("update_id")) is None:
        raise NotAnUpdate("a playground update has an update_id")
    chat = body.get("chat")
    if not isinstance(chat, dict) or _id(chat.get("id")) is None:
        raise NotAnUpdate("a playground update has a chat with an id")
    return body


def update_keys(body: object) -> tuple[str, str]:
    """The (update key, chat key) of an update: the page's update id and the chat id."""
    update = _update(body)
    return str(update["update_id"]), str(update["chat"]["id"])


def playground_events(body: object, *, received_at: datetime | None = None) -> list[Event]:
    """The events of an update; [] for one the page should not have sent."""
    update = _update(body)
    events = _events(update, received_at or datetime.now(UTC))
    if not all(is_well_typed(event) for event in events):
        log.warning("ignored a playground update with mistyped fields")
        return []
    return events


def _sent_at(value: object, default: datetime) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return default


def _reply(value: object) -> ReplyRef | None:
    if not isinstance(value, dict) or _text(value.get("message_id")) is None:
        return None
    text = value.get("text")
    return ReplyRef(
        str(value["message_id"]),
        value.get("from_bot") is True,
        text if isinstance(text, str) else None,
    )


def _fields(update: dict[str, Any], received_at: datetime) -> EventFields | None:
    chat = update["chat"]
    kind = chat.get("kind")
    sender = update.get("from")
    if not isinstance(kind, str) or kind not in _KINDS:  # a list is no kind, nor hashable
        return None
    if not isinstance(sender, dict) or _id(sender.get("id")) is None:
        return None
    return EventFields(
        chat=ChatRef(Channel.PLAYGROUND.value, str(chat["id"]), kind, _text(chat.get("title"))),
        sender=Person(str(sender["id"]), _text(sender.get("name")), None),
        message_id=_id(update.get("message_id")),
        sent_at=_sent_at(update.get("date"), received_at),
        reply_to=_reply(update.get("reply_to")),
        edited=False,
    )


def _events(update: dict[str, Any], received_at: datetime) -> list[Event]:
    fields = _fields(update, received_at)
    if fields is None:
        return []
    if isinstance(text := update.get("text"), str) and text.strip():
        parts = parse_command(text, bot_name=BOT_NAME, loose_mentions=False)
        if parts is None:
            return [TextMessage(text=text, **fields)]
        return [Command(name=parts.name, args=parts.args, addressed=parts.addressed, **fields)]
    if isinstance(press := update.get("press"), dict):
        return _press(press, fields)
    if isinstance(photo := update.get("photo"), dict) and (path := _text(photo.get("path"))):
        size = photo.get("size")
        return [
            Media(
                kind="photo",
                file_ref=path,
                caption=_text(photo.get("caption")),
                mime_type=_text(photo.get("mime_type")),
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                file_name=_text(photo.get("name")),
                **fields,
            )
        ]
    if isinstance(where := update.get("location"), dict):
        point = coordinates(where.get("latitude"), where.get("longitude"))
        return [] if point is None else [Location(latitude=point[0], longitude=point[1], **fields)]
    return []


def _press(press: dict[str, Any], fields: EventFields) -> list[Event]:
    data, callback_id = _text(press.get("data")), _id(press.get("callback_id"))
    pressed = _id(press.get("message_id"))
    if data is None or callback_id is None or pressed is None:
        return []
    # As on Telegram, a press's message is the bot's message that carries the button.
    fields["message_id"] = pressed
    return [ButtonPress(callback_id=callback_id, data=data, **fields)]
