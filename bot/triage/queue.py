"""`/queue`: the open reports of the chat's area and below, urgent and oldest first, by page."""

from __future__ import annotations

from datetime import datetime

from bot.reporting.choices import CATEGORY_LABELS
from bot.triage.cards import STATUS_MARK
from bot.turn import Turn
from domain.chats.models import Chat, has_buttons
from domain.outbox.messages import Button
from domain.reports.models import Status
from domain.reports.queue import QueuePage, open_page
from domain.text import whole_number


def show_queue(turn: Turn, *, chat: Chat, page_text: str) -> None:
    """List a page of the open reports this chat covers."""
    _ = turn._
    assert chat.area_id is not None
    page = asked_page(page_text)
    # Read before the transaction began, in a reading session (bot.facts), unless the chat's
    # link changed in between.
    ready = turn.facts.read_ahead
    if (
        ready is not None
        and isinstance(ready.figures, QueuePage)
        and (ready.area_id, ready.asked) == (chat.area_id, page_text)
    ):
        found = ready.figures
    else:
        found = open_page(turn.session, area_id=chat.area_id, page=page)
    if found.total == 0:
        turn.reply(_("No open reports. 👍"))
        return
    total, page, pages, rows = found.total, found.page, found.pages, found.rows
    lines = [
        _("Open reports: {total} (page {page}/{pages})").format(total=total, page=page, pages=pages)
    ]
    for report, area_name in rows:
        mark = "🚨" if report.urgent else STATUS_MARK[Status(report.status)]
        who = (
            report.claimed_by_name or _("an officer")
            if report.status == Status.IN_PROGRESS
            else _("waiting")
        )
        lines.append(
            f"{mark} {report.code} · {_(CATEGORY_LABELS[report.category])} · {area_name} · "
            f"{_age(report.created_at, turn.now)} · {who}"
        )
    buttons: tuple[tuple[Button, ...], ...] = ()
    if has_buttons(chat.channel) and pages > 1:
        nav = []
        if page > 1:
            nav.append(Button(label="◀", data=f"t:q:{page - 1}"))
        if page < pages:
            nav.append(Button(label="▶", data=f"t:q:{page + 1}"))
        buttons = (tuple(nav),)
    elif pages > 1 and page < pages:
        lines.append(_("Next page: /queue {page}").format(page=page + 1))
    turn.reply("\n".join(lines), buttons=buttons)


def asked_page(typed: str) -> int:
    """The page number typed after /queue (or a button's), the first when none or unclear."""
    return whole_number(typed.strip(), digits=6) or 1


def _age(created: datetime, now: datetime) -> str:
    """How long ago, in the largest whole unit: "25'", "3h", "2d"."""
    minutes = max(0, int((now - created).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}'"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    return f"{minutes // 1440}d"
