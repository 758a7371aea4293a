"""The data of broadcast buttons, in one place: "b:<action>:<value>", within Telegram's 64 bytes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.outbox.messages import Button
from domain.text import whole_number

PREFIX = "b:"


class Action(StrEnum):
    """What a broadcast button does: answer a step of the dialogue, or decide on a card."""

    MESSAGE = "m"
    AREA = "a"
    WHEN = "w"
    CONFIRM = "k"
    APPROVE = "y"
    REFUSE = "n"


@dataclass(frozen=True)
class BroadcastButton:
    """A broadcast button's meaning: an action and its value (a choice's number, an id)."""

    action: Action
    value: str

    def encode(self) -> str:
        """The callback data."""
        return f"{PREFIX}{self.action.value}:{self.value}"

    def button(self, label: str) -> Button:
        """The button with its label (Button checks the 64-byte limit)."""
        return Button(label[:60], self.encode())

    @classmethod
    def decode(cls, data: str) -> BroadcastButton | None:
        """The meaning of callback data, or None when it is not a broadcast button's."""
        if not data.startswith(PREFIX):
            return None
        action, _sep, value = data[len(PREFIX) :].partition(":")
        if action not in {a.value for a in Action} or whole_number(value, digits=9) is None:
            return None
        return cls(Action(action), value)


def is_broadcast_button(data: str) -> bool:
    """Whether callback data belongs to broadcasts (whether or not it is well formed)."""
    return data.startswith(PREFIX)
