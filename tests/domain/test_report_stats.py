"""Statistics of reports: counts by category, status and area, medians, and months."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from core.db import Database, utcnow
from domain.areas.models import Area
from domain.areas.service import get_area
from domain.reports.chart import month_bounds, monthly_counts
from domain.reports.models import Report
from domain.reports.stats import AreaCount, report_stats
from domain.reports.triage import Move, Officer, apply_move
from tests.factories import make_area, make_report

OFFICER = Officer(identity="telegram:880001", name="Hùng Trần", chat="telegram:-1001000000111")
T0 = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def filed(session: Session, area: Area, category: str, at: datetime) -> Report:
    """A report of an area, as if filed at a given time."""
    report = make_report(
        session,
        category=category,
        area_id=area.id,
        text=f"{category} at {at.isoformat()}",
    )
    report.created_at = report.updated_at = at
    session.add(report)
    session.flush()
    return report


def move(session: Session, report: Report, what: Move, at: datetime | None) -> None:
    """An officer's move at a given time (now when None)."""
    reason = "Đã xác minh, xử lý" if what in (Move.RESOLVE, Move.REJECT) else None
    apply_move(session, report=report, move=what, officer=OFFICER, reason=reason, now=at)


@pytest.fixture
def wards(db: Database) -> Database:
    """Sơn La (SL) with Tô Hiệu (SL-TH, with tổ 3) and Chiềng An; Hải Phòng (HP) apart.

    Six reports: four in Sơn La's window, one in Hải Phòng, one filed 40 days before.
    """
    with db.session() as session:
        province = make_area(session, code="SL", name="Sơn La", kind="province")
        ward = make_area(session, code="SL-TH", name="Tô Hiệu", parent=province)
        hamlet = make_area(session, code="SL-TH-T3", name="Tổ 3", kind="hamlet", parent=ward)
        other = make_area(session, code="SL-CA", name="Chiềng An", parent=province)
        far = make_area(session, code="HP", name="Hải Phòng", kind="province")

        drugs = filed(session, ward, "drugs", T0)
        move(session, drugs, Move.CLAIM, T0 + timedelta(minutes=10))
        move(session, drugs, Move.RESOLVE, T0 + timedelta(days=2))

        theft = filed(session, hamlet, "theft", T0 + timedelta(hours=1))
        move(session, theft, Move.CLAIM, T0 + timedelta(hours=1, minutes=30))

        bike = filed(session, other, "theft", T0 + timedelta(hours=2))
        move(session, bike, Move.CLAIM, T0 + timedelta(hours=2, minutes=50))
        move(session, bike, Move.RESOLVE, T0 + timedelta(days=1, hours=2))

        noise = filed(session, other, "other", T0 + timedelta(hours=3))
        move(session, noise, Move.REJECT, T0 + timedelta(hours=3, minutes=5))

        filed(session, far, "fire", T0)
        filed(session, ward, "fraud", T0 - timedelta(days=40))
    return db


def area_id(db: Database, code: str) -> int:
    """The id of an area by its code."""
    with db.reading() as session:
        found = get_area(session, code=code)
        assert found is not None and found.id is not None
        return found.id


def test_report_stats_count_by_category_status_and_area_within_the_area_and_period(
    wards: Database,
) -> None:
    with wards.reading() as session:
        stats = report_stats(
            session,
            area_id=area_id(wards, "SL"),
            since=T0 - timedelta(days=1),
            until=T0 + timedelta(days=10),
        )
    assert stats.total == 4
    assert {k: v for k, v in stats.by_category.items() if v} == {"drugs": 1, "theft": 2, "other": 1}
    assert stats.by_category["fire"] == 0 and len(stats.by_category) == 9
    assert {k: v for k, v in stats.by_status.items() if v} == {
        "resolved": 2,
        "in_progress": 1,
        "rejected": 1,
    }
    assert stats.by_area == (
        AreaCount(code="SL-CA", name="Chiềng An", count=2),
        AreaCount(code="SL-TH", name="Tô Hiệu", count=1),
        AreaCount(code="SL-TH-T3", name="Tổ 3", count=1),
    )


def test_report_stats_medians_to_claim_and_to_resolve(wards: Database) -> None:
    with wards.reading() as session:
        stats = report_stats(
            session,
            area_id=area_id(wards, "SL"),
            since=T0 - timedelta(days=1),
            until=T0 + timedelta(days=10),
        )
    # Claimed after 10, 30 and 50 minutes; the rejected report was never claimed.
    assert (stats.claimed, stats.median_minutes_to_claim) == (3, 30)
    # Resolved after two days and after one day.
    assert (stats.resolved, stats.median_minutes_to_resolve) == (2, 1.5 * 24 * 60)


