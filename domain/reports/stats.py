"""Statistics of reports for a period: counts, median times to claim and resolve, months."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, tzinfo
from statistics import median
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from domain.areas.models import Area
from domain.areas.service import subtree
from domain.reports.models import Category, Report, ReportEvent, Status


@dataclass(frozen=True)
class AreaCount:
    """How many reports of a period carry one area; code and name are None for no area."""

    code: str | None
    name: str | None
    count: int


@dataclass(frozen=True)
class ReportStats:
    """Reports created in a period, counted, and how fast the police answered them."""

    total: int
    by_category: dict[str, int]  # every category, zero included
    by_status: dict[str, int]  # every status, zero included
    by_area: tuple[AreaCount, ...]  # most reports first
    claimed: int  # reports ever claimed: the sample of the claim median
    resolved: int  # reports resolved now: the sample of the resolve median
    median_minutes_to_claim: float | None
    median_minutes_to_resolve: float | None


@dataclass(frozen=True)
class MonthCount:
    """One bar pair of the chart: reports filed in a month, and reports resolved in it."""

    month_start: datetime  # midnight of the 1st, in the zone asked for
    filed: int
    resolved: int


def _scoped(
    query: Any, *, area_id: int | None, since: datetime | None, until: datetime | None
) -> Any:
    if area_id is not None:
        query = query.where(col(Report.area_id).in_(select(subtree(area_id).c.id)))
    if since is not None:
        query = query.where(col(Report.created_at) >= since)
    if until is not None:
        query = query.where(col(Report.created_at) < until)
    return query


def _minutes(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 60


def report_stats(
    session: Session, *, area_id: int | None, since: datetime | None, until: datetime | None
) -> ReportStats:
    """Counts of the reports created in [since, until) of an area and its descendants, and medians.

    Time to claim runs to a report's first claim. An unclaim, a transfer or a reopen clears
    `claimed_at`, so the first claim is read from the timeline as well: the earlier of the
    first "claim" event and `claimed_at` (the two agree unless a claim was undone). Time to
    resolve runs to `closed_at`, over the reports whose status is resolved now.
    """

    def counted(column: Any) -> dict[str, int]:
        query = _scoped(
            select(column, func.count()).select_from(Report).group_by(column),
            area_id=area_id,
            since=since,
            until=until,
        )
        return {str(key): int(n) for key, n in session.exec(query).all()}

    categories = counted(col(Report.category))
    statuses = counted(col(Report.status))
    by_category = {c.value: categories.pop(c.value, 0) for c in Category} | categories
    by_status = {s.value: statuses.pop(s.value, 0) for s in Status} | statuses

    areas = _scoped(
        select(Area.code, Area.name, func.count())
        .select_from(Report)
        .outerjoin(Area, col(Area.id) == col(Report.area_id))
        .group_by(col(Area.code), col(Area.name)),
        area_id=area_id,
        since=since,
        until=until,
    )
    by_area = sorted(
        (AreaCount(code=code, name=name, count=int(n)) for code, name, n in session.exec(areas)),
        key=lambda a: (-a.count, a.code or ""),
    )

    first_claim = (
        select(func.min(col(ReportEvent.at)))
        .where(col(ReportEvent.report_id) == col(Report.id), col(ReportEvent.kind) == "claim")
        .correlate(Report)
        .scalar_subquery()
    )
    resolved_at = case((col(Report.status) == Status.RESOLVED.value, col(Report.closed_at)))
    times = _scoped(
        select(Report.created_at, Report.claimed_at, first_claim, resolved_at),
        area_id=area_id,
        since=since,
        until=until,
    )
    to_claim: list[float] = []
    to_resolve: list[float] = []
    for created, claimed, claim_event, resolved in session.exec(times).all():
        firsts = [t for t in (claimed, claim_event) if t is not None]
        if firsts:
            to_claim.append(_minutes(min(firsts), created))
        if resolved is not None:
            to_resolve.append(_minutes(resolved, created))
    return ReportStats(
        total=sum(by_status.values()),
        by_category=by_category,
        by_status=by_status,
        by_area=tuple(by_area),
        claimed=len(to_claim),
        resolved=len(to_resolve),
        median_minutes_to_claim=median(to_claim) if to_claim else None,
        median_minutes_to_resolve=median(to_resolve) if to_resolve else None,
    )


def month_start(moment: datetime, *, zone: tzinfo, shift: int = 0) -> datetime:
    """Midnight of the 1st of the month of a moment in a zone, moved by `shift` months."""
    local = moment.astimezone(zone)
    index = local.year * 12 + local.month - 1 + shift
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=zone)


def monthly_counts(
    session: Session, *, area_id: int | None, months: int, until: datetime, zone: tzinfo
) -> list[MonthCount]:
    """Reports filed and reports resolved in each of the `months` months up to `until`, oldest first.

    Months are those of the zone people live in; the last one runs only up to `until`. A report
    counts as resolved in the month of its `closed_at` if its status is resolved now.
    """
    starts = [month_start(until, zone=zone, shift=-n) for n in range(months - 1, -1, -1)]
    first = starts[0]
    filed_query = select(Report.created_at).where(
        col(Report.created_at) >= first, col(Report.created_at) < until
    )
    resolved_query = select(Report.closed_at).where(
        col(Report.status) == Status.RESOLVED.value,
        col(Report.closed_at) >= first,
        col(Report.closed_at) < until,
    )
    if area_id is not None:
        within = col(Report.area_id).in_(select(subtree(area_id).c.id))
        filed_query, resolved_query = filed_query.where(within), resolved_query.where(within)

    def bucket(moment: datetime | None) -> datetime | None:
        return None if moment is None else month_start(moment, zone=zone)

    filed = Counter(bucket(t) for t in session.exec(filed_query).all())
    resolved = Counter(bucket(t) for t in session.exec(resolved_query).all())
    return [MonthCount(month_start=s, filed=filed[s], resolved=resolved[s]) for s in starts]


def month_bounds(year: int, month: int, *, zone: tzinfo) -> tuple[datetime, datetime]:
    """The first moment of a month in a zone, and the first of the next."""
    start = datetime(year, month, 1, tzinfo=zone)
    return start, month_start(start, zone=zone, shift=1)
