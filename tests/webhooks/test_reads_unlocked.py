"""Admin reads answer while another connection holds the write lock: they never take it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.factories import make_area, make_report
from tests.harness import ADMIN_TOKEN, Running, make_settings, serving
from tests.support.locks import writer_holding_the_lock

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# Every read of the admin API; each must answer while a writer holds the lock.
READS = [
    "/api/v1/reports",
    "/api/v1/reports?area=SL&status=new",
    "/api/v1/reports/{code}",
    "/api/v1/stats?area=SL",
    "/api/v1/areas",
    "/api/v1/areas/SL",
    "/api/v1/areas/resolve?q=Tô Hiệu",
    "/api/v1/chats",
    "/api/v1/broadcasts",
    "/api/v1/contents",
]


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Running, str]]:
    """The service with one report in a ward of a province; the report's code."""
    # A read that waited for the lock would wait this long, past the client's patience.
    settings = make_settings(database_url, tmp_path, sqlite_busy_seconds=60)
    async with serving(settings) as running:
        with running.db.session() as session:
            province = make_area(session, code="SL", name="Sơn La", kind="province")
            ward = make_area(session, code="SL-TH", name="Tô Hiệu", parent=province)
            code = make_report(session, category="theft", channel="zalo", area_id=ward.id).code
        yield running, code


async def test_admin_reads_answer_while_another_connection_holds_the_write_lock(
    api: tuple[Running, str],
) -> None:
    running, code = api
    with writer_holding_the_lock(running.db.url):
        for path in READS:
            response = await running.client.get(
                path.format(code=code), headers=AUTH, timeout=httpx.Timeout(15)
            )
            assert response.status_code == 200, (path, response.text)
        listed = await running.client.get("/api/v1/reports", headers=AUTH)
        # What the writer has not committed is not seen.
        assert [r["code"] for r in listed.json()["items"]] == [code]
        assert not listed.json()["items"][0]["text"].endswith("!")
