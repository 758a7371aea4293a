"""GET /api/v1/stats: counts by category, status and area, and the median times, over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from domain.areas.models import Area
from domain.reports.models import Report
from domain.reports.triage import Move, Officer, apply_move
from tests.factories import make_area, make_report
from tests.harness import ADMIN_TOKEN, Running, make_settings, serving
from tests.support.locks import areas_locked
from webhooks.admin.stats import StatsOut

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
OFFICER = Officer(identity="zalo:5810000000009999", name="Hùng", chat="zalo:g_police")
T0 = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)  # 10:00 in Sơn La


def filed(session: Session, area: Area, category: str, minutes: int) -> int:
    """A report filed `minutes` after T0; its id."""
    report = make_report(
        session,
        category=category,
        channel="zalo",
        area_id=area.id,
        text=category,
    )
    report.created_at = T0 + timedelta(minutes=minutes)
    session.add(report)
    session.flush()
    assert report.id is not None
    return report.id


def moved(session: Session, report_id: int, move: Move, minutes: int) -> None:
    """An officer's move `minutes` after T0."""
    report = session.get(Report, report_id)
    assert report is not None
    reason = "Đã xử lý" if move in (Move.RESOLVE, Move.REJECT) else None
    at = T0 + timedelta(minutes=minutes)
    apply_move(session, report=report, move=move, officer=OFFICER, reason=reason, now=at)


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[Running]:
    """The service with five reports in Sơn La's two wards and one in Hải Phòng."""
    async with serving(make_settings(database_url, tmp_path)) as running:
        with running.db.session() as session:
            province = make_area(session, code="SL", name="Sơn La", kind="province")
            ward = make_area(session, code="SL-TH", name="Tô Hiệu", parent=province)
            other = make_area(session, code="SL-CA", name="Chiềng An", parent=province)
            far = make_area(session, code="HP", name="Hải Phòng", kind="province")
            drugs = filed(session, ward, "drugs", 0)
            moved(session, drugs, Move.CLAIM, 12)
            moved(session, drugs, Move.RESOLVE, 12 * 60)
            theft = filed(session, ward, "theft", 60)
            moved(session, theft, Move.CLAIM, 60 + 40)
            moved(session, theft, Move.RESOLVE, 60 + 4 * 60)
            fraud = filed(session, other, "fraud", 120)
            moved(session, fraud, Move.CLAIM, 120 + 5)
            filed(session, other, "theft", 24 * 60)  # the next day, still new
            filed(session, far, "fire", 30)
        yield running


