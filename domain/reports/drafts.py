"""Drafts: the state of a report being written, one per person, kept in the database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from core.db import utcnow
from domain.reports.models import Draft

DRAFT_LIFETIME = timedelta(days=1)


def get_draft(session: Session, *, person_id: int) -> Draft | None:
    """The person's draft, if one is open."""
    return session.get(Draft, person_id)


def start_draft(
    session: Session, *, person_id: int, channel: str, chat_id: str, step: str, data: dict[str, Any]
) -> Draft:
    """Open a draft, replacing an earlier one."""
    draft = session.get(Draft, person_id)
    now = utcnow()
    if draft is None:
        draft = Draft(person_id=person_id, channel=channel, chat_id=chat_id, step=step)
    draft.channel, draft.chat_id, draft.step = channel, chat_id, step
    draft.data = json.dumps(data, ensure_ascii=False)
    draft.started_at = draft.updated_at = now
    session.add(draft)
    return draft


def save_draft(session: Session, *, draft: Draft, step: str, data: dict[str, Any]) -> Draft:
    """Move a draft to a step with what it has gathered."""
    draft.step = step
    draft.data = json.dumps(data, ensure_ascii=False)
    draft.updated_at = utcnow()
    session.add(draft)
    return draft


def draft_data(draft: Draft) -> dict[str, Any]:
    """What a draft has gathered."""
    data = json.loads(draft.data)
    return data if isinstance(data, dict) else {}


def drop_draft(session: Session, *, draft: Draft) -> None:
    """Close a draft (filed, cancelled or expired)."""
    session.delete(draft)


def stale_drafts(session: Session, *, now: datetime | None = None) -> list[Draft]:
    """Drafts untouched for longer than their lifetime."""
    cutoff = (now or utcnow()) - DRAFT_LIFETIME
    return list(session.exec(select(Draft).where(col(Draft.updated_at) < cutoff)))
