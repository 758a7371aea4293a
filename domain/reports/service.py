"""Filing reports, adding to them, reading them, and their timeline."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.db import utcnow
from domain.codes import new_code, normalize_code
from domain.evidence import StoredFile
from domain.reports import figures  # noqa: F401  (keeps the daily counts in step with flushes)
from domain.reports.models import Evidence, Report, ReportEvent, Source, Status

REPORT_CODE_LENGTH = 6


@dataclass(frozen=True)
class NewReport:
    """Everything a report is filed with."""

    category: str
    channel: str
    source: Source
    reporter_id: int | None
    area_id: int | None
    text: str
    anonymous: bool
    urgent: bool
    locale: str
    occurred_at: datetime | None = None
    occurred_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    group_chat_id: int | None = None
    evidence: Sequence[tuple[str, StoredFile, str | None]] = field(default_factory=tuple)


def _unused_code(session: Session) -> str:
    while True:
        code = new_code(REPORT_CODE_LENGTH)
        if session.exec(select(Report.id).where(col(Report.code) == code)).first() is None:
            return code


def file_report(session: Session, *, new: NewReport, actor: str, chat: str | None) -> Report:
    """Create a report with its evidence and the first event of its timeline."""
    now = utcnow()
    report = Report(
        code=_unused_code(session),
        category=new.category,
        status=Status.NEW.value,
        area_id=new.area_id,
        reporter_id=new.reporter_id,
        channel=new.channel,
        source=new.source.value,
        group_chat_id=new.group_chat_id,
        text=new.text,
        occurred_at=new.occurred_at,
        occurred_text=new.occurred_text,
        latitude=new.latitude,
        longitude=new.longitude,
        anonymous=new.anonymous,
        urgent=new.urgent,
        locale=new.locale,
        created_at=now,
        updated_at=now,
    )
    session.add(report)
    session.flush()
    for kind, stored, caption in new.evidence:
        attach_evidence(session, report=report, kind=kind, stored=stored, caption=caption)
    record_event(
        session,
        report=report,
        kind="filed",
        actor=actor,
        chat=chat,
        details={"source": new.source.value, "urgent": new.urgent},
    )
    return report


def attach_evidence(
    session: Session, *, report: Report, kind: str, stored: StoredFile, caption: str | None
) -> Evidence:
    """Link a stored file to a report."""
    assert report.id is not None
    evidence = Evidence(
        report_id=report.id,
        kind=kind,
        path=stored.path,
        mime_type=stored.mime_type,
        size=stored.size,
        sha256=stored.sha256,
        caption=caption,
        latitude=stored.latitude,
        longitude=stored.longitude,
    )
    session.add(evidence)
    return evidence


def add_to_report(
    session: Session,
    *,
    report: Report,
    text: str | None = None,
    evidence: tuple[str, StoredFile, str | None] | None = None,
    actor: str = "reporter",
    chat: str | None = None,
) -> Report:
    """Add the reporter's later words or evidence to a report, and say so in its timeline."""
    if text:
        report.text = f"{report.text}\n\n{text}".strip() if report.text else text
    if evidence is not None:
        kind, stored, caption = evidence
        attach_evidence(session, report=report, kind=kind, stored=stored, caption=caption)
    report.updated_at = utcnow()
    session.add(report)
    details: dict[str, Any] = {"text": bool(text), "evidence": evidence is not None}
    record_event(session, report=report, kind="added", actor=actor, chat=chat, details=details)
    return report


def record_event(
    session: Session,
    *,
    report: Report,
    kind: str,
    actor: str,
    chat: str | None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> ReportEvent:
    """Write one step of a report's timeline; `at` defaults to now."""
    assert report.id is not None
    event = ReportEvent(
        report_id=report.id,
        kind=kind,
        actor=actor,
        chat=chat,
        details=json.dumps(details or {}, ensure_ascii=False),
        at=at or utcnow(),
    )
    session.add(event)
    return event


def get_report(session: Session, *, code: str) -> Report | None:
    """The report with this code, however it was typed."""
    return session.exec(select(Report).where(col(Report.code) == normalize_code(code))).first()


def latest_group_report(
    session: Session, *, reporter_id: int, group_chat_id: int, since: datetime
) -> Report | None:
    """The newest report this person filed from this group since a moment, if any."""
    return session.exec(
        select(Report)
        .where(
            col(Report.reporter_id) == reporter_id,
            col(Report.group_chat_id) == group_chat_id,
            col(Report.created_at) >= since,
        )
        .order_by(col(Report.created_at).desc())
        .limit(1)
    ).first()


def timeline(session: Session, *, report: Report) -> list[ReportEvent]:
    """A report's events, oldest first."""
    return list(
        session.exec(
            select(ReportEvent)
            .where(col(ReportEvent.report_id) == report.id)
            .order_by(col(ReportEvent.id))
        )
    )


def evidence_of(session: Session, *, report: Report) -> list[Evidence]:
    """A report's evidence, in the order it came."""
    return list(
        session.exec(
            select(Evidence).where(col(Evidence.report_id) == report.id).order_by(col(Evidence.id))
        )
    )


def reports_filed_since(session: Session, *, reporter_id: int, since: datetime) -> int:
    """How many reports a person filed since a time (for the abuse limit)."""
    query = (
        select(func.count())
        .select_from(Report)
        .where(col(Report.reporter_id) == reporter_id, col(Report.created_at) >= since)
    )
    return int(session.exec(query).one())


def recent_window(hours: int) -> datetime:
    """The start of the last `hours` hours."""
    return utcnow() - timedelta(hours=hours)
