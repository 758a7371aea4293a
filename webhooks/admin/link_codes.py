"""POST /api/v1/link-codes: a one-time code that links a chat to an area."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from domain.chats.models import LinkRole
from domain.chats.service import LinkError, issue_link_code
from webhooks.admin.types import Timestamp
from webhooks.state import StateDep

router = APIRouter(prefix="/link-codes", tags=["chats"])


class LinkCodeIn(BaseModel):
    """Which area, and in which role, the code will link a chat."""

    area_code: str
    role: LinkRole


class LinkCodeOut(BaseModel):
    """The code to type after /link, and when it stops working."""

    code: str
    expires_at: Timestamp


@router.post("", status_code=status.HTTP_201_CREATED)
def post_link_code(body: LinkCodeIn, state: StateDep) -> LinkCodeOut:
    """Issue a code valid 24 hours."""
    with state.db.session() as session:
        try:
            code = issue_link_code(session, area_code=body.area_code, role=body.role.value)
        except LinkError as error:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from None
        return LinkCodeOut(code=code.code, expires_at=code.expires_at)