async def stats(api: Running, **params: str) -> dict[str, Any]:
    """The stats answer for these filters."""
    response = await api.client.get("/api/v1/stats", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    # The body is exactly what the documented model (StatsOut) would write.
    assert StatsOut.model_validate_json(response.content).model_dump_json() == response.text
    body: dict[str, Any] = response.json()
    return body


async def test_stats_api_counts_an_area_with_descendants_and_gives_medians(api: Running) -> None:
    body = await stats(api, area="SL")
    assert body["area"] == "SL" and body["total"] == 4
    by_category = body["by_category"]
    assert {k: v for k, v in by_category.items() if v} == {"drugs": 1, "theft": 2, "fraud": 1}
    assert set(by_category) == {
        "drugs",
        "theft",
        "fraud",
        "violence",
        "fire",
        "weapons",
        "suspicious",
        "traffic",
        "other",
    }
    assert body["by_status"] == {
        "new": 1,
        "in_progress": 1,
        "resolved": 2,
        "rejected": 0,
        "duplicate": 0,
    }
    assert body["by_area"] == [
        {"area_code": "SL-CA", "area_name": "Chiềng An", "count": 2},
        {"area_code": "SL-TH", "area_name": "Tô Hiệu", "count": 2},
    ]
    # Claimed after 12, 40 and 5 minutes; resolved after 12 hours and after 4 hours.
    assert body["median_minutes_to_claim"] == 12
    assert body["median_minutes_to_resolve"] == 8 * 60
    assert (body["claimed"], body["resolved"]) == (3, 2)


async def test_stats_api_period_is_half_open_and_echoed_with_offsets(api: Running) -> None:
    body = await stats(api, since="2026-10-05T10:00:00+07:00", until="2026-10-05T11:00:00+07:00")
    assert body["since"] == "2026-10-05T10:00:00+07:00"
    assert body["until"] == "2026-10-05T11:00:00+07:00"
    assert body["total"] == 2  # drugs at 10:00 and fire at 10:30; theft at 11:00 is out
    assert body["median_minutes_to_claim"] == 12 and body["median_minutes_to_resolve"] == 720
    everything = await stats(api)
    assert everything["total"] == 5 and everything["since"] is None
    assert everything["by_area"][0] == {"area_code": "SL-CA", "area_name": "Chiềng An", "count": 2}


async def test_stats_api_counts_a_period_from_a_morning_to_an_evening(api: Running) -> None:
    # From 10:30 on 5 October to 20:00 on the 6th: drugs (10:00) is before it, the theft of
    # the 6th (10:00) and the fire in Hải Phòng (10:30, the first moment) are in it.
    since, until = "2026-10-05T10:30:00+07:00", "2026-10-06T20:00:00+07:00"
    body = await stats(api, area="SL", since=since, until=until)
    assert body["total"] == 3
    assert {k: v for k, v in body["by_category"].items() if v} == {"theft": 2, "fraud": 1}
    assert body["by_area"] == [
        {"area_code": "SL-CA", "area_name": "Chiềng An", "count": 2},
        {"area_code": "SL-TH", "area_name": "Tô Hiệu", "count": 1},
    ]
    # Claimed after 40 and 5 minutes; resolved after 4 hours.
    assert body["median_minutes_to_claim"] == 22.5 and body["median_minutes_to_resolve"] == 240
    everywhere = await stats(api, since=since, until=until)
    assert everywhere["total"] == 4 and everywhere["by_category"]["fire"] == 1
    # A minute later, the fire is out.
    later = await stats(api, since="2026-10-05T10:31:00+07:00", until=until)
    assert later["total"] == 3 and later["by_category"]["fire"] == 0


async def test_stats_api_without_reports_has_null_medians(api: Running) -> None:
    body = await stats(api, area="HP", since="2027-01-01T00:00:00+07:00")
    assert body["total"] == 0 and body["by_area"] == []
    assert body["median_minutes_to_claim"] is None and body["median_minutes_to_resolve"] is None


async def test_stats_api_refuses_unknown_areas_bad_times_and_missing_tokens(api: Running) -> None:
    unknown = await api.client.get("/api/v1/stats", params={"area": "XX"}, headers=AUTH)
    assert unknown.status_code == 404 and unknown.json() == {"detail": "no area with code 'XX'"}
    naive = await api.client.get(
        "/api/v1/stats", params={"since": "2026-10-05T10:00:00"}, headers=AUTH
    )
    assert naive.status_code == 422 and "offset" in naive.json()["detail"]
    garbage = await api.client.get("/api/v1/stats", params={"until": "last week"}, headers=AUTH)
    assert garbage.status_code == 422 and isinstance(garbage.json()["detail"], list)
    backwards = await api.client.get(
        "/api/v1/stats",
        params={"since": "2026-10-06T00:00:00+07:00", "until": "2026-10-05T00:00:00+07:00"},
        headers=AUTH,
    )
    assert backwards.status_code == 422
    assert (await api.client.get("/api/v1/stats")).status_code == 401


async def test_eight_identical_questions_at_once_get_the_same_fresh_figures(api: Running) -> None:
    shared = api.service.shared_reads
    before = shared.readings
    answers = await asyncio.gather(*(stats(api, area="SL") for _ in range(8)))
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["total"] == 4 and answers[0]["by_status"]["new"] == 1
    # However they overlapped, no more readings than questions, and at least one.
    assert 1 <= shared.readings - before <= 8
    # Nothing is kept between questions: a report filed after them is in the next answer.
    with api.db.session() as session:
        ward = session.exec(select(Area).where(col(Area.code) == "SL-TH")).one()
        filed(session, ward, "fire", 30)
    again = await stats(api, area="SL")
    assert again["total"] == 5 and again["by_status"]["new"] == 2


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_periods_with_the_same_whole_days_read_them_once(api: Running) -> None:
    """Three periods ending at different hours of one morning (UTC): their whole days are read once."""
    # Only PostgreSQL can hold readers back (ACCESS EXCLUSIVE), which shows the readings.
    hours = ["2026-10-05T10:30:00+07:00", "2026-10-05T11:30:00+07:00", "2026-10-05T18:00:00+07:00"]
    alone = [await stats(api, area="SL", until=hour) for hour in hours]
    assert [answer["total"] for answer in alone] == [1, 2, 3]
    days = api.service.shared_days
    asked, readings = days.asked, days.readings
    with areas_locked(api.db.url):
        first = asyncio.create_task(stats(api, area="SL", until=hours[0]))
        await asyncio.sleep(0.5)  # its whole days (all before 5 October, UTC) are being read
        assert (days.asked - asked, days.readings - readings) == (1, 1)
        others = [asyncio.create_task(stats(api, area="SL", until=hour)) for hour in hours[1:]]
        await asyncio.sleep(0.5)
        # The two that came later wait for the next reading, one for both: a reading that
        # began before they asked is not theirs.
        assert (days.asked - asked, days.readings - readings) == (3, 1)
        assert not first.done() and not any(task.done() for task in others)
    assert await asyncio.gather(first, *others) == alone
    assert days.readings - readings == 2
