"""How a delivery can go wrong, in the sender's terms, whatever the platform."""

from __future__ import annotations

import random
from dataclasses import dataclass

from domain.outbox.messages import Outgoing


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox row as a transport sees it."""

    id: int
    channel: str
    chat_id: str
    chat_kind: str  # "private" or "group": the limits differ
    kind: str
    message: Outgoing
    attempts: int
    lane: int
    body: str = ""  # the stored JSON the message was read from


class DeliveryError(Exception):
    """A delivery that did not go through; the subclass says what to do next."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(DeliveryError):
    """The platform asked to wait (429): retry this chat after `seconds`."""

    def __init__(self, reason: str, *, seconds: float) -> None:
        super().__init__(reason)
        self.seconds = seconds


class Unavailable(DeliveryError):
    """A network error, a timeout or a 5xx: retry with backoff."""


def backoff(attempts: int) -> float:
    """Seconds to wait before retrying an Unavailable, by the attempts made so far (capped, jittered)."""
    # A minute at most: once the platform is back, what waited goes out within one.
    ceiling = min(2.0**attempts, 60.0)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not secrecy)


class ChatGone(DeliveryError):
    """The bot was blocked, kicked or the chat no longer exists: stop writing to it."""


class ChatMoved(DeliveryError):
    """The group became a supergroup with a new id: follow it."""

    def __init__(self, reason: str, *, new_chat_id: str) -> None:
        super().__init__(reason)
        self.new_chat_id = new_chat_id


class Rejected(DeliveryError):
    """The platform refused this one message (bad request, never-opened private chat)."""


class AwaitsWindow(DeliveryError):
    """The platform may not write to this person now (Zalo OA's 7 days): keep it for later."""


class ChannelDown(DeliveryError):
    """The whole channel cannot send (token refused): pause it, keep the messages."""
