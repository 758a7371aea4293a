"""The same figures everywhere: stats, /stats, /stats N and the chart equal a recount of reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session, col, select

from bot.triage.stats import CHART_MONTHS, count_figures, read_period
from core.db import Database
from domain.areas.models import Area
from domain.reports.chart import MonthCount, month_start, monthly_counts
from domain.reports.figures import count_mismatches
from domain.reports.minutes import bucket
from domain.reports.models import Category, Report, ReportEvent, Status
from domain.reports.open_counts import OPEN_STATUSES
from domain.reports.stats import AreaCount, ReportStats, report_stats
from domain.reports.triage import OPEN, Move, MoveRefused, Officer, allowed, apply_move
from tests.factories import make_area, make_report

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 7, 5, 17, tzinfo=UTC)
OFFICER = Officer(identity="telegram:880001", name="Hùng Trần", chat="telegram:-1001000000111")
# Sơn La with a ward, its hamlet and another ward; Hải Phòng apart; and no area at all.
AREAS = ["SL", "SL-TH", "SL-TH-T3", "SL-CA", "HP", None]
SCOPES = [None, "SL", "SL-TH", "HP"]
DAYS = 400  # histories reach back past a year, so /stats 366 and the chart see all of them


@dataclass(frozen=True)
class Filed:
    """A report of a random history: where, what, when, and the moves tried on it."""

    area: str | None
    category: str
    minutes_ago: int
    moves: list[tuple[Move, int]]  # a move and the minutes after the previous step


filings = st.builds(
    Filed,
    area=st.sampled_from(AREAS),
    category=st.sampled_from([c.value for c in Category]),
    minutes_ago=st.integers(min_value=0, max_value=DAYS * 24 * 60),
    moves=st.lists(
        st.tuples(st.sampled_from(list(Move)), st.integers(min_value=0, max_value=3 * 24 * 60)),
        max_size=6,
    ),
)


def build(session: Session, history: list[Filed]) -> None:
    """Areas, then the history's reports and every move allowed when it comes, up to NOW."""
    province = make_area(session, code="SL", kind="province")
    ward = make_area(session, code="SL-TH", parent=province)
    make_area(session, code="SL-TH-T3", kind="hamlet", parent=ward)
    make_area(session, code="SL-CA", parent=province)
    make_area(session, code="HP", kind="province")
    ids = {a.code: a.id for a in session.exec(select(Area))}
    first: Report | None = None
    for item in history:
        report = make_report(session, area_id=ids[item.area] if item.area else None)
        report.category = item.category
        report.created_at = report.updated_at = at = NOW - timedelta(minutes=item.minutes_ago)
        session.add(report)
        session.flush()
        first = first or report
        for what, after in item.moves:
            at += timedelta(minutes=after)
            if at > NOW or not allowed(report, what):
                continue
            other = next(code for code in ("SL-CA", "HP") if ids[code] != report.area_id)
            try:
                apply_move(
                    session,
                    report=report,
                    move=what,
                    officer=OFFICER,
                    reason="Đã xử lý",
                    duplicate_of=first,
                    area_id=ids[other],
                    now=at,
                )
            except MoveRefused:
                continue  # a duplicate of itself: refused, as an officer would see
            session.flush()


def in_scope(session: Session, scope: str | None) -> list[Report]:
    """Every report of an area and its descendants (of everywhere when None)."""
    areas = {a.id: a for a in session.exec(select(Area))}

    def within(area_id: int | None) -> bool:
        while area_id is not None:
            if areas[area_id].code == scope:
                return True
            area_id = areas[area_id].parent_id
        return False

    return [r for r in session.exec(select(Report)) if scope is None or within(r.area_id)]


def recounted(
    session: Session, *, scope: str | None, since: datetime | None, until: datetime | None
) -> ReportStats:
    """The statistics counted the slow way: every report and its timeline read into Python."""
    areas = {a.id: a for a in session.exec(select(Area))}
    claims: dict[int, datetime] = {}
    for report_id, at in session.exec(
        select(ReportEvent.report_id, ReportEvent.at).where(col(ReportEvent.kind) == "claim")
    ):
        claims[report_id] = min(at, claims.get(report_id, at))
    chosen = [
        r
        for r in in_scope(session, scope)
        if (since is None or r.created_at >= since) and (until is None or r.created_at < until)
    ]
    # The published median is that of the times rounded to their bucket.
    to_claim = [
        bucket((claims[r.id] - r.created_at).total_seconds() / 60)
        for r in chosen
        if r.id is not None and r.id in claims
    ]
    to_resolve = [
        bucket((r.closed_at - r.created_at).total_seconds() / 60)
        for r in chosen
        if r.status == Status.RESOLVED.value and r.closed_at is not None
    ]
    by_area = Counter(r.area_id for r in chosen)
    return ReportStats(
        total=len(chosen),
        by_category={c.value: sum(r.category == c for r in chosen) for c in Category},
        by_status={s.value: sum(r.status == s for r in chosen) for s in Status},
        by_area=tuple(
            sorted(
                (
                    AreaCount(
                        code=areas[a].code if a else None,
                        name=areas[a].name if a else None,
                        count=n,
                    )
                    for a, n in by_area.items()
                ),
                key=lambda a: (-a.count, a.code or ""),
            )
        ),
        claimed=len(to_claim),
        resolved=len(to_resolve),
        median_minutes_to_claim=float(median(to_claim)) if to_claim else None,
        median_minutes_to_resolve=float(median(to_resolve)) if to_resolve else None,
    )


