"""Texts into groups never call everyone: Zalo's "[@group_id]" mentions every member of a group."""

from __future__ import annotations

import dataclasses
import re

from bot.sender.outcomes import Delivery

_MENTION_ALL = re.compile(r"\[(\s*)@")


def without_mention_all(text: str) -> str:
    """The text with every "[@" made inert: a full-width ＠ reads the same and calls no one."""
    return _MENTION_ALL.sub(lambda found: "[" + found.group(1) + "\uff20", text)


def into_group(delivery: Delivery) -> Delivery:
    """The delivery as it may go into a group: residents' words relayed cannot mention all."""
    text = delivery.message.text
    if delivery.chat_kind != "group" or not _MENTION_ALL.search(text):
        return delivery
    message = dataclasses.replace(delivery.message, text=without_mention_all(text))
    return dataclasses.replace(delivery, message=message)
