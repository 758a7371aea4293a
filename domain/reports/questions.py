"""Questions the police relay to a reporter, and which one a reporter's message answers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from domain.reports.models import Question, Report
from domain.reports.triage import OPEN

# How long a reporter's plain messages count as answers to the police's latest question.
ANSWERS_WELCOME_FOR = timedelta(days=3)


def record_question(
    session: Session, *, report: Report, asked_by: str, chat: str, text: str, now: datetime
) -> Question:
    """Keep a question the police asked about a report."""
    assert report.id is not None
    question = Question(report_id=report.id, asked_by=asked_by, chat=chat, text=text, asked_at=now)
    session.add(question)
    session.flush()
    return question


def open_question(
    session: Session, *, reporter_id: int, now: datetime, code: str | None = None
) -> tuple[Question, Report] | None:
    """The newest question still awaiting answers from this reporter, about an open report."""
    query = (
        select(Question, Report)
        .join(Report, col(Report.id) == col(Question.report_id))
        .where(
            col(Report.reporter_id) == reporter_id,
            col(Report.status).in_([s.value for s in OPEN]),
            col(Question.asked_at) > now - ANSWERS_WELCOME_FOR,
        )
        .order_by(col(Question.asked_at).desc(), col(Question.id).desc())
        .limit(1)
    )
    if code is not None:
        query = query.where(col(Report.code) == code)
    found = session.exec(query).first()
    return (found[0], found[1]) if found is not None else None


def mark_answered(session: Session, *, question: Question, now: datetime) -> None:
    """Note the first answer's time."""
    if question.answered_at is None:
        question.answered_at = now
        session.add(question)
