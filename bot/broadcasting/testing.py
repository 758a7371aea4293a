"""Test sends: the message, marked as a test, only to police triage groups; never a run."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from bot.turn import Turn
from broadcasts.plans import BroadcastError, BroadcastRequest, check_text
from broadcasts.texts import request_text, text_of
from core.i18n import N_, gettext_for
from core.settings import Settings
from domain.areas.models import Area
from domain.chats.models import Chat
from domain.outbox.messages import Outgoing
from domain.outbox.service import enqueue
from domain.reports.routing import triage_chat_for

TEST_MARK = N_("🧪 TEST — sent to this police group only, to no residents' group")


def marked(text: str, *, locale: str) -> str:
    """The message as a test shows it: the mark first, the exact text after."""
    return f"{gettext_for(locale)(TEST_MARK)}\n\n{text}"


def send_test(turn: Turn, *, text: str | None, content: str | None) -> None:
    """Send the composed message to the officer's own triage group only, marked as a test."""
    try:
        words = text_of(turn.session, key=content, locale=turn.settings.locale) if content else text
        words = check_text(words or "", channels=None)
    except BroadcastError as error:
        turn.reply(
            turn._("This broadcast cannot be sent: {reason}").format(reason=error.told(turn._))
        )
        return
    ref = turn.event.chat
    enqueue(
        turn.session,
        channel=ref.channel,
        chat_id=ref.chat_id,
        message=Outgoing(text=marked(words, locale=turn.locale)),
    )


def send_test_to_triage(
    session: Session, request: BroadcastRequest, *, settings: Settings
) -> list[Chat]:
    """Send a request's text, marked as a test, to the triage groups of its areas; which."""
    if request.areas is None:
        raise BroadcastError("a test names its areas: it goes to their police triage groups")
    text = check_text(request_text(session, request, locale=settings.locale), channels=None)
    areas = list(session.scalars(select(Area).where(col(Area.code).in_(request.areas))))
    if missing := sorted(set(request.areas) - {area.code for area in areas}):
        raise BroadcastError(f"unknown area: {', '.join(missing)}")
    chats: dict[tuple[str, str], Chat] = {}
    for area in areas:
        chat = triage_chat_for(session, area_id=area.id)
        if chat is not None:
            chats[(chat.channel, chat.chat_id)] = chat
    for chat in chats.values():
        enqueue(
            session,
            channel=chat.channel,
            chat_id=chat.chat_id,
            message=Outgoing(text=marked(text, locale=settings.locale)),
        )
    return list(chats.values())