def months_recounted(session: Session, *, scope: str | None) -> list[MonthCount]:
    """The chart counted the slow way: filed by created_at, resolved by closed_at."""
    starts = [month_start(NOW, zone=ZONE, shift=-n) for n in range(CHART_MONTHS - 1, -1, -1)]
    ends = [*starts[1:], NOW]
    reports = in_scope(session, scope)
    return [
        MonthCount(
            month_start=start,
            filed=sum(start <= r.created_at < end for r in reports),
            resolved=sum(
                r.status == Status.RESOLVED.value
                and r.closed_at is not None
                and start <= r.closed_at < end
                for r in reports
            ),
        )
        for start, end in zip(starts, ends, strict=True)
    ]


def area_id_of(session: Session, code: str | None) -> int | None:
    """The id of an area by its code (None for everywhere)."""
    if code is None:
        return None
    return session.exec(select(Area.id).where(col(Area.code) == code)).one()


def wipe(db: Database) -> None:
    """An empty history for the next example."""
    with db.session() as session:
        for table in (
            "report_events",
            "reports",
            "report_daily_counts",
            "report_minute_counts",
            "report_open_counts",
            "report_month_counts",
            "report_area_totals",
        ):
            session.execute(text(f"DELETE FROM {table}"))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=st.lists(filings, max_size=14),
    scope=st.sampled_from(SCOPES),
    days=st.integers(min_value=1, max_value=366),
    period=st.tuples(
        st.integers(min_value=0, max_value=DAYS * 24 * 60),
        st.integers(min_value=0, max_value=DAYS * 24 * 60),
    ),
)
def test_stats_stats_days_and_the_chart_equal_a_recount_of_random_histories(
    db: Database, history: list[Filed], scope: str | None, days: int, period: tuple[int, int]
) -> None:
    wipe(db)
    with db.session() as session:
        build(session, history)
    with db.reading() as session:
        area_id = area_id_of(session, scope)
        assert count_mismatches(session.connection()) == []
        # The API's own call, over a random period and over all time.
        late, early = sorted(period)
        since, until = NOW - timedelta(minutes=early), NOW - timedelta(minutes=late)
        for start, end in ((until, since), (None, None), (until, None), (None, since)):
            found = report_stats(session, area_id=area_id, since=start, until=end)
            assert found == recounted(session, scope=scope, since=start, until=end)
        # /stats (this month so far) and /stats N, as the chat command counts them.
        for words in ("", str(days)):
            shown = read_period(words, now=NOW, zone=ZONE, _=str)
            assert shown is not None
            figures = count_figures(session, area_id=area_id, words=words, now=NOW, zone=ZONE)
            expected = recounted(session, scope=scope, since=shown.since, until=shown.until)
            assert figures == expected
        chart = count_figures(session, area_id=area_id, words="chart", now=NOW, zone=ZONE)
        assert chart == tuple(
            monthly_counts(session, area_id=area_id, months=CHART_MONTHS, until=NOW, zone=ZONE)
        )
        assert list(chart) == months_recounted(session, scope=scope)


def test_times_round_to_the_minute_five_minutes_and_the_hour_as_shown() -> None:
    assert [bucket(m) for m in (-3, 0.4, 0.5, 44.6, 59.4)] == [0, 0, 1, 45, 59]
    assert [bucket(m) for m in (59.6, 62.4, 62.5, 97, 1437.4)] == [60, 60, 65, 95, 1435]
    assert [bucket(m) for m in (1437.5, 1469.4, 1470, 2880)] == [1440, 1440, 1500, 2880]


def test_moving_an_area_moves_its_reports_minutes_to_the_areas_above(db: Database) -> None:
    wipe(db)
    with db.session() as session:
        build(session, [Filed("SL-TH-T3", "theft", 600, [(Move.CLAIM, 25)])])
    with db.session() as session:
        ward = session.exec(select(Area).where(col(Area.code) == "SL-TH")).one()
        ward.parent_id = session.exec(select(Area.id).where(col(Area.code) == "HP")).one()
        session.add(ward)
    with db.reading() as session:
        assert count_mismatches(session.connection()) == []
        moved = report_stats(session, area_id=area_id_of(session, "HP"), since=None, until=None)
        left = report_stats(session, area_id=area_id_of(session, "SL"), since=None, until=None)
    assert (moved.claimed, moved.median_minutes_to_claim) == (1, 25.0)
    assert (left.claimed, left.median_minutes_to_claim) == (0, None)


def test_the_open_counts_count_the_statuses_triage_calls_open() -> None:
    assert sorted(s.value for s in OPEN) == OPEN_STATUSES


def test_the_list_of_areas_follows_reports_moved_to_another_area_or_deleted(db: Database) -> None:
    wipe(db)
    old = 3 * 24 * 60  # three days ago: the hamlet has running totals on later days too
    with db.session() as session:
        build(
            session,
            [
                Filed("SL-TH-T3", "theft", old, []),
                Filed("SL-TH-T3", "drugs", old - 60, []),
                Filed("SL-TH-T3", "fire", 24 * 60, []),
                Filed("SL-CA", "fraud", 600, []),
            ],
        )
    with db.session() as session:
        reports = session.exec(select(Report).order_by(col(Report.id))).all()
        reports[0].area_id = area_id_of(session, "SL-CA")  # an admin's correction, days later
        session.add(reports[0])
        session.delete(reports[1])
    with db.reading() as session:
        assert count_mismatches(session.connection()) == []
        found = report_stats(session, area_id=area_id_of(session, "SL"), since=None, until=None)
        two_days = report_stats(
            session,
            area_id=area_id_of(session, "SL"),
            since=NOW - timedelta(days=2),
            until=NOW,
        )
    assert [(a.code, a.count) for a in found.by_area] == [("SL-CA", 2), ("SL-TH-T3", 1)]
    assert [(a.code, a.count) for a in two_days.by_area] == [("SL-CA", 1), ("SL-TH-T3", 1)]
