"""Telling the police: every new report reaches the triage chat that covers its area."""

from __future__ import annotations

from babel.dates import format_datetime
from sqlmodel import Session, col, select

from bot.reporting.choices import CATEGORY_LABELS
from domain.areas.service import subtree
from domain.chats.models import Chat
from domain.i18n import gettext_for
from domain.outbox.messages import Outgoing
from domain.outbox.service import enqueue
from domain.people.sealing import Sealer
from domain.people.service import identity_of
from domain.reports.deadlines import ensure_deadlines
from domain.reports.models import Report, Status
from domain.reports.routing import area_path, triage_chat_for
from domain.reports.service import evidence_of, record_event
from domain.settings import Settings


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
    enqueue(
        session,
        channel=chat.channel,
        chat_id=chat.chat_id,
        message=Outgoing(
            text=police_text(session, report=report, settings=settings, sealer=sealer)
        ),
        ref=f"report:{report.code}",
    )
    record_event(
        session, report=report, kind="routed", actor="system", chat=f"{chat.channel}:{chat.chat_id}"
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


def police_text(session: Session, *, report: Report, settings: Settings, sealer: Sealer) -> str:
    """The report as the police read it: code, category, urgency, area, time, text, reporter."""
    _ = gettext_for(settings.locale)
    lines = [
        _("New report {code} · {category}").format(
            code=report.code, category=_(CATEGORY_LABELS[report.category])
        )
    ]
    if report.urgent:
        lines[0] = "🚨 " + lines[0] + " · " + _("URGENT")
    place = area_path(session, area_id=report.area_id) or _("area not given")
    lines.append(_("Area: {place}").format(place=place))
    when = report.occurred_at or report.created_at
    shown = format_datetime(when, "HH:mm dd/MM/yyyy", tzinfo=settings.zone, locale=settings.locale)
    lines.append(
        _("When: {when}").format(when=shown)
        + (f" ({report.occurred_text})" if report.occurred_text else "")
    )
    if report.latitude is not None and report.longitude is not None:
        lines.append(
            _("Location: {lat:.5f}, {lon:.5f}").format(lat=report.latitude, lon=report.longitude)
        )
    evidence = evidence_of(session, report=report)
    if evidence:
        lines.append(_("Evidence: {count} file(s) kept for the police").format(count=len(evidence)))
    lines.append(
        _("Reporter: {who}").format(
            who=_reporter(session, report=report, settings=settings, sealer=sealer)
        )
    )
    lines.append("")
    lines.append(report.text or "—")
    return "\n".join(lines)


def _reporter(session: Session, *, report: Report, settings: Settings, sealer: Sealer) -> str:
    _ = gettext_for(settings.locale)
    if report.anonymous or report.reporter_id is None:
        return _("Anonymous")
    identity = identity_of(session, sealer=sealer, person_id=report.reporter_id)
    name = identity.get("name") or _("a resident")
    username = identity.get("username")
    return f"{name} (@{username})" if username else str(name)
