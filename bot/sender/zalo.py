"""Delivering outbox rows to the Zalo Bot Platform."""

from __future__ import annotations

from bot.sender.limits import ChannelLimits, zalo_limits
from bot.sender.outcomes import ChannelDown, ChatGone, Delivery, Rejected, RetryLater, Unavailable
from bot.zalo.client import ZaloApiError, ZaloBotClient, ZaloNetworkError
from domain.outbox.messages import MessageKind

# Zalo sends no retry_after with its 429: wait this long before that chat's next try.
ZALO_RETRY_SECONDS = 5.0


class ZaloTransport:
    """Sends texts through one Zalo bot; Zalo has no buttons, edits or deletions."""

    channel = "zalo"

    def __init__(
        self,
        client: ZaloBotClient,
        *,
        per_second: float,
        per_chat_per_second: float,
        retry_seconds: float = ZALO_RETRY_SECONDS,
    ) -> None:
        self.client = client
        self.limits: ChannelLimits = zalo_limits(per_second, per_chat_per_second)
        self.retry_seconds = retry_seconds

    async def deliver(self, delivery: Delivery) -> str | None:
        """Send the row's text, translating Zalo's errors into the sender's."""
        message = delivery.message
        photo_url = message.extra.get("url") if delivery.kind == MessageKind.PHOTO else None
        if delivery.kind != MessageKind.TEXT and not photo_url:
            # Callers write plain-text fallbacks for Zalo; anything else is a no-op here.
            return None
        try:
            if photo_url:
                result = await self.client.send_photo(
                    chat_id=delivery.chat_id, photo_url=str(photo_url), caption=message.text
                )
            else:
                result = await self.client.send_message(chat_id=delivery.chat_id, text=message.text)
        except ZaloNetworkError as error:
            raise Unavailable(str(error)) from None
        except ZaloApiError as error:
            raise _translate(error, retry_seconds=self.retry_seconds) from None
        message_id = result.get("message_id")
        return str(message_id) if message_id is not None else None


def _translate(error: ZaloApiError, *, retry_seconds: float) -> Exception:
    code = error.error_code or error.status
    text = error.description.lower()
    if code == 429:
        return RetryLater(error.description, seconds=retry_seconds)
    if code == 401:
        return ChannelDown(error.description)
    if code == 403 or "blocked" in text:
        return ChatGone(error.description)
    if "chat not found" in text or code == 404:
        return ChatGone(error.description)
    if code >= 500 or code == 408:
        return Unavailable(error.description)
    return Rejected(error.description)
