"""Who a broadcast reaches: the community groups of its areas, found when a run starts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, insert, literal, select
from sqlmodel import Session, col

from core.db import UTCDateTime
from domain.areas.models import Area
from domain.areas.service import subtree
from domain.chats.models import Chat, ChatKind, LinkRole
from domain.outbox.messages import MessageKind, Outgoing
from domain.outbox.models import Lane, OutboxMessage, OutboxStatus

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
    """How many groups one named area (or, for `all`, one province) has on one channel."""

    area_code: str
    area_name: str
    channel: str
    groups: int


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


def count_targets(session: Session, audience: Audience) -> list[TargetCount]:
    """The target groups by named area (by province for `all`) and channel, as of now."""
    ids = area_ids(session, audience)
    counts: list[TargetCount] = []
    if ids is not None:
        areas = {
            area.id: area for area in session.scalars(select(Area).where(col(Area.id).in_(ids)))
        }
        for area_id in ids:
            rows = session.execute(
                select(col(Chat.channel), func.count())
                .where(col(Chat.id).in_(_groups([area_id], audience.channels)))
                .group_by(col(Chat.channel))
                .order_by(col(Chat.channel))
            ).all()
            area = areas[area_id]
            counts += [TargetCount(area.code, area.name, ch, n) for ch, n in rows]
        return counts
    by_area = session.execute(
        select(col(Chat.area_id), col(Chat.channel), func.count())
        .where(col(Chat.id).in_(_groups(None, audience.channels)))
        .group_by(col(Chat.area_id), col(Chat.channel))
    ).all()
    if not by_area:
        return []
    parents: dict[int, int | None] = dict(
        session.execute(select(col(Area.id), col(Area.parent_id))).all()
    )
    tally: Counter[tuple[int, str]] = Counter()
    for area_id, channel, n in by_area:
        tally[(_root(parents, area_id), channel)] += n
    roots = {
        area.id: area
        for area in session.scalars(select(Area).where(col(Area.id).in_({r for r, _ in tally})))
    }
    return sorted(
        (TargetCount(roots[r].code, roots[r].name, ch, n) for (r, ch), n in tally.items()),
        key=lambda count: (count.area_code, count.channel),
    )


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
    """One outbox row per target group, written by one statement; how many were written."""
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
    ).where(col(Chat.id).in_(_groups(ids, audience.channels)))
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
    session.execute(insert(OutboxMessage).from_select(columns, rows))
    # SQLite's driver gives no row count for INSERT ... SELECT: count them by the run's index.
    written = session.execute(
        select(func.count()).where(col(OutboxMessage.run_id) == run_id)
    ).scalar_one()
    return int(written)
