"""Delivering outbox rows through the Zalo Official Account: to people, and into its GMF groups."""

from __future__ import annotations

import logging

from bot.sender.limits import ChannelLimits, zalo_limits
from bot.sender.outcomes import (
    AwaitsWindow,
    ChannelDown,
    ChatGone,
    Delivery,
    Rejected,
    RetryLater,
    Unavailable,
)
from bot.zalo_oa.client import (
    MAX_TEXT,
    RATE_LIMITED,
    TOKEN_REFUSED,
    ZaloOaApiError,
    ZaloOaAuthError,
    ZaloOaClient,
    ZaloOaNetworkError,
)
from bot.zalo_oa.groups import PACKAGE_EXPIRED, send_group_text
from domain.outbox.messages import MessageKind

log = logging.getLogger(__name__)

# Zalo allows 4,000 requests a minute per app (about 66 a second): 30 a second stays well under.
ZALO_OA_PER_SECOND = 30.0
# Error -32 (over the app's rate) says nothing about when: wait this long before that chat's next.
ZALO_OA_RETRY_SECONDS = 5.0
# Consultation messages reach only people who wrote to the OA within 7 days.
OUTSIDE_WINDOW = frozenset({-230, -232})


class ZaloOaTransport:
    """Sends texts as the OA; like the Zalo Bot, the OA has no buttons, edits or deletions here."""

    channel = "zalo-oa"

    def __init__(
        self,
        client: ZaloOaClient,
        *,
        per_second: float = ZALO_OA_PER_SECOND,
        retry_seconds: float = ZALO_OA_RETRY_SECONDS,
    ) -> None:
        self.client = client
        self.limits: ChannelLimits = zalo_limits(per_second, 1.0)
        self.retry_seconds = retry_seconds

    async def deliver(self, delivery: Delivery) -> str | None:
        """Send the row's text, translating Zalo OA's errors into the sender's."""
        if delivery.kind != MessageKind.TEXT:
            # Callers write plain-text fallbacks for Zalo; anything else is a no-op here.
            return None
        text = delivery.message.text
        if len(text) > MAX_TEXT:  # the outbox splits texts: this one came from elsewhere
            raise Rejected(f"text longer than {MAX_TEXT} characters")
        try:
            if delivery.chat_kind == "group":  # texts made inert of "[@" by the sender's loop
                return (
                    await send_group_text(self.client, group_id=delivery.chat_id, text=text) or None
                )
            return await self.client.send_text(user_id=delivery.chat_id, text=text) or None
        except ZaloOaNetworkError as error:
            raise Unavailable(str(error)) from None
        except ZaloOaAuthError as error:
            raise ChannelDown(f"token refresh refused: {error}") from None
        except ZaloOaApiError as error:
            raise _translate(error, retry_seconds=self.retry_seconds) from None


def _translate(error: ZaloOaApiError, *, retry_seconds: float) -> Exception:
    reason = str(error)
    if error.code == RATE_LIMITED or error.status == 429:
        return RetryLater(reason, seconds=retry_seconds)
    if error.code == PACKAGE_EXPIRED:
        # The group's package ran out: nothing reaches it until the OA renews and relinks it.
        log.warning("a Zalo OA group's package has expired: it receives nothing more")
        return ChatGone("the Zalo OA group's package has expired")
    if error.code in OUTSIDE_WINDOW:
        # The person's next message opens the window again: the message waits for it.
        return AwaitsWindow(reason)
    if error.code in TOKEN_REFUSED:  # refused again right after a refresh: the app lost access
        return ChannelDown(reason)
    if error.status >= 500:
        return Unavailable(reason)
    # Not a follower (-213) is Rejected, not ChatGone: an unfollow arrives as its own webhook event and deactivates the chat
    # already, and a chat deactivated here would come back only with a follow, refusing
    # answers meanwhile to someone who still writes to the OA.
    return Rejected(reason)
