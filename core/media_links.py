"""Short-lived signed links to kept evidence, for platforms that take photos only by URL (Zalo).

A link names one file and an expiry, signed with the service's key: it opens that file until
then and nothing else. Without TINBAO_PUBLIC_URL there are no links, and Zalo chats get a note.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlencode

from core.sealing import Sealer
from core.settings import Settings

LINK_LIFETIME = timedelta(days=1)


def media_link(settings: Settings, sealer: Sealer, *, path: str, now: datetime) -> str | None:
    """A public URL of a kept file (path relative to the media dir), or None without one."""
    if settings.public_url is None:
        return None
    expires = int((now + LINK_LIFETIME).timestamp())
    query = urlencode({"exp": expires, "sig": sealer.sign(_signed(path, expires))})
    return f"{settings.public_url.rstrip('/')}/media/{quote(path)}?{query}"


def linked_file(
    settings: Settings, sealer: Sealer, *, path: str, expires: str, signature: str, now: datetime
) -> Path | None:
    """The file a link opens, when its signature holds and it has not expired; else None."""
    if not expires.isdigit() or int(expires) < now.timestamp():
        return None
    if not sealer.verify(_signed(path, int(expires)), signature):
        return None
    parts = PurePosixPath(path).parts
    if not parts or any(part in {"..", "."} or part.startswith("/") for part in parts):
        return None  # a signed path is one the service made; this is belt and braces
    root = settings.media_dir.resolve()
    file = (root / Path(*parts)).resolve()
    return file if file.is_relative_to(root) and file.is_file() else None


def _signed(path: str, expires: int) -> str:
    return f"media:{path}:{expires}"
