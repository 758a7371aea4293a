"""Report tables: the report, its evidence, its timeline, and drafts of reports being written."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    text,
)
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime, utcnow


class Category(StrEnum):
    """What a report is about; people see these translated."""

    DRUGS = "drugs"
    THEFT = "theft"
    FRAUD = "fraud"
    VIOLENCE = "violence"
    FIRE = "fire"
    WEAPONS = "weapons"
    SUSPICIOUS = "suspicious"
    TRAFFIC = "traffic"
    OTHER = "other"


class Status(StrEnum):
    """Where a report stands in the police's work."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


class Source(StrEnum):
    """Where a report was filed."""

    PRIVATE = "private"  # the dialogue in a private chat
    GROUP = "group"  # /report in a community group


# The open statuses (triage.OPEN) as written in the partial index of the queue, and in the
# queries that must name it word for word for SQLite to use that index.
OPEN_WHERE = "status IN ('in_progress', 'new')"


class Report(SQLModel, table=True):
    """A resident's report. Who filed it is a person id: their identity lives sealed elsewhere."""

    __tablename__ = "reports"
    # docs/queries.md shows each in use (bench/plans.py).
    __table_args__ = (
        # /queue and the open reports of an area: counted from the index alone.
        Index("ix_reports_status_area", "status", "area_id"),
        # By time, with what statistics read of the reports of a piece of a day at a period's
        # end, so that a province's are read from the index alone (not from 2,000 areas).
        Index(
            "ix_reports_created_at_figures",
            "created_at",
            "area_id",
            "category",
            "status",
            "claim_minutes",
            "resolve_minutes",
        ),
        # Lists newest first within an area (with descendants), a status, a category's period.
        Index("ix_reports_area_id_id", "area_id", "id"),
        Index("ix_reports_status_id", "status", "id"),
        Index("ix_reports_category_created_at", "category", "created_at"),
        # Statistics of an area: the ends of a period, and the medians read from the index
        # alone (no report row is read to find the times to claim and to resolve).
        Index(
            "ix_reports_area_figures", "area_id", "created_at", "claim_minutes", "resolve_minutes"
        ),
        # /queue's page: the open reports in queue order (urgent ones, then the others, oldest
        # first), walked until the page is full instead of sorting a province's open reports.
        Index(
            "ix_reports_open_queue",
            "urgent",
            "created_at",
            "id",
            sqlite_where=text(OPEN_WHERE),
            postgresql_where=text(OPEN_WHERE),
        ),
        # Reports resolved in a period (the chart's second bars, at the ends of months).
        Index("ix_reports_status_closed_at", "status", "closed_at", "area_id"),
        # The overdue sweep: only reports not yet escalated, by the deadline of their stage.
        Index(
            "ix_reports_claim_overdue",
            "status",
            "claim_due_at",
            sqlite_where=text("escalated_at IS NULL"),
            postgresql_where=text("escalated_at IS NULL"),
        ),
        Index(
            "ix_reports_resolve_overdue",
            "status",
            "resolve_due_at",
            sqlite_where=text("escalated_at IS NULL"),
            postgresql_where=text("escalated_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(8), nullable=False, unique=True))
    category: str = Field(sa_column=Column(String(16), nullable=False))
    status: str = Field(default=Status.NEW, sa_column=Column(String(16), nullable=False))
    area_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("areas.id", ondelete="SET NULL"))
    )
    reporter_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("people.id", ondelete="SET NULL"), index=True),
    )
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    source: str = Field(sa_column=Column(String(16), nullable=False))
    # The community group a group report came from (its area tagged the report).
    group_chat_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("chats.id", ondelete="SET NULL"))
    )
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    occurred_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    occurred_text: str | None = Field(default=None, sa_column=Column(String(200)))
    latitude: float | None = None
    longitude: float | None = None
    anonymous: bool = True
    urgent: bool = False
    # Set when no triage chat covers the area: the admin API lists these for an operator.
    unrouted: bool = False
    locale: str = Field(default="vi", sa_column=Column(String(8), nullable=False))
    # Triage: who handles it (a platform identity and the name shown to colleagues), and outcomes.
    claimed_by: str | None = Field(default=None, sa_column=Column(String(96)))
    claimed_by_name: str | None = Field(default=None, sa_column=Column(String(200)))
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, sa_column=Column(Text))
    duplicate_of_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("reports.id", ondelete="SET NULL"))
    )
    # The first report of the burst about one event that this report joined (clusters.py).
    cluster_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("reports.id", ondelete="SET NULL"), index=True),
    )
    # Deadlines of the current stage (claim while new, resolve while open), and the notices
    # already sent about missing them: a reminder in the triage chat, then an escalation.
    claim_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolve_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Figures kept when they happen (domain/reports/triage.py), so that statistics need no
    # timeline: minutes from filing to the first claim ever (an unclaim keeps it), and to
    # the resolution while the report stays resolved (other moves clear it).
    claim_minutes: float | None = Field(default=None, sa_column=Column(Float))
    resolve_minutes: float | None = Field(default=None, sa_column=Column(Float))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


