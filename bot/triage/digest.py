"""Digests: when a triage group's send limit binds, new reports arrive listed in one message.

Telegram lets a bot write 20 messages a minute into a group: 300 reports, one card each,
would take a quarter of an hour to arrive. Once the messages sent to the group in the last
minute and those waiting reach half of what its platform lets through in a minute, the
waiting new-report cards are cancelled and their reports, and the next ones, are listed in a
digest instead; the other half of the minute stays free for officers' answers and digests.
Each report opens as its full card with a button or /show CODE. When the minute has room
again, cards go out one by one.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.reporting.choices import CATEGORY_LABELS
from bot.sender.limits import per_minute
from bot.triage.cards import post_card
from core.db import utcnow
from core.i18n import gettext_for
from core.sealing import Sealer
from core.settings import Settings
from domain.areas.models import Area
from domain.chats.models import Chat, has_buttons
from domain.outbox.messages import Button, MessageKind, Outgoing
from domain.outbox.models import OutboxMessage, OutboxStatus
from domain.outbox.service import TEXT_LIMITS, enqueue
from domain.reports.models import Report
from domain.reports.service import get_report

# A new digest waits this long for more reports before it goes: a burst fills few messages.
GATHER = timedelta(seconds=5)
MINUTE = timedelta(minutes=1)
PER_DIGEST = 40  # reports listed in one digest at most; a button each fits Telegram's 100
LINE_ROOM = 80  # characters of a digest's line
HEAD_ROOM = 400  # characters of a digest's title and closing line, in either language
BUTTONS_PER_ROW = 4
WAITING = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


def digest_key(chat: Chat) -> str:
    """The coalesce key of a chat's digest waiting to be sent."""
    return f"digest:{chat.channel}:{chat.chat_id}"


def post_card_or_digest(
    session: Session, *, report: Report, chat: Chat, settings: Settings, sealer: Sealer
) -> str:
    """Show a new report to its triage chat: "card", or "digest" when the chat's limit binds."""
    pending = _pending_digest(session, chat)
    if pending is None and not limit_binds(session, chat=chat, settings=settings):
        post_card(session, report=report, chat=chat, settings=settings, sealer=sealer)
        return "card"
    codes = _cancel_waiting_cards(session, chat)
    if pending is not None:
        codes = [*json.loads(pending.body)["extra"].get("codes", []), *codes]
    codes.append(report.code)
    reports = [r for c in dict.fromkeys(codes) if (r := get_report(session, code=c)) is not None]
    # Urgent first; past one digest's room, the rest start the next digest.
    reports.sort(key=lambda r: not r.urgent)
    room = digest_room(chat)
    for start in range(0, len(reports), room):
        part = reports[start : start + room]
        message = digest_message(session, reports=part, chat=chat, settings=settings)
        if start == 0 and pending is not None:
            pending.body = message.to_json()
            session.add(pending)
            continue
        row = enqueue(
            session,
            channel=chat.channel,
            chat_id=chat.chat_id,
            message=message,
            ref=digest_key(chat),
        )[0]
        row.coalesce_key, row.not_before = digest_key(chat), utcnow() + GATHER
        session.add(row)
    return "digest"


def digest_room(chat: Chat) -> int:
    """How many reports one digest lists, so that it fits in one message of the platform."""
    return min(PER_DIGEST, (TEXT_LIMITS.get(chat.channel, 2000) - HEAD_ROOM) // LINE_ROOM)


def limit_binds(session: Session, *, chat: Chat, settings: Settings) -> bool:
    """Whether the chat's messages of the last minute and those waiting reach half its allowance."""
    allowance = per_minute(chat.channel, chat.kind, settings)
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
    return int(used) >= max(1, allowance // 2)


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


def _cancel_waiting_cards(session: Session, chat: Chat) -> list[str]:
    """Cancel the chat's new-report cards still waiting (and their photos); their codes."""
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
