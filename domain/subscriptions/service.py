"""Subscribing, unsubscribing, and finding the subscribers a broadcast reaches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, select, update
from sqlmodel import Session, col

from core.db import utcnow
from domain.areas.models import Area
from domain.areas.service import subtree
from domain.chats.models import Channel, Chat, ChatKind
from domain.subscriptions.models import Subscription

# The Zalo OA may write to a person only within 7 days of their last message (errors -230/-232):
# a subscriber silent for longer is skipped rather than failed.
OA_WINDOW = timedelta(days=7)
# A subscriber's last message is noted at most this often: one write per chat and hour.
HEARD_EVERY = timedelta(hours=1)


def subscriptions_of(session: Session, *, person_id: int) -> list[tuple[Subscription, Area]]:
    """The person's subscriptions with their areas, oldest first."""
    rows = session.execute(
        select(Subscription, Area)
        .join(Area, col(Area.id) == col(Subscription.area_id))
        .where(col(Subscription.person_id) == person_id)
        .order_by(col(Subscription.id))
    ).all()
    return [(subscription, area) for subscription, area in rows]


def subscribe(
    session: Session, *, person_id: int, chat: Chat, area: Area, now: datetime | None = None
) -> Subscription:
    """Subscribe the person to the area's broadcasts in this private chat (again: unchanged)."""
    assert chat.id is not None and area.id is not None
    found = session.scalars(
        select(Subscription).where(
            col(Subscription.person_id) == person_id, col(Subscription.area_id) == area.id
        )
    ).first()
    if found is not None:
        return found
    now = now or utcnow()
    subscription = Subscription(
        person_id=person_id, chat_ref=chat.id, area_id=area.id, created_at=now, heard_at=now
    )
    session.add(subscription)
    session.flush()
    return subscription


def unsubscribe(
    session: Session, *, person_id: int, area_ids: Sequence[int] | None = None
) -> list[Area]:
    """End the person's subscriptions (all, or those of the areas given); the areas ended."""
    ended = [
        area
        for subscription, area in subscriptions_of(session, person_id=person_id)
        if area_ids is None or subscription.area_id in area_ids
    ]
    if ended:
        session.execute(
            delete(Subscription).where(
                col(Subscription.person_id) == person_id,
                col(Subscription.area_id).in_([area.id for area in ended]),
            )
        )
    return ended


def end_subscriptions_of_chat(session: Session, *, chat_ref: int) -> int:
    """End every subscription delivered to a chat that blocked the bot; how many ended."""
    result = session.execute(delete(Subscription).where(col(Subscription.chat_ref) == chat_ref))
    return int(result.rowcount)  # type: ignore[attr-defined]


def note_heard(session: Session, *, person_id: int, now: datetime) -> None:
    """Remember that a subscriber wrote to the bot (keeps the Zalo OA's window open)."""
    session.execute(
        update(Subscription)
        .where(
            col(Subscription.person_id) == person_id,
            col(Subscription.heard_at) < now - HEARD_EVERY,
        )
        .values(heard_at=now)
    )


def reachable_subscribers(
    area_ids: Sequence[int] | None, channels: Sequence[str] | None, *, now: datetime
) -> Select[int]:
    """The private chats (chats.id) subscribed to these areas or to an area below them."""
    query = (
        select(col(Subscription.chat_ref))
        .join(Chat, col(Chat.id) == col(Subscription.chat_ref))
        .where(col(Chat.active).is_(True), col(Chat.kind) == ChatKind.PRIVATE.value)
        # The Zalo OA's window: silent for 7 days, the subscriber cannot be written to.
        .where(
            (col(Chat.channel) != Channel.ZALO_OA.value)
            | (col(Subscription.heard_at) >= now - OA_WINDOW)
        )
    )
    if area_ids is not None:
        query = query.where(col(Subscription.area_id).in_(select(subtree(*area_ids).c.id)))
    if channels is not None:
        query = query.where(col(Chat.channel).in_(channels))
    return query


def subscriber_counts(
    session: Session, area_ids: Sequence[int] | None, channels: Sequence[str] | None
) -> list[tuple[int, str, int]]:
    """(area id, channel, subscribers) of the subscriptions within these areas, per area."""
    query = (
        select(col(Subscription.area_id), col(Chat.channel), func.count())
        .join(Chat, col(Chat.id) == col(Subscription.chat_ref))
        .where(col(Chat.active).is_(True))
        .group_by(col(Subscription.area_id), col(Chat.channel))
    )
    if area_ids is not None:
        query = query.where(col(Subscription.area_id).in_(select(subtree(*area_ids).c.id)))
    if channels is not None:
        query = query.where(col(Chat.channel).in_(channels))
    return [(area_id, channel, int(n)) for area_id, channel, n in session.execute(query).all()]
