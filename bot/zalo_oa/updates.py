"""Zalo OA v3 webhook events: the signature, inbox keys, and channel-neutral events."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime
from typing import Any

from bot.events import (
    BotAdded,
    BotRemoved,
    ChatRef,
    Command,
    Event,
    EventFields,
    Location,
    Media,
    NotAnUpdate,
    Person,
    TextMessage,
    coordinates,
    is_well_typed,
    parse_command,
)
from bot.zalo.updates import from_millis, id_text, text_or_none
from domain.chats.models import Channel, ChatKind
from domain.text import whole_number

__all__ = ["NotAnUpdate", "oa_events", "update_keys", "verify_signature"]

log = logging.getLogger(__name__)

# Events in which the OA is the sender and the person the recipient.
_TO_USER = frozenset({"user_received_message", "user_seen_message"})
# Zalo's "audio" is a voice note recorded in the chat: music files come as "file".
_MEDIA_KINDS = {
    "user_send_image": "photo",
    "user_send_gif": "animation",
    "user_send_video": "video",
    "user_send_audio": "voice",
    "user_send_file": "document",
    "user_send_sticker": "sticker",
}
# A GMF group event is a private event's name with "_group" in it: user_send_group_text...
_GROUP_PREFIX = "user_send_group_"
# Integrations document the group's id in different places: the first present wins.
_GROUP_ID_AT = (("recipient", "group_id"), ("message", "conversation_id"), ("recipient", "id"))


def verify_signature(
    raw_body: bytes, header: str | None, *, app_id: str, oa_secret_key: str
) -> bool:
    """Whether X-ZEvent-Signature is "mac=" + sha256(app_id + body + timestamp + OA secret key)."""
    if not header or not app_id or not oa_secret_key:
        return False
    try:
        body = json.loads(raw_body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
        return False
    if not isinstance(body, dict) or id_text(body.get("app_id")) != app_id:
        return False  # not an event, or one for another app
    timestamp = id_text(body.get("timestamp"))
    if timestamp is None:
        return False
    # Zalo's scheme is a plain SHA-256 over the secret-suffixed text, not an HMAC.
    signed = app_id.encode() + raw_body + timestamp.encode() + oa_secret_key.encode()
    expected = ("mac=" + hashlib.sha256(signed).hexdigest()).encode()
    given = header.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(expected, given)  # timing-safe


def _event_name(body: object) -> tuple[str, dict[str, Any]]:
    if not isinstance(body, dict):
        raise NotAnUpdate("a Zalo OA event is a JSON object")
    event_name = body.get("event_name")
    if not isinstance(event_name, str) or not event_name:
        raise NotAnUpdate("a Zalo OA event has an event_name")
    return event_name, body


def _id_at(value: object, *path: str) -> str | None:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return id_text(value)


def _user_id(event_name: str, body: dict[str, Any]) -> str | None:
    """The person's id: the sender's, the recipient's when the OA sent, the follower's."""
    if event_name.startswith("oa_") or event_name in _TO_USER:
        return _id_at(body, "recipient", "id")
    if event_name in ("follow", "unfollow"):
        return _id_at(body, "follower", "id") or _id_at(body, "sender", "id")
    return _id_at(body, "sender", "id")


def group_id(body: dict[str, Any]) -> str | None:
    """A group event's group: recipient.group_id, else message.conversation_id, else recipient.id."""
    return next((g for path in _GROUP_ID_AT if (g := _id_at(body, *path)) is not None), None)


def update_keys(body: object) -> tuple[str, str]:
    """The (update key, chat key): msg_id, else event name, sender and timestamp; the chat."""
    event_name, data = _event_name(body)
    user = _user_id(event_name, data)
    if event_name.startswith(_GROUP_PREFIX):
        user = group_id(data) or user
    msg_id = _id_at(data, "message", "msg_id")
    if msg_id is None:
        sender = _id_at(data, "sender", "id") or user or "-"
        msg_id = f"{event_name}:{sender}:{id_text(data.get('timestamp')) or '-'}"
    return msg_id, user or "-"


