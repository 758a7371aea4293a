"""Fake chat-platform HTTP servers (Telegram Bot API, Zalo Bot API) for tests and benchmarks."""

from ._server import Call, Upload
from .telegram_api import FakeTelegram
from .zalo_api import FakeZalo

__all__ = ["Call", "FakeTelegram", "FakeZalo", "Upload"]
