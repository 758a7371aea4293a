"""Drafts left a day without an answer expire, with a polite note."""

from __future__ import annotations

from datetime import datetime

from bot.subscribing.dialogue import STEPS as SUBSCRIBING
from core.db import Database
from core.i18n import gettext_for, pick_locale
from core.settings import Settings
from domain.outbox.messages import Outgoing
from domain.outbox.service import enqueue
from domain.people.models import Person
from domain.reports.drafts import drop_draft, stale_drafts


def expire_drafts(db: Database, *, settings: Settings, now: datetime | None = None) -> int:
    """Close drafts idle for a day and tell each person; return how many expired."""
    with db.session() as session:
        drafts = stale_drafts(session, now=now)
        for draft in drafts:
            if draft.step in SUBSCRIBING:  # a day-old question of a place needs no note
                drop_draft(session, draft=draft)
                continue
            person = session.get(Person, draft.person_id)
            _ = gettext_for(pick_locale(person.locale if person else None, settings.locale))
            text = (
                _(
                    "The report you were writing has expired after a day without an answer. "
                    "Whenever you need to, type /report to start a new one."
                )
                if draft.step != "adding"
                else _("Adding to your report has ended. Type /add with its code to add more.")
            )
            enqueue(
                session, channel=draft.channel, chat_id=draft.chat_id, message=Outgoing(text=text)
            )
            drop_draft(session, draft=draft)
        return len(drafts)
