"""A report's deadlines: to be claimed, then to be resolved; and the reports that missed them.

A report is in one stage at a time: the claim stage while it is new and has a claim deadline,
otherwise the resolve stage. Missing the stage's deadline earns a reminder in the triage chat
that covers the report; staying overdue earns one escalation, once the report is late by the
stage's span again, but never later than a day after the deadline (an urgent report that was
to be claimed within 15 minutes escalates 30 minutes after filing, a crime report that was to
be settled within 20 days escalates on the 21st day). Each stage gets one reminder and one
escalation at most: a claim, an unclaim, a transfer or a reopening starts a stage afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select as select_columns
from sqlmodel import Session, col, or_

from core.settings import Settings
from domain.reports.models import Report, Status

if TYPE_CHECKING:
    # Only the type: the triage module may call after_move, and so import this one.
    from domain.reports.triage import Move

# An escalation comes once the report is late by its stage's span again, or by this at most.
ESCALATE_AT_MOST_AFTER = timedelta(days=1)

_NEW = Status.NEW.value
_OPEN = (Status.NEW.value, Status.IN_PROGRESS.value)


class Late(Protocol):
    """What deciding the notice of a late report reads of it: a Report, or the sweep's row."""

    @property
    def code(self) -> str: ...
    @property
    def area_id(self) -> int | None: ...
    @property
    def category(self) -> str: ...
    @property
    def urgent(self) -> bool: ...
    @property
    def reminded_at(self) -> datetime | None: ...


class Deadlined(Late, Protocol):
    """What finding a report's stage and deadline reads of it."""

    @property
    def id(self) -> int | None: ...
    @property
    def status(self) -> str: ...
    @property
    def claim_due_at(self) -> datetime | None: ...
    @property
    def resolve_due_at(self) -> datetime | None: ...
    @property
    def escalated_at(self) -> datetime | None: ...


# The columns the sweep reads of a late report: its stage's deadline as `due`, not its text or
# its people.
_SWEPT = (
    col(Report.id),
    col(Report.code),
    col(Report.area_id),
    col(Report.category),
    col(Report.urgent),
    col(Report.reminded_at),
)


class Stage(StrEnum):
    """Which deadline a report is working against."""

    CLAIM = "claim"
    RESOLVE = "resolve"


class Notice(StrEnum):
    """What a missed deadline earns next."""

    REMINDER = "reminder"
    ESCALATION = "escalation"


@dataclass(frozen=True)
class Overdue:
    """A report past its stage's deadline, and the notice it is due."""

    report_id: int
    code: str
    area_id: int | None
    stage: Stage
    due: datetime
    notice: Notice
    late: timedelta


def start_deadlines(report: Report, *, settings: Settings, now: datetime) -> Report:
    """Give a report entering `new` its deadlines to be claimed and resolved, counted from now."""
    report.claim_due_at = now + settings.claim_within_for(
        category=report.category, urgent=report.urgent
    )
    report.resolve_due_at = now + settings.resolve_within_for(category=report.category)
    report.reminded_at = report.escalated_at = None
    return report


def ensure_deadlines(report: Report, *, settings: Settings, now: datetime) -> Report:
    """Start the deadlines of a report that has none yet; one routed again keeps its own."""
    if report.claim_due_at is None and report.resolve_due_at is None:
        start_deadlines(report, settings=settings, now=now)
    return report


def after_move(report: Report, *, move: Move, settings: Settings, now: datetime) -> Report:
    """Bring the deadlines in line with a move just made on the report."""
    if move == "claim":
        report.claim_due_at = None
        report.reminded_at = report.escalated_at = None
    elif move == "unclaim":
        report.claim_due_at = now + settings.claim_within_for(
            category=report.category, urgent=report.urgent
        )
        report.reminded_at = report.escalated_at = None
    elif move in ("transfer", "reopen"):
        start_deadlines(report, settings=settings, now=now)
    else:  # reject, resolve, duplicate: the report is closed
        report.claim_due_at = report.resolve_due_at = None
        report.reminded_at = report.escalated_at = None
    return report


def stage_of(report: Deadlined) -> tuple[Stage, datetime] | None:
    """The report's stage and its deadline, or None for a closed report or one without any."""
    if report.status not in _OPEN:
        return None
    if report.status == _NEW and report.claim_due_at is not None:
        return Stage.CLAIM, report.claim_due_at
    if report.resolve_due_at is not None:
        return Stage.RESOLVE, report.resolve_due_at
    return None


def span_of(report: Late, *, stage: Stage, settings: Settings) -> timedelta:
    """How long the stage lasts for this report, as configured."""
    if stage == Stage.CLAIM:
        return settings.claim_within_for(category=report.category, urgent=report.urgent)
    return settings.resolve_within_for(category=report.category)


def notice_due(report: Deadlined, *, settings: Settings, now: datetime) -> Overdue | None:
    """The notice the report is due now for a missed deadline, if any."""
    current = stage_of(report)
    if current is None or report.id is None or report.escalated_at is not None:
        return None
    stage, due = current
    return _late(report, report.id, stage=stage, due=due, settings=settings, now=now)


def _late(
    report: Late, report_id: int, *, stage: Stage, due: datetime, settings: Settings, now: datetime
) -> Overdue | None:
    """The notice a report of this stage earns at `now`, if its deadline `due` has passed."""
    late = now - due
    if late < timedelta(0):
        return None
    if report.reminded_at is None:
        notice = Notice.REMINDER
    elif late >= min(span_of(report, stage=stage, settings=settings), ESCALATE_AT_MOST_AFTER):
        notice = Notice.ESCALATION
    else:
        return None
    return Overdue(
        report_id=report_id,
        code=report.code,
        area_id=report.area_id,
        stage=stage,
        due=due,
        notice=notice,
        late=late,
    )


def overdue_reports(session: Session, *, settings: Settings, now: datetime) -> list[Overdue]:
    """Routed open reports past their deadline that are due a reminder or an escalation."""
    # Two questions, each answered by a partial index of the routed reports not yet
    # escalated (ix_reports_claim_overdue, ix_reports_resolve_overdue): only late reports
    # are read, and of them only what the notice needs, as plain rows.
    claim_missed: Any = select_columns(*_SWEPT, col(Report.claim_due_at).label("due")).where(
        col(Report.status) == _NEW,
        col(Report.claim_due_at) <= now,
        col(Report.escalated_at).is_(None),
        col(Report.unrouted).is_(False),
    )
    resolve_missed: Any = select_columns(*_SWEPT, col(Report.resolve_due_at).label("due")).where(
        col(Report.status).in_(_OPEN),
        col(Report.resolve_due_at) <= now,
        col(Report.escalated_at).is_(None),
        col(Report.unrouted).is_(False),
        or_(col(Report.status) != _NEW, col(Report.claim_due_at).is_(None)),
    )
    found: dict[int, Overdue] = {}
    connection = session.connection()  # plain rows: no ORM step for a thousand late reports
    for stage, query in ((Stage.CLAIM, claim_missed), (Stage.RESOLVE, resolve_missed)):
        # Streamed, not loaded: memory holds a batch of late reports and the notices due.
        for row in connection.execute(query.execution_options(yield_per=500)):
            overdue = _late(row, row.id, stage=stage, due=row.due, settings=settings, now=now)
            if overdue is not None:
                found[overdue.report_id] = overdue
    return [found[report_id] for report_id in sorted(found)]
