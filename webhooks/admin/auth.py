"""Bearer-token authentication of the admin API."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Request, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from webhooks.security import secret_matches
from webhooks.state import get_state

# Declares the scheme in /openapi.json, so that /docs offers Authorize; the check is below.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="adminToken",
    description="The value of TINBAO_ADMIN_TOKEN",
)


async def require_admin(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
) -> None:
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
