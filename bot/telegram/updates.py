"""Telegram updates: cheap inbox keys, and channel-neutral events parsed with PTB."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from telegram import (
    CallbackQuery,
    Chat,
    ChatMember,
    ChatMemberRestricted,
    ChatMemberUpdated,
    Message,
    Update,
    User,
)

from bot.events import (
    BotAdded,
    BotPromoted,
    BotRemoved,
    ButtonPress,
    ChatMigrated,
    ChatRef,
    Command,
    Event,
    EventFields,
    Location,
    Media,
    MemberJoined,
    MemberLeft,
    NotAnUpdate,
    Person,
    ReplyRef,
    TextMessage,
    Unsupported,
    is_well_typed,
    parse_command,
)
from domain.chats.models import Channel, ChatKind

__all__ = ["NotAnUpdate", "telegram_events", "update_keys"]

log = logging.getLogger(__name__)

_CHAT_KINDS = {"private": ChatKind.PRIVATE, "group": ChatKind.GROUP, "supergroup": ChatKind.GROUP}
_PRESENT = {"creator", "administrator", "member"}
_ADMIN = {"creator", "administrator"}
# Message attributes holding a file. Animation comes before document: Telegram sends a GIF
# as both. A round video note is still a video to a report.
_FILE_KINDS = ("animation", "video", "video_note", "voice", "audio", "document", "sticker")
_UNSUPPORTED = ("poll", "dice", "contact", "game", "story", "checklist", "invoice", "paid_media")
# What PTB and the conversion raise on a known kind with missing or mistyped fields: such an
# update is valid JSON the platform would not send; it is logged and ignored, never retried.
_MALFORMED = (AttributeError, IndexError, KeyError, OSError, OverflowError, TypeError, ValueError)


def _as_update(body: object) -> tuple[int, dict[str, Any]]:
    """The update id and the body, or NotAnUpdate."""
    if not isinstance(body, dict):
        raise NotAnUpdate("a Telegram update is a JSON object")
    update_id = body.get("update_id")
    # bool is an int in Python, not in JSON
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise NotAnUpdate("a Telegram update has an integer update_id")
    return update_id, body


def _id_at(value: object, *path: str) -> str | None:
    """The id found by walking path through nested objects, as text."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None


def update_keys(body: object) -> tuple[str, str]:
    """The (update key, chat key) of an update, without parsing it; chat key "-" if none."""
    update_id, data = _as_update(body)
    for key, inner in data.items():
        if key == "update_id" or not isinstance(inner, dict):
            continue
        chat = (
            _id_at(inner, "chat", "id")
            or _id_at(inner, "message", "chat", "id")
            or _id_at(inner, "from", "id")
        )
        return str(update_id), chat or "-"
    return str(update_id), "-"


@dataclass(frozen=True, slots=True)
class _Bot:
    """Who "us" is, to tell the bot's own messages and membership from others'."""

    username: str | None
    user_id: int | None

    def is_us(self, user: User) -> bool:
        """Whether user is this bot."""
        if self.user_id is not None and user.id == self.user_id:
            return True
        name = (self.username or "").lstrip("@").casefold()
        return bool(name) and bool(user.is_bot) and (user.username or "").casefold() == name


def telegram_events(
    body: object,
    *,
    bot_username: str | None,
    bot_id: int | None,
    received_at: datetime | None = None,
) -> list[Event]:
    """The events of an update; [] for kinds Tinbao does not use. received_at dates presses."""
    update_id, data = _as_update(body)
    bot = _Bot(bot_username, bot_id)
    try:
        update = Update.de_json(data, bot=None)
        events = _events(update, bot, received_at or datetime.now(UTC))
    except _MALFORMED as error:
        log.warning("ignored malformed Telegram update %s: %s", update_id, type(error).__name__)
        return []
    # PTB keeps whatever type a field had: a mistyped field must not reach the core.
    if not all(is_well_typed(event) for event in events):
        log.warning("ignored Telegram update %s with mistyped fields", update_id)
        return []
    return events


def _events(update: Update, bot: _Bot, received_at: datetime) -> list[Event]:
    if update.message is not None:
        return _message_events(update.message, bot, edited=False)
    if update.edited_message is not None:
        return _message_events(update.edited_message, bot, edited=True)
    if update.callback_query is not None:
        return _button_press(update.callback_query, received_at)
    if update.my_chat_member is not None:
        return _bot_membership(update.my_chat_member)
    return []  # channel posts, other members' changes, inline queries, reactions, polls...


def _chat(chat: Chat) -> ChatRef | None:
    kind = _CHAT_KINDS.get(chat.type)
    if kind is None:
        return None  # channels
    return ChatRef(Channel.TELEGRAM.value, str(chat.id), kind.value, chat.title)


def _person(user: User) -> Person:
    name = user.full_name or None
    return Person(str(user.id), name, user.username, bool(user.is_bot), user.language_code)


