"""Statistics of an area with many below it (a province): its reports found by time, not by area."""

from __future__ import annotations

from datetime import UTC, datetime

from core.db import Database
from domain.reports.chart import monthly_counts
from domain.reports.pieces import WIDE
from domain.reports.stats import AreaCount, report_stats
from domain.reports.triage import Move
from tests.domain.test_report_stats import ZONE, filed, move
from tests.factories import make_area


def test_a_province_with_many_wards_counts_the_pieces_of_days_of_its_own_areas(
    db: Database,
) -> None:
    with db.session() as session:
        province = make_area(session, code="SL", kind="province")
        wards = [make_area(session, code=f"SL-{i:02}", parent=province) for i in range(WIDE + 5)]
        far = make_area(session, code="HP", kind="province")
        # 1 October, 01:30 in Hà Nội, is still 30 September in UTC: a piece of a day.
        october = filed(session, wards[0], "theft", datetime(2026, 9, 30, 18, 30, tzinfo=UTC))
        move(session, october, Move.CLAIM, datetime(2026, 10, 2, tzinfo=UTC))
        move(session, october, Move.RESOLVE, datetime(2026, 11, 3, tzinfo=UTC))
        filed(session, wards[-1], "drugs", datetime(2026, 9, 30, 16, 30, tzinfo=UTC))  # September
        filed(session, wards[7], "fraud", datetime(2026, 10, 31, 20, tzinfo=UTC))  # 1 November
        filed(session, far, "fire", datetime(2026, 9, 30, 18, tzinfo=UTC))  # elsewhere
        province_id = province.id
    until = datetime(2026, 11, 15, 12, tzinfo=ZONE)
    with db.reading() as session:
        bars = monthly_counts(session, area_id=province_id, months=3, until=until, zone=ZONE)
        october_on = report_stats(
            session, area_id=province_id, since=datetime(2026, 10, 1, tzinfo=ZONE), until=until
        )
    assert [(m.month_start.month, m.filed, m.resolved) for m in bars] == [
        (9, 1, 0),
        (10, 1, 0),
        (11, 1, 1),
    ]
    assert october_on.total == 2
    assert october_on.by_area == (
        AreaCount(code="SL-00", name="SL-00", count=1),
        AreaCount(code="SL-07", name="SL-07", count=1),
    )
