"""A weekly broadcast's years of runs and steps, read a page at a time through the running service."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.harness import Running
from tests.support.broadcast_history import FIRST_MONDAY, add_weekly_history
from tests.webhooks import test_broadcasts_api
from tests.webhooks.test_broadcasts_api import AUTH

running = test_broadcasts_api.running  # Tô Hiệu (with tổ dân phố 5) and Chiềng An, their groups
YEARS_OF_MONDAYS = 130  # two and a half years of a weekly broadcast


async def weekly_with_history(running: Running) -> int:
    """A weekly broadcast made through the API, with the runs and steps of its past Mondays."""
    body = {"text": "Khóa cửa trước khi ngủ.", "areas": ["SL-TOHIEU"], "cron": "0 8 * * 1"}
    created = await running.client.post("/api/v1/broadcasts", json=body, headers=AUTH)
    assert created.status_code == 201, created.text
    broadcast_id: int = created.json()["id"]
    add_weekly_history(running.db, broadcast_id=broadcast_id, weeks=YEARS_OF_MONDAYS)
    return broadcast_id


async def runs_page(running: Running, broadcast_id: int, **params: Any) -> Any:
    return await running.client.get(
        f"/api/v1/broadcasts/{broadcast_id}/runs", params=params, headers=AUTH
    )


async def test_broadcast_runs_walk_by_cursor_gives_each_run_once_newest_first(
    running: Running,
) -> None:
    broadcast_id = await weekly_with_history(running)
    seen: list[dict[str, Any]] = []
    pages, cursor = 0, None
    while True:
        params: dict[str, Any] = {"limit": 50} | ({"cursor": cursor} if cursor else {})
        answer = await runs_page(running, broadcast_id, **params)
        assert answer.status_code == 200, answer.text
        assert set(answer.json()) == {"items", "next_cursor"}  # as every list answers
        seen += answer.json()["items"]
        pages += 1
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and [len(seen[:50]), len(seen[50:100]), len(seen[100:])] == [50, 50, 30]
    ids = [run["id"] for run in seen]
    assert len(set(ids)) == len(ids) == YEARS_OF_MONDAYS
    dues = [datetime.fromisoformat(run["due_at"]) for run in seen]
    assert dues == sorted(dues, reverse=True)
    assert dues[-1] == FIRST_MONDAY and dues[0] == FIRST_MONDAY + timedelta(weeks=129)
    assert [run["status"] for run in seen].count("missed") == 13


async def test_broadcast_runs_are_fifty_a_page_unasked_and_bad_cursors_are_refused(
    running: Running,
) -> None:
    broadcast_id = await weekly_with_history(running)
    first = await runs_page(running, broadcast_id)
    assert first.status_code == 200 and len(first.json()["items"]) == 50
    following = first.json()["next_cursor"]
    second = await runs_page(running, broadcast_id, cursor=following)
    assert second.status_code == 200
    assert {r["id"] for r in first.json()["items"]}.isdisjoint(
        r["id"] for r in second.json()["items"]
    )
    for bad in ("nonsense", "WzEsIDJd", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwgMV0"):
        # not base64 JSON; [1, 2]; a due time without its offset
        refused = await runs_page(running, broadcast_id, cursor=bad)
        assert refused.status_code == 400, bad
        assert refused.json() == {"detail": "invalid cursor"}
    assert (await runs_page(running, broadcast_id, limit=201)).status_code == 422
    assert (await runs_page(running, 999_999)).status_code == 404


async def test_broadcast_with_a_short_history_answers_every_run_and_no_next_page(
    running: Running,
) -> None:
    body = {"text": "Khóa cửa.", "areas": ["SL-TOHIEU"], "cron": "0 8 * * 1"}
    created = await running.client.post("/api/v1/broadcasts", json=body, headers=AUTH)
    answer = await runs_page(running, created.json()["id"])
    assert answer.status_code == 200
    assert answer.json() == {"items": [], "next_cursor": None}


async def test_broadcast_detail_keeps_its_last_200_steps_and_counts_the_earlier(
    running: Running,
) -> None:
    broadcast_id = await weekly_with_history(running)
    answer = await running.client.get(f"/api/v1/broadcasts/{broadcast_id}", headers=AUTH)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    # "created", then 117 weeks of two steps and 13 missed weeks of one: 248 steps.
    assert len(found["events"]) == 200 and found["earlier_events"] == 48
    times = [datetime.fromisoformat(e["at"]) for e in found["events"]]
    assert times == sorted(times)  # oldest first, as before
    last = found["events"][-1]
    assert (last["kind"], last["details"]) == ("run_missed", {"week": 129})  # the newest kept
