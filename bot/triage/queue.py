"""`/queue`: the open reports of the chat's area and below, urgent and oldest first, by page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from bot.reporting.choices import CATEGORY_LABELS
from bot.triage.cards import STATUS_MARK
from bot.turn import Turn
from domain.areas.models import Area
from domain.areas.service import subtree
from domain.chats.models import Chat, has_buttons
from domain.outbox.messages import Button
from domain.reports.models import Report, Status
from domain.reports.triage import OPEN
from domain.text import whole_number

PAGE = 10


def show_queue(turn: Turn, *, chat: Chat, page_text: str) -> None:
    """List a page of the open reports this chat covers."""
    _ = turn._
    assert chat.area_id is not None
    typed = page_text.strip()
    page = whole_number(typed, digits=6) or 1
    scope = col(Report.area_id).in_(select(subtree(chat.area_id).c.id))
    is_open = col(Report.status).in_([s.value for s in OPEN])
    total = turn.session.exec(select(func.count()).select_from(Report).where(scope, is_open)).one()
    if total == 0:
        turn.reply(_("No open reports. 👍"))
        return
    pages = -(-total // PAGE)
    page = min(page, pages)
    rows = turn.session.exec(
        select(Report, Area.name)
        .join(Area, col(Area.id) == col(Report.area_id))
        .where(scope, is_open)
        .order_by(col(Report.urgent).desc(), col(Report.created_at), col(Report.id))
        .offset((page - 1) * PAGE)
        .limit(PAGE)
    ).all()
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


def _age(created: datetime, now: datetime) -> str:
    """How long ago, in the largest whole unit: "25'", "3h", "2d"."""
    minutes = max(0, int((now - created).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}'"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    return f"{minutes // 1440}d"