def oa_events(body: object, *, received_at: datetime | None = None) -> list[Event]:
    """The events of an OA webhook event, in private chats and GMF groups; [] for unused kinds."""
    event_name, data = _event_name(body)
    user = _user_id(event_name, data)
    chat = ChatRef(Channel.ZALO_OA.value, user or "", ChatKind.PRIVATE.value)
    if event_name.startswith(_GROUP_PREFIX):
        group = group_id(data)
        if group is None or user is None or group == user:
            # Say that a shape went unread, without the ids or text that would identify anyone.
            log.warning(
                "ignored Zalo OA group event %s of an unknown shape (keys: %s)",
                event_name[:60],
                ",".join(sorted(_shape(data))),
            )
            return []
        chat = ChatRef(Channel.ZALO_OA.value, group, ChatKind.GROUP.value)
        event_name = "user_send_" + event_name.removeprefix(_GROUP_PREFIX)
    if user is None:
        return []
    message = data.get("message")
    message = message if isinstance(message, dict) else {}
    fields = EventFields(
        chat=chat,
        sender=Person(user, None, None),
        message_id=id_text(message.get("msg_id")),
        sent_at=from_millis(data.get("timestamp"), default=received_at or datetime.now(UTC)),
        reply_to=None,
        edited=False,
    )
    events = _events(event_name, message, fields)
    if not all(is_well_typed(event) for event in events):
        log.warning("ignored Zalo OA event %s with mistyped fields", event_name)
        return []
    return events


def _events(event_name: str, message: dict[str, Any], fields: EventFields) -> list[Event]:
    text = text_or_none(message.get("text"))
    match event_name:
        case "follow":
            return [BotAdded(as_admin=False, **fields)]
        case "unfollow":
            return [BotRemoved(reason="blocked", **fields)]
        case "user_send_text":
            return [] if text is None else [_text(text, fields)]
        case "user_send_link":
            link = text or next((p.get("url") for p in _payloads(message) if "url" in p), None)
            return [TextMessage(text=link, **fields)] if isinstance(link, str) and link else []
        case "user_send_location":
            return _location(message, fields)
        case kind if kind in _MEDIA_KINDS:
            return _media(_MEDIA_KINDS[kind], text or None, message, fields)
    return []  # anonymous_send_*, oa_send_*, deliveries, seen receipts...


def _shape(data: dict[str, Any]) -> list[str]:
    """The body's key paths two levels deep: its shape, without any value."""
    keys = []
    for key, value in data.items():
        inner = value if isinstance(value, dict) else {}
        keys += [f"{key}.{k}" for k in inner] or [key]
    return [key[:40] for key in keys[:30]]  # keys only, and few: a body cannot flood the log


def _text(text: str, fields: EventFields) -> Event:
    parts = parse_command(text, bot_name=None, loose_mentions=False)
    if parts is None:
        return TextMessage(text=text, **fields)
    return Command(name=parts.name, args=parts.args, addressed=parts.addressed, **fields)


def _payloads(message: dict[str, Any]) -> list[dict[str, Any]]:
    attachments = message.get("attachments")
    if not isinstance(attachments, list):
        return []
    found = (a.get("payload") for a in attachments if isinstance(a, dict))
    return [payload for payload in found if isinstance(payload, dict)]


def _size(value: object) -> int | None:
    if isinstance(value, str):
        return whole_number(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _media(
    kind: str, caption: str | None, message: dict[str, Any], fields: EventFields
) -> list[Event]:
    """One Media per attachment with a URL: Zalo sends several photos as one message."""
    events: list[Event] = []
    for payload in _payloads(message):
        url = payload.get("url")
        if not isinstance(url, str) or not url:
            continue
        events.append(
            Media(
                kind=kind,
                file_ref=url,
                caption=None if events else caption,  # the caption once, on the first
                size=_size(payload.get("size")),
                file_name=text_or_none(payload.get("name")) or None,
                **fields,
            )
        )
    return events


def _location(message: dict[str, Any], fields: EventFields) -> list[Event]:
    for payload in _payloads(message):
        where = payload.get("coordinates")
        if isinstance(where, dict):
            point = coordinates(where.get("latitude"), where.get("longitude"))
            if point is not None:
                return [Location(latitude=point[0], longitude=point[1], **fields)]
    return []