def _reply(message: Message, bot: _Bot) -> ReplyRef | None:
    replied = message.reply_to_message
    if replied is None:
        return None
    if message.is_topic_message and replied.forum_topic_created is not None:
        return None  # in a forum topic every message replies to the topic's first message
    from_bot = replied.from_user is not None and bot.is_us(replied.from_user)
    return ReplyRef(str(replied.message_id), from_bot, replied.text or replied.caption)


class _File(NamedTuple):
    kind: str
    file_ref: str
    mime_type: str | None
    size: int | None
    file_name: str | None


def _file(message: Message) -> _File | None:
    """The message's file, the largest size of a photo."""
    if message.photo:
        p = max(message.photo, key=lambda size: (size.width * size.height, size.file_size or 0))
        return _File("photo", p.file_id, None, p.file_size, None)
    for attribute in _FILE_KINDS:
        file = getattr(message, attribute)
        if file is not None:
            kind = "video" if attribute == "video_note" else attribute
            details = (
                getattr(file, "mime_type", None),
                file.file_size,
                getattr(file, "file_name", None),
            )
            return _File(kind, file.file_id, *details)
    return None


def _message_events(message: Message, bot: _Bot, *, edited: bool) -> list[Event]:
    chat = _chat(message.chat)
    if chat is None:
        return []
    sent = message.edit_date if edited and message.edit_date is not None else message.date
    fields = EventFields(
        chat=chat,
        sender=_person(message.from_user) if message.from_user is not None else None,
        message_id=str(message.message_id),
        sent_at=sent.astimezone(UTC),
        reply_to=_reply(message, bot),
        edited=edited,
    )
    if message.migrate_to_chat_id is not None:
        return [ChatMigrated(new_chat_id=str(message.migrate_to_chat_id), **fields)]
    if message.new_chat_members:
        return [
            BotAdded(as_admin=False, **fields)
            if bot.is_us(user)
            else MemberJoined(member=_person(user), **fields)
            for user in message.new_chat_members
        ]
    if message.left_chat_member is not None:
        return [_left(message, message.left_chat_member, bot, fields)]
    if message.location is not None:
        loc = message.location
        return [Location(latitude=float(loc.latitude), longitude=float(loc.longitude), **fields)]
    file = _file(message)
    if file is not None:
        return [Media(**file._asdict(), caption=message.caption, **fields)]
    if message.text is not None:
        return [_text(message.text, bot, fields)]
    for kind in _UNSUPPORTED:
        if getattr(message, kind, None):
            return [Unsupported(reason=kind, **fields)]
    return []  # service messages: pins, titles, migrate_from_chat_id...


def _left(message: Message, user: User, bot: _Bot, fields: EventFields) -> Event:
    if not bot.is_us(user):
        return MemberLeft(member=_person(user), **fields)
    by_itself = message.from_user is not None and bot.is_us(message.from_user)
    return BotRemoved(reason="left" if by_itself else "kicked", **fields)


def _text(text: str, bot: _Bot, fields: EventFields) -> Event:
    parts = parse_command(text, bot_name=bot.username, loose_mentions=False)
    if parts is None:
        return TextMessage(text=text, **fields)
    return Command(name=parts.name, args=parts.args, addressed=parts.addressed, **fields)


def _button_press(query: CallbackQuery, received_at: datetime) -> list[Event]:
    message = query.message
    chat = _chat(message.chat) if message is not None else None
    if chat is None or message is None or query.data is None:
        return []  # presses in channels, on inline-mode messages, and in games
    return [
        ButtonPress(
            callback_id=str(query.id),
            data=query.data,
            chat=chat,
            sender=_person(query.from_user),
            message_id=str(message.message_id),
            sent_at=received_at.astimezone(UTC),  # a press carries no date of its own
            reply_to=None,
            edited=False,
        )
    ]


def _present(member: ChatMember) -> bool:
    if isinstance(member, ChatMemberRestricted):
        return bool(member.is_member)
    return member.status in _PRESENT


def _bot_membership(update: ChatMemberUpdated) -> list[Event]:
    chat = _chat(update.chat)
    if chat is None:
        return []
    old, new = update.old_chat_member, update.new_chat_member
    was, now = _present(old), _present(new)
    fields = EventFields(
        chat=chat,
        sender=_person(update.from_user),
        message_id=None,
        sent_at=update.date.astimezone(UTC),
        reply_to=None,
        edited=False,
    )
    if now and not was:
        return [BotAdded(as_admin=new.status in _ADMIN, **fields)]
    if was and not now:
        # "kicked" (or restricted out of the group); a person blocking the bot shows as kicked
        blocked = chat.kind == ChatKind.PRIVATE
        reason = "left" if new.status == "left" else "blocked" if blocked else "kicked"
        return [BotRemoved(reason=reason, **fields)]
    if was and (old.status in _ADMIN) != (new.status in _ADMIN):
        return [BotPromoted(as_admin=new.status in _ADMIN, **fields)]
    return []
