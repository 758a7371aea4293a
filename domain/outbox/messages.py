"""Channel-neutral outbound messages, as stored in the outbox's body."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class MessageKind(StrEnum):
    """The kind of outbound call."""

    TEXT = "text"
    EDIT_TEXT = "edit_text"
    ANSWER_BUTTON = "answer_button"  # a Telegram callback answer: stops the spinner
    DELETE = "delete"
    PHOTO = "photo"  # Telegram: a local file (extra "path", absolute) with the text as caption
    COPY = "copy"  # Telegram: copyMessage (extra "from_chat_id", "message_id"), never a forward
    LOCATION = "location"  # Telegram: a map pin (extra "latitude", "longitude")


@dataclass(frozen=True, slots=True)
class Button:
    """A button under a message; `data` comes back in the press and must fit in 64 bytes."""

    label: str
    data: str

    def __post_init__(self) -> None:
        # Telegram refuses callback_data over 64 bytes, and Vietnamese letters take 2-3 each.
        if not 1 <= len(self.data.encode()) <= 64:
            raise ValueError("button data must be 1 to 64 bytes")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What to send: text with optional buttons, an edit, a button answer or a deletion."""

    text: str = ""
    buttons: tuple[tuple[Button, ...], ...] = ()
    reply_to: str | None = None  # platform message id to reply to
    target_message_id: str | None = None  # for edits and deletions
    # For an edit of a message not yet sent when the edit was written: the ref of the row that
    # sends it (same chat); the sender reads its message id, or sends anew when there is none.
    edit_of: str | None = None
    callback_id: str | None = None  # for button answers
    alert: bool = False  # a button answer shown as a dialog
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """The body column's JSON."""
        data = asdict(self)
        data["buttons"] = [[asdict(b) for b in row] for row in self.buttons]
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Outgoing:
        """Read a body column back."""
        data = json.loads(raw)
        data["buttons"] = tuple(tuple(Button(**b) for b in row) for row in data.get("buttons", []))
        return cls(**data)


def split_text(text: str, *, limit: int) -> list[str]:
    """Cut a text into pieces of at most `limit` characters, at paragraph, line or word ends."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        # A cut too early would make many tiny pieces: then cut hard at the limit.
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces
