"""GET /api/v1/reports and /api/v1/reports/{code}: filters, paging, timeline, privacy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.reporting.police import route_report
from core.db import utcnow
from domain.chats.service import issue_link_code, record_chat, redeem_link_code
from domain.people.service import remember_person
from domain.reports.models import Source
from domain.reports.service import NewReport, file_report
from tests.factories import make_area
from tests.harness import ADMIN_TOKEN, Running, make_settings, serving

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[Running]:
    """The service with reports in two wards of one province and one elsewhere."""
    async with serving(make_settings(database_url, tmp_path)) as running:
        with running.db.session() as session:
            province = make_area(session, code="SL", name="Sơn La", kind="province")
            ward = make_area(session, code="SL-TH", name="Tô Hiệu", parent=province)
            other = make_area(session, code="SL-CA", name="Chiềng An", parent=province)
            far = make_area(session, code="HP", name="Hải Phòng", kind="province")
            lan = remember_person(
                session,
                sealer=running.service.sealer,
                channel="telegram",
                user_id="770001",
                display_name="Lan Nguyễn",
                username="lan",
            )
            triage = record_chat(
                session, channel="zalo", chat_id="g_police", kind="group", title="CA"
            )
            redeem_link_code(
                session,
                chat=triage,
                typed=issue_link_code(session, area_code="SL", role="triage").code,
            )
            for n, (area, category, anonymous) in enumerate(
                [
                    (ward, "drugs", True),
                    (other, "theft", False),
                    (far, "fire", True),
                    (ward, "fraud", True),
                ]
            ):
                report = file_report(
                    session,
                    new=NewReport(
                        category=category,
                        channel="telegram",
                        source=Source.PRIVATE,
                        reporter_id=lan.id,
                        area_id=area.id,
                        text=f"report {n}",
                        anonymous=anonymous,
                        urgent=category == "fire",
                        locale="vi",
                    ),
                    actor="reporter",
                    chat="telegram:private",
                )
                route_report(
                    session,
                    report=report,
                    settings=running.service.settings,
                    sealer=running.service.sealer,
                )
        yield running


async def codes(api: Running, **params: str) -> list[str]:
    """Report codes listed with these filters, across all pages."""
    found: list[str] = []
    cursor = None
    while True:
        query: dict[str, str | int] = {**params, "limit": 2}
        if cursor:
            query["cursor"] = cursor
        response = await api.client.get("/api/v1/reports", params=query, headers=AUTH)
        assert response.status_code == 200, response.text
        page = response.json()
        found += [item["text"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


async def test_reports_list_newest_first_across_pages(api: Running) -> None:
    assert await codes(api) == ["report 3", "report 2", "report 1", "report 0"]


async def test_reports_filter_by_area_with_descendants_status_and_category(api: Running) -> None:
    assert await codes(api, area="SL") == ["report 3", "report 1", "report 0"]
    assert await codes(api, area="SL-TH") == ["report 3", "report 0"]
    assert await codes(api, category="fire") == ["report 2"]
    assert await codes(api, status="new", category="theft") == ["report 1"]
    assert await codes(api, status="resolved") == []
    assert await codes(api, unrouted="true") == ["report 2"]  # no triage chat covers Hải Phòng
    assert await codes(api, unrouted="false") == ["report 3", "report 1", "report 0"]


async def test_reports_filter_by_time_with_offsets(api: Running) -> None:
    later = (utcnow() + timedelta(hours=1)).isoformat()
    earlier = (utcnow() - timedelta(hours=1)).isoformat()
    assert await codes(api, since=later) == []
    assert len(await codes(api, since=earlier, until=later)) == 4
    naive = await api.client.get(
        "/api/v1/reports", params={"since": "2026-11-22T10:00:00"}, headers=AUTH
    )
    assert naive.status_code == 422 and "offset" in naive.json()["detail"]
    bad = await api.client.get("/api/v1/reports", params={"status": "lost"}, headers=AUTH)
    assert bad.status_code == 422


async def test_report_detail_has_the_timeline_and_names_only_consenting_reporters(
    api: Running,
) -> None:
    items = (await api.client.get("/api/v1/reports", headers=AUTH)).json()["items"]
    by_text = {item["text"]: item for item in items}
    for field in (
        "code",
        "status",
        "category",
        "area_code",
        "channel",
        "created_at",
        "text",
        "anonymous",
        "urgent",
    ):
        assert field in by_text["report 0"]
    assert by_text["report 0"]["created_at"].endswith("+00:00")
    named = (
        await api.client.get(f"/api/v1/reports/{by_text['report 1']['code']}", headers=AUTH)
    ).json()
    anonymous = (
        await api.client.get(f"/api/v1/reports/{by_text['report 0']['code'].lower()}", headers=AUTH)
    ).json()
    assert named["reporter_name"] == "Lan Nguyễn"
    assert anonymous["reporter_name"] is None
    assert [event["kind"] for event in anonymous["events"]] == ["filed", "routed"]
    assert anonymous["events"][1]["chat"] == "zalo:g_police"
    assert anonymous["events"][0]["actor"] == "reporter"
    assert (await api.client.get("/api/v1/reports/ZZZZZZ", headers=AUTH)).status_code == 404
    assert (await api.client.get("/api/v1/reports")).status_code == 401
