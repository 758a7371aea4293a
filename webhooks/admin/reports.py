"""GET /api/v1/reports and /api/v1/reports/{code}: what residents reported, and each timeline."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from domain.areas.models import Area
from domain.areas.service import get_area
from domain.outbox.service import awaiting_window
from domain.people.service import identity_of
from domain.reports.models import Category, Report, Status
from domain.reports.queries import ReportFilter, list_reports
from domain.reports.service import evidence_of, get_report, timeline
from webhooks.admin.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from webhooks.admin.types import Timestamp
from webhooks.state import AppState, StateDep

router = APIRouter(prefix="/reports", tags=["reports"])


class ReportOut(BaseModel):
    """A report as operators see it."""

    code: str
    status: Status
    category: Category
    area_code: str | None
    channel: str
    source: str
    created_at: Timestamp
    occurred_at: Timestamp | None
    text: str
    anonymous: bool
    urgent: bool
    unrouted: bool
    evidence_count: int


class EventOut(BaseModel):
    """One step of a report's timeline."""

    kind: str
    actor: str
    chat: str | None
    at: Timestamp
    details: dict[str, Any]


class EvidenceOut(BaseModel):
    """A file kept for a report."""

    kind: str
    mime_type: str | None
    size: int
    sha256: str
    path: str
    latitude: float | None
    longitude: float | None


class WaitingNewsOut(BaseModel):
    """A message to the reporter waiting for Zalo's 7-day window to open again."""

    text: str
    queued_at: Timestamp
    reason: str | None


class ReportDetail(ReportOut):
    """A report with its timeline, its evidence, and the reporter's name when they agreed."""

    latitude: float | None
    longitude: float | None
    reporter_name: str | None
    # Triage: who handles it (a platform identity, and their name), outcome, links, deadlines.
    claimed_by: str | None
    claimed_by_name: str | None
    claimed_at: Timestamp | None
    closed_at: Timestamp | None
    outcome: str | None
    duplicate_of: str | None
    claim_due_at: Timestamp | None
    resolve_due_at: Timestamp | None
    events: list[EventOut]
    evidence: list[EvidenceOut]
    # News for the reporter that Zalo's OA may not send yet: sent at their next message.
    waiting_news: list[WaitingNewsOut] = []


def _out(report: Report, area_code: str | None, files: int) -> dict[str, Any]:
    return {
        "code": report.code,
        "status": report.status,
        "category": report.category,
        "area_code": area_code,
        "channel": report.channel,
        "source": report.source,
        "created_at": report.created_at,
        "occurred_at": report.occurred_at,
        "text": report.text,
        "anonymous": report.anonymous,
        "urgent": report.urgent,
        "unrouted": report.unrouted,
        "evidence_count": files,
    }


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{name} needs a UTC offset, e.g. +07:00"
        )
    return value


@router.get("")
def get_reports(
    state: StateDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    area: Annotated[str | None, Query(description="This area and its descendants")] = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    category: Category | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    unrouted: Annotated[
        bool | None, Query(description="Only reports no triage chat covers")
    ] = None,
) -> Page[ReportOut]:
    """List reports, newest first."""
    before = decode_cursor(cursor)
    if before is not None and not isinstance(before, int):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "invalid cursor")
    with state.db.reading() as session:
        area_id = _area_id(state, session, area)
        where = ReportFilter(
            area_id=area_id,
            status=status_.value if status_ else None,
            category=category.value if category else None,
            since=_aware(since, "since"),
            until=_aware(until, "until"),
            unrouted=unrouted,
        )
        rows = list_reports(session, where=where, before_id=before, limit=limit + 1)
    items = [ReportOut(**_out(*row)) for row in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor(rows[limit - 1][0].id) if more else None)


def _area_id(state: AppState, session: Any, code: str | None) -> int | None:
    if code is None:
        return None
    found = get_area(session, code=code)
    if found is None or found.id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no area with code {code!r}")
    return found.id


@router.get("/{code}")
def get_one_report(code: str, state: StateDep) -> ReportDetail:
    """One report with its timeline and evidence."""
    with state.db.reading() as session:
        report = get_report(session, code=code)
        if report is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no report with code {code!r}")
        area = session.get(Area, report.area_id) if report.area_id is not None else None
        files = evidence_of(session, report=report)
        original = session.get(Report, report.duplicate_of_id) if report.duplicate_of_id else None
        name = None
        if not report.anonymous and report.reporter_id is not None:
            name = identity_of(session, sealer=state.sealer, person_id=report.reporter_id).get(
                "name"
            )
        events = [
            EventOut(
                kind=e.kind, actor=e.actor, chat=e.chat, at=e.at, details=json.loads(e.details)
            )
            for e in timeline(session, report=report)
        ]
        evidence = [
            EvidenceOut(
                kind=f.kind,
                mime_type=f.mime_type,
                size=f.size,
                sha256=f.sha256,
                path=f.path,
                latitude=f.latitude,
                longitude=f.longitude,
            )
            for f in files
        ]
        return ReportDetail(
            **_out(report, area.code if area else None, len(files)),
            latitude=report.latitude,
            longitude=report.longitude,
            reporter_name=name,
            claimed_by=report.claimed_by,
            claimed_by_name=report.claimed_by_name,
            claimed_at=report.claimed_at,
            closed_at=report.closed_at,
            outcome=report.outcome,
            duplicate_of=original.code if original is not None else None,
            claim_due_at=report.claim_due_at,
            resolve_due_at=report.resolve_due_at,
            events=events,
            evidence=evidence,
            waiting_news=[
                WaitingNewsOut(
                    text=str(json.loads(row.body).get("text", "")),
                    queued_at=row.created_at,
                    reason=row.error,
                )
                for row in awaiting_window(session, ref=f"report:{report.code}")
            ],
        )
