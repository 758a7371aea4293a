"""Fake chat-platform HTTP servers (Telegram, Zalo Bot, Zalo OA) for tests and benchmarks."""

from ._server import Call, Upload
from .telegram_api import FakeTelegram
from .zalo_api import FakeZalo
from .zalo_oa_api import FakeZaloOa

__all__ = ["Call", "FakeTelegram", "FakeZalo", "FakeZaloOa", "Upload"]
