"""Channel-neutral events that the adapters make of platform updates, and how commands read."""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypedDict

__all__ = [
    "BotAdded",
    "BotPromoted",
    "BotRemoved",
    "ButtonPress",
    "ChatMigrated",
    "ChatRef",
    "Command",
    "CommandParts",
    "Event",
    "EventFields",
    "Location",
    "Media",
    "MemberJoined",
    "MemberLeft",
    "NotAnUpdate",
    "Person",
    "ReplyRef",
    "TextMessage",
    "Unsupported",
    "coordinates",
    "is_well_typed",
    "parse_command",
]


class NotAnUpdate(ValueError):
    """A body that is not an update of the platform it was posted for."""


@dataclass(frozen=True, slots=True)
class Person:
    """Someone in a chat, as the platform describes them."""

    user_id: str
    display_name: str | None
    username: str | None
    is_bot: bool = False
    language: str | None = None


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A chat: (channel, id as text), whether private or a group, and its title."""

    channel: str  # a domain.chats.models.Channel value
    chat_id: str
    kind: str  # a domain.chats.models.ChatKind value
    title: str | None = None


@dataclass(frozen=True, slots=True)
class ReplyRef:
    """The message an event answers."""

    message_id: str
    from_bot: bool
    text: str | None


# The base's fields are keyword-only so that subclasses may add fields without defaults.
@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Something that happened in a chat; sent_at is aware UTC."""

    chat: ChatRef
    sender: Person | None
    message_id: str | None
    sent_at: datetime
    reply_to: ReplyRef | None = None
    edited: bool = False


class EventFields(TypedDict):
    """The fields every event has, for adapters to build them once and spread them."""

    chat: ChatRef
    sender: Person | None
    message_id: str | None
    sent_at: datetime
    reply_to: ReplyRef | None
    edited: bool


@dataclass(frozen=True, slots=True)
class TextMessage(Event):
    """Plain text that is not a command for this bot."""

    text: str


@dataclass(frozen=True, slots=True)
class Command(Event):
    """A slash command: name lower case without slash or @bot; addressed when it named us."""

    name: str
    args: str
    addressed: bool = False
    # The mention typed before the command ("@Tin báo" in a Zalo group): answers that follow
    # in a dialogue start with it too.
    mention: str = ""


@dataclass(frozen=True, slots=True)
class Media(Event):
    """A photo, video, voice note, audio, document, sticker or animation."""

    kind: str
    file_ref: str  # Telegram file_id (largest photo size) or a Zalo URL
    caption: str | None = None
    mime_type: str | None = None
    size: int | None = None
    file_name: str | None = None


@dataclass(frozen=True, slots=True)
class Location(Event):
    """A point on the map that someone shared."""

    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class ButtonPress(Event):
    """A press on one of the bot's buttons; message_id is the pressed message."""

    callback_id: str
    data: str


@dataclass(frozen=True, slots=True)
class MemberJoined(Event):
    """Someone other than the bot joined the chat."""

    member: Person


@dataclass(frozen=True, slots=True)
class MemberLeft(Event):
    """Someone other than the bot left or was removed from the chat."""

    member: Person


@dataclass(frozen=True, slots=True)
class BotAdded(Event):
    """The bot joined a group, or a person (re)started a private chat with it."""

    as_admin: bool = False


@dataclass(frozen=True, slots=True)
class BotRemoved(Event):
    """The bot can no longer write here; reason is "kicked", "left" or "blocked"."""

    reason: str


@dataclass(frozen=True, slots=True)
class BotPromoted(Event):
    """The bot became an administrator of the group, or stopped being one."""

    as_admin: bool


@dataclass(frozen=True, slots=True)
class ChatMigrated(Event):
    """The group moved to a new id (a Telegram group upgraded to a supergroup)."""

    new_chat_id: str


@dataclass(frozen=True, slots=True)
class Unsupported(Event):
    """A message the bot cannot read (a poll, a dice, a protected Zalo user...)."""

    reason: str


class CommandParts(NamedTuple):
    """A command as typed: its name, its arguments, and whether it named this bot."""

    name: str
    args: str
    addressed: bool


_COMMAND = re.compile(r"/(\w+)(?:@(\w+))?(?:\s+(.*))?", re.DOTALL)
# Zalo groups show a mention as plain text ("@Tin báo /report ..."): one or more
# leading mentions of up to five words each, before the slash.
_LEADING_MENTIONS = re.compile(r"(?:@[^\s/@]+(?:[^\S\n]+[^\s/@]+){0,4}\s+)+(?=/)")


def parse_command(text: str, *, bot_name: str | None, loose_mentions: bool) -> CommandParts | None:
    """Read a slash command, or None when the text is not a command for this bot."""
    rest = text.lstrip()
    addressed = False
    if rest.startswith("@"):
        name = (bot_name or "").lstrip("@")
        after = rest[1 + len(name) :]
        if name and rest[1 : 1 + len(name)].casefold() == name.casefold() and after[:1].isspace():
            rest, addressed = after.lstrip(), True
        elif loose_mentions and (mention := _LEADING_MENTIONS.match(rest)):
            rest, addressed = rest[mention.end() :], True
        else:
            return None
    match = _COMMAND.fullmatch(rest)
    if match is None:
        return None
    command, target, args = match.groups()
    if target is not None:
        ours = bot_name is None or target.casefold() == bot_name.lstrip("@").casefold()
        if not ours:
            return None  # "/report@otherbot" is for another bot
        addressed = True
    return CommandParts(command.lower(), (args or "").strip(), addressed)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None  # bool is an int in Python, not in JSON
    try:
        number = float(value)  # Zalo OA sends coordinates as text
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def coordinates(latitude: object, longitude: object) -> tuple[float, float] | None:
    """A point on Earth from numbers or numeric text, or None."""
    lat, lon = _number(latitude), _number(longitude)
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    return lat, lon


_HINTS: dict[type, dict[str, Any]] = {}


def _fits(value: object, hint: Any) -> bool:
    if options := typing.get_args(hint):  # a union such as str | None
        return any(_fits(value, option) for option in options)
    if hint is type(None):
        return value is None
    if hint in (int, float):  # bool is an int in Python, not in JSON; a float field takes ints
        return isinstance(value, hint | int) and not isinstance(value, bool)
    if hint is datetime:
        return isinstance(value, datetime) and value.utcoffset() == timedelta(0)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return isinstance(value, hint) and is_well_typed(value)
    return isinstance(value, hint)


def is_well_typed(value: object) -> bool:
    """Whether every field of an event, and of its parts, has its declared type (UTC times)."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return False
    cls = type(value)
    hints = _HINTS.get(cls) or _HINTS.setdefault(cls, typing.get_type_hints(cls))
    return all(
        _fits(getattr(value, field.name), hints[field.name]) for field in dataclasses.fields(value)
    )
