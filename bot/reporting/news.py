"""Telling a reporter what became of their report, privately, on the channel they used."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from core.i18n import gettext_for, pick_locale
from core.sealing import Sealer
from core.settings import Settings
from domain.chats.service import get_chat
from domain.outbox.messages import Outgoing
from domain.outbox.models import OutboxMessage
from domain.outbox.service import enqueue
from domain.people.models import Person
from domain.people.service import identity_of
from domain.reports.models import Report


def tell_reporter(
    session: Session,
    *,
    report: Report,
    settings: Settings,
    sealer: Sealer,
    text: str,
    ref: str | None = None,
) -> list[OutboxMessage]:
    """Send the reporter a private message (already translated); nothing if they cannot get one.

    A group reporter who never opened a private chat with the bot gets nothing: a message in the
    group would tell everyone there who reported.
    """
    if report.reporter_id is None:
        return []
    person = session.get(Person, report.reporter_id)
    if person is None or person.first_contact_at is None:
        return []
    user_id = identity_of(session, sealer=sealer, person_id=report.reporter_id).get("user_id")
    if not user_id:
        return []
    # On every channel Tinbao speaks, a person's private chat has their user id.
    chat = get_chat(session, channel=person.channel, chat_id=str(user_id))
    if chat is not None and not chat.active:
        return []
    return enqueue(
        session,
        channel=person.channel,
        chat_id=str(user_id),
        message=Outgoing(text=text),
        ref=ref or f"report:{report.code}",
    )


def reporter_gettext(
    session: Session, *, report: Report, settings: Settings
) -> Callable[[str], str]:
    """The translation function of the reporter's language."""
    person = session.get(Person, report.reporter_id) if report.reporter_id is not None else None
    return gettext_for(pick_locale(person.locale if person else report.locale, settings.locale))
