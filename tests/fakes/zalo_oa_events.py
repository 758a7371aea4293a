"""Zalo OA webhook events as Zalo posts them, signed: private and GMF group events."""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from typing import Any

from ._server import JSON, load_fixture

KEYS = load_fixture("zalo/oa_test_keys.json")
APP_ID: str = KEYS["app_id"]
OA_SECRET_KEY: str = KEYS["oa_secret_key"]
OA_ID = "579745863508352884"  # the OA's own id, as the recipient of what people write
# Where integrations find a group event's group: each shape Tinbao accepts.
GROUP_SHAPES = ("group_id", "conversation_id", "recipient_id")
_ids = itertools.count(1)


def signed(body: JSON) -> tuple[bytes, str]:
    """The raw body and its X-ZEvent-Signature: "mac=" + sha256(app_id + body + ts + key)."""
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    signed_text = str(body["app_id"]).encode() + raw + str(body["timestamp"]).encode()
    return raw, "mac=" + hashlib.sha256(signed_text + OA_SECRET_KEY.encode()).hexdigest()


def user_event(
    event_name: str, user_id: str, *, text: str = "", attachments: list[Any] | None = None
) -> JSON:
    """A person's event in their private chat with the OA."""
    return _event(event_name, {"id": user_id}, {"id": OA_ID}, _message(text, attachments))


def group_event(
    event_name: str,
    group_id: str,
    sender_id: str,
    *,
    text: str = "",
    attachments: list[Any] | None = None,
    shape: str = "group_id",
) -> JSON:
    """A GMF group event, its group where `shape` says: recipient.group_id,
    message.conversation_id or recipient.id."""
    message = _message(text, attachments)
    recipient: JSON = {"id": OA_ID}
    if shape == "group_id":
        recipient["group_id"] = group_id
    elif shape == "conversation_id":
        message["conversation_id"] = group_id
    elif shape == "recipient_id":
        recipient = {"id": group_id}
    else:
        raise ValueError(f"unknown shape {shape!r}; one of {GROUP_SHAPES}")
    sender = {"id": OA_ID} if event_name.startswith("oa_") else {"id": sender_id}
    return _event(event_name, sender, recipient, message)


def photo(url: str = "https://photo-stal.zadn.vn/gmf/abc.jpg") -> list[Any]:
    """The attachments of a photo message."""
    return [{"type": "image", "payload": {"url": url, "thumbnail": url}}]


def _message(text: str, attachments: list[Any] | None) -> JSON:
    message: JSON = {"msg_id": f"{next(_ids):04d}{time.time_ns():x}", "text": text}
    if attachments is not None:
        message["attachments"] = attachments
    return message


def _event(event_name: str, sender: JSON, recipient: JSON, message: JSON) -> JSON:
    return {
        "app_id": APP_ID,
        "user_id_by_app": "552177279717587730",
        "event_name": event_name,
        "timestamp": str(int(time.time() * 1000)),
        "sender": sender,
        "recipient": recipient,
        "message": message,
    }
