"""What Tinbao asks Zalo about an OA group before handling its message: title and members."""

from __future__ import annotations

import logging
import time

from bot.zalo_oa.client import ZaloOaApiError, ZaloOaClient, ZaloOaNetworkError
from bot.zalo_oa.groups import get_group, group_members

log = logging.getLogger(__name__)

_FORGET_ABOVE = 1000  # groups remembered; past this, all are forgotten rather than grow


class OaGroupFacts:
    """Asks the OA for a group's title and member list, trusting answers for a while."""

    def __init__(self, client: ZaloOaClient, *, ttl_seconds: float = 60.0) -> None:
        self._client = client
        self._ttl = ttl_seconds
        # group id -> (members' names by id, or None where Zalo gives no list; time asked)
        self._members: dict[str, tuple[dict[str, str | None] | None, float]] = {}

    async def title(self, group_id: str) -> str | None:
        """The group's name as getgroup gives it; None when Zalo cannot say now."""
        try:
            return (await get_group(self._client, group_id=group_id)).name
        except (ZaloOaApiError, ZaloOaNetworkError) as error:
            log.warning("could not ask Zalo for an OA group's name: %s", type(error).__name__)
            return None

    async def member(self, group_id: str, user_id: str) -> tuple[bool | None, str | None]:
        """Whether the person is in the group's member list (None where Zalo gives none),
        and their name there."""
        now = time.monotonic()
        known = self._members.get(group_id)
        if known is None or now - known[1] >= self._ttl:
            try:
                members = await group_members(self._client, group_id=group_id)
            except (ZaloOaApiError, ZaloOaNetworkError) as error:
                log.warning(
                    "could not ask Zalo for an OA group's members: %s", type(error).__name__
                )
                return None, None
            if len(self._members) > _FORGET_ABOVE:
                self._members.clear()
            known = self._members[group_id] = (members, now)
        members = known[0]
        if members is None:
            return None, None
        return user_id in members, members.get(user_id)
