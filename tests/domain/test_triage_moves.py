"""The triage state machine: exactly docs/chat.md's moves, each on the timeline, nothing else."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from core.db import Database
from domain.reports.models import Report, Status
from domain.reports.service import timeline
from domain.reports.triage import MOVES, Move, MoveRefused, Officer, apply_move
from tests.factories import make_area, make_report

OFFICER = Officer(identity="telegram:880001", name="Hùng Trần", chat="telegram:-1001000000111")

# docs/chat.md's table (The police's desk), written out again by hand so that a change to MOVES is caught.
TABLE = {
    ("new", "claim"): "in_progress",
    ("new", "reject"): "rejected",
    ("in_progress", "reject"): "rejected",
    ("new", "duplicate"): "duplicate",
    ("in_progress", "duplicate"): "duplicate",
    ("new", "transfer"): "new",
    ("in_progress", "transfer"): "new",
    ("in_progress", "unclaim"): "new",
    ("in_progress", "resolve"): "resolved",
    ("resolved", "reopen"): "new",
    ("rejected", "reopen"): "new",
    ("duplicate", "reopen"): "new",
}


def new_report(session: Session, area_id: int | None, text: str = "x") -> Report:
    """A fresh report in an area."""
    return make_report(
        session,
        category="theft",
        area_id=area_id,
        text=text,
    )


def test_moves_match_the_contract_table() -> None:
    derived = {
        (status.value, move.value): target.value
        for move, (sources, target) in MOVES.items()
        for status in sources
    }
    assert derived == TABLE


def test_claim_resolve_and_reopen_record_who_and_why(db: Database) -> None:
    with db.session() as session:
        area = make_area(session, code="W")
        report = new_report(session, area.id)
        apply_move(session, report=report, move=Move.CLAIM, officer=OFFICER)
        assert (report.status, report.claimed_by_name) == ("in_progress", "Hùng Trần")
        with pytest.raises(MoveRefused):
            apply_move(session, report=report, move=Move.RESOLVE, officer=OFFICER, reason="  ")
        apply_move(
            session,
            report=report,
            move=Move.RESOLVE,
            officer=OFFICER,
            reason="Đã xử phạt hành chính",
        )
        resolved_at = report.closed_at
        assert report.status == "resolved" and resolved_at is not None
        apply_move(session, report=report, move=Move.REOPEN, officer=OFFICER)
        assert (report.status, report.claimed_by, report.outcome, report.closed_at) == (
            "new",
            None,
            None,
            None,
        )
        events = timeline(session, report=report)
    assert [e.kind for e in events] == ["filed", "claim", "resolve", "reopen"]
    assert {e.actor for e in events[1:]} == {"telegram:880001"}
    assert {e.chat for e in events[1:]} == {"telegram:-1001000000111"}


def test_duplicate_and_transfer_need_their_target(db: Database) -> None:
    with db.session() as session:
        first, second = make_area(session, code="W1"), make_area(session, code="W2")
        report, original = new_report(session, first.id), new_report(session, first.id)
        with pytest.raises(MoveRefused):
            apply_move(
                session, report=report, move=Move.DUPLICATE, officer=OFFICER, duplicate_of=report
            )
        with pytest.raises(MoveRefused):
            apply_move(
                session, report=report, move=Move.TRANSFER, officer=OFFICER, area_id=first.id
            )
        apply_move(session, report=report, move=Move.TRANSFER, officer=OFFICER, area_id=second.id)
        assert (report.area_id, report.status) == (second.id, "new")
        apply_move(
            session, report=report, move=Move.DUPLICATE, officer=OFFICER, duplicate_of=original
        )
        assert (report.status, report.duplicate_of_id) == ("duplicate", original.id)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moves=st.lists(st.sampled_from(list(Move)), min_size=1, max_size=12))
def test_any_sequence_of_moves_follows_the_table(db: Database, moves: list[Move]) -> None:
    with db.session() as session:
        first = make_area(session, code="P1")
        second = make_area(session, code="P2")
        report, other = new_report(session, first.id), new_report(session, first.id)
        events = len(timeline(session, report=report))
        for move in moves:
            before = report.status
            expected = TABLE.get((before, move.value))
            try:
                apply_move(
                    session,
                    report=report,
                    move=move,
                    officer=OFFICER,
                    reason="lý do",
                    duplicate_of=other,
                    area_id=second.id if report.area_id == first.id else first.id,
                )
            except MoveRefused:
                assert expected is None
                assert report.status == before  # a refused move changes nothing
                continue
            assert report.status == expected
            events += 1
            assert len(timeline(session, report=report)) == events
            # Open reports have a handler exactly when in progress; closed ones keep who had them.
            if report.status == Status.IN_PROGRESS:
                assert report.claimed_by == OFFICER.identity
            elif report.status == Status.NEW:
                assert report.claimed_by is None
            assert (report.closed_at is not None) == (
                report.status in {"resolved", "rejected", "duplicate"}
            )
        session.rollback()
