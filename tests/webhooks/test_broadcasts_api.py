"""The broadcasts API end to end: a running service, fake Telegram and Zalo, real time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.areas.models import AreaKind
from tests.factories import make_area, make_group
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import ADMIN_TOKEN, Running, make_settings, serving, with_platforms

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
GROUPS = ["-1001000000001", "-1001000000002", "-1001000000003", "-1001000000004"]
ZALO_GROUP = "zalo-group-tohieu-5"


@pytest.fixture
async def running(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> AsyncIterator[Running]:
    """The service on both fakes, no quiet hours (tests run at any hour), a ward's groups."""
    settings = make_settings(database_url, tmp_path, quiet_hours="", **with_platforms(platforms))
    async with serving(settings) as service:
        with service.db.session() as session:
            province = make_area(session, code="SL", name="Sơn La", kind=AreaKind.PROVINCE)
            ward = make_area(session, code="SL-TOHIEU", name="Tô Hiệu", parent=province)
            hamlet = make_area(
                session, code="SL-TOHIEU-5", name="Tổ dân phố 5", kind=AreaKind.HAMLET, parent=ward
            )
            other = make_area(session, code="SL-CHIENGAN", name="Chiềng An", parent=province)
            for chat_id in GROUPS[:3]:
                make_group(session, area=hamlet, chat_id=chat_id)
            make_group(session, area=ward, chat_id=ZALO_GROUP, channel="zalo")
            make_group(session, area=other, chat_id=GROUPS[3])
            make_group(session, area=ward, chat_id="-1009", role="triage")
        yield service


def soon(seconds: float = 3.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def post(running: Running, path: str, body: Any = None) -> Any:
    response = await running.client.post(f"/api/v1/broadcasts{path}", json=body, headers=AUTH)
    return response


async def get(running: Running, path: str) -> Any:
    response = await running.client.get(f"/api/v1/broadcasts{path}", headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


async def wait_for_status(running: Running, broadcast_id: int, status: str) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + 20
    while asyncio.get_running_loop().time() < deadline:
        found: dict[str, Any] = await get(running, f"/{broadcast_id}")
        if found["status"] == status:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"broadcast {broadcast_id} never became {status}: {found}")


async def test_broadcast_reaches_every_group_of_the_ward_once_on_both_channels(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    text = "Công an phường Tô Hiệu: không chuyển tiền cho người tự xưng công an qua điện thoại."
    created = await post(running, "", {"text": text, "areas": ["SL-TOHIEU"], "send_at": soon()})
    assert created.status_code == 201, created.text
    broadcast_id = created.json()["id"]
    assert created.json()["status"] == "scheduled"
    done = await wait_for_status(running, broadcast_id, "done")
    assert (done["targets"], done["sent"], done["failed"], done["pending"]) == (4, 4, 0, 0)
    assert done["next_run_at"] is None
    sent = telegram.sent("sendMessage")
    assert sorted(c.chat_id for c in sent if c.chat_id) == sorted(GROUPS[:3])
    assert all(c.params["text"] == text for c in sent)
    assert [c.chat_id for c in zalo.sent("sendMessage")] == [ZALO_GROUP]
    (run,) = (await get(running, f"/{broadcast_id}/runs"))["items"]
    assert (run["status"], run["targets"], run["sent"], run["failures"]) == ("done", 4, 4, {})
    timeline = [(e["kind"], e["actor"]) for e in done["events"]]
    assert timeline == [("created", "api"), ("run_started", "system"), ("run_done", "system")]
    assert done["events"][1]["details"]["targets"] == 4
    assert done["events"][2]["details"] == {"sent": 4, "failed": 0, "cancelled": 0}
    metrics = (await running.client.get("/metrics")).text
    assert 'tinbao_outbox_sent_total{channel="telegram",lane="bulk"} 3.0' in metrics
    assert 'tinbao_outbox_sent_total{channel="zalo",lane="bulk"} 1.0' in metrics


async def test_broadcast_outcomes_per_group_while_the_rest_goes_on(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    telegram.fail_next(GROUPS[0], "429", retry_after=1)
    telegram.block_chat(GROUPS[1])  # the bot was removed from this group
    telegram.migrate_chat(GROUPS[2], -1002000000003)
    created = await post(
        running,
        "",
        {
            "text": "Phòng cháy: không sạc xe điện qua đêm.",
            "areas": ["SL-TOHIEU"],
            "send_at": soon(),
            "channels": ["telegram"],
        },
    )
    broadcast_id = created.json()["id"]
    done = await wait_for_status(running, broadcast_id, "done")
    assert (done["targets"], done["sent"], done["failed"]) == (3, 2, 1)
    delivered = {c.chat_id for c in telegram.sent("sendMessage")}
    assert delivered == {GROUPS[0], "-1002000000003"}  # after its 429; at its new id
    (run,) = (await get(running, f"/{broadcast_id}/runs"))["items"]
    assert list(run["failures"]) == ["Forbidden: bot was kicked from the supergroup chat"]
    # The removed group is no longer a target: a retry finds nothing to send it.
    chats = (await running.client.get("/api/v1/chats", headers=AUTH)).json()["items"]
    assert {c["chat_id"]: c["active"] for c in chats}[GROUPS[1]] is False


async def test_broadcast_preview_saves_nothing_and_foresees_the_fan_out(running: Running) -> None:
    body = {"text": "  Cảnh giác ma túy trá hình kẹo.  ", "areas": "all", "cron": "0 8 * * 0"}
    response = await post(running, "/preview", body)
    assert response.status_code == 200, response.text
    seen = response.json()
    assert seen["text"] == "Cảnh giác ma túy trá hình kẹo."
    assert seen["targets"] == [
        {
            "area_code": "SL",
            "area_name": "Sơn La",
            "channel": "telegram",
            "groups": 4,
            "subscribers": 0,
        },
        {
            "area_code": "SL",
            "area_name": "Sơn La",
            "channel": "zalo",
            "groups": 1,
            "subscribers": 0,
        },
    ]
    assert (seen["total_groups"], seen["total_subscribers"]) == (5, 0)
    assert seen["fan_out_seconds"] == 0.1  # (4 - 1) / 30 s on Telegram
    first = datetime.fromisoformat(seen["first_send_at"])
    assert first.weekday() == 6 and first.astimezone().utcoffset() is not None
    assert (await get(running, ""))["items"] == []


async def test_broadcast_pause_resume_cancel_and_conflicts(running: Running) -> None:
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    created = await post(
        running, "", {"text": "Khóa cổ xe máy.", "areas": ["SL"], "send_at": later}
    )
    broadcast_id = created.json()["id"]
    paused = await post(running, f"/{broadcast_id}/pause")
    assert paused.json()["status"] == "paused"
    assert (await post(running, f"/{broadcast_id}/pause")).status_code == 409
    assert (await post(running, f"/{broadcast_id}/resume")).json()["status"] == "scheduled"
    assert (await post(running, f"/{broadcast_id}/retry")).status_code == 409
    assert (await post(running, f"/{broadcast_id}/cancel")).json()["status"] == "cancelled"
    again = await post(running, f"/{broadcast_id}/cancel")
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    assert (await post(running, "/999/pause")).status_code == 404
    listed = await get(running, "")
    assert [b["id"] for b in listed["items"]] == [broadcast_id]
    timeline = [e["kind"] for e in (await get(running, f"/{broadcast_id}"))["events"]]
    assert timeline == ["created", "paused", "resumed", "cancelled"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"text": "x", "areas": ["SL"], "cron": "0 0 8 * * *"}, "5 fields"),
        ({"text": "x", "areas": ["SL"], "send_at": "2030-01-01T08:00:00"}, "offset"),
        ({"text": "x", "areas": ["SL"], "send_at": "2020-01-01T08:00:00+07:00"}, "past"),
        ({"text": "x", "areas": ["NOWHERE"], "cron": "0 8 * * *"}, "unknown area: NOWHERE"),
        ({"text": "x", "areas": [], "cron": "0 8 * * *"}, "at least one area"),
        ({"text": "   ", "areas": ["SL"], "cron": "0 8 * * *"}, "empty"),
        ({"text": "x" * 2001, "areas": ["SL"], "cron": "0 8 * * *"}, "at most 2000"),
        ({"text": "x", "areas": ["SL"]}, "send_at or cron"),
        ({"areas": ["SL"], "cron": "0 8 * * *"}, "text or content_id"),
        (
            {"content_id": "no-such-message", "areas": ["SL"], "cron": "0 8 * * *"},
            "no-such-message",
        ),
    ],
)
async def test_broadcast_bad_input_is_422_with_a_reason_and_saves_nothing(
    running: Running, body: dict[str, Any], says: str
) -> None:
    for path in ("", "/preview"):
        response = await post(running, path, body)
        assert response.status_code == 422, response.text
        assert says in str(response.json()["detail"])
    assert (await get(running, ""))["items"] == []


