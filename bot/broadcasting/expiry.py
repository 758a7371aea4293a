"""Broadcasts left waiting: compositions idle for an hour, approvals not given within a day."""

from __future__ import annotations

from datetime import datetime

from bot.broadcasting.approval import update_card
from broadcasts.approval import expire_waiting
from broadcasts.drafts import drop_composition, stale_compositions
from core.db import Database, utcnow
from core.i18n import N_, gettext_for
from core.settings import Settings
from domain.chats.models import has_buttons
from domain.outbox.messages import Outgoing
from domain.outbox.service import enqueue

COMPOSITION_EXPIRED = N_(
    "The broadcast being composed here has expired after an hour without an answer; nothing "
    "was scheduled. Type /broadcast to start again."
)
APPROVAL_EXPIRED = N_(
    "Broadcast {id} has expired: no second officer approved it within 24 hours. Nothing was sent."
)


def expire_broadcast_waits(db: Database, *, settings: Settings, now: datetime | None = None) -> int:
    """Close idle compositions and expire unapproved broadcasts, with a note; how many."""
    now = now or utcnow()
    _ = gettext_for(settings.locale)
    with db.session() as session:
        drafts = stale_compositions(session, now=now)
        for draft in drafts:
            enqueue(
                session,
                channel=draft.channel,
                chat_id=draft.chat_id,
                message=Outgoing(text=_(COMPOSITION_EXPIRED)),
            )
            drop_composition(session, draft=draft)
        expired = expire_waiting(session, now=now)
        for broadcast in expired:
            note = _(APPROVAL_EXPIRED).format(id=broadcast.id)
            update_card(session, broadcast, settings=settings, outcome=note, acting=None)
            channel, _sep, chat_id = (broadcast.origin_chat or "").partition(":")
            if chat_id and has_buttons(channel):  # the card is far up the chat: say it here too
                enqueue(session, channel=channel, chat_id=chat_id, message=Outgoing(text=note))
        return len(drafts) + len(expired)
