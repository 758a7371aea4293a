"""Area tables: a tree of any depth, each node with aliases."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime, utcnow


class AreaKind(StrEnum):
    """The tier of an area since the 2025 reform."""

    PROVINCE = "province"
    WARD = "ward"  # phường, xã or đặc khu
    HAMLET = "hamlet"  # tổ dân phố, thôn, bản


class Area(SQLModel, table=True):
    """A node of the area tree."""

    __tablename__ = "areas"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    parent_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("areas.id", ondelete="RESTRICT"), index=True),
    )
    lat: float | None = None
    lon: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Indexed: the resolver's index asks for the latest change to know whether it is stale.
    updated_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )


class AreaAlias(SQLModel, table=True):
    """Another name of an area: a former ward name, a spelling without diacritics."""

    __tablename__ = "area_aliases"
    __table_args__ = (
        # By spelling, not by folded form: "Hương Văn" and "Hương Vân" are two former wards.
        UniqueConstraint("area_id", "alias"),
        Index("ix_area_aliases_folded", "folded"),
    )

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(
        sa_column=Column(Integer, ForeignKey("areas.id", ondelete="CASCADE"), nullable=False)
    )
    alias: str = Field(sa_column=Column(String(200), nullable=False))
    # The alias without diacritics, lower case, single-spaced: what typed text is matched on.
    folded: str = Field(sa_column=Column(String(200), nullable=False))
