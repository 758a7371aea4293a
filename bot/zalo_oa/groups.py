"""The OA's GMF groups: listing them, one group's details and members, writing into one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.zalo.updates import from_millis, id_text, text_or_none
from bot.zalo_oa.client import MAX_TEXT, ZaloOaApiError, ZaloOaClient
from domain.text import whole_number

PAGE = 50  # getgroupsofoa answers at most this many groups a call
MAX_GROUPS = 5000  # a bound on paging, whatever `total` Zalo announces
PACKAGE_EXPIRED = -237  # the group's purchased package ran out: nothing more reaches it


@dataclass(frozen=True)
class OaGroup:
    """One GMF group, as getgroup describes it."""

    group_id: str
    name: str | None
    size: int | None  # members now
    max_size: int | None  # the purchased size
    expires_at: datetime | None  # when the package runs out


async def send_group_text(client: ZaloOaClient, *, group_id: str, text: str) -> str:
    """Write a text (at most 2,000 characters) into a group; Zalo's message id."""
    if len(text) > MAX_TEXT:
        raise ValueError(f"a Zalo OA text holds at most {MAX_TEXT} characters")
    payload = {"recipient": {"group_id": group_id}, "message": {"text": text}}
    data = await client.call("POST", "/v3.0/oa/group/message", json=payload)
    return id_text(data.get("message_id")) or ""


async def list_group_ids(client: ZaloOaClient) -> list[str]:
    """The ids of every group of the OA, page by page."""
    found: list[str] = []
    while len(found) < MAX_GROUPS:
        params = {"offset": len(found), "count": PAGE}
        data = await client.call("GET", "/v3.0/oa/group/getgroupsofoa", params=params)
        groups = data.get("groups")
        page = [id_text(g.get("group_id")) for g in groups or [] if isinstance(g, dict)]
        found += [g for g in page if g is not None]
        if not page or len(found) >= (_int(data.get("total")) or 0):
            break
    return list(dict.fromkeys(found))


async def get_group(client: ZaloOaClient, *, group_id: str) -> OaGroup:
    """One group's title, size and package expiry (tolerant of flat or nested answers)."""
    data = await client.call("GET", "/v3.0/oa/group/getgroup", params={"group_id": group_id})
    info = _dict(data.get("group_info")) or data
    asset = _dict(data.get("asset_info")) or info
    expiry = asset.get("expired_time", info.get("expired_time"))
    return OaGroup(
        group_id=group_id,
        name=text_or_none(info.get("name")) or None,
        size=_int(info.get("total_member")),
        max_size=_int(info.get("max_member")),
        expires_at=_expiry(expiry),
    )


async def group_members(client: ZaloOaClient, *, group_id: str) -> dict[str, str | None] | None:
    """The group's members (id -> name), or None where Zalo does not list them."""
    members: dict[str, str | None] = {}
    try:
        while len(members) < MAX_GROUPS:
            params = {"group_id": group_id, "offset": len(members), "count": PAGE}
            data = await client.call("GET", "/v3.0/oa/group/listmember", params=params)
            page = [m for m in data.get("members") or [] if isinstance(m, dict)]
            for member in page:
                if (user_id := id_text(member.get("user_id"))) is not None:
                    members[user_id] = text_or_none(member.get("name")) or None
            if not page or len(members) >= (_int(data.get("total")) or 0):
                break
    except ZaloOaApiError as error:
        if error.status != 200:
            raise
        return None  # Zalo refuses the list for this group: the link alone stands
    return members


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int | None:
    if isinstance(value, str):
        return whole_number(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _expiry(value: object) -> datetime | None:
    never = datetime.min.replace(tzinfo=UTC)  # from_millis's answer for an unreadable time
    when = from_millis(value, default=never)
    return None if when == never else when
