"""Choosing where a report goes: the wards of its province, as buttons (Telegram) or by name."""

from __future__ import annotations

from sqlmodel import col, select

from bot.turn import Turn
from domain.areas.models import Area, AreaKind
from domain.areas.service import ancestors, subtree
from domain.chats.models import Chat, has_buttons
from domain.outbox.messages import Button
from domain.reports.models import Report

PAGE = 8


def transfer_choices(turn: Turn, *, report: Report, chat: Chat, page: int = 0) -> None:
    """Offer the areas the report can go to, page by page."""
    _ = turn._
    choices = _candidates(turn, report=report, chat=chat)
    if not choices:
        turn.reply(
            _("There is no other area to transfer report {code} to.").format(code=report.code)
        )
        return
    if not has_buttons(turn.event.chat.channel):
        names = ", ".join(a.name for a in choices[:10])
        turn.reply(
            _(
                "To transfer {code}, type /transfer {code} and the area, for example: {names}."
            ).format(code=report.code, names=names)
        )
        return
    pages = max(1, -(-len(choices) // PAGE))
    page = min(max(page, 0), pages - 1)
    shown = choices[page * PAGE : (page + 1) * PAGE]
    rows: list[tuple[Button, ...]] = [
        tuple(Button(label=a.name, data=f"t:to:{report.code}:{a.id}") for a in shown[i : i + 2])
        for i in range(0, len(shown), 2)
    ]
    turns: list[Button] = []
    if page > 0:
        turns.append(Button(label="◀", data=f"t:tp:{report.code}:{page - 1}"))
    if page + 1 < pages:
        turns.append(Button(label="▶", data=f"t:tp:{report.code}:{page + 1}"))
    if turns:
        rows.append(tuple(turns))
    turn.reply(
        _("Transfer report {code} to which area? ({page}/{pages})").format(
            code=report.code, page=page + 1, pages=pages
        ),
        buttons=tuple(rows),
    )


def _candidates(turn: Turn, *, report: Report, chat: Chat) -> list[Area]:
    """The wards of the report's province (or of the chat's area), the report's own left out."""
    top_id = chat.area_id
    if report.area_id is not None:
        area = turn.session.get(Area, report.area_id)
        if area is not None:
            top_id = ancestors(turn.session, area=area)[0].id
    if top_id is None:
        return []
    query = (
        select(Area)
        .where(
            col(Area.id).in_(select(subtree(top_id).c.id)),
            col(Area.kind) == AreaKind.WARD.value,
            col(Area.id) != (report.area_id or -1),
        )
        .order_by(col(Area.name))
    )
    return list(turn.session.exec(query))
