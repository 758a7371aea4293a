"""Which police triage chat covers an area: its own, or its nearest ancestor's."""

from __future__ import annotations

from sqlmodel import Session, col, select

from domain.areas.models import Area
from domain.areas.service import ancestors, subtree
from domain.chats.models import Chat, LinkRole


def triage_chat_for(session: Session, *, area_id: int | None) -> Chat | None:
    """The active triage chat linked to the area or to the closest area above it."""
    if area_id is None:
        return None
    area = session.get(Area, area_id)
    if area is None:
        return None
    for candidate in reversed(ancestors(session, area=area)):
        chat = session.exec(
            select(Chat)
            .where(
                col(Chat.area_id) == candidate.id,
                col(Chat.role) == LinkRole.TRIAGE.value,
                col(Chat.active).is_(True),
            )
            .order_by(col(Chat.linked_at).desc())
        ).first()
        if chat is not None:
            return chat
    return None


def covered_areas(session: Session) -> set[int]:
    """The areas an active triage chat covers: those linked and every area below them."""
    linked = session.exec(
        select(col(Chat.area_id)).where(
            col(Chat.role) == LinkRole.TRIAGE.value,
            col(Chat.active).is_(True),
            col(Chat.area_id).is_not(None),
        )
    ).all()
    areas = sorted({area for area in linked if area is not None})
    if not areas:
        return set()
    return set(session.exec(select(subtree(*areas).c.id)).all())


def area_path(session: Session, *, area_id: int | None) -> str:
    """The area with its ancestors, most local first: "Tổ 3, Tô Hiệu, Sơn La"."""
    if area_id is None:
        return ""
    area = session.get(Area, area_id)
    if area is None:
        return ""
    return ", ".join(a.name for a in reversed(ancestors(session, area=area)))
