"""Who a broadcast reaches: the community groups of its areas, found when a run starts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Select, func, insert, literal, select
from sqlmodel import Session, col

from core.db import UTCDateTime, utcnow
from domain.areas.models import Area
from domain.areas.service import subtree
from domain.chats.models import Chat, ChatKind, LinkRole
from domain.outbox.messages import MessageKind, Outgoing
from domain.outbox.models import Lane, OutboxMessage, OutboxStatus
from domain.subscriptions.models import Subscription
from domain.subscriptions.service import reachable_subscribers

ALL = "all"


class UnknownAreas(LookupError):
    """Some area codes of a broadcast name no area."""

    def __init__(self, codes: Sequence[str]) -> None:
        super().__init__(", ".join(codes))
        self.codes = list(codes)


@dataclass(frozen=True)
class Audience:
    """The areas (None: every area) and channels (None: every channel) a broadcast reaches."""

    area_codes: tuple[str, ...] | None
    channels: tuple[str, ...] | None


@dataclass(frozen=True)
class TargetCount:
    """How many groups and subscribers one named area (or, for `all`, one province) has on one
    channel."""

    area_code: str
    area_name: str
    channel: str
    groups: int
    subscribers: int = 0


def area_ids(session: Session, audience: Audience) -> list[int] | None:
    """The ids of the audience's named areas (None for every area); UnknownAreas if any is not."""
    if audience.area_codes is None:
        return None
    found = dict(
        session.execute(
            select(col(Area.code), col(Area.id)).where(col(Area.code).in_(audience.area_codes))
        ).all()
    )
    missing = [code for code in audience.area_codes if code not in found]
    if missing:
        raise UnknownAreas(missing)
    return [found[code] for code in audience.area_codes]


def _groups(ids: Sequence[int] | None, channels: Sequence[str] | None) -> Select[int | None]:
    """The community groups that receive broadcasts, within the areas and channels given."""
    query = select(col(Chat.id)).where(
        col(Chat.role) == LinkRole.COMMUNITY.value,
        col(Chat.kind) == ChatKind.GROUP.value,
        col(Chat.active).is_(True),
        col(Chat.area_id).is_not(None),
    )
    if ids is not None:
        query = query.where(col(Chat.area_id).in_(select(subtree(*ids).c.id)))
    if channels is not None:
        query = query.where(col(Chat.channel).in_(channels))
    return query


def count_targets(
    session: Session, audience: Audience, *, now: datetime | None = None
) -> list[TargetCount]:
    """The target groups and subscribers by named area (by province for `all`) and channel."""
    now = now or utcnow()
    ids = area_ids(session, audience)
    tally: Counter[tuple[int, str, str]] = Counter()
    if ids is not None:
        for area_id in ids:
            tally.update(_per_channel(session, area_id, audience.channels, now))
    else:
        tally.update(_per_province(session, audience.channels, now))
    if not tally:
        return []
    areas = {
        area.id: area
        for area in session.scalars(select(Area).where(col(Area.id).in_({a for a, _, _ in tally})))
    }
    counts: dict[tuple[int, str], TargetCount] = {}
    for (area_id, channel, what), n in tally.items():
        area = areas[area_id]
        count = counts.get((area_id, channel)) or TargetCount(area.code, area.name, channel, 0)
        counts[(area_id, channel)] = (
            replace(count, groups=n) if what == "groups" else replace(count, subscribers=n)
        )
    # Named areas in the order they were named; provinces (for `all`) by code.
    order = {area_id: n for n, area_id in enumerate(ids or [])}
    return [
        counts[key]
        for key in sorted(counts, key=lambda k: (order.get(k[0], 0), areas[k[0]].code, k[1]))
    ]


