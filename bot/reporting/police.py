"""Telling the police: every new report reaches the triage chat that covers its area."""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.triage.digest import show_new_report
from core.i18n import gettext_for
from core.sealing import Sealer
from core.settings import Settings
from domain.areas.service import subtree
from domain.chats.models import Chat
from domain.outbox.messages import Outgoing
from domain.outbox.service import enqueue
from domain.reports.clusters import join_cluster
from domain.reports.deadlines import ensure_deadlines
from domain.reports.models import Report, Status
from domain.reports.routing import triage_chat_for
from domain.reports.service import record_event
from domain.reports.suggestions import find_duplicate, record_shown


def route_report(
    session: Session, *, report: Report, settings: Settings, sealer: Sealer
) -> Chat | None:
    """Send the report to its triage chat; flag it unrouted when no chat covers its area."""
    ensure_deadlines(report, settings=settings, now=report.created_at)
    chat = triage_chat_for(session, area_id=report.area_id)
    if chat is None:
        report.unrouted = True
        session.add(report)
        record_event(session, report=report, kind="unrouted", actor="system", chat=None)
        return None
    report.unrouted = False
    session.add(report)
    suggestion = find_duplicate(session, report=report, settings=settings)
    cluster = None
    if suggestion is not None:
        record_shown(session, report=report, suggestion=suggestion)
        cluster = join_cluster(session, report=report, other=suggestion.other)
    shown = show_new_report(
        session, report=report, chat=chat, settings=settings, sealer=sealer, cluster=cluster
    )
    record_event(
        session,
        report=report,
        kind="routed",
        actor="system",
        chat=f"{chat.channel}:{chat.chat_id}",
        details={"shown": shown},
    )
    return chat


def route_waiting_reports(
    session: Session, *, area_id: int, settings: Settings, sealer: Sealer
) -> int:
    """Send the open unrouted reports of an area (and below) to its newly linked triage chat."""
    waiting = session.exec(
        select(Report)
        .where(
            col(Report.unrouted).is_(True),
            col(Report.status).in_([Status.NEW.value, Status.IN_PROGRESS.value]),
            col(Report.area_id).in_(select(subtree(area_id).c.id)),
        )
        .order_by(col(Report.id))
    ).all()
    return sum(
        route_report(session, report=r, settings=settings, sealer=sealer) is not None
        for r in waiting
    )


def tell_police_of_addition(
    session: Session, *, report: Report, settings: Settings, text: str | None, files: int
) -> None:
    """Tell the triage chat that the reporter added to a report, with what they added."""
    chat = triage_chat_for(session, area_id=report.area_id)
    if chat is None:
        return
    _ = gettext_for(settings.locale)
    lines = [_("The reporter added to report {code}:").format(code=report.code)]
    if text:
        lines.append(text)
    if files:
        lines.append(_("{count} new file(s) kept for the police").format(count=files))
    enqueue(
        session,
        channel=chat.channel,
        chat_id=chat.chat_id,
        message=Outgoing(text="\n".join(lines)),
        ref=f"report:{report.code}",
    )
