"""Structured logs, one JSON object a line, with every configured secret scrubbed."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from core.settings import Settings

# A bot token in a URL path, whatever the platform: /bot<token>/
_TOKEN_IN_PATH = re.compile(r"/bot[^/\s]+/")


class ScrubSecrets(logging.Filter):
    """Replace secrets in a record's message before any handler formats it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """The text with secrets and bot tokens replaced by ***."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _TOKEN_IN_PATH.sub("/bot***/", text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Format the message once, scrubbed, and drop the raw arguments."""
        record.msg = self.scrub(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value the settings hold."""
    values = [
        settings.secret_key,
        settings.admin_token,
        settings.zalo_token,
        settings.zalo_webhook_secret,
        settings.telegram_token,
        settings.telegram_webhook_secret,
        settings.zalo_oa_secret_key,
        settings.zalo_oa_app_secret,
        settings.zalo_oa_refresh_token,
    ]
    return [v.get_secret_value() for v in values if v is not None]


def configure_logging(settings: Settings, *, level: int = logging.INFO) -> None:
    """Send every log line through the scrubber to standard error as JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ScrubSecrets(secrets_of(settings)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Telegram's carry the token: keep them out.
    for noisy in ("httpx", "httpcore", "telegram", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
