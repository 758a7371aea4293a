"""Digests: when a triage group's send limit binds, new reports arrive listed in one message.

Telegram lets a bot write 20 messages a minute into a group: 300 reports, one card each,
would take a quarter of an hour to arrive. Once the messages sent to the group in the last
minute and those waiting reach half of what its platform lets through in a minute, the
waiting new-report cards are cancelled and their reports, and the next ones, are listed in a
digest instead; the other half of the minute stays free for officers' answers and digests.
Each report opens as its full card with a button or /show CODE. When the minute has room
again, cards go out one by one. Reports of one event go to its cluster card (clusters.py)
instead, once the cluster is big enough for a card.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.reporting.choices import CATEGORY_LABELS
from bot.sender.limits import per_minute
from bot.triage.cards import post_card
from bot.triage.clusters import has_cluster_card, post_cluster
from core.db import utcnow
from core.i18n import gettext_for
from core.sealing import Sealer
from core.settings import Settings
from domain.areas.models import Area
from domain.chats.models import Chat, has_buttons
from domain.outbox.messages import Button, MessageKind, Outgoing
from domain.outbox.models import OutboxMessage, OutboxStatus
from domain.outbox.service import TEXT_LIMITS, enqueue
from domain.reports.clusters import CLUSTER_CARD_FROM, members_of
from domain.reports.models import Report
from domain.reports.service import get_report

# A new digest (or cluster edit) waits at least this long for more reports before it goes.
GATHER = timedelta(seconds=5)
GATHER_AT_MOST = timedelta(seconds=15)
MINUTE = timedelta(minutes=1)
BUSY_CLUSTER_FROM = 6  # reports of one event before its cluster gets a card while the limit binds
PER_DIGEST = 40  # reports listed in one digest at most; a button each fits Telegram's 100
LINE_ROOM = 80  # characters of a digest's line
HEAD_ROOM = 400  # characters of a digest's title and closing line, in either language
BUTTONS_PER_ROW = 4
WAITING = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


def digest_key(chat: Chat) -> str:
    """The coalesce key of a chat's digest waiting to be sent."""
    return f"digest:{chat.channel}:{chat.chat_id}"


def show_new_report(
    session: Session,
    *,
    report: Report,
    chat: Chat,
    settings: Settings,
    sealer: Sealer,
    cluster: Report | None = None,
) -> str:
    """Show a new report to its triage chat: "card", "cluster" or "digest".

    A report of a cluster big enough for one card goes into that card. Otherwise it gets its
    own card, or, while the chat's limit binds, a line in a digest. An urgent report goes
    ahead of the waiting cards of reports that are not.
    """
    busy = limit_binds(session, chat=chat, settings=settings)
    # While the limit binds, a small cluster without a card is listed in the digest: a card
    # for every event told three times would cost the messages a digest saves. Past
    # BUSY_CLUSTER_FROM reports, the event is big enough for a card of its own.
    size = len(members_of(session, root=cluster)) if cluster is not None else 0
    if cluster is not None and (
        has_cluster_card(session, root=cluster, chat=chat)
        or size >= (BUSY_CLUSTER_FROM if busy else CLUSTER_CARD_FROM)
    ):
        behind = _routine_waiting(session, report=report, chat=chat)
        wait = gather_for(session, chat=chat, settings=settings)
        post_cluster(session, root=cluster, chat=chat, settings=settings, wait=wait)
        shown = "cluster"
    else:
        pending = _pending_digest(session, chat)
        if pending is not None or busy:
            _digest(session, report=report, chat=chat, settings=settings, pending=pending)
            return "digest"
        behind = _routine_waiting(session, report=report, chat=chat)
        post_card(session, report=report, chat=chat, settings=settings, sealer=sealer)
        shown = "card"
    for other in behind:
        post_card(session, report=other, chat=chat, settings=settings, sealer=sealer)
    return shown


def _digest(
    session: Session,
    *,
    report: Report,
    chat: Chat,
    settings: Settings,
    pending: OutboxMessage | None,
) -> None:
    """List the report, and the reports whose cards still wait, in the chat's digest."""
    codes = _cancel_waiting_cards(session, chat)
    if pending is not None:
        codes = [*json.loads(pending.body)["extra"].get("codes", []), *codes]
    codes.append(report.code)
    reports = [r for c in dict.fromkeys(codes) if (r := get_report(session, code=c)) is not None]
    # Urgent first; past one digest's room, the rest start the next digest.
    reports.sort(key=lambda r: not r.urgent)
    room = digest_room(chat)
    wait = gather_for(session, chat=chat, settings=settings) or GATHER
    for start in range(0, len(reports), room):
        part = reports[start : start + room]
        message = digest_message(session, reports=part, chat=chat, settings=settings)
        # An urgent report does not wait for more to gather.
        urgent = any(r.urgent for r in part)
        if start == 0 and pending is not None:
            pending.body = message.to_json()
            pending.not_before = None if urgent else pending.not_before
            session.add(pending)
            continue
        gather = None if urgent else utcnow() + wait
        row = enqueue(
            session,
            channel=chat.channel,
            chat_id=chat.chat_id,
            message=message,
            ref=digest_key(chat),
        )[0]
        row.coalesce_key, row.not_before = digest_key(chat), gather
        session.add(row)


