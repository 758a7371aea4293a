"""GET /media/{path}: a kept photo, opened by a signed, short-lived link (see core.media_links)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse

from core.db import utcnow
from core.media_links import linked_file
from webhooks.state import StateDep

router = APIRouter(tags=["media"])


@router.get("/media/{path:path}", include_in_schema=False)
async def linked_media(path: str, exp: str, sig: str, state: StateDep) -> FileResponse:
    """The file, or 404 for any link that is not valid now (without saying why)."""
    file = linked_file(
        state.settings, state.sealer, path=path, expires=exp, signature=sig, now=utcnow()
    )
    if file is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
    # Kept files are named by their type's extension, which gives the content type.
    return FileResponse(file, headers={"Cache-Control": "private, max-age=3600"})
