"""The summary a resident confirms, and filing the report: code, thanks, police, emergency."""

from __future__ import annotations

from typing import Any

from bot.reporting import prompts
from bot.reporting.choices import CATEGORY_LABELS, CONFIRM_WORDS, choice_by_words
from bot.reporting.evidence import stored_files
from bot.reporting.police import route_report
from bot.turn import Turn
from domain.outbox.messages import Button
from domain.reports.models import Report, Source
from domain.reports.routing import area_path
from domain.reports.service import NewReport, file_report


def show_summary(turn: Turn, data: dict[str, Any]) -> None:
    """Show what will be sent and ask to send, start over or cancel."""
    _ = turn._
    lines = [
        _("Please check your report:"),
        _("Subject: {category}").format(
            category=_(CATEGORY_LABELS.get(data.get("category", "other"), "Other"))
        ),
        _("Place: {place}").format(
            place=area_path(turn.session, area_id=data.get("area_id")) or "—"
        ),
        _("When: {when}").format(
            when=prompts.when_label(turn, data.get("occurred_at"), data.get("occurred_text"))
        ),
        _("What happened: {text}").format(text=(data.get("text") or "—")[:600]),
        _("Files: {count}").format(count=len(data.get("evidence", []))),
    ]
    if data.get("latitude") is not None:
        lines.append(_("Location: shared"))
    lines.append(
        _("Anonymous: yes") if data.get("anonymous", True) else _("Anonymous: no, with my name")
    )
    lines += ["", "1. " + _("Send the report"), "2. " + _("Start again"), "3. " + _("Cancel")]
    buttons = (
        (
            Button(_("1. Send"), "r:ok:send"),
            Button(_("2. Start again"), "r:ok:again"),
            Button(_("3. Cancel"), "r:ok:cancel"),
        ),
    )
    turn.reply("\n".join(lines), buttons=buttons)


def confirm_or_file(turn: Turn, data: dict[str, Any], answer: str) -> str | None:
    """Act on the answer to the summary: file, start over, or cancel."""
    choice = {"r:ok:send": 1, "r:ok:again": 2, "r:ok:cancel": 3}.get(answer) or choice_by_words(
        answer, CONFIRM_WORDS, 3
    )
    if choice == 1:
        file_from_draft(turn, data)
        return "filed"
    if choice == 2:
        data.clear()
        return "category"
    if choice == 3:
        turn.reply(turn._("Cancelled: the report you were writing was not sent."))
        return "filed"
    turn.reply(turn._("Sorry, I did not understand. Please answer with one of the numbers."))
    show_summary(turn, data)
    return None


def file_from_draft(turn: Turn, data: dict[str, Any]) -> Report:
    """File the drafted report, thank the resident, and tell the police."""
    person = turn.person()
    from datetime import datetime

    occurred = data.get("occurred_at")
    report = file_report(
        turn.session,
        new=NewReport(
            category=data.get("category", "other"),
            channel=turn.event.chat.channel,
            source=Source.PRIVATE,
            reporter_id=person.id if person else None,
            area_id=data.get("area_id"),
            text=data.get("text", ""),
            anonymous=bool(data.get("anonymous", True)),
            urgent=bool(data.get("urgent", False)),
            locale=turn.locale,
            occurred_at=datetime.fromisoformat(occurred) if occurred else None,
            occurred_text=data.get("occurred_text"),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            evidence=stored_files(data),
        ),
        actor="reporter",
        chat=f"{turn.event.chat.channel}:private",
    )
    thank(turn, report)
    route_report(turn.session, report=report, settings=turn.settings, sealer=turn.sealer)
    return report


def thank(turn: Turn, report: Report) -> None:
    """Thank the resident and give the report's code (and the emergency numbers if urgent)."""
    _ = turn._
    text = _(
        "Thank you for your report. Its code is {code}. You will hear from us when the police "
        "act on it; to check it yourself, type /status {code}."
    ).format(code=report.code)
    if report.urgent:
        text += "\n\n" + prompts.emergency_numbers(turn)
    turn.reply(text)
