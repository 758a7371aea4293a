"""The cluster card: one message for a burst of reports about one event, edited as more arrive."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from bot.reporting.choices import CATEGORY_LABELS
from core.db import utcnow
from core.i18n import gettext_for
from core.settings import Settings
from domain.chats.models import Chat, has_buttons
from domain.outbox.messages import Button, MessageKind, Outgoing
from domain.outbox.models import OutboxMessage, OutboxStatus
from domain.outbox.service import TEXT_LIMITS, enqueue
from domain.reports.clusters import evidence_count, members_of, open_members
from domain.reports.models import Report
from domain.reports.routing import area_path

CATEGORY_MARKS = {
    "fire": "🔥",
    "violence": "👊",
    "weapons": "🔪",
    "theft": "🏍",
    "drugs": "💊",
    "fraud": "💸",
    "suspicious": "👀",
    "traffic": "🚗",
    "other": "📌",
}
FIRST_TEXT_ROOM = 600
SHOW_BUTTONS = 12  # members opened by a button; any other by /show CODE
BUTTONS_PER_ROW = 4


def cluster_ref(root: Report) -> str:
    """The outbox ref of a cluster's card, named by the cluster's first report."""
    return f"cluster:{root.code}"


def cluster_text(session: Session, *, root: Report, settings: Settings, limit: int) -> str:
    """The cluster card: category, how many reports in how long, place, codes, first text."""
    _ = gettext_for(settings.locale)
    members = members_of(session, root=root)
    minutes = round((members[-1].created_at - members[0].created_at).total_seconds() / 60)
    place = area_path(session, area_id=root.area_id) or _("area not given")
    head = _("{mark} {category} · {count} reports in {minutes} min · {place}").format(
        mark=CATEGORY_MARKS.get(root.category, "📌"),
        category=_(CATEGORY_LABELS.get(root.category, root.category)),
        count=len(members),
        minutes=minutes,
        place=place,
    )
    lines = [head]
    if any(r.urgent for r in members):
        lines.append("🚨 " + _("URGENT"))
    still_open = len(open_members(session, root=root))
    lines.append(_("Open: {open} of {count}").format(open=still_open, count=len(members)))
    files = evidence_count(session, reports=members)
    if files:
        lines.append(_("Evidence: {count} file(s) kept for the police").format(count=files))
    first = root.text if len(root.text) <= FIRST_TEXT_ROOM else root.text[:FIRST_TEXT_ROOM] + " …"
    lines += ["", _("First report ({code}):").format(code=root.code), first or "—", ""]
    lines.append(_("Type /show CODE (/xem) for a report's full card."))
    closing = "\n".join(lines[len(lines) - 1 :])
    body = "\n".join(lines[:-1])
    codes = _("Reports: {codes}").format(codes=", ".join(r.code for r in members))
    room = limit - len(body) - len(closing) - 4
    if len(codes) > room:
        codes = codes[: max(0, room - 2)].rsplit(",", 1)[0] + " …"
    return "\n".join([body, codes, "", closing])


def cluster_buttons(
    session: Session, *, root: Report, settings: Settings
) -> tuple[tuple[Button, ...], ...]:
    """One tap to mark the rest duplicates of the first (confirmed next), and members to open."""
    _ = gettext_for(settings.locale)
    members = open_members(session, root=root)
    rows: list[tuple[Button, ...]] = []
    if len(members) > 1:
        label = _("🔁 All duplicates of {code}").format(code=root.code)
        rows.append((Button(label=label, data=f"t:merge:{root.code}"),))
    shown = [Button(label=f"🔍 {r.code}", data=f"t:show:{r.code}") for r in members[:SHOW_BUTTONS]]
    rows += [tuple(shown[i : i + BUTTONS_PER_ROW]) for i in range(0, len(shown), BUTTONS_PER_ROW)]
    return tuple(rows)


def has_cluster_card(session: Session, *, root: Report, chat: Chat) -> bool:
    """Whether the cluster's card was written to the chat (sent or waiting)."""
    return _first_card(session, root=root, chat=chat) is not None


def _first_card(session: Session, *, root: Report, chat: Chat) -> OutboxMessage | None:
    return session.exec(
        select(OutboxMessage).where(
            col(OutboxMessage.channel) == chat.channel,
            col(OutboxMessage.chat_id) == chat.chat_id,
            col(OutboxMessage.ref) == cluster_ref(root),
            col(OutboxMessage.kind) == MessageKind.TEXT.value,
        )
    ).first()


def post_cluster(
    session: Session,
    *,
    root: Report,
    chat: Chat,
    settings: Settings,
    wait: timedelta | None = None,
) -> None:
    """Post the cluster's card, or bring it up to date: edited in place, or a waiting one replaced.

    Edits of one card waiting for the group's pace are merged, so a burst of hundreds costs a
    few messages. Without edits (Zalo), the card is posted anew once the last one went out.
    `wait`: how long a new message waits for more reports (while the group's limit binds).
    """
    telegram = has_buttons(chat.channel)
    text = cluster_text(
        session, root=root, settings=settings, limit=TEXT_LIMITS.get(chat.channel, 2000)
    )
    buttons = cluster_buttons(session, root=root, settings=settings) if telegram else ()
    first = _first_card(session, root=root, chat=chat)
    edit = telegram and first is not None and first.status != OutboxStatus.PENDING.value
    key = f"cluster:{chat.channel}:{chat.chat_id}:{root.code}"
    waiting = session.exec(
        select(OutboxMessage.id).where(
            col(OutboxMessage.coalesce_key) == key,
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
        )
    ).first()
    rows = enqueue(
        session,
        channel=chat.channel,
        chat_id=chat.chat_id,
        message=Outgoing(text=text, buttons=buttons, edit_of=cluster_ref(root) if edit else None),
        kind=MessageKind.EDIT_TEXT if edit else MessageKind.TEXT,
        ref=cluster_ref(root),
        coalesce_key=key,
    )
    if first is None and any(r.urgent for r in members_of(session, root=root)):
        wait = None  # an urgent event's first card goes at once; its edits gather
    if waiting is None and wait is not None:  # a new message: it gathers what comes meanwhile
        for row in rows:
            row.not_before = utcnow() + wait
            session.add(row)