NO_AREA = 0  # the area_id of daily counts of reports without an area


def _covering_key(
    table: str, key: tuple[str, ...], counts: tuple[str, ...]
) -> PrimaryKeyConstraint:
    """A count table's primary key; on PostgreSQL it carries the counts too (migration 0011).

    PostgreSQL keeps rows in the order they were written, so an area's period would be read
    from pages all over the table; with the counts in the key's index, from a run of its own
    pages. SQLite's tables live in their key's order already (WITHOUT ROWID).
    """
    return PrimaryKeyConstraint(*key, name=f"pk_{table}", postgresql_include=list(counts))


class ReportDayCount(SQLModel, table=True):
    """Reports filed on a UTC day, and reports resolved on it, by category and status now, under an area.

    Each report counts under its area, every area above it and EVERYWHERE (NO_AREA for none),
    as the month counts do: a period's days of any area are a few dozen rows each. Kept in
    the same transaction as every change of a report (domain/reports/figures.py).
    """

    __tablename__ = "report_daily_counts"
    # On SQLite the rows live in their key's order: an area's period is one run of pages.
    __table_args__ = (
        _covering_key(
            "report_daily_counts", ("area_id", "day", "category", "status"), ("filed", "resolved")
        ),
        {"sqlite_with_rowid": False},
    )

    area_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    day: date = Field(sa_column=Column(Date, primary_key=True))
    category: str = Field(sa_column=Column(String(16), primary_key=True))
    status: str = Field(sa_column=Column(String(16), primary_key=True))
    filed: int = Field(default=0, sa_column=Column(Integer, nullable=False))  # by created_at
    resolved: int = Field(default=0, sa_column=Column(Integer, nullable=False))  # by closed_at


class ReportAreaTotal(SQLModel, table=True):
    """How many reports an area had filed as its own (NO_AREA: none) up to the end of a UTC day.

    A running total, with a row for each day the area had a report filed: an area's count over
    any run of whole days is the difference of two rows, however long the run, so that a
    province's list of areas reads two rows per area. Kept with every change of a report.
    """

    __tablename__ = "report_area_totals"
    __table_args__ = (
        _covering_key("report_area_totals", ("area_id", "day"), ("filed",)),
        {"sqlite_with_rowid": False},
    )

    area_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    day: date = Field(sa_column=Column(Date, primary_key=True))
    filed: int = Field(default=0, sa_column=Column(Integer, nullable=False))  # through `day`


EVERYWHERE = -1  # the area_id of minute counts of every report, whatever its area
DAY, MONTH = "d", "m"  # the units of the minute counts: a UTC day, a UTC month


