"""Broadcasts being composed in a triage chat: one draft per officer and chat, in the database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from broadcasts.models import BroadcastDraft

# A dialogue left alone this long is closed, with a note in its chat.
COMPOSE_LIFETIME = timedelta(hours=1)


def get_composition(
    session: Session, *, channel: str, chat_id: str, author: str
) -> BroadcastDraft | None:
    """The officer's broadcast being composed in this chat, if any."""
    return session.scalars(
        select(BroadcastDraft).where(
            col(BroadcastDraft.channel) == channel,
            col(BroadcastDraft.chat_id) == chat_id,
            col(BroadcastDraft.author) == author,
        )
    ).first()


def save_composition(
    session: Session,
    *,
    channel: str,
    chat_id: str,
    author: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
) -> BroadcastDraft:
    """Open or move the officer's draft to a step with what it has gathered."""
    draft = get_composition(session, channel=channel, chat_id=chat_id, author=author)
    if draft is None:
        draft = BroadcastDraft(channel=channel, chat_id=chat_id, author=author, step=step)
    draft.step = step
    draft.data = json.dumps(data, ensure_ascii=False)
    draft.updated_at = now
    session.add(draft)
    return draft


def composition_data(draft: BroadcastDraft) -> dict[str, Any]:
    """What a draft has gathered."""
    data = json.loads(draft.data)
    return data if isinstance(data, dict) else {}


def drop_composition(session: Session, *, draft: BroadcastDraft) -> None:
    """Close a draft (confirmed, cancelled or expired)."""
    session.delete(draft)


def stale_compositions(session: Session, *, now: datetime) -> list[BroadcastDraft]:
    """Drafts untouched for longer than their lifetime."""
    cutoff = now - COMPOSE_LIFETIME
    return list(
        session.scalars(select(BroadcastDraft).where(col(BroadcastDraft.updated_at) < cutoff))
    )