def test_report_stats_area_filter_takes_descendants_and_no_filter_takes_all(
    wards: Database,
) -> None:
    with wards.reading() as session:
        ward = report_stats(session, area_id=area_id(wards, "SL-TH"), since=None, until=None)
        everything = report_stats(session, area_id=None, since=None, until=None)
        later = report_stats(session, area_id=None, since=T0 + timedelta(hours=2), until=None)
    assert (ward.total, ward.by_category["fraud"], ward.by_category["theft"]) == (3, 1, 1)
    assert everything.total == 6 and everything.by_category["fire"] == 1
    assert everything.by_status["new"] == 2
    assert later.total == 2  # since is inclusive: the report filed at T0 + 2h counts


def test_report_stats_without_reports_has_no_medians(wards: Database) -> None:
    with wards.reading() as session:
        stats = report_stats(
            session, area_id=None, since=T0 + timedelta(days=300), until=T0 + timedelta(days=301)
        )
    assert (stats.total, stats.by_area, stats.claimed, stats.resolved) == (0, (), 0, 0)
    assert stats.median_minutes_to_claim is None and stats.median_minutes_to_resolve is None
    assert set(stats.by_status.values()) == {0}


def test_report_stats_time_to_claim_counts_the_first_claim_even_when_undone(db: Database) -> None:
    start = utcnow() - timedelta(minutes=90)
    with db.session() as session:
        ward = make_area(session, code="W")
        dropped = filed(session, ward, "theft", start)
        move(session, dropped, Move.CLAIM, None)
        move(session, dropped, Move.UNCLAIM, None)  # claimed_at is cleared
        again = filed(session, ward, "drugs", start)
        move(session, again, Move.CLAIM, None)
        move(session, again, Move.UNCLAIM, None)
        move(session, again, Move.CLAIM, utcnow() + timedelta(hours=1))
    with db.reading() as session:
        stats = report_stats(session, area_id=None, since=None, until=None)
    assert stats.claimed == 2
    assert stats.median_minutes_to_claim is not None
    assert 89 <= stats.median_minutes_to_claim <= 92


def test_monthly_counts_bucket_by_local_month_filed_and_resolved(db: Database) -> None:
    with db.session() as session:
        province = make_area(session, code="SL", kind="province")
        ward = make_area(session, code="SL-TH", parent=province)
        far = make_area(session, code="HP", kind="province")
        # 1 October, 01:30 in Hà Nội, is still 30 September in UTC: October's.
        first_of_october = filed(session, ward, "theft", datetime(2026, 9, 30, 18, 30, tzinfo=UTC))
        move(session, first_of_october, Move.CLAIM, datetime(2026, 10, 2, tzinfo=UTC))
        move(session, first_of_october, Move.RESOLVE, datetime(2026, 11, 3, tzinfo=UTC))
        filed(session, ward, "drugs", datetime(2026, 9, 30, 16, 30, tzinfo=UTC))  # September
        filed(session, ward, "drugs", datetime(2026, 11, 2, tzinfo=UTC))
        rejected = filed(session, ward, "fraud", datetime(2026, 11, 2, tzinfo=UTC))
        move(session, rejected, Move.REJECT, datetime(2026, 11, 3, tzinfo=UTC))
        filed(session, far, "fire", datetime(2026, 10, 9, tzinfo=UTC))
        filed(session, ward, "other", datetime(2026, 11, 20, tzinfo=UTC))  # after until
    until = datetime(2026, 11, 15, 12, tzinfo=ZONE)
    with db.reading() as session:
        sl = monthly_counts(session, area_id=area_id(db, "SL"), months=4, until=until, zone=ZONE)
        everywhere = monthly_counts(session, area_id=None, months=2, until=until, zone=ZONE)
    assert [(m.month_start.month, m.filed, m.resolved) for m in sl] == [
        (8, 0, 0),
        (9, 1, 0),
        (10, 1, 0),
        (11, 2, 1),
    ]
    assert sl[0].month_start == datetime(2026, 8, 1, tzinfo=ZONE)
    assert [(m.month_start.month, m.filed, m.resolved) for m in everywhere] == [
        (10, 2, 0),
        (11, 2, 1),
    ]


def test_month_bounds_run_from_local_midnight_to_the_next_month_across_a_year() -> None:
    start, end = month_bounds(2026, 12, zone=ZONE)
    assert start == datetime(2026, 11, 30, 17, tzinfo=UTC)
    assert end == datetime(2026, 12, 31, 17, tzinfo=UTC)
