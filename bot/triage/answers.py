"""A reporter's private messages that answer the police's question about their report."""

from __future__ import annotations

from bot.events import Location, Media, TextMessage
from bot.triage.relay import relay_answer
from bot.turn import Turn
from domain.outbox.service import ref_of_sent
from domain.reports.drafts import get_draft
from domain.reports.questions import open_question


def answer_question(turn: Turn) -> bool:
    """Relay the message when it answers a question; False to let the dialogue have it.

    A reply to the question itself always answers it. Any other message answers the newest
    open question only while no report is being written.
    """
    event = turn.event
    if not isinstance(event, TextMessage | Media | Location) or event.edited:
        return False
    person = turn.person()
    if person is None or person.id is None:
        return False
    code = None
    if event.reply_to is not None and event.reply_to.from_bot:
        ref = ref_of_sent(
            turn.session,
            channel=event.chat.channel,
            chat_id=event.chat.chat_id,
            message_id=event.reply_to.message_id,
        )
        kind, _sep, rest = (ref or "").partition(":")
        code = rest if kind == "question" else None
    if code is None and get_draft(turn.session, person_id=person.id) is not None:
        return False
    found = open_question(turn.session, reporter_id=person.id, now=turn.now, code=code)
    if found is None:
        return False
    question, report = found
    relay_answer(turn, question=question, report=report)
    return True
