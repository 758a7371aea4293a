"""Writing messages to the outbox, in the caller's transaction, and reading outcomes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from core.db import Database
from domain.chats.models import Channel
from domain.outbox.messages import MessageKind, Outgoing, split_text
from domain.outbox.models import Lane, OutboxMessage, OutboxStatus

# The longest text one call may carry: Telegram's 4,096 and Zalo's 2,000 characters.
TEXT_LIMITS = {
    Channel.TELEGRAM.value: 4096,
    Channel.ZALO.value: 2000,
    Channel.ZALO_OA.value: 2000,
    Channel.PLAYGROUND.value: 4096,  # the demo shows what Telegram would
}


def enqueue(
    session: Session,
    *,
    channel: str,
    chat_id: str,
    message: Outgoing,
    kind: MessageKind = MessageKind.TEXT,
    lane: Lane = Lane.INTERACTIVE,
    ref: str | None = None,
    coalesce_key: str | None = None,
) -> list[OutboxMessage]:
    """Queue a message; long texts become several, and a pending edit of the same key is replaced."""
    if coalesce_key is not None:
        replaced = _replace_pending(session, coalesce_key=coalesce_key, body=message.to_json())
        if replaced is not None:
            return [replaced]
    texts = [message.text]
    if kind == MessageKind.TEXT and message.text:
        texts = split_text(message.text, limit=TEXT_LIMITS.get(channel, 2000))
    rows = []
    for index, text in enumerate(texts):
        last = index == len(texts) - 1
        # Buttons go under the last piece; a reply quotes from the first.
        piece = Outgoing(
            text=text,
            buttons=message.buttons if last else (),
            reply_to=message.reply_to if index == 0 else None,
            target_message_id=message.target_message_id,
            edit_of=message.edit_of,
            callback_id=message.callback_id,
            alert=message.alert,
            extra=message.extra,
        )
        rows.append(
            OutboxMessage(
                lane=int(lane),
                channel=channel,
                chat_id=chat_id,
                kind=kind.value,
                body=piece.to_json(),
                ref=ref,
                coalesce_key=coalesce_key,
            )
        )
    session.add_all(rows)
    return rows


def _replace_pending(session: Session, *, coalesce_key: str, body: str) -> OutboxMessage | None:
    """Put a newer body into the latest pending row of the key, if one is still pending."""
    # Conditional on 'pending' in the UPDATE itself: a row the sender marked meanwhile is
    # being sent with the old body, so the new one must become a row of its own.
    latest = (
        select(col(OutboxMessage.id))
        .where(
            col(OutboxMessage.coalesce_key) == coalesce_key,
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    row_id = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == latest,
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
        )
        .values(body=body)
        .returning(col(OutboxMessage.id))
    ).scalar_one_or_none()
    if row_id is None:
        return None
    return session.get(OutboxMessage, row_id, populate_existing=True)


def outbox_counts(db: Database) -> dict[tuple[str, ...], int]:
    """How many outbox rows each (lane, status) has, for metrics."""
    lanes = {int(lane): lane.name.lower() for lane in Lane}
    with db.reading() as session:
        rows = session.execute(
            select(col(OutboxMessage.lane), col(OutboxMessage.status), func.count()).group_by(
                col(OutboxMessage.lane), col(OutboxMessage.status)
            )
        ).all()
    return {(lanes.get(lane, str(lane)), status): n for lane, status, n in rows}


def messages_for(session: Session, *, channel: str, chat_id: str) -> Sequence[OutboxMessage]:
    """Every outbox row of a chat, oldest first."""
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.channel == channel, OutboxMessage.chat_id == chat_id)  # type: ignore[arg-type]
        .order_by(OutboxMessage.id)  # type: ignore[arg-type]
    ).all()


def ref_of_sent(session: Session, *, channel: str, chat_id: str, message_id: str) -> str | None:
    """What a message the bot sent to a chat was about (its row's ref), found by its platform id."""
    return session.execute(
        select(col(OutboxMessage.ref))
        .where(
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.chat_id) == chat_id,
            col(OutboxMessage.platform_message_id) == message_id,
            col(OutboxMessage.status) == OutboxStatus.SENT.value,
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(1)
    ).scalar_one_or_none()


def release_awaiting_window(session: Session, *, channel: str, chat_id: str) -> int:
    """The person wrote again: what waited for Zalo's 7-day window goes out now, in order."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.chat_id) == chat_id,
            col(OutboxMessage.status) == OutboxStatus.AWAITING_WINDOW.value,
        )
        .values(status=OutboxStatus.PENDING.value, not_before=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def awaiting_window(session: Session, *, ref: str) -> Sequence[OutboxMessage]:
    """The messages of a ref (a report's news) waiting for their person's next message."""
    return session.scalars(
        select(OutboxMessage)
        .where(
            col(OutboxMessage.ref) == ref,
            col(OutboxMessage.status) == OutboxStatus.AWAITING_WINDOW.value,
        )
        .order_by(col(OutboxMessage.id))
    ).all()
