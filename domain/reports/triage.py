"""The police's moves on a report, as docs/chat.md's table allows them, each written to the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session

from core.db import utcnow
from domain.reports.models import Report, Status
from domain.reports.service import record_event


def minutes_between(earlier: datetime, later: datetime) -> float:
    """Minutes from one moment to another, as statistics count them."""
    return (later - earlier).total_seconds() / 60


class Move(StrEnum):
    """What an officer can do to a report."""

    CLAIM = "claim"
    UNCLAIM = "unclaim"
    REJECT = "reject"
    DUPLICATE = "duplicate"
    TRANSFER = "transfer"
    RESOLVE = "resolve"
    REOPEN = "reopen"


OPEN = frozenset({Status.NEW, Status.IN_PROGRESS})
CLOSED = frozenset({Status.RESOLVED, Status.REJECTED, Status.DUPLICATE})

# docs/chat.md, The police's desk: from which statuses each move is allowed, and the status it leads to.
MOVES: dict[Move, tuple[frozenset[Status], Status]] = {
    Move.CLAIM: (frozenset({Status.NEW}), Status.IN_PROGRESS),
    Move.UNCLAIM: (frozenset({Status.IN_PROGRESS}), Status.NEW),
    Move.REJECT: (OPEN, Status.REJECTED),
    Move.DUPLICATE: (OPEN, Status.DUPLICATE),
    Move.TRANSFER: (OPEN, Status.NEW),
    Move.RESOLVE: (frozenset({Status.IN_PROGRESS}), Status.RESOLVED),
    Move.REOPEN: (CLOSED, Status.NEW),
}


class MoveRefused(ValueError):
    """The move is not allowed from the report's status, or lacks what it needs."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Officer:
    """Who acts: a platform identity for the record, a name for colleagues, and the chat."""

    identity: str  # e.g. "telegram:880001"
    name: str
    chat: str  # e.g. "telegram:-1001000000111"


def allowed(report: Report, move: Move) -> bool:
    """Whether the move is allowed from the report's status."""
    sources, _target = MOVES[move]
    return Status(report.status) in sources


def apply_move(
    session: Session,
    *,
    report: Report,
    move: Move,
    officer: Officer,
    reason: str | None = None,
    duplicate_of: Report | None = None,
    area_id: int | None = None,
    now: datetime | None = None,
) -> Report:
    """Make the move, or raise MoveRefused; the timeline records who, when, where and what."""
    if not allowed(report, move):
        raise MoveRefused(f"{move.value} is not allowed from {report.status}")
    now = now or utcnow()
    details: dict[str, object] = {"from": report.status}
    if move in (Move.REJECT, Move.RESOLVE):
        if not reason or not reason.strip():
            raise MoveRefused(f"{move.value} needs a reason")
        report.outcome = reason.strip()[:2000]
        details["reason"] = report.outcome
    if move == Move.DUPLICATE:
        if duplicate_of is None or duplicate_of.id == report.id:
            raise MoveRefused("duplicate needs another report")
        report.duplicate_of_id = duplicate_of.id
        details["of"] = duplicate_of.code
    if move == Move.TRANSFER:
        if area_id is None or area_id == report.area_id:
            raise MoveRefused("transfer needs another area")
        details["from_area"], report.area_id = report.area_id, area_id
        details["to_area"] = area_id
    if move == Move.CLAIM:
        report.claimed_by, report.claimed_by_name, report.claimed_at = (
            officer.identity,
            officer.name,
            now,
        )
        if report.claim_minutes is None:  # the first claim ever: later ones do not count
            report.claim_minutes = minutes_between(report.created_at, now)
    # Only a report resolved now has a time to resolve; a reopen or any other move clears it.
    report.resolve_minutes = (
        minutes_between(report.created_at, now) if move == Move.RESOLVE else None
    )
    if move in (Move.UNCLAIM, Move.TRANSFER, Move.REOPEN):
        report.claimed_by = report.claimed_by_name = report.claimed_at = None
    report.closed_at = now if MOVES[move][1] in CLOSED else None
    if move == Move.REOPEN:
        report.outcome, report.duplicate_of_id = None, None
    report.status = MOVES[move][1].value
    report.updated_at = now
    session.add(report)
    details["to"] = report.status
    record_event(
        session,
        report=report,
        kind=move.value,
        actor=officer.identity,
        chat=officer.chat,
        details=details,
        at=now,
    )
    return report
