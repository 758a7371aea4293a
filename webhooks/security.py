"""Checks on incoming requests: secrets in constant time, bodies within their size."""

from __future__ import annotations

import hmac

from starlette import status
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope

MAX_BODY_BYTES = 1024 * 1024


def secret_matches(given: str | None, expected: str) -> bool:
    """Compare a presented secret with the configured one without leaking timing."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a header; `name` in lower case, as the server passes names."""
    # A scan of the raw list: building request.headers costs more than the rest of a check.
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


async def read_body(scope: Scope, receive: Receive, *, limit: int = MAX_BODY_BYTES) -> bytes:
    """Read the body, refusing with 413 anything over the limit without reading it all."""
    declared = header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "body over 1 MiB")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            # The platform hung up before sending everything: nothing is stored, it will re-send.
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "incomplete body")
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "body over 1 MiB")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