class ReportMinuteCount(SQLModel, table=True):
    """Reports filed in a UTC day or month whose time to claim (or resolve) rounds to a bucket.

    Each report counts under its area, every area above it and EVERYWHERE, so that a median
    of any area over any period walks a few hundred buckets per month instead of its reports.
    Kept in the same transaction as every change of a report (domain/reports/figures.py).
    """

    __tablename__ = "report_minute_counts"
    __table_args__ = (
        _covering_key(
            "report_minute_counts", ("area_id", "unit", "kind", "start", "bucket"), ("reports",)
        ),
        {"sqlite_with_rowid": False},
    )

    area_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    unit: str = Field(sa_column=Column(String(1), primary_key=True))  # DAY or MONTH
    kind: str = Field(sa_column=Column(String(8), primary_key=True))  # claim or resolve
    start: date = Field(sa_column=Column(Date, primary_key=True))  # the day, or the 1st
    bucket: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    reports: int = Field(default=0, sa_column=Column(Integer, nullable=False))


OWN, UNDER = "o", "u"  # month counts' scope: only UNDER is written (OWN rows retired in 0010)


class ReportMonthCount(SQLModel, table=True):
    """Reports filed in a UTC month, and reports resolved in it, under an area or its own.

    Its rows count by category and status every report of the area and those below it (and
    EVERYWHERE every report); scope is always UNDER. A long period adds up a few rows per
    month of the asked area.
    """

    __tablename__ = "report_month_counts"
    __table_args__ = (
        _covering_key(
            "report_month_counts",
            ("area_id", "scope", "month", "category", "status"),
            ("filed", "resolved"),
        ),
        {"sqlite_with_rowid": False},
    )

    area_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    scope: str = Field(sa_column=Column(String(1), primary_key=True))  # OWN or UNDER
    month: date = Field(sa_column=Column(Date, primary_key=True))  # the 1st, UTC
    category: str = Field(sa_column=Column(String(16), primary_key=True))
    status: str = Field(sa_column=Column(String(16), primary_key=True))
    filed: int = Field(default=0, sa_column=Column(Integer, nullable=False))  # by created_at
    resolved: int = Field(default=0, sa_column=Column(Integer, nullable=False))  # by closed_at


class ReportOpenCount(SQLModel, table=True):
    """How many reports of an area (with those below it) are in an open status now.

    Kept in the same transaction as every change of a report, under the same areas as the
    minute counts, so that /queue says how many are open without counting them.
    """

    __tablename__ = "report_open_counts"

    area_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    status: str = Field(sa_column=Column(String(16), primary_key=True))
    reports: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class Evidence(SQLModel, table=True):
    """A photo, video, voice note or document copied into TINBAO_MEDIA_DIR."""

    __tablename__ = "report_evidence"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    path: str = Field(sa_column=Column(String(255), nullable=False))
    mime_type: str | None = Field(default=None, sa_column=Column(String(100)))
    size: int = 0
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    caption: str | None = Field(default=None, sa_column=Column(Text))
    # Where the photo was taken, from its EXIF: for the police only, never shown to groups.
    latitude: float | None = None
    longitude: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ReportEvent(SQLModel, table=True):
    """One change in a report's life: who, when, from which chat, what."""

    __tablename__ = "report_events"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    # "reporter", "operator", or a platform identity such as "telegram:880001" for officers.
    actor: str = Field(sa_column=Column(String(96), nullable=False))
    chat: str | None = Field(default=None, sa_column=Column(String(96)))
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Question(SQLModel, table=True):
    """An officer's question relayed to a reporter, and when the reporter answered."""

    __tablename__ = "report_questions"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    asked_by: str = Field(sa_column=Column(String(96), nullable=False))  # a platform identity
    chat: str = Field(sa_column=Column(String(96), nullable=False))  # the triage chat asking
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Draft(SQLModel, table=True):
    """A report being written in a private chat: the dialogue's state, kept across restarts."""

    __tablename__ = "drafts"

    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    )
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    chat_id: str = Field(sa_column=Column(String(64), nullable=False))
    step: str = Field(sa_column=Column(String(32), nullable=False))
    # JSON of what was gathered so far (category, area, text, evidence ids...).
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )
