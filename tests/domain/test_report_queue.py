"""/queue's pages: how many are open from the kept counts, urgent ones first, oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.db import Database
from domain.reports.models import Status
from domain.reports.queue import open_page
from tests.factories import make_area, make_report

START = datetime(2026, 11, 1, tzinfo=UTC)


def test_pages_give_urgent_reports_first_then_the_others_oldest_first(db: Database) -> None:
    with db.session() as session:
        province = make_area(session, code="SL", kind="province")
        ward = make_area(session, code="SL-TH", parent=province)
        elsewhere = make_area(session, code="HP", kind="province")
        codes: dict[str, str] = {}
        plan = [("u", 3, Status.NEW), ("n", 12, Status.IN_PROGRESS), ("c", 2, Status.RESOLVED)]
        hour = 0
        for mark, count, status in plan:
            for n in range(count):
                hour += 1
                report = make_report(session, area_id=ward.id)
                report.urgent, report.status = mark == "u", status
                report.created_at = START + timedelta(hours=(hour * 7) % 17)
                session.add(report)
                session.flush()
                codes[report.code] = f"{mark}{n}"
        make_report(session, area_id=elsewhere.id)
        assert province.id is not None
        province_id = province.id
    with db.reading() as session:
        first = open_page(session, area_id=province_id, page=1)
        second = open_page(session, area_id=province_id, page=2)
    assert (first.total, first.pages, second.page) == (15, 2, 2)
    shown = [report for page in (first, second) for report, _area in page.rows]
    assert [codes[r.code][0] for r in shown] == ["u"] * 3 + ["n"] * 12
    urgent, others = shown[:3], shown[3:]
    for group in (urgent, others):
        assert [(r.created_at, r.id) for r in group] == sorted((r.created_at, r.id) for r in group)
