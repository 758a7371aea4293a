"""Factories that build test data through the domain's own services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from core.db import utcnow
from domain.areas.models import Area, AreaKind
from domain.areas.service import upsert_area
from domain.chats.models import Chat, ChatKind
from domain.chats.service import record_chat
from domain.reports.models import Report, Source
from domain.reports.service import NewReport, file_report


def make_area(
    session: Session,
    *,
    code: str,
    name: str | None = None,
    kind: str = AreaKind.WARD,
    parent: Area | None = None,
    aliases: Iterable[str] = (),
    lat: float | None = None,
    lon: float | None = None,
) -> Area:
    """An area, created or updated; the name defaults to the code."""
    return upsert_area(
        session,
        code=code,
        name=name if name is not None else code,
        kind=kind,
        parent_code=parent.code if parent is not None else None,
        aliases=list(aliases),
        lat=lat,
        lon=lon,
    )


def make_report(
    session: Session,
    *,
    area_id: int | None,
    category: str = "theft",
    channel: str = "telegram",
    source: Source = Source.PRIVATE,
    reporter_id: int | None = None,
    text: str = "Có người lạ cạy khóa xe máy",
    anonymous: bool = True,
    urgent: bool = False,
    locale: str = "vi",
    **more: Any,
) -> Report:
    """A report filed through the domain's own service, as a resident would file it."""
    return file_report(
        session,
        new=NewReport(
            category=category,
            channel=channel,
            source=source,
            reporter_id=reporter_id,
            area_id=area_id,
            text=text,
            anonymous=anonymous,
            urgent=urgent,
            locale=locale,
            **more,
        ),
        actor="reporter",
        chat=None,
    )


def make_group(
    session: Session,
    *,
    area: Area,
    chat_id: str,
    channel: str = "telegram",
    role: str = "community",
    title: str | None = None,
) -> Chat:
    """A group the bot is in, linked to an area in a role, as /link would leave it."""
    chat = record_chat(
        session, channel=channel, chat_id=chat_id, kind=ChatKind.GROUP.value, title=title
    )
    chat.area_id = area.id
    chat.role = role
    chat.linked_at = utcnow()
    session.flush()
    return chat
