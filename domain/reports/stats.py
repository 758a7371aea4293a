"""Statistics of reports for a period: counts by category, status and area, median times to claim and resolve."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from domain.reports.minutes import KINDS, median_of
from domain.reports.models import Category, Status
from domain.reports.periods import nearest_days
from domain.reports.pieces import Ends
from domain.reports.tally import Tally, days_tally, ends_tally


@dataclass(frozen=True, slots=True)
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


def report_stats(
    session: Session, *, area_id: int | None, since: datetime | None, until: datetime | None
) -> ReportStats:
    """Counts of the reports created in [since, until) of an area and its descendants, and medians.

    Time to claim runs from filing to a report's first claim ever (an unclaim keeps it); time
    to resolve to its resolution, over the reports resolved now. Both are kept on the report
    when they happen (`claim_minutes`, `resolve_minutes`); their medians are those of the
    times rounded to their bucket (domain/reports/minutes.py), read from the minute counts.
    The whole UTC days of the period are read from counts kept with every move; the reports
    of the pieces of days at its ends are read themselves and added in (domain/reports/tally.py).
    """
    whole = whole_days(session, area_id=area_id, since=since, until=until)
    return with_ends(session, whole, area_id=area_id, since=since, until=until)


def whole_days(
    session: Session, *, area_id: int | None, since: datetime | None, until: datetime | None
) -> Tally:
    """The part of a period's statistics read from counts: its whole UTC days.

    Periods with the same whole days (the last 30 days asked an hour apart) have the same.
    """
    days, _pieces = nearest_days(since, until)
    return Tally() if days is None else days_tally(session, area_id=area_id, days=days)


def with_ends(
    session: Session,
    whole: Tally,
    *,
    area_id: int | None,
    since: datetime | None,
    until: datetime | None,
) -> ReportStats:
    """A period's statistics: the tally of its whole days and the reports at its ends."""
    _days, pieces = nearest_days(since, until)
    if not pieces:
        return stats_of(whole)
    ends = Ends(pieces, whole.wide(session, area_id))
    return stats_of(whole + ends_tally(session, area_id=area_id, ends=ends, known=whole.names))


def stats_of(tally: Tally) -> ReportStats:
    """The statistics told by a period's tally."""
    categories, statuses = Counter(tally.categories), Counter(tally.statuses)
    by_category = {c.value: categories.pop(c.value, 0) for c in Category} | dict(categories)
    by_status = {s.value: statuses.pop(s.value, 0) for s in Status} | dict(statuses)
    by_area = [
        AreaCount(*tally.names.get(area, (None, None)), count)
        for area, count in tally.areas.items()
        if count
    ]
    (claimed, to_claim), (resolved, to_resolve) = (
        median_of(tally.buckets[kind].items()) for kind in KINDS
    )
    return ReportStats(
        total=sum(by_status.values()),
        by_category=by_category,
        by_status=by_status,
        by_area=tuple(sorted(by_area, key=lambda a: (-a.count, a.code or ""))),
        claimed=claimed,
        resolved=resolved,
        median_minutes_to_claim=to_claim,
        median_minutes_to_resolve=to_resolve,
    )
