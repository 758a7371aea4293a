"""Correcting a run that went out: a marked correction to exactly the groups that received it."""

from __future__ import annotations

from babel.dates import format_datetime
from sqlalchemy import select
from sqlmodel import Session, col

from bot.broadcasting.authority import may_act
from bot.triage.authority import officer_of
from bot.turn import Turn
from broadcasts.models import Broadcast, BroadcastRun, RunStatus
from broadcasts.plans import BroadcastError, check_text
from broadcasts.service import latest_run
from broadcasts.timeline import record
from core.i18n import N_, gettext_for
from core.settings import Settings
from domain.chats.models import Chat, has_buttons
from domain.outbox.messages import MessageKind, Outgoing
from domain.outbox.models import Lane, OutboxMessage, OutboxStatus
from domain.outbox.service import enqueue

CORRECTION = N_("✏️ CORRECTION of the broadcast of {when}:")
EDITED = N_("✏️ Corrected:")


def delivered(session: Session, *, run_id: int) -> list[tuple[str, str, str | None]]:
    """The groups a run reached: (channel, chat id, the delivered message's id)."""
    rows = session.execute(
        select(
            col(OutboxMessage.channel),
            col(OutboxMessage.chat_id),
            col(OutboxMessage.platform_message_id),
        )
        .where(
            col(OutboxMessage.run_id) == run_id,
            col(OutboxMessage.status) == OutboxStatus.SENT.value,
        )
        .order_by(col(OutboxMessage.id))
    ).all()
    return [(channel, chat_id, message_id) for channel, chat_id, message_id in rows]


def correct_broadcast(turn: Turn, *, broadcast_id: int, words: str, chat: Chat) -> None:
    """Send the correction of the broadcast's last run, and edit it in place where possible."""
    _ = turn._
    broadcast = turn.session.get(Broadcast, broadcast_id)
    if broadcast is None:
        turn.reply(_("There is no broadcast {id}.").format(id=broadcast_id), quote=True)
        return
    if not may_act(turn.session, chat=chat, broadcast=broadcast):
        text = _("Broadcast {id} is not of this group's area.").format(id=broadcast_id)
        turn.reply(text, quote=True)
        return
    try:
        words = check_text(words, channels=None)
    except BroadcastError as error:
        turn.reply(
            _("This broadcast cannot be sent: {reason}").format(reason=error.told(_)), quote=True
        )
        return
    run = latest_run(turn.session, broadcast_id=broadcast_id)
    reached = delivered(turn.session, run_id=run.id) if run is not None and run.id else []
    if run is not None and run.status == RunStatus.SENDING.value:
        # A correction now would miss the groups still to get the first words.
        text = _("Broadcast {id} is still being sent; correct it when its run has ended.").format(
            id=broadcast_id
        )
        turn.reply(text, quote=True)
        return
    if run is None or not reached:
        text = _("Broadcast {id} has no run that reached a group yet.").format(id=broadcast_id)
        turn.reply(text, quote=True)
        return
    edited = _send_correction(turn.session, run, reached, words=words, settings=turn.settings)
    officer = officer_of(turn)
    record(
        turn.session,
        broadcast_id=broadcast_id,
        kind="corrected",
        actor=officer.identity,
        chat=officer.chat,
        run_id=run.id,
        at=turn.now,
        name=officer.name,
        groups=len(reached),
        edited=edited,
        text=words,
    )
    turn.reply(
        _("✔️ The correction of broadcast {id} goes to the {n} groups its last run reached.").format(
            id=broadcast_id, n=len(reached)
        ),
        quote=True,
    )


def _send_correction(
    session: Session,
    run: BroadcastRun,
    reached: list[tuple[str, str, str | None]],
    *,
    words: str,
    settings: Settings,
) -> int:
    """Queue the correction in every group, and on Telegram an edit of the message; edits queued."""
    _ = gettext_for(settings.locale)
    when = format_datetime(
        run.started_at or run.due_at,
        "HH:mm dd/MM/yyyy",
        tzinfo=settings.zone,
        locale=settings.locale,
    )
    note = f"{_(CORRECTION).format(when=when)}\n\n{words}"
    edited = f"{_(EDITED)}\n\n{words}"
    edits = 0
    for channel, chat_id, message_id in reached:
        if has_buttons(channel) and message_id is not None:
            # The edit first; the correction goes after it even when the edit fails (a message
            # too old to edit, or deleted).
            enqueue(
                session,
                channel=channel,
                chat_id=chat_id,
                message=Outgoing(text=edited, target_message_id=message_id),
                kind=MessageKind.EDIT_TEXT,
                lane=Lane.URGENT,
            )
            edits += 1
        enqueue(
            session,
            channel=channel,
            chat_id=chat_id,
            message=Outgoing(text=note),
            lane=Lane.URGENT,
            ref=f"bcorrect:{run.broadcast_id}",
        )
    return edits
