"""Delivering outbox rows to Telegram through python-telegram-bot."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.sender.limits import ChannelLimits, telegram_limits
from bot.sender.outcomes import (
    ChannelDown,
    ChatGone,
    ChatMoved,
    Delivery,
    Rejected,
    RetryLater,
    Unavailable,
)
from domain.outbox.messages import MessageKind, Outgoing

# A 403 that is no block: the person simply never opened a private chat with the bot.
NOT_A_BLOCK = ("can't initiate conversation", "bots can't send messages to bots")
CHAT_GONE_400 = ("chat not found", "group chat was deactivated", "peer_id_invalid")


class TelegramTransport:
    """Sends, edits and answers through one Telegram bot."""

    channel = "telegram"

    def __init__(self, bot: Bot, *, per_second: float = 30.0) -> None:
        self.bot = bot
        self.limits: ChannelLimits = telegram_limits(per_second)

    async def deliver(self, delivery: Delivery) -> str | None:
        """Make the row's call, translating Telegram's errors into the sender's."""
        try:
            return await self._call(delivery)
        except RetryAfter as error:
            wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            raise RetryLater(str(error), seconds=seconds) from None
        except ChatMigrated as error:
            raise ChatMoved(str(error), new_chat_id=str(error.new_chat_id)) from None
        except Forbidden as error:
            text = error.message.lower()
            if any(phrase in text for phrase in NOT_A_BLOCK):
                raise Rejected(error.message) from None
            raise ChatGone(error.message) from None
        except BadRequest as error:
            text = error.message.lower()
            if "message is not modified" in text:
                return delivery.message.target_message_id
            if any(phrase in text for phrase in CHAT_GONE_400):
                raise ChatGone(error.message) from None
            raise Rejected(error.message) from None
        except InvalidToken as error:
            raise ChannelDown(error.message) from None
        except (TimedOut, NetworkError) as error:
            raise Unavailable(error.message) from None
        except TelegramError as error:
            raise Rejected(error.message) from None

    async def _call(self, delivery: Delivery) -> str | None:
        message = delivery.message
        # First: a button's answer is queued under "callback:<id>", not a chat id.
        if delivery.kind == MessageKind.ANSWER_BUTTON:
            assert message.callback_id is not None
            await self.bot.answer_callback_query(
                message.callback_id, text=message.text or None, show_alert=message.alert
            )
            return None
        chat_id = int(delivery.chat_id)
        markup = _markup(message)
        if delivery.kind == MessageKind.TEXT:
            sent = await self.bot.send_message(
                chat_id=chat_id,
                text=message.text,
                reply_markup=markup,
                reply_parameters=_reply(message),
            )
            return str(sent.message_id)
        if delivery.kind == MessageKind.EDIT_TEXT:
            assert message.target_message_id is not None
            await self.bot.edit_message_text(
                chat_id=chat_id,
                message_id=int(message.target_message_id),
                text=message.text,
                reply_markup=markup,
            )
            return message.target_message_id
        if delivery.kind == MessageKind.PHOTO:
            try:
                photo = await asyncio.to_thread(Path(message.extra["path"]).read_bytes)
            except OSError as error:
                raise Rejected(f"photo file unreadable: {error.strerror}") from None
            sent = await self.bot.send_photo(
                chat_id=chat_id,
                photo=photo,
                caption=message.text[:1024] or None,
                reply_markup=markup,
                reply_parameters=_reply(message),
            )
            return str(sent.message_id)
        if delivery.kind == MessageKind.COPY:
            copied = await self.bot.copy_message(
                chat_id=chat_id,
                from_chat_id=int(message.extra["from_chat_id"]),
                message_id=int(message.extra["message_id"]),
                reply_markup=markup,
                reply_parameters=_reply(message),
            )
            return str(copied.message_id)
        if delivery.kind == MessageKind.LOCATION:
            sent = await self.bot.send_location(
                chat_id=chat_id,
                latitude=float(message.extra["latitude"]),
                longitude=float(message.extra["longitude"]),
                reply_parameters=_reply(message),
            )
            return str(sent.message_id)
        if delivery.kind == MessageKind.DELETE:
            assert message.target_message_id is not None
            await self.bot.delete_message(
                chat_id=chat_id, message_id=int(message.target_message_id)
            )
            return None
        raise Rejected(f"unknown message kind {delivery.kind!r}")


def _reply(message: Outgoing) -> ReplyParameters | None:
    if not message.reply_to:
        return None
    return ReplyParameters(message_id=int(message.reply_to), allow_sending_without_reply=True)


def _markup(message: Outgoing) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in message.buttons
        ]
    )
