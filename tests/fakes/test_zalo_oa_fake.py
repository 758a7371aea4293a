"""The fake Zalo OA's GMF part speaks the wire format: groups, members, quota, group messages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes import FakeZaloOa
from tests.fakes.zalo_oa_api import APP_ID, APP_SECRET, REFRESH_TOKEN
from tests.fakes.zalo_oa_groups import DAY_MS


@pytest.fixture
def oa() -> Iterator[FakeZaloOa]:
    """The fake with three groups: listed members, none listed, and an expired package."""
    with FakeZaloOa() as fake:
        fake.add_group("g1", "Tổ 1", members=["u1", "u2", "u3"], max_member=50)
        fake.add_group("g2", "Tổ 2", total_member=120)
        fake.add_group("g3", "Tổ 3", expires_at=int(time.time() * 1000) - DAY_MS)
        yield fake


def token(oa: FakeZaloOa) -> str:
    """An access token traded for the configured refresh token."""
    form = {"app_id": APP_ID, "grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN}
    answer = httpx.post(
        f"{oa.url}/v4/oa/access_token", data=form, headers={"secret_key": APP_SECRET}
    )
    return str(answer.json()["access_token"])


def get(oa: FakeZaloOa, path: str, access: str, **params: Any) -> Any:
    answer = httpx.get(f"{oa.url}{path}", params=params, headers={"access_token": access})
    assert answer.status_code == 200
    return answer.json()


def send(oa: FakeZaloOa, access: str, group_id: str, text: str = "Xin chào") -> Any:
    body = {"recipient": {"group_id": group_id}, "message": {"text": text}}
    answer = httpx.post(
        f"{oa.url}/v3.0/oa/group/message", json=body, headers={"access_token": access}
    )
    assert answer.status_code == 200  # errors come with HTTP 200 and a negative `error`
    return answer.json()


def test_fake_oa_lists_groups_page_by_page_with_a_token_only(oa: FakeZaloOa) -> None:
    path = "/v3.0/oa/group/getgroupsofoa"
    assert get(oa, path, "made-up", offset=0, count=2)["error"] == -216
    access = token(oa)
    first = get(oa, path, access, offset=0, count=2)["data"]
    second = get(oa, path, access, offset=2, count=2)["data"]
    assert first["total"] == second["total"] == 3
    assert [g["group_id"] for g in first["groups"] + second["groups"]] == ["g1", "g2", "g3"]
    assert get(oa, path, access, offset=0, count=500)["error"] == -201


def test_fake_oa_describes_a_group_and_lists_members_where_it_may(oa: FakeZaloOa) -> None:
    access = token(oa)
    info = get(oa, "/v3.0/oa/group/getgroup", access, group_id="g1")["data"]
    assert info["group_info"] | {"status": "?"} == {
        "group_id": "g1",
        "name": "Tổ 1",
        "total_member": 3,
        "max_member": 50,
        "status": "?",
    }
    assert info["asset_info"]["expired_time"] > time.time() * 1000
    members = get(oa, "/v3.0/oa/group/listmember", access, group_id="g1")["data"]
    assert [m["user_id"] for m in members["members"]] == ["u1", "u2", "u3"]
    assert get(oa, "/v3.0/oa/group/listmember", access, group_id="g2")["error"] == -224
    quota = get(oa, "/v3.0/oa/quota/group", access)["data"]
    assert (quota["total_group"], quota["active_group"]) == (3, 2)


def test_fake_oa_group_messages_and_their_errors(oa: FakeZaloOa) -> None:
    access = token(oa)
    assert send(oa, access, "g1")["error"] == 0
    assert send(oa, access, "g3")["error"] == -237  # the package expired
    assert send(oa, access, "nope")["error"] == -201
    oa.fail_next("-32", user_id="g2")
    assert send(oa, access, "g2")["error"] == -32
    assert send(oa, access, "g2")["error"] == 0
    assert oa.group_texts("g1") == ["Xin chào"] and len(oa.sent_to_group()) == 2


def test_fake_oa_enforces_the_seven_day_window_when_asked(oa: FakeZaloOa) -> None:
    access = token(oa)
    oa.enforce_window = True

    def cs(user_id: str) -> int:
        body = {"recipient": {"user_id": user_id}, "message": {"text": "Tin báo"}}
        answer = httpx.post(
            f"{oa.url}/v3.0/oa/message/cs", json=body, headers={"access_token": access}
        )
        return int(answer.json()["error"])

    oa.user_wrote("fresh", days_ago=6.9)
    oa.user_wrote("stale", days_ago=7.1)
    assert (cs("fresh"), cs("stale"), cs("never")) == (0, -230, -230)
