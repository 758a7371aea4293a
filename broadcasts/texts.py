"""The words a broadcast sends: typed with it, or a library message's current words."""

from __future__ import annotations

from sqlmodel import Session

from broadcasts.contents.service import UnknownContent, get_content
from broadcasts.models import Broadcast
from broadcasts.plans import BroadcastError, BroadcastRequest
from core.i18n import N_


def text_of(session: Session, *, key: str, locale: str) -> str:
    """A library message, title and text, in a language; BroadcastError if it cannot be sent."""
    try:
        return get_content(session, key=key, locale=locale).message
    except UnknownContent as error:
        raise BroadcastError(N_("unknown content id: {key}"), key=str(error)) from None


def broadcast_text(session: Session, broadcast: Broadcast, *, locale: str) -> str:
    """What a run of the broadcast sends now."""
    if broadcast.content_key is not None:
        return text_of(session, key=broadcast.content_key, locale=locale)
    return broadcast.text or ""


def request_text(session: Session, request: BroadcastRequest, *, locale: str) -> str:
    """What a broadcast asked for would send: its words, or its library message's."""
    if request.content_id is not None:
        return text_of(session, key=request.content_id, locale=locale)
    return request.text or ""