async def test_broadcast_long_text_fits_telegram_alone(running: Running) -> None:
    body = {"text": "x" * 3000, "areas": ["SL"], "cron": "0 8 * * *", "channels": ["telegram"]}
    assert (await post(running, "", body)).status_code == 201


async def test_broadcast_api_needs_the_token(running: Running) -> None:
    assert (await running.client.get("/api/v1/broadcasts")).status_code == 401
    response = await running.client.post("/api/v1/broadcasts", json={})
    assert response.status_code == 401


async def test_broadcast_of_a_library_message_sends_its_title_and_text(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    body = {"content_id": "scam-fake-police", "areas": ["SL-TOHIEU-5"], "send_at": soon()}
    seen = (await post(running, "/preview", body)).json()
    assert seen["text"].startswith(
        "Công an, Viện kiểm sát, Tòa án không đòi tiền qua điện thoại\n\n"
    )
    assert seen["text"].rstrip().endswith("gọi 113.")
    created = await post(running, "", body)
    assert created.status_code == 201, created.text
    done = await wait_for_status(running, created.json()["id"], "done")
    assert (done["content_id"], done["sent"]) == ("scam-fake-police", 3)
    assert {c.params["text"] for c in telegram.sent("sendMessage")} == {seen["text"]}


async def test_broadcast_of_a_retired_message_is_refused_then_cannot_start(
    running: Running,
) -> None:
    mine = {
        "title": "Cảnh giác lừa đảo dịp Tết",
        "text": "Không chuyển tiền cho người lạ. Gọi 113.",
        "tags": ["scam"],
    }
    made = await running.client.post("/api/v1/contents", json=mine, headers=AUTH)
    assert made.status_code == 201, made.text
    key = made.json()["id"]
    later = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    created = await post(running, "", {"content_id": key, "areas": ["SL"], "send_at": later})
    assert created.status_code == 201, created.text
    retired = await running.client.delete(f"/api/v1/contents/{key}", headers=AUTH)
    assert retired.status_code == 200, retired.text
    refused = await post(running, "", {"content_id": key, "areas": ["SL"], "send_at": later})
    assert refused.status_code == 422 and "retired" in refused.json()["detail"]
    done = await wait_for_status(running, created.json()["id"], "done")
    (run,) = (await get(running, f"/{done['id']}/runs"))["items"]
    assert run["status"] == "cancelled" and "retired" in run["reason"]