def _routine_waiting(session: Session, *, report: Report, chat: Chat) -> list[Report]:
    """For an urgent report: the waiting cards of routine ones, cancelled to follow it."""
    if not report.urgent:
        return []
    codes = _cancel_waiting_cards(session, chat, only_routine=True)
    return [r for c in codes if (r := get_report(session, code=c)) is not None]


def digest_room(chat: Chat) -> int:
    """How many reports one digest lists, so that it fits in one message of the platform."""
    return min(PER_DIGEST, (TEXT_LIMITS.get(chat.channel, 2000) - HEAD_ROOM) // LINE_ROOM)


def minute_used(session: Session, *, chat: Chat) -> int:
    """Messages written to the chat in the last minute, and those still waiting to go."""
    since = utcnow() - MINUTE
    used = session.exec(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            col(OutboxMessage.channel) == chat.channel,
            col(OutboxMessage.chat_id) == chat.chat_id,
            (col(OutboxMessage.status).in_(WAITING))
            | (
                (col(OutboxMessage.status) == OutboxStatus.SENT.value)
                & (col(OutboxMessage.finished_at) >= since)
            ),
        )
    ).one()
    return int(used)


def limit_binds(session: Session, *, chat: Chat, settings: Settings) -> bool:
    """Whether the chat's messages of the last minute and those waiting reach half its allowance."""
    allowance = per_minute(chat.channel, chat.kind, settings)
    return minute_used(session, chat=chat) >= max(1, allowance // 2)


def gather_for(session: Session, *, chat: Chat, settings: Settings) -> timedelta | None:
    """How long a new digest or cluster edit waits for more, or None while the limit is far.

    The minute's remaining messages are spread over it, so that the last reports of a long
    burst do not wait for the next minute.
    """
    allowance = per_minute(chat.channel, chat.kind, settings)
    used = minute_used(session, chat=chat)
    if used < max(1, allowance // 2):
        return None
    if used >= allowance:  # the minute is full: the pace holds it, and it gathers meanwhile
        return GATHER
    return min(GATHER_AT_MOST, max(GATHER, MINUTE / (allowance - used)))


def _pending_digest(session: Session, chat: Chat) -> OutboxMessage | None:
    """The chat's newest digest still waiting, with room for one more report."""
    row = session.exec(
        select(OutboxMessage)
        .where(
            col(OutboxMessage.coalesce_key) == digest_key(chat),
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(1)
        .with_for_update()
    ).first()
    if row is None or len(json.loads(row.body)["extra"].get("codes", [])) >= digest_room(chat):
        return None
    return row


def _cancel_waiting_cards(session: Session, chat: Chat, *, only_routine: bool = False) -> list[str]:
    """Cancel the chat's report cards still waiting (and their photos); their codes.

    With `only_routine`, the cards of urgent reports stay where they are.
    """
    rows = session.exec(
        select(OutboxMessage).where(
            col(OutboxMessage.channel) == chat.channel,
            col(OutboxMessage.chat_id) == chat.chat_id,
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
            col(OutboxMessage.kind) == MessageKind.TEXT.value,
            col(OutboxMessage.ref).like("card:%"),
        )
    ).all()
    codes = [str(row.ref).removeprefix("card:") for row in rows]
    if only_routine:
        codes = [c for c in codes if (r := get_report(session, code=c)) and not r.urgent]
    if not codes:
        return []
    # Conditional on 'pending': a card the sender took meanwhile goes out, and is listed too.
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.channel) == chat.channel,
            col(OutboxMessage.chat_id) == chat.chat_id,
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
            col(OutboxMessage.ref).in_(
                [f"card:{c}" for c in codes] + [f"report:{c}" for c in codes]
            ),
            col(OutboxMessage.kind).in_(
                [MessageKind.TEXT.value, MessageKind.PHOTO.value, MessageKind.LOCATION.value]
            ),
        )
        .values(status=OutboxStatus.CANCELLED.value, error="listed in a digest")
    )
    return codes


def digest_message(
    session: Session, *, reports: list[Report], chat: Chat, settings: Settings
) -> Outgoing:
    """One message listing reports: code, category, place, urgency; a button each to open it."""
    _ = gettext_for(settings.locale)
    lines = [
        "📋 "
        + _(
            "{count} new reports, listed together: this group receives more than can be sent one by one."
        ).format(count=len(reports)),
        "",
    ]
    for report in reports:
        area = session.get(Area, report.area_id) if report.area_id is not None else None
        line = "{mark}{code} · {category} · {place}".format(
            mark="🚨 " if report.urgent else "",
            code=report.code,
            category=_(CATEGORY_LABELS.get(report.category, report.category)),
            place=area.name if area is not None else _("area not given"),
        )
        lines.append(line[:LINE_ROOM])
    lines += ["", _("Type /show CODE (/xem) for a report's full card.")]
    text = "\n".join(lines)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if has_buttons(chat.channel):
        shown = [Button(label=f"🔍 {r.code}", data=f"t:show:{r.code}") for r in reports]
        buttons = tuple(
            tuple(shown[i : i + BUTTONS_PER_ROW]) for i in range(0, len(shown), BUTTONS_PER_ROW)
        )
    return Outgoing(text=text, buttons=buttons, extra={"codes": [r.code for r in reports]})
