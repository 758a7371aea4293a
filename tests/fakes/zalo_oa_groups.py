"""The GMF part of FakeZaloOa: the OA's groups, their members, quota and group messages."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from ._server import JSON

GROUP_SEND_PATH = "/v3.0/oa/group/message"
GROUPS_PATH = "/v3.0/oa/group/getgroupsofoa"
GROUP_PATH = "/v3.0/oa/group/getgroup"
MEMBERS_PATH = "/v3.0/oa/group/listmember"
QUOTA_PATH = "/v3.0/oa/quota/group"
GET_PATHS = frozenset({GROUPS_PATH, GROUP_PATH, MEMBERS_PATH, QUOTA_PATH})
# Group errors as Zalo answers them: HTTP 200 with a negative `error`.
GROUP_ERRORS: dict[str, tuple[int, str]] = {
    "-237": (-237, "The group's package has expired"),
    "-32": (-32, "Request exceeded the rate limit of the app"),
    "-201": (-201, "Parameters are invalid"),
    # The code for a group whose member list Zalo does not give is not documented: a guess.
    "-224": (-224, "The OA may not list this group's members"),
}
PAGE_MAX = 50  # getgroupsofoa's `count` is capped, so lists come in pages
DAY_MS = 86_400_000


@dataclass
class OaGroup:
    """A GMF group of the OA, as Zalo describes it."""

    group_id: str
    name: str
    members: list[str] | None = None  # None: Zalo does not list this group's members
    max_member: int = 100  # the purchased size
    expires_at: int = field(default_factory=lambda: _ms() + 90 * DAY_MS)  # ms since the epoch
    total_member: int | None = None  # when None, len(members) (or 0)

    @property
    def expired(self) -> bool:
        """Whether the purchased package has run out: sends answer -237."""
        return self.expires_at <= _ms()

    def info(self) -> JSON:
        """The group as getgroup describes it."""
        count = self.total_member
        if count is None:
            count = len(self.members) if self.members is not None else 0
        return {
            "group_info": {
                "group_id": self.group_id,
                "name": self.name,
                "total_member": count,
                "max_member": self.max_member,
                "status": "expired" if self.expired else "enabled",
            },
            "asset_info": {"asset_id": f"gmf-{self.group_id}", "expired_time": self.expires_at},
        }


def group_error(name: str) -> JSON:
    """A GMF error as Zalo answers it."""
    code, message = GROUP_ERRORS[name]
    return {"error": code, "message": message}


def answer_get(groups: dict[str, OaGroup], path: str, query: dict[str, Any]) -> JSON:
    """The answer to a GMF read: groups (paged), one group, its members, the quota."""
    if path == QUOTA_PATH:
        live = [g for g in groups.values() if not g.expired]
        data = {"total_group": len(groups), "active_group": len(live), "quota_type": "gmf"}
        return {"data": data, "error": 0, "message": "Success"}
    if path == GROUPS_PATH:
        offset, count = _int(query.get("offset"), 0), _int(query.get("count"), 10)
        if count < 1 or count > PAGE_MAX or offset < 0:
            return group_error("-201")
        page = list(groups.values())[offset : offset + count]
        listed = [{"group_id": g.group_id, "name": g.name} for g in page]
        return {"data": {"total": len(groups), "groups": listed}, "error": 0, "message": "Success"}
    group = groups.get(query.get("group_id", ""))
    if group is None:
        return group_error("-201")
    if path == GROUP_PATH:
        return {"data": group.info(), "error": 0, "message": "Success"}
    if group.members is None:
        return group_error("-224")
    offset, count = _int(query.get("offset"), 0), _int(query.get("count"), 50)
    members = [
        {"user_id": m, "name": f"Thành viên {m[-4:]}"}
        for m in group.members[offset : offset + count]
    ]
    data = {"total": len(group.members), "members": members}
    return {"data": data, "error": 0, "message": "Success"}


def send_group(groups: dict[str, OaGroup], params: Any) -> JSON:
    """The answer to POST /v3.0/oa/group/message (scripted errors already taken)."""
    recipient = params.get("recipient") if isinstance(params, dict) else None
    group_id = recipient.get("group_id") if isinstance(recipient, dict) else None
    group = groups.get(str(group_id))
    if group is None:
        return group_error("-201")
    if group.expired:
        return group_error("-237")
    message = params.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    if not isinstance(text, str) or not 1 <= len(text) <= 2000:
        return group_error("-201")
    data = {"message_id": uuid.uuid4().hex, "group_id": group.group_id, "sent_time": _ms()}
    return {"data": data, "error": 0, "message": "Success"}


def group_of(params: Any) -> str | None:
    """The group a send is addressed to, if any."""
    recipient = params.get("recipient") if isinstance(params, dict) else None
    group_id = recipient.get("group_id") if isinstance(recipient, dict) else None
    return str(group_id) if group_id is not None else None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return -1


def _ms() -> int:
    return int(time.time() * 1000)
