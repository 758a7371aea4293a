"""The desk's commands that only read (/queue, /stats, the chart), read before the transaction.

A turn holds the writer's lock from its first statement to its commit. What these commands
count can take a while on a large history, so it is read first, in a reading session that
waits for no writer and holds up none; the turn then only writes the answer.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlmodel import Session

from bot.commands import canonical
from bot.events import ButtonPress, Command, Event
from bot.triage.authority import is_triage_chat
from bot.triage.queue import asked_page
from bot.triage.stats import Figures, count_figures
from bot.turn import ReadAhead
from domain.chats.models import ChatKind
from domain.chats.service import get_chat
from domain.reports.queue import QueuePage, open_page


def asked_of(event: Event) -> tuple[str, str] | None:
    """The command that only reads ("queue" or "stats") and its words, if the event is one."""
    if event.chat.kind != ChatKind.GROUP.value or event.edited:
        return None
    if isinstance(event, Command) and canonical(event.name) in {"queue", "stats"}:
        return canonical(event.name), event.args
    if isinstance(event, ButtonPress) and event.data.startswith("t:q:"):
        return "queue", event.data.split(":")[2]
    return None


def read_ahead(session: Session, event: Event, *, now: datetime, zone: tzinfo) -> ReadAhead | None:
    """What the event's command shows, if it is one that only reads in a triage chat."""
    asked_for = asked_of(event)
    if asked_for is None:
        return None
    name, asked = asked_for
    chat = get_chat(session, channel=event.chat.channel, chat_id=event.chat.chat_id)
    if chat is None or not is_triage_chat(chat) or chat.area_id is None:
        return None
    if name == "queue":
        figures: QueuePage | Figures | None = open_page(
            session, area_id=chat.area_id, page=asked_page(asked)
        )
    else:
        figures = count_figures(
            session, area_id=chat.area_id, words=asked.strip(), now=now, zone=zone
        )
    if figures is None:
        return None
    return ReadAhead(area_id=chat.area_id, asked=asked, now=now, figures=figures)
