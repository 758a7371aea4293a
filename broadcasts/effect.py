"""Did reports change after a run? Its category's reports in the 14 days before and after, in
the areas it targeted and, as the baseline, in the areas it did not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlmodel import Session, col

from broadcasts.contents.service import find_content
from broadcasts.models import Broadcast, BroadcastRun
from broadcasts.plans import audience_of_broadcast
from broadcasts.targets import UnknownAreas, area_ids
from core.db import utcnow
from domain.areas.service import subtree
from domain.reports.models import Category, Report

# A library message's tags that name a report category.
TAG_CATEGORIES = {
    "scam": Category.FRAUD.value,
    "fraud": Category.FRAUD.value,
    "fire": Category.FIRE.value,
    "drugs": Category.DRUGS.value,
}
WINDOW = timedelta(days=14)
# Below 10 reports on either side, one report more or less moves a percentage by 10 points or
# more: such a change says nothing about the broadcast, so none is shown.
MIN_REPORTS = 10


@dataclass(frozen=True)
class Change:
    """Reports of one side (targeted, or not) in the window before and the window after."""

    before: int
    after: int

    @property
    def percent(self) -> float | None:
        """The change in percent, or None when too few reports make it meaningless."""
        if self.before < MIN_REPORTS or self.after < MIN_REPORTS:
            return None
        return round(100.0 * (self.after - self.before) / self.before, 1)


@dataclass(frozen=True)
class Effect:
    """The reports of a run's category around its start, targeted and not (None: every area)."""

    category: str
    start: datetime
    targeted: Change
    elsewhere: Change | None  # no baseline when the run went to every area
    complete: bool  # whether the 14 days after have passed


def category_of(session: Session, broadcast: Broadcast) -> str | None:
    """The report category the broadcast's library message is about, by its tags, if any."""
    if broadcast.content_key is None:
        return None
    message = find_content(session, key=broadcast.content_key)
    if message is None:
        return None
    found = [TAG_CATEGORIES[tag] for tag in message.tags if tag in TAG_CATEGORIES]
    return found[0] if found else None


def effect_of(session: Session, run: BroadcastRun, *, now: datetime | None = None) -> Effect | None:
    """The reports of the run's category before and after it, counted in SQL; None when the
    run's message has no such category or the run never started."""
    broadcast = session.get(Broadcast, run.broadcast_id)
    start = run.started_at
    if broadcast is None or start is None:
        return None
    category = category_of(session, broadcast)
    if category is None:
        return None
    try:
        ids = area_ids(session, audience_of_broadcast(broadcast))
    except UnknownAreas:
        return None
    after = col(Report.created_at) >= start
    if ids is None:
        targeted = col(Report.area_id).is_not(None)
        elsewhere = None
    else:
        inside = col(Report.area_id).in_(select(subtree(*ids).c.id))
        targeted = inside
        elsewhere = and_(col(Report.area_id).is_not(None), ~inside)

    def tally(where: object, later: bool) -> object:
        side = after if later else ~after
        return func.coalesce(func.sum(case((and_(where, side), 1), else_=0)), 0)  # type: ignore[arg-type]

    columns = [tally(targeted, False), tally(targeted, True)]
    if elsewhere is not None:
        columns += [tally(elsewhere, False), tally(elsewhere, True)]
    row = session.execute(
        select(*columns).where(  # type: ignore[call-overload]
            col(Report.category) == category,
            col(Report.created_at) >= start - WINDOW,
            col(Report.created_at) < start + WINDOW,
        )
    ).one()
    counts = [int(n) for n in row]
    return Effect(
        category=category,
        start=start,
        targeted=Change(counts[0], counts[1]),
        elsewhere=Change(counts[2], counts[3]) if elsewhere is not None else None,
        complete=(now or utcnow()) >= start + WINDOW,
    )
