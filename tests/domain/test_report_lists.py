"""The list of an area's reports: the area and every area below it, newest first, page by page."""

from __future__ import annotations

from core.db import Database
from domain.reports.queries import MERGED_AREAS_AT_MOST, ReportFilter, list_reports
from tests.factories import make_area, make_report

WARDS = MERGED_AREAS_AT_MOST + 6  # more areas than are merged one by one: the province's way


def test_a_province_lists_exactly_its_areas_reports_newest_first(db: Database) -> None:
    with db.session() as session:
        province = make_area(session, code="P", kind="province")
        wards = [make_area(session, code=f"P-{i}", parent=province) for i in range(WARDS)]
        elsewhere = make_area(session, code="Q", kind="province")
        reports = [
            make_report(session, area_id=wards[i % WARDS].id if i % 3 else elsewhere.id)
            for i in range(150)
        ]
        session.commit()
        province_id = province.id or 0
        expected = sorted((r.id or 0 for r in reports if r.area_id != elsewhere.id), reverse=True)
    with db.reading() as session:
        where = ReportFilter(area_id=province_id)
        first = list_reports(session, where=where, before_id=None, limit=60)
        second = list_reports(session, where=where, before_id=first[-1][0].id, limit=60)
    listed = [report.id for report, _code, _files in first + second]
    assert listed == expected[:120]
    assert {code for _report, code, _files in first} <= {f"P-{i}" for i in range(WARDS)}
