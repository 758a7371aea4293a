"""What the Zalo OA groups' tests share: the service with the OA on, and people writing to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.fakes import FakeZaloOa
from tests.fakes.zalo_oa_api import APP_SECRET, REFRESH_TOKEN
from tests.fakes.zalo_oa_events import (
    APP_ID,
    OA_SECRET_KEY,
    group_event,
    photo,
    signed,
    user_event,
)
from tests.harness import Running


def with_oa(fake: FakeZaloOa) -> dict[str, Any]:
    """Settings that turn the Zalo OA on, pointed at the fake."""
    return {
        "zalo_oa_app_id": APP_ID,
        "zalo_oa_secret_key": OA_SECRET_KEY,
        "zalo_oa_app_secret": APP_SECRET,
        "zalo_oa_refresh_token": REFRESH_TOKEN,
        "zalo_oa_api_url": fake.url,
        "zalo_oauth_url": fake.url,
    }


async def post_oa(running: Running, body: Any, *, signature: str | None = None) -> httpx.Response:
    """POST an event to the OA webhook, signed as Zalo signs it unless told otherwise."""
    raw, good = signed(body)
    headers = {"X-ZEvent-Signature": good if signature is None else signature}
    return await running.client.post("/webhooks/zalo-oa", content=raw, headers=headers)


@dataclass
class OaPerson:
    """Someone writing to the OA privately, or in one of the OA's groups."""

    running: Running
    fake: FakeZaloOa
    user_id: str = "4462276093349011405"

    async def says(self, text: str, *, group: str | None = None, shape: str = "group_id") -> None:
        """Write a text privately to the OA, or in a group (no mention needed there)."""
        if group is None:
            self.fake.user_wrote(self.user_id)
            body = user_event("user_send_text", self.user_id, text=text)
        else:
            body = group_event("user_send_group_text", group, self.user_id, text=text, shape=shape)
        response = await post_oa(self.running, body)
        assert response.status_code == 200, response.text

    async def sends_photo(self, url: str, *, group: str, caption: str = "") -> None:
        """Post a photo in a group."""
        body = group_event(
            "user_send_group_image", group, self.user_id, text=caption, attachments=photo(url)
        )
        response = await post_oa(self.running, body)
        assert response.status_code == 200, response.text

    async def shares_location(self, latitude: float, longitude: float, *, group: str) -> None:
        """Share a place in a group; Zalo sends the coordinates as text."""
        where = {"latitude": str(latitude), "longitude": str(longitude)}
        attachments = [{"type": "location", "payload": {"coordinates": where}}]
        body = group_event("user_send_group_location", group, self.user_id, attachments=attachments)
        response = await post_oa(self.running, body)
        assert response.status_code == 200, response.text