def _per_channel(
    session: Session, area_id: int, channels: Sequence[str] | None, now: datetime
) -> Counter[tuple[int, str, str]]:
    """Groups and subscribers (each counted once) in the area and below, by channel."""
    tally: Counter[tuple[int, str, str]] = Counter()
    groups = session.execute(
        select(col(Chat.channel), func.count())
        .where(col(Chat.id).in_(_groups([area_id], channels)))
        .group_by(col(Chat.channel))
    ).all()
    people = session.execute(
        select(col(Chat.channel), func.count())
        .where(col(Chat.id).in_(reachable_subscribers([area_id], channels, now=now)))
        .group_by(col(Chat.channel))
    ).all()
    for channel, n in groups:
        tally[(area_id, channel, "groups")] += n
    for channel, n in people:
        tally[(area_id, channel, "subscribers")] += n
    return tally


def _per_province(
    session: Session, channels: Sequence[str] | None, now: datetime
) -> Counter[tuple[int, str, str]]:
    """Every group and subscriber, by the province of its area and channel."""
    by_area = session.execute(
        select(col(Chat.area_id), col(Chat.channel), func.count())
        .where(col(Chat.id).in_(_groups(None, channels)))
        .group_by(col(Chat.area_id), col(Chat.channel))
    ).all()
    subscribed = session.execute(
        select(col(Subscription.area_id), col(Chat.channel), col(Subscription.chat_ref))
        .join(Chat, col(Chat.id) == col(Subscription.chat_ref))
        .where(col(Subscription.chat_ref).in_(reachable_subscribers(None, channels, now=now)))
    ).all()
    if not by_area and not subscribed:
        return Counter()
    parents: dict[int, int | None] = dict(
        session.execute(select(col(Area.id), col(Area.parent_id))).all()
    )
    tally: Counter[tuple[int, str, str]] = Counter()
    for area_id, channel, n in by_area:
        tally[(_root(parents, area_id), channel, "groups")] += n
    # A subscriber of two areas of one province is one person to write to.
    people = {(_root(parents, area_id), channel, chat) for area_id, channel, chat in subscribed}
    for root, channel, _chat in people:
        tally[(root, channel, "subscribers")] += 1
    return tally


def _root(parents: dict[int, int | None], area_id: int) -> int:
    """The province above an area (the top of its tree)."""
    seen = {area_id}
    while (parent := parents.get(area_id)) is not None and parent not in seen:
        seen.add(parent)
        area_id = parent
    return area_id


def write_deliveries(
    session: Session,
    *,
    run_id: int,
    audience: Audience,
    text: str,
    urgent: bool,
    now: datetime,
) -> int:
    """One outbox row per target group and per subscriber's private chat; how many were written."""
    ids = area_ids(session, audience)
    body = Outgoing(text=text).to_json()
    lane = Lane.URGENT if urgent else Lane.BULK
    # INSERT ... SELECT: 100,000 groups never pass through Python, one by one.
    rows = select(
        literal(int(lane)),
        col(Chat.channel),
        col(Chat.chat_id),
        literal(MessageKind.TEXT.value),
        literal(body),
        literal(OutboxStatus.PENDING.value),
        literal(0),
        literal(now, UTCDateTime),
        literal(run_id),
    )
    columns = [
        "lane",
        "channel",
        "chat_id",
        "kind",
        "body",
        "status",
        "attempts",
        "created_at",
        "run_id",
    ]
    insert_rows = insert(OutboxMessage).from_select
    groups = _groups(ids, audience.channels)
    session.execute(insert_rows(columns, rows.where(col(Chat.id).in_(groups))))
    # A subscriber of several targeted areas is one chat: it gets the run's text once.
    subscribers = reachable_subscribers(ids, audience.channels, now=now)
    session.execute(insert_rows(columns, rows.where(col(Chat.id).in_(subscribers))))
    # SQLite's driver gives no row count for INSERT ... SELECT: count them by the run's index.
    written = session.execute(
        select(func.count()).where(col(OutboxMessage.run_id) == run_id)
    ).scalar_one()
    return int(written)
