"""The admin API: bearer token, areas, link codes, chats, paging; health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.harness import ADMIN_TOKEN, Running, free_port, make_settings, serving

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
async def running(database_url: str, tmp_path: Path) -> AsyncIterator[Running]:
    """The service with no channel on: only the admin API answers."""
    async with serving(make_settings(database_url, tmp_path)) as service:
        yield service


async def create(running: Running, **area: object) -> None:
    """Upsert an area and insist on 201."""
    response = await running.client.post("/api/v1/areas", json=area, headers=AUTH)
    assert response.status_code == 201, response.text


async def test_admin_api_needs_the_bearer_token(running: Running) -> None:
    assert (await running.client.get("/api/v1/areas")).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert (await running.client.get("/api/v1/areas", headers=wrong)).status_code == 401
    basic = {"Authorization": f"Basic {ADMIN_TOKEN}"}
    assert (await running.client.get("/api/v1/chats", headers=basic)).status_code == 401
    response = await running.client.get("/api/v1/areas", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


async def test_admin_api_answers_503_when_no_token_is_configured(
    database_url: str, tmp_path: Path
) -> None:
    async with serving(make_settings(database_url, tmp_path, admin_token=None)) as running:
        for path in ("/api/v1/areas", "/api/v1/chats"):
            response = await running.client.get(path, headers=AUTH)
            assert response.status_code == 503
            assert "TINBAO_ADMIN_TOKEN" in response.json()["detail"]
        assert (await running.client.get("/healthz")).status_code == 200


async def test_areas_upsert_and_list_with_aliases(running: Running) -> None:
    await create(running, code="SL", name="Sơn La", kind="province", lat=21.3, lon=103.9)
    await create(
        running, code="SL-TH", name="Tô Hiệu", kind="ward", parent_code="SL", aliases=["Chiềng Lề"]
    )
    await create(
        running,
        code="SL-TH",
        name="Tô Hiệu",
        kind="ward",
        parent_code="SL",
        aliases=["Quyết Thắng"],
    )
    listing = (await running.client.get("/api/v1/areas", headers=AUTH)).json()
    assert [a["code"] for a in listing["items"]] == ["SL", "SL-TH"]
    assert listing["items"][1]["aliases"] == ["Quyết Thắng"]
    assert listing["items"][1]["parent_code"] == "SL"
    one = (await running.client.get("/api/v1/areas/SL", headers=AUTH)).json()
    assert (one["lat"], one["lon"]) == (21.3, 103.9)


async def test_areas_refuse_invalid_input_with_clear_details(running: Running) -> None:
    bad_kind = await running.client.post(
        "/api/v1/areas", json={"code": "X", "name": "X", "kind": "galaxy"}, headers=AUTH
    )
    assert bad_kind.status_code == 422 and isinstance(bad_kind.json()["detail"], list)
    orphan = await running.client.post(
        "/api/v1/areas",
        json={"code": "X", "name": "X", "kind": "ward", "parent_code": "NOPE"},
        headers=AUTH,
    )
    assert orphan.status_code == 422 and "NOPE" in orphan.json()["detail"]
    missing = await running.client.get("/api/v1/areas/NOPE", headers=AUTH)
    assert missing.status_code == 404


async def test_area_list_pages_with_a_cursor_and_filters_by_subtree(running: Running) -> None:
    await create(running, code="P", name="Province", kind="province")
    for i in range(5):
        await create(running, code=f"P-W{i}", name=f"Ward {i}", kind="ward", parent_code="P")
    await create(running, code="Q", name="Other", kind="province")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2, "area": "P"}
        if cursor:
            params["cursor"] = cursor
        page = (await running.client.get("/api/v1/areas", params=params, headers=AUTH)).json()
        seen += [a["code"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["P", "P-W0", "P-W1", "P-W2", "P-W3", "P-W4"]
    too_many = await running.client.get("/api/v1/areas", params={"limit": 201}, headers=AUTH)
    assert too_many.status_code == 422
    junk = await running.client.get("/api/v1/areas", params={"cursor": "%%%"}, headers=AUTH)
    assert junk.status_code == 400


async def test_link_codes_are_issued_for_24_hours(running: Running) -> None:
    await create(running, code="W", name="Tô Hiệu", kind="ward")
    response = await running.client.post(
        "/api/v1/link-codes", json={"area_code": "W", "role": "community"}, headers=AUTH
    )
    assert response.status_code == 201
    body = response.json()
    assert body["expires_at"].endswith("+00:00")  # ISO 8601 with an offset
    expires = datetime.fromisoformat(body["expires_at"])
    assert (
        timedelta(hours=23, minutes=59)
        < expires - datetime.now(expires.tzinfo)
        <= timedelta(hours=24)
    )
    assert len(body["code"]) == 8
    unknown = await running.client.post(
        "/api/v1/link-codes", json={"area_code": "NOPE", "role": "triage"}, headers=AUTH
    )
    assert unknown.status_code == 404
    bad_role = await running.client.post(
        "/api/v1/link-codes", json={"area_code": "W", "role": "boss"}, headers=AUTH
    )
    assert bad_role.status_code == 422


async def test_health_and_metrics_need_no_token(running: Running) -> None:
    health = await running.client.get("/healthz")
    assert (health.status_code, health.json()["status"]) == (200, "ok")
    metrics = await running.client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "tinbao_updates_received_total" in metrics.text
    assert (await running.client.get("/openapi.json")).status_code == 200
    assert (await running.client.get("/docs")).status_code == 200


async def test_health_answers_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    nobody = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/tinbao"
    async with serving(make_settings(nobody, tmp_path)) as running:
        response = await running.client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"


async def test_areas_resolve_names_a_ward_when_sure_and_ranks_candidates_otherwise(
    running: Running,
) -> None:
    await create(running, code="14", name="Tỉnh Sơn La", kind="province")
    await create(
        running, code="03646", name="Phường Tô Hiệu", kind="ward", parent_code="14",
        aliases=["phường Chiềng Lề, thành phố Sơn La", "phường Quyết Tâm, thành phố Sơn La"],
    )  # fmt: skip
    await create(running, code="01", name="Thành phố Hà Nội", kind="province")
    for code, name in (("10237", "Xã Chương Dương"), ("10273", "Xã Phú Xuyên")):
        await create(
            running, code=code, name=name, kind="ward", parent_code="01",
            aliases=["xã Tô Hiệu, huyện Thường Tín"],
        )  # fmt: skip

    def ask(q: str) -> Awaitable[httpx.Response]:
        return running.client.get("/api/v1/areas/resolve", params={"q": q}, headers=AUTH)

    sure = (await ask("P. Chiềng Lề")).json()
    assert sure["match"] == {
        "code": "03646", "name": "Phường Tô Hiệu", "kind": "ward", "ward": "Phường Tô Hiệu",
        "province": "Tỉnh Sơn La", "former": "phường Chiềng Lề", "score": 1.0,
    }  # fmt: skip
    assert sure["candidates"][0]["code"] == "03646"
    unsure = (await ask("xã Tô Hiệu")).json()
    assert unsure["match"] is None
    assert [c["code"] for c in unsure["candidates"]] == ["10237", "10273", "03646"]
    assert unsure["candidates"][0]["former"] == "xã Tô Hiệu"
    assert unsure["candidates"][2]["former"] is None
    assert (await ask("phường")).json() == {"match": None, "candidates": [], "more": False}
    assert (await ask("")).status_code == 422
    no_token = await running.client.get("/api/v1/areas/resolve", params={"q": "Tô Hiệu"})
    assert no_token.status_code == 401


async def test_areas_resolve_looks_in_the_deployments_provinces_first(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(database_url, tmp_path, provinces="Hà Nội, Atlantis")
    async with serving(settings) as running:
        await create(running, code="14", name="Tỉnh Sơn La", kind="province")
        await create(running, code="01", name="Thành phố Hà Nội", kind="province")
        await create(running, code="03646", name="Phường Tô Hiệu", kind="ward", parent_code="14")
        await create(running, code="10237", name="Xã Tô Hiệu", kind="ward", parent_code="01")
        params = {"q": "Tô Hiệu"}
        found = await running.client.get("/api/v1/areas/resolve", params=params, headers=AUTH)
    assert found.json()["match"]["code"] == "10237"  # Hà Nội's, the deployment's
    assert [c["code"] for c in found.json()["candidates"]] == ["10237", "03646"]
    assert "TINBAO_PROVINCES names no imported province: Hà Nội, Atlantis" in caplog.text
