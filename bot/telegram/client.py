"""The python-telegram-bot `Bot`, pointed at TINBAO_TELEGRAM_API_URL."""

from __future__ import annotations

import os

from telegram import Bot

from bot.telegram.request import AiohttpRequest

# Opt in to PTB's coming timedelta durations (RetryAfter.retry_after) instead of a warning.
os.environ.setdefault("PTB_TIMEDELTA", "true")


def make_bot(*, token: str, api_url: str, timeout: float = 20.0) -> Bot:
    """A Bot whose calls go to `{api_url}/bot{token}/{method}` and files to `{api_url}/file/bot...`."""
    root = api_url.rstrip("/")
    request = AiohttpRequest(
        connections=64,
        connect_timeout=timeout,
        read_timeout=timeout,
        write_timeout=timeout,
        pool_timeout=timeout,
    )
    # getUpdates holds its connection for the long-poll: it gets a request of its own.
    updates_request = AiohttpRequest(connections=2, read_timeout=60.0)
    return Bot(
        token=token,
        base_url=f"{root}/bot",
        base_file_url=f"{root}/file/bot",
        request=request,
        get_updates_request=updates_request,
    )
