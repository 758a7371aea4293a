"""A report's timeline as the playground shows it: what happened, who, from where, when."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from babel.dates import format_datetime

from bot.playground.cast import CHATS
from bot.reporting.choices import CATEGORY_LABELS, STATUS_LABELS
from core.i18n import N_, gettext_for
from domain.codes import normalize_code
from domain.reports.service import get_report, timeline
from webhooks.playground.pages import render
from webhooks.state import AppState

EVENT_LABELS: dict[str, str] = {
    "filed": N_("Filed"),
    "added": N_("Reporter added to it"),
    "claim": N_("Claimed"),
    "unclaim": N_("Released"),
    "reject": N_("Rejected"),
    "duplicate": N_("Marked as a duplicate"),
    "transfer": N_("Transferred"),
    "resolve": N_("Resolved"),
    "reopen": N_("Reopened"),
    "asked": N_("Police asked the reporter"),
    "answered": N_("Reporter answered"),
    "routed": N_("Sent to the police group"),
    "unrouted": N_("No police group covers its area"),
    "reminded": N_("Reminder: waiting too long"),
    "escalated": N_("Escalated"),
}


def _who(actor: str, _: Callable[[str], str]) -> str:
    """A person of the cast by name, the reporter and the bot in words; else as recorded."""
    if actor == "reporter":
        return _("the reporter")
    if actor == "system":
        return _("Tinbao bot")
    user_id = actor.removeprefix("playground:")
    for chat in CHATS:
        for member in chat.members:
            if member.user_id == user_id:
                return member.name
    return actor


def report_page(state: AppState, *, code: str, locale: str) -> str | None:
    """The report's page, or None when there is no such report."""
    _ = gettext_for(locale)
    with state.db.reading() as session:
        report = get_report(session, code=normalize_code(code))
        if report is None:
            return None
        events: list[dict[str, Any]] = [
            {
                "at": format_datetime(
                    event.at, "HH:mm dd/MM/yyyy", tzinfo=state.settings.zone, locale=locale
                ),
                "what": _(EVENT_LABELS[event.kind]) if event.kind in EVENT_LABELS else event.kind,
                "who": _who(event.actor, _),
                "details": _details(event.details),
            }
            for event in timeline(session, report=report)
        ]
        return render(
            "report.html",
            locale=locale,
            code=report.code,
            category=_(CATEGORY_LABELS[report.category]),
            status=_(STATUS_LABELS[report.status]),
            text=report.text,
            anonymous=report.anonymous,
            events=events,
        )


def _details(raw: str) -> str:
    """The words a move carried (a reason, an outcome, a question), if any."""
    try:
        details = json.loads(raw)
    except ValueError:
        return ""
    if not isinstance(details, dict):
        return ""
    for key in ("reason", "text", "question", "answer"):
        if isinstance(details.get(key), str):
            return str(details[key])
    return ""
