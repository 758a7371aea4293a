"""/api/v1/contents: the shipped library, operators' own messages, and the refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from broadcasts.contents.library import shipped_library
from tests.harness import ADMIN_TOKEN, Running, make_settings, serving

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
MESSAGE = {
    "title": "Cảnh giác lừa đảo dịp Tết",
    "text": "Không chuyển tiền cho người lạ; báo ngay Công an phường.",
    "tags": ["scam"],
}


@pytest.fixture
async def running(database_url: str, tmp_path: Path) -> AsyncIterator[Running]:
    """The service with no channel on: only the admin API answers."""
    async with serving(make_settings(database_url, tmp_path)) as service:
        yield service


async def add(running: Running, **changes: Any) -> dict[str, Any]:
    """Add an operator's message and insist on 201."""
    response = await running.client.post("/api/v1/contents", json=MESSAGE | changes, headers=AUTH)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def listed(running: Running, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, page after page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = params | ({"cursor": cursor} if cursor else {})
        page = await running.client.get("/api/v1/contents", params=query, headers=AUTH)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


async def test_contents_list_the_shipped_library_first(running: Running) -> None:
    mine = await add(running)
    items = await listed(running, limit=5)
    shipped = [m.id for m in shipped_library().messages]
    assert [i["id"] for i in items] == [*shipped, mine["id"]]
    assert len(shipped) >= 14
    police = next(i for i in items if i["id"] == "scam-fake-police")
    assert police["shipped"] is True and police["retired"] is False
    assert police["tags"] == ["scam"] and police["image"] is None
    assert police["title"] == police["titles"]["vi"]  # TINBAO_LOCALE defaults to vi
    assert police["text"] == police["texts"]["vi"] and "113" in police["texts"]["en"]
    fire = await listed(running, tag="fire")
    assert fire and all("fire" in i["tags"] for i in fire)
    assert len(await listed(running, tag="")) == len(items)


async def test_contents_answer_in_the_configured_locale(database_url: str, tmp_path: Path) -> None:
    async with serving(make_settings(database_url, tmp_path, locale="en")) as running:
        mine = await add(running)
        shipped = await running.client.get("/api/v1/contents/fire-what-to-do", headers=AUTH)
        assert shipped.json()["title"] == shipped.json()["titles"]["en"]
        # An operator who wrote no English is shown in Vietnamese.
        assert (mine["title"], mine["titles"]["en"]) == (MESSAGE["title"], None)


async def test_contents_create_edit_and_retire_an_operators_message(running: Running) -> None:
    created = await add(running, tags=["Scam", "tet"], image="https://example.org/tet.png")
    key = created["id"]
    assert key == "op-canh-giac-lua-dao-dip-tet"
    assert (created["shipped"], created["tags"]) == (False, ["scam", "tet"])
    again = await add(running)
    assert again["id"] == f"{key}-2"
    patch = {"text": "  Gọi 113.  ", "title_en": "Beware", "text_en": "Call 113."}
    edited = await running.client.patch(f"/api/v1/contents/{key}", json=patch, headers=AUTH)
    assert edited.status_code == 200, edited.text
    assert edited.json()["texts"] == {"vi": "Gọi 113.", "en": "Call 113."}
    assert edited.json()["title"] == MESSAGE["title"]  # untouched fields stay
    cleared = await running.client.patch(
        f"/api/v1/contents/{key}",
        json={"title_en": None, "text_en": None, "image": None},
        headers=AUTH,
    )
    assert (cleared.json()["texts"]["en"], cleared.json()["image"]) == (None, None)
    retired = await running.client.delete(f"/api/v1/contents/{key}", headers=AUTH)
    assert retired.status_code == 200
    assert retired.json()["retired"] is True and retired.json()["retired_at"].endswith("+00:00")
    assert key not in [i["id"] for i in await listed(running)]
    assert [i["id"] for i in await listed(running, retired="true")] == [key]
    kept = await running.client.get(f"/api/v1/contents/{key}", headers=AUTH)
    assert kept.status_code == 200 and kept.json()["retired"] is True


async def test_contents_refuse_to_change_shipped_messages(running: Running) -> None:
    path = "/api/v1/contents/scam-fake-police"
    for response in (
        await running.client.patch(path, json={"text": "Khác"}, headers=AUTH),
        await running.client.patch(path, json={"text": None}, headers=AUTH),
        await running.client.delete(path, headers=AUTH),
    ):
        assert response.status_code == 409
        assert "shipped messages are read-only; add your own" in response.json()["detail"]
    assert (await running.client.get(path, headers=AUTH)).json()["retired"] is False


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (MESSAGE | {"text": "   "}, "text is empty"),
        (MESSAGE | {"text": "x" * 2001}, "text is 2,001 characters long; Zalo takes at most 2,000"),
        (MESSAGE | {"tags": []}, "at least one tag"),
        (MESSAGE | {"tags": ["lừa đảo"]}, "lower-case letters"),
        (MESSAGE | {"text_en": "Call 113."}, "title_en and text_en go together"),
        (MESSAGE | {"image": "file:///etc/passwd"}, "https://"),
    ],
)
async def test_contents_refuse_bad_messages_with_clear_details(
    running: Running, body: dict[str, Any], complaint: str
) -> None:
    response = await running.client.post("/api/v1/contents", json=body, headers=AUTH)
    assert response.status_code == 422
    assert complaint in response.json()["detail"]
    assert [i for i in await listed(running) if not i["shipped"]] == []


async def test_contents_refuse_unknown_missing_and_null_fields(running: Running) -> None:
    for body, field in [
        (MESSAGE | {"colour": "red"}, "colour"),
        ({"title": "Tiêu đề", "tags": ["scam"]}, "text"),
        (MESSAGE | {"tags": "scam"}, "tags"),
    ]:
        response = await running.client.post("/api/v1/contents", json=body, headers=AUTH)
        assert response.status_code == 422
        assert [e["loc"][-1] for e in response.json()["detail"]] == [field]
    key = (await add(running))["id"]
    null = await running.client.patch(f"/api/v1/contents/{key}", json={"title": None}, headers=AUTH)
    assert (null.status_code, null.json()["detail"]) == (422, "title cannot be null")
    extra = await running.client.patch(f"/api/v1/contents/{key}", json={"x": 1}, headers=AUTH)
    assert extra.status_code == 422


async def test_contents_answer_404_for_unknown_ids(running: Running) -> None:
    path = "/api/v1/contents/op-nothing"
    assert (await running.client.get(path, headers=AUTH)).status_code == 404
    assert (await running.client.patch(path, json={"text": "x"}, headers=AUTH)).status_code == 404
    response = await running.client.delete(path, headers=AUTH)
    assert response.status_code == 404 and "op-nothing" in response.json()["detail"]
    junk = await running.client.get("/api/v1/contents", params={"cursor": "%%%"}, headers=AUTH)
    assert junk.status_code == 400


async def test_contents_need_the_bearer_token(running: Running) -> None:
    assert (await running.client.get("/api/v1/contents")).status_code == 401
    assert (await running.client.post("/api/v1/contents", json=MESSAGE)).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    path = "/api/v1/contents/scam-fake-police"
    assert (await running.client.delete(path, headers=wrong)).status_code == 401


async def test_contents_answer_503_when_no_token_is_configured(
    database_url: str, tmp_path: Path
) -> None:
    async with serving(make_settings(database_url, tmp_path, admin_token=None)) as running:
        response = await running.client.get("/api/v1/contents", headers=AUTH)
        assert response.status_code == 503
