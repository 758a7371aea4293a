"""Zalo Bot Platform updates: both body shapes, inbox keys, and channel-neutral events."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from bot.events import (
    ChatRef,
    Command,
    Event,
    EventFields,
    Location,
    Media,
    NotAnUpdate,
    Person,
    TextMessage,
    Unsupported,
    coordinates,
    is_well_typed,
    parse_command,
)
from domain.chats.models import Channel, ChatKind
from domain.text import whole_number

__all__ = [
    "NotAnUpdate",
    "from_millis",
    "id_text",
    "text_or_none",
    "unwrap",
    "update_keys",
    "zalo_events",
]

log = logging.getLogger(__name__)

_CHAT_KINDS = {"PRIVATE": ChatKind.PRIVATE, "GROUP": ChatKind.GROUP}
# Below this a Zalo time in milliseconds would fall in 1973: such a value is in seconds.
_SECONDS_BELOW = 10**11


def id_text(value: object) -> str | None:
    """A Zalo id as text (ids are strings, numbers are tolerated), or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None


def text_or_none(value: object) -> str | None:
    """The value if it is text, else None."""
    return value if isinstance(value, str) else None


def from_millis(value: object, *, default: datetime) -> datetime:
    """An aware UTC time from Zalo's milliseconds (number or digits), or default."""
    if isinstance(value, str):
        value = whole_number(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    seconds = value if abs(value) < _SECONDS_BELOW else value / 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):  # out of range, or NaN
        return default


def unwrap(body: object) -> dict[str, Any]:
    """The update of a wrapped {"ok", "result"} or flat {"event_name", "message"} body."""
    if isinstance(body, dict) and ("ok" in body or "result" in body):
        if body.get("ok") is not True:
            raise NotAnUpdate("a wrapped Zalo update has ok: true")
        body = body.get("result")
    if not isinstance(body, dict) or not isinstance(body.get("event_name"), str):
        raise NotAnUpdate("a Zalo update has an event_name")
    message = body.get("message")
    if not isinstance(message, dict) or id_text(message.get("message_id")) is None:
        raise NotAnUpdate("a Zalo update has a message with a message_id")
    return body


def _id_at(value: object, *path: str) -> str | None:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return id_text(value)


def update_keys(body: object) -> tuple[str, str]:
    """The (update key, chat key) of an update: its message id and its chat id."""
    message = unwrap(body)["message"]
    chat = _id_at(message, "chat", "id") or _id_at(message, "from", "id") or "-"
    return str(id_text(message["message_id"])), chat


def zalo_events(
    body: object, *, bot_name: str | None, received_at: datetime | None = None
) -> list[Event]:
    """The events of an update; [] for kinds Tinbao does not use. bot_name: its display name."""
    update = unwrap(body)
    events = _events(update["event_name"], update["message"], bot_name, received_at)
    # Unlike the documented fields, Zalo's unconfirmed ones may come in any type.
    if not all(is_well_typed(event) for event in events):
        log.warning("ignored Zalo update %s with mistyped fields", update["event_name"])
        return []
    return events


def _chat(message: dict[str, Any]) -> ChatRef | None:
    chat = message.get("chat")
    chat_id = _id_at(chat, "id")
    if not isinstance(chat, dict) or chat_id is None:
        return None
    chat_type = chat.get("chat_type")
    if chat_type is None:  # not sent: a chat with the sender alone is private
        kind = ChatKind.PRIVATE if chat_id == _id_at(message, "from", "id") else ChatKind.GROUP
    elif isinstance(chat_type, str) and chat_type.upper() in _CHAT_KINDS:
        kind = _CHAT_KINDS[chat_type.upper()]
    else:
        return None
    return ChatRef(Channel.ZALO.value, chat_id, kind.value, text_or_none(chat.get("title")))


def _person(sender: object) -> Person | None:
    user_id = _id_at(sender, "id")
    if not isinstance(sender, dict) or user_id is None:
        return None
    name = text_or_none(sender.get("display_name"))
    return Person(user_id, name or None, None, is_bot=sender.get("is_bot") is True)


def _first_text(message: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = message.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _events(
    event_name: str, message: dict[str, Any], bot_name: str | None, received_at: datetime | None
) -> list[Event]:
    chat = _chat(message)
    if chat is None:
        return []
    fields = EventFields(
        chat=chat,
        sender=_person(message.get("from")),
        message_id=id_text(message.get("message_id")),
        sent_at=from_millis(message.get("date"), default=received_at or datetime.now(UTC)),
        reply_to=None,  # Zalo's documented format says nothing of replies
        edited=False,
    )
    match event_name:
        case "message.text.received":
            text = message.get("text")
            return [] if not isinstance(text, str) else [_text(text, bot_name, fields)]
        case "message.image.received":
            return _media("photo", _first_text(message, "photo_url", "photo"), message, fields)
        case "message.sticker.received":
            return _media("sticker", _first_text(message, "url", "sticker"), message, fields)
        case "message.voice.received":  # unconfirmed: be lenient about its field's name
            url = _first_text(message, "voice_url", "url", "voice", "audio_url", "audio")
            return _media("voice", url, message, fields)
        case "message.link.received":  # unconfirmed: the link is text to a report
            text = _first_text(message, "text", "url", "link")
            return [] if text is None else [TextMessage(text=text, **fields)]
        case "message.location.received":  # unconfirmed
            return _location(message, fields)
        case "message.unsupported.received":  # a protected user: a child, a disabled person...
            return [Unsupported(reason="protected_user", **fields)]
    return []


def _text(text: str, bot_name: str | None, fields: EventFields) -> Event:
    parts = parse_command(text, bot_name=bot_name, loose_mentions=True)
    if parts is None:
        return TextMessage(text=text, **fields)
    return Command(
        name=parts.name,
        args=parts.args,
        addressed=parts.addressed,
        # What came before the slash: the mention of the bot ("@Tin báo").
        mention=text.lstrip().partition("/")[0].strip(),
        **fields,
    )


def _media(kind: str, url: str | None, message: dict[str, Any], fields: EventFields) -> list[Event]:
    if url is None:
        return []
    caption = text_or_none(message.get("caption")) or None
    return [Media(kind=kind, file_ref=url, caption=caption, **fields)]


def _location(message: dict[str, Any], fields: EventFields) -> list[Event]:
    where = message.get("location")
    where = where if isinstance(where, dict) else message
    point = coordinates(
        where.get("latitude", where.get("lat")), where.get("longitude", where.get("lng"))
    )
    if point is None:
        return []
    return [Location(latitude=point[0], longitude=point[1], **fields)]
