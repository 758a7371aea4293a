"""Deadlines to claim and resolve: set on entering `new`, moved by each move, missed in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from core.db import Database
from core.settings import Settings
from domain.reports.deadlines import (
    Notice,
    Stage,
    after_move,
    ensure_deadlines,
    notice_due,
    overdue_reports,
    start_deadlines,
)
from domain.reports.models import Report
from domain.reports.triage import Move, Officer, apply_move
from tests.factories import make_area, make_report

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
SETTINGS = Settings(_env_file=None)
OFFICER = Officer(identity="telegram:880001", name="Hùng Trần", chat="telegram:-1001000000111")
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def report_of(category: str = "theft", *, urgent: bool = False, status: str = "new") -> Report:
    """A report not stored anywhere, for the rules that need no database."""
    return Report(
        id=1,
        code="ABC234",
        category=category,
        status=status,
        channel="telegram",
        source="private",
        urgent=urgent,
    )


def notices_of(report: Report) -> tuple[datetime | None, datetime | None]:
    """When the report was reminded and escalated."""
    return report.reminded_at, report.escalated_at


def filed(session: Session, *, category: str = "theft", urgent: bool = False) -> Report:
    """A report filed in a fresh ward, its deadlines started at T0."""
    area = make_area(session, code=f"W{category}{urgent}")
    report = make_report(
        session,
        category=category,
        area_id=area.id,
        text="x",
        urgent=urgent,
    )
    start_deadlines(report, settings=SETTINGS, now=T0)
    session.add(report)
    session.flush()
    return report


def test_start_deadlines_urgent_and_normal_and_crime() -> None:
    theft = start_deadlines(report_of("theft"), settings=SETTINGS, now=T0)
    assert (theft.claim_due_at, theft.resolve_due_at) == (T0 + DAY, T0 + 20 * DAY)
    urgent = start_deadlines(report_of("theft", urgent=True), settings=SETTINGS, now=T0)
    assert (urgent.claim_due_at, urgent.resolve_due_at) == (T0 + 15 * MINUTE, T0 + 20 * DAY)
    fire = start_deadlines(report_of("fire"), settings=SETTINGS, now=T0)
    assert (fire.claim_due_at, fire.resolve_due_at) == (T0 + HOUR, T0 + 3 * DAY)
    traffic = start_deadlines(report_of("traffic"), settings=SETTINGS, now=T0)
    assert (traffic.claim_due_at, traffic.resolve_due_at) == (T0 + DAY, T0 + 7 * DAY)


def test_start_deadlines_follows_configured_overrides() -> None:
    settings = Settings(
        _env_file=None,
        claim_within={"urgent": timedelta(minutes=5), "traffic": timedelta(hours=3)},
        resolve_within={"default": timedelta(days=2)},
    )
    urgent = start_deadlines(report_of("fire", urgent=True), settings=settings, now=T0)
    assert urgent.claim_due_at == T0 + 5 * MINUTE
    traffic = start_deadlines(report_of("traffic"), settings=settings, now=T0)
    assert (traffic.claim_due_at, traffic.resolve_due_at) == (T0 + 3 * HOUR, T0 + 2 * DAY)
    # Categories not named keep their defaults.
    drugs = start_deadlines(report_of("drugs"), settings=settings, now=T0)
    assert (drugs.claim_due_at, drugs.resolve_due_at) == (T0 + 8 * HOUR, T0 + 20 * DAY)


def test_start_deadlines_clears_notices_and_ensure_keeps_existing() -> None:
    report = report_of()
    report.reminded_at = report.escalated_at = T0
    start_deadlines(report, settings=SETTINGS, now=T0)
    assert notices_of(report) == (None, None)
    ensure_deadlines(report, settings=SETTINGS, now=T0 + 5 * DAY)
    assert report.claim_due_at == T0 + DAY
    fresh = ensure_deadlines(report_of(), settings=SETTINGS, now=T0 + 5 * DAY)
    assert fresh.claim_due_at == T0 + 6 * DAY


@pytest.mark.parametrize(
    ("move", "claim_due", "resolve_due"),
    [
        (Move.CLAIM, None, T0 + 20 * DAY),
        (Move.UNCLAIM, T0 + 3 * HOUR + DAY, T0 + 20 * DAY),
        (Move.TRANSFER, T0 + 3 * HOUR + DAY, T0 + 3 * HOUR + 20 * DAY),
        (Move.REOPEN, T0 + 3 * HOUR + DAY, T0 + 3 * HOUR + 20 * DAY),
        (Move.REJECT, None, None),
        (Move.RESOLVE, None, None),
        (Move.DUPLICATE, None, None),
    ],
)
def test_after_move_sets_each_moves_deadlines(
    move: Move, claim_due: datetime | None, resolve_due: datetime | None
) -> None:
    report = start_deadlines(report_of(), settings=SETTINGS, now=T0)
    report.reminded_at, report.escalated_at = T0 + DAY, T0 + 2 * DAY
    after_move(report, move=move, settings=SETTINGS, now=T0 + 3 * HOUR)
    assert (report.claim_due_at, report.resolve_due_at) == (claim_due, resolve_due)
    assert notices_of(report) == (None, None)


def test_notice_due_reminds_then_escalates_after_the_span_again() -> None:
    report = start_deadlines(report_of("fire"), settings=SETTINGS, now=T0)
    assert notice_due(report, settings=SETTINGS, now=T0 + 59 * MINUTE) is None
    first = notice_due(report, settings=SETTINGS, now=T0 + 61 * MINUTE)
    assert first is not None
    assert (first.stage, first.notice, first.late) == (Stage.CLAIM, Notice.REMINDER, MINUTE)
    report.reminded_at = T0 + 61 * MINUTE
    assert notice_due(report, settings=SETTINGS, now=T0 + 119 * MINUTE) is None
    second = notice_due(report, settings=SETTINGS, now=T0 + 2 * HOUR)
    assert second is not None and second.notice == Notice.ESCALATION
    report.escalated_at = T0 + 2 * HOUR
    assert notice_due(report, settings=SETTINGS, now=T0 + 10 * DAY) is None


def test_notice_due_escalates_a_long_stage_a_day_after_its_deadline() -> None:
    report = start_deadlines(report_of("theft"), settings=SETTINGS, now=T0)
    after_move(report, move=Move.CLAIM, settings=SETTINGS, now=T0 + HOUR)
    report.status = "in_progress"
    assert notice_due(report, settings=SETTINGS, now=T0 + 19 * DAY) is None
    reminder = notice_due(report, settings=SETTINGS, now=T0 + 20 * DAY)
    assert reminder is not None and (reminder.stage, reminder.notice) == (
        Stage.RESOLVE,
        Notice.REMINDER,
    )
    report.reminded_at = T0 + 20 * DAY
    assert notice_due(report, settings=SETTINGS, now=T0 + 21 * DAY - MINUTE) is None
    escalation = notice_due(report, settings=SETTINGS, now=T0 + 21 * DAY)
    assert escalation is not None and escalation.notice == Notice.ESCALATION


def test_notice_due_ignores_closed_reports_and_reports_without_deadlines() -> None:
    closed = start_deadlines(report_of(status="resolved"), settings=SETTINGS, now=T0)
    assert notice_due(closed, settings=SETTINGS, now=T0 + 30 * DAY) is None
    assert notice_due(report_of(), settings=SETTINGS, now=T0 + 30 * DAY) is None


def test_overdue_reports_selects_missed_deadlines_only(db: Database) -> None:
    with db.session() as session:
        urgent = filed(session, category="theft", urgent=True)
        theft = filed(session, category="theft")
        fire = filed(session, category="fire")
        claimed = filed(session, category="drugs")
        apply_move(session, report=claimed, move=Move.CLAIM, officer=OFFICER, now=T0)
        after_move(claimed, move=Move.CLAIM, settings=SETTINGS, now=T0)
        closed = filed(session, category="violence", urgent=True)
        apply_move(session, report=closed, move=Move.REJECT, officer=OFFICER, reason="sai", now=T0)
        after_move(closed, move=Move.REJECT, settings=SETTINGS, now=T0)
        unrouted = filed(session, category="weapons", urgent=True)
        unrouted.unrouted = True
        session.flush()

        def due_at(now: datetime) -> dict[str, tuple[Stage, Notice]]:
            found = overdue_reports(session, settings=SETTINGS, now=now)
            return {o.code: (o.stage, o.notice) for o in found}

        assert due_at(T0 + 14 * MINUTE) == {}
        assert due_at(T0 + 15 * MINUTE) == {urgent.code: (Stage.CLAIM, Notice.REMINDER)}
        urgent.reminded_at = T0 + 15 * MINUTE
        session.flush()
        assert due_at(T0 + 29 * MINUTE) == {}
        assert due_at(T0 + 2 * HOUR) == {
            urgent.code: (Stage.CLAIM, Notice.ESCALATION),
            fire.code: (Stage.CLAIM, Notice.REMINDER),
        }
        urgent.escalated_at = fire.escalated_at = fire.reminded_at = T0 + 2 * HOUR
        theft.reminded_at = theft.escalated_at = T0 + DAY
        session.flush()
        # The claimed report now works against its resolve deadline: 20 days for drugs.
        assert due_at(T0 + 19 * DAY) == {}
        assert due_at(T0 + 20 * DAY) == {claimed.code: (Stage.RESOLVE, Notice.REMINDER)}
