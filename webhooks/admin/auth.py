"""Bearer-token authentication of the admin API."""

from __future__ import annotations

from fastapi import HTTPException, Request, status

from webhooks.security import secret_matches
from webhooks.state import get_state


async def require_admin(request: Request) -> None:
    """Let the call through only with the configured token; 503 when none is configured."""
    token = (await get_state(request)).settings.admin_token
    if token is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the admin API is off: set TINBAO_ADMIN_TOKEN"
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret_matches(given.strip(), token.get_secret_value()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
