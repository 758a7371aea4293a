"""Missed deadlines: a reminder in the triage chat, then an escalation to the area above."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from babel.dates import format_datetime
from sqlmodel import Session

from bot.reporting.choices import CATEGORY_LABELS
from core.db import Database, utcnow
from core.i18n import gettext_for
from core.settings import Settings
from domain.areas.models import Area
from domain.chats.models import Chat
from domain.outbox.messages import Outgoing
from domain.outbox.service import enqueue
from domain.reports.deadlines import Notice, Overdue, Stage, notice_due, overdue_reports
from domain.reports.models import Report
from domain.reports.routing import area_path, covered_areas, triage_chat_for
from domain.reports.service import record_event

log = logging.getLogger(__name__)

Gettext = Callable[[str], str]


def remind_overdue(db: Database, *, settings: Settings, now: datetime | None = None) -> int:
    """Send the reminders and escalations due now, one report a transaction; count messages."""
    now = now or utcnow()
    with db.reading() as session:
        due = overdue_reports(session, settings=settings, now=now)
        # Only reports a police group covers now: the others (their group unlinked since they
        # were routed) would each open a write transaction every minute, and write nothing.
        covered = covered_areas(session)
    due = [overdue for overdue in due if overdue.area_id in covered]
    sent = 0
    for overdue in due:
        try:
            with db.session() as session:
                sent += notify(session, report_id=overdue.report_id, settings=settings, now=now)
        except Exception:
            # One report's trouble must not hold back the others' notices.
            log.exception("could not send the overdue notice of report %s", overdue.code)
    return sent


def notify(session: Session, *, report_id: int, settings: Settings, now: datetime) -> int:
    """Write the notice the report is due, if it still is; return how many messages it took."""
    # Locked, then checked again: a claim committed meanwhile makes the notice moot.
    report = session.get(Report, report_id, with_for_update=True, populate_existing=True)
    if report is None or report.unrouted:
        return 0
    overdue = notice_due(report, settings=settings, now=now)
    chat = triage_chat_for(session, area_id=report.area_id)
    if overdue is None or chat is None:
        return 0
    if overdue.notice == Notice.REMINDER:
        return remind(
            session, report=report, overdue=overdue, chat=chat, settings=settings, now=now
        )
    return escalate(session, report=report, overdue=overdue, chat=chat, settings=settings, now=now)


def remind(
    session: Session,
    *,
    report: Report,
    overdue: Overdue,
    chat: Chat,
    settings: Settings,
    now: datetime,
) -> int:
    """Remind the chat that covers the report of its missed deadline."""
    text = reminder_text(report, overdue=overdue, _=gettext_for(settings.locale))
    _send(session, report=report, chat=chat, text=text)
    report.reminded_at = now
    session.add(report)
    record_event(
        session,
        report=report,
        kind="reminded",
        actor="system",
        chat=f"{chat.channel}:{chat.chat_id}",
        details=_details(overdue),
    )
    return 1


def escalate(
    session: Session,
    *,
    report: Report,
    overdue: Overdue,
    chat: Chat,
    settings: Settings,
    now: datetime,
) -> int:
    """Raise the report to the nearest triage chat above the one that covers it, once."""
    report.escalated_at = now
    session.add(report)
    above = _chat_above(session, chat=chat)
    if above is None:
        record_event(
            session,
            report=report,
            kind="escalation_unrouted",
            actor="system",
            chat=None,
            details=_details(overdue),
        )
        return 0
    text = escalation_text(session, report=report, overdue=overdue, chat=chat, settings=settings)
    _send(session, report=report, chat=above, text=text)
    record_event(
        session,
        report=report,
        kind="escalated",
        actor="system",
        chat=f"{above.channel}:{above.chat_id}",
        details=_details(overdue) | {"from_chat": f"{chat.channel}:{chat.chat_id}"},
    )
    return 1


def reminder_text(report: Report, *, overdue: Overdue, _: Gettext) -> str:
    """The reminder: the code, the category, how late, who holds it, and the command to act."""
    category = _(CATEGORY_LABELS[report.category])
    late = lateness(overdue.late, _)
    if overdue.stage == Stage.CLAIM:
        head = _("⏰ Report {code} · {category}: overdue for claim by {late}.")
    else:
        head = _("⏰ Report {code} · {category}: overdue for resolution by {late}.")
    lines = [head.format(code=report.code, category=category, late=late)]
    if report.urgent:
        lines.append("🚨 " + _("URGENT"))
    if report.claimed_by_name:
        lines.append(_("Handled by {name}.").format(name=report.claimed_by_name))
    if overdue.stage == Stage.CLAIM or not report.claimed_by:
        lines.append(
            _("Nobody has claimed it yet. Type /claim {code} to take it.").format(code=report.code)
        )
    else:
        lines.append(
            _("Once it is settled, type /resolve {code} and the outcome.").format(code=report.code)
        )
    return "\n".join(lines)


def escalation_text(
    session: Session, *, report: Report, overdue: Overdue, chat: Chat, settings: Settings
) -> str:
    """The escalation: code, category, area, status, lateness; never who reported."""
    _ = gettext_for(settings.locale)
    category = _(CATEGORY_LABELS[report.category])
    lines = [
        _("⚠️ Report {code} · {category} is overdue and was raised to this group.").format(
            code=report.code, category=category
        )
    ]
    if report.urgent:
        lines.append("🚨 " + _("URGENT"))
    place = area_path(session, area_id=report.area_id) or _("area not given")
    lines.append(_("Area: {place}").format(place=place))
    late = lateness(overdue.late, _)
    if overdue.stage == Stage.CLAIM or not report.claimed_by_name:
        stand = (
            _("Nobody has claimed it, {late} past the deadline to claim.")
            if overdue.stage == Stage.CLAIM
            else _("Nobody has claimed it, {late} past the deadline to resolve.")
        )
        lines.append(stand.format(late=late))
    else:
        lines.append(
            _("Handled by {name} but not resolved, {late} past the deadline.").format(
                name=report.claimed_by_name, late=late
            )
        )
    if report.reminded_at is not None:
        ward = session.get(Area, chat.area_id) if chat.area_id is not None else None
        when = format_datetime(
            report.reminded_at, "HH:mm dd/MM", tzinfo=settings.zone, locale=settings.locale
        )
        lines.append(
            _("The triage group of {area} was reminded at {time}.").format(
                area=ward.name if ward is not None else "—", time=when
            )
        )
    return "\n".join(lines)


def lateness(late: timedelta, _: Gettext) -> str:
    """A span in words, to the minute below an hour, else in hours or days and what remains."""
    minutes = max(1, int(late.total_seconds() // 60))
    if minutes < 60:
        return _minutes(minutes, _)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if not minutes:
            return _hours(hours, _)
        return _("{hours} and {minutes}").format(
            hours=_hours(hours, _), minutes=_minutes(minutes, _)
        )
    days, hours = divmod(hours, 24)
    if not hours:
        return _days(days, _)
    return _("{days} and {hours}").format(days=_days(days, _), hours=_hours(hours, _))


def _minutes(count: int, _: Gettext) -> str:
    return _("1 minute") if count == 1 else _("{count} minutes").format(count=count)


def _hours(count: int, _: Gettext) -> str:
    return _("1 hour") if count == 1 else _("{count} hours").format(count=count)


def _days(count: int, _: Gettext) -> str:
    return _("1 day") if count == 1 else _("{count} days").format(count=count)


def _chat_above(session: Session, *, chat: Chat) -> Chat | None:
    """The triage chat of the nearest area above the chat's own that has one."""
    area = session.get(Area, chat.area_id) if chat.area_id is not None else None
    if area is None or area.parent_id is None:
        return None
    above = triage_chat_for(session, area_id=area.parent_id)
    if above is None or (above.channel, above.chat_id) == (chat.channel, chat.chat_id):
        return None
    return above


def _send(session: Session, *, report: Report, chat: Chat, text: str) -> None:
    enqueue(
        session,
        channel=chat.channel,
        chat_id=chat.chat_id,
        message=Outgoing(text=text),
        ref=f"report:{report.code}",
    )


def _details(overdue: Overdue) -> dict[str, object]:
    return {
        "stage": overdue.stage.value,
        "minutes_late": int(overdue.late.total_seconds() // 60),
        "due": overdue.due.isoformat(),
    }
