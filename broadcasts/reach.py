"""Who a run reached: groups by area, the people in them, subscribers, failures by reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from broadcasts.models import Broadcast, BroadcastRun
from broadcasts.plans import audience_of_broadcast
from broadcasts.service import run_counts
from broadcasts.targets import UnknownAreas, area_ids
from domain.areas.models import Area
from domain.chats.models import Chat, ChatKind
from domain.outbox.models import OutboxMessage, OutboxStatus
from domain.subscriptions.service import subscriber_counts


@dataclass(frozen=True)
class AreaReach:
    """The groups of one area that received a run, and their members where the platform says."""

    area_code: str
    area_name: str
    groups: int
    members: int  # the members of the groups counted (see `counted`)
    counted: int  # how many of the groups have a member count (Telegram's, at most a day old)


@dataclass(frozen=True)
class AreaSubscriptions:
    """How many residents are subscribed to one area's broadcasts."""

    area_code: str
    area_name: str
    subscribers: int


@dataclass(frozen=True)
class Reach:
    """What a run reached, and what failed."""

    groups: int = 0
    people: int = 0  # members of the groups reached that the platform counted
    counted: int = 0  # groups among `groups` with a member count
    subscribers: int = 0  # private chats of subscribers the run reached
    by_area: list[AreaReach] = field(default_factory=list)
    # Subscriptions now in the run's areas (with their descendants), by the area subscribed to.
    subscriptions: list[AreaSubscriptions] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)


def reach_of(session: Session, run: BroadcastRun) -> Reach:
    """The reach of one run, counted from its sent deliveries."""
    assert run.id is not None
    sent = (
        select(
            col(Area.code),
            col(Area.name),
            func.count(),
            func.sum(col(Chat.members)),
            func.count(col(Chat.members)),
        )
        .select_from(OutboxMessage)
        .join(
            Chat,
            and_(
                col(Chat.channel) == col(OutboxMessage.channel),
                col(Chat.chat_id) == col(OutboxMessage.chat_id),
            ),
        )
        .join(Area, col(Area.id) == col(Chat.area_id))
        .where(
            col(OutboxMessage.run_id) == run.id,
            col(OutboxMessage.status) == OutboxStatus.SENT.value,
            col(Chat.kind) == ChatKind.GROUP.value,
        )
        .group_by(col(Area.code), col(Area.name))
        .order_by(col(Area.code))
    )
    by_area = [
        AreaReach(code, name, int(groups), int(members or 0), int(counted))
        for code, name, groups, members, counted in session.execute(sent).all()
    ]
    subscribers = session.execute(
        select(func.count())
        .select_from(OutboxMessage)
        .join(
            Chat,
            and_(
                col(Chat.channel) == col(OutboxMessage.channel),
                col(Chat.chat_id) == col(OutboxMessage.chat_id),
            ),
        )
        .where(
            col(OutboxMessage.run_id) == run.id,
            col(OutboxMessage.status) == OutboxStatus.SENT.value,
            col(Chat.kind) == ChatKind.PRIVATE.value,
        )
    ).scalar_one()
    return Reach(
        groups=sum(a.groups for a in by_area),
        people=sum(a.members for a in by_area),
        counted=sum(a.counted for a in by_area),
        subscribers=int(subscribers),
        by_area=by_area,
        subscriptions=_subscriptions(session, run),
        failures=run_counts(session, run_id=run.id).failures,
    )


def _subscriptions(session: Session, run: BroadcastRun) -> list[AreaSubscriptions]:
    """Subscriptions in the run's areas now, by the area subscribed to, by its code."""
    broadcast = session.get(Broadcast, run.broadcast_id)
    if broadcast is None:
        return []
    audience = audience_of_broadcast(broadcast)
    try:
        ids = area_ids(session, audience)
    except UnknownAreas:  # an area of the broadcast was removed since
        return []
    counts: dict[int, int] = {}
    for area_id, _channel, n in subscriber_counts(session, ids, audience.channels):
        counts[area_id] = counts.get(area_id, 0) + n
    areas = session.scalars(select(Area).where(col(Area.id).in_(counts)).order_by(col(Area.code)))
    return [AreaSubscriptions(a.code, a.name, counts[a.id]) for a in areas if a.id is not None]
