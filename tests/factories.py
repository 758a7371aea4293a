"""Factories that build test data through the domain's own services."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from domain.areas.models import Area, AreaKind
from domain.areas.service import upsert_area


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
