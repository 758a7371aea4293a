"""A confirmed broadcast waits for a second officer: its card, /approve and /refuse, buttons."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import select
from sqlmodel import Session, col

from bot.broadcasting.authority import may_act
from bot.broadcasting.buttons import Action, BroadcastButton
from bot.broadcasting.preview import local_time, schedule_words
from bot.triage.authority import officer_of
from bot.turn import Turn
from broadcasts.approval import approve_broadcast, refuse_broadcast, waiting_broadcast
from broadcasts.models import Broadcast, BroadcastStatus
from broadcasts.plans import BroadcastError, BroadcastRequest, audience_of_broadcast
from broadcasts.service import (
    BroadcastConflict,
    BroadcastNotFound,
    cancel_broadcast,
    create_broadcast,
)
from broadcasts.targets import UnknownAreas, count_targets
from broadcasts.texts import broadcast_text
from broadcasts.timeline import first_event
from core.i18n import N_, gettext_for
from core.settings import Settings
from domain.areas.models import Area
from domain.chats.models import Chat, has_buttons
from domain.outbox.messages import Button, MessageKind, Outgoing
from domain.outbox.service import enqueue

STATES = {
    BroadcastStatus.AWAITING_APPROVAL.value: N_("awaiting approval"),
    BroadcastStatus.SCHEDULED.value: N_("scheduled"),
    BroadcastStatus.SENDING.value: N_("sending"),
    BroadcastStatus.PAUSED.value: N_("paused"),
    BroadcastStatus.DONE.value: N_("sent"),
    BroadcastStatus.CANCELLED.value: N_("cancelled"),
}


def card_ref(broadcast_id: int) -> str:
    """The outbox ref of a broadcast's approval card, which later edits find."""
    return f"bcard:{broadcast_id}"


def submit(turn: Turn, request: BroadcastRequest, *, chat: Chat) -> Broadcast:
    """Save a confirmed broadcast: waiting for approval with its card, or scheduled at once."""
    waits = turn.settings.broadcast_approval
    officer = officer_of(turn)
    broadcast = create_broadcast(
        turn.session,
        request,
        settings=turn.settings,
        now=turn.now,
        origin_chat=officer.chat,
        awaiting_approval=waits,
        details={"author_name": officer.name},
    )
    assert broadcast.id is not None
    turn.broadcasts_changed = True
    _ = turn._
    if not waits:
        turn.reply(
            _("Broadcast {id} is scheduled (approval by a second officer is off).").format(
                id=broadcast.id
            ),
            quote=True,
        )
        return broadcast
    text = card_text(turn.session, broadcast, settings=turn.settings, _=_, locale=turn.locale)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if has_buttons(chat.channel):
        buttons = (
            (
                BroadcastButton(Action.APPROVE, str(broadcast.id)).button(_("Approve")),
                BroadcastButton(Action.REFUSE, str(broadcast.id)).button(_("Refuse")),
            ),
        )
    enqueue(
        turn.session,
        channel=chat.channel,
        chat_id=chat.chat_id,
        message=Outgoing(text=text, buttons=buttons),
        ref=card_ref(broadcast.id),
    )
    return broadcast


def author_name(session: Session, broadcast: Broadcast) -> str:
    """The name its author had in the chat, as the timeline keeps it."""
    assert broadcast.id is not None
    created = first_event(session, broadcast_id=broadcast.id, kind="created")
    name = json.loads(created.details).get("author_name") if created is not None else None
    return str(name) if name else broadcast.created_by


def areas_text(session: Session, broadcast: Broadcast) -> str:
    """The broadcast's areas by name, in the order given ("all" stays as it is)."""
    codes = json.loads(broadcast.areas)
    if not isinstance(codes, list):
        return str(codes)
    found = session.execute(
        select(col(Area.code), col(Area.name)).where(col(Area.code).in_(codes))
    ).all()
    names: dict[str, str] = {str(code): str(name) for code, name in found}
    return ", ".join(names.get(str(code), str(code)) for code in codes)


def _groups_now(session: Session, broadcast: Broadcast) -> int:
    """How many community groups the broadcast would reach if it went now."""
    try:
        return sum(c.groups for c in count_targets(session, audience_of_broadcast(broadcast)))
    except UnknownAreas:
        return 0


def card_text(
    session: Session,
    broadcast: Broadcast,
    *,
    settings: Settings,
    _: Callable[[str], str],
    locale: str,
    outcome: str = "",
) -> str:
    """A broadcast's card: its state, author, areas, time and exact text."""
    assert broadcast.id is not None
    try:
        words = broadcast_text(session, broadcast, locale=settings.locale)
    except BroadcastError:
        words = "—"
    lines = [
        _("📣 Broadcast {id} · {state}").format(id=broadcast.id, state=_(STATES[broadcast.status])),
        _("Written by: {name}").format(name=author_name(session, broadcast)),
        _("Areas: {areas} ({groups} groups now)").format(
            areas=areas_text(session, broadcast), groups=_groups_now(session, broadcast)
        ),
        _("Goes: {when}").format(
            when=schedule_words(
                _,
                cron=broadcast.cron,
                first=broadcast.next_run_at,
                settings=settings,
                locale=locale,
            )
        ),
    ]
    if broadcast.urgent:
        lines.append(_("Urgent: it ignores quiet hours."))
    lines += ["", words, ""]
    if outcome:
        lines.append(outcome)
    elif broadcast.status == BroadcastStatus.AWAITING_APPROVAL.value:
        lines.append(
            _("Approve: /duyet {id} · Refuse: /khongduyet {id} reason").format(id=broadcast.id)
        )
    return "\n".join(lines)


def update_card(
    session: Session, broadcast: Broadcast, *, settings: Settings, outcome: str, acting: Chat | None
) -> None:
    """Show the card's new state where it was posted: edited on Telegram, a note elsewhere."""
    if broadcast.origin_chat is None or broadcast.id is None:
        return
    channel, _sep, chat_id = broadcast.origin_chat.partition(":")
    _ = gettext_for(settings.locale)
    if has_buttons(channel):
        text = card_text(
            session, broadcast, settings=settings, _=_, locale=settings.locale, outcome=outcome
        )
        enqueue(
            session,
            channel=channel,
            chat_id=chat_id,
            message=Outgoing(text=text, edit_of=card_ref(broadcast.id)),
            kind=MessageKind.EDIT_TEXT,
            ref=card_ref(broadcast.id),
            coalesce_key=f"{card_ref(broadcast.id)}:{channel}:{chat_id}",
        )
    elif acting is None or (acting.channel, acting.chat_id) != (channel, chat_id):
        enqueue(session, channel=channel, chat_id=chat_id, message=Outgoing(text=outcome))


CANCELLED_OUTSIDE = N_(
    "Broadcast {id} was cancelled by an operator. Nothing more of it will be sent."
)


def cancel_and_tell(
    session: Session, *, broadcast_id: int, settings: Settings, actor: str
) -> Broadcast:
    """Cancel a broadcast from the API or the CLI; the card in the chat it came from says so."""
    broadcast = cancel_broadcast(session, broadcast_id=broadcast_id, actor=actor)
    _ = gettext_for(settings.locale)
    note = _(CANCELLED_OUTSIDE).format(id=broadcast_id)
    # Its approval buttons would otherwise still offer a broadcast that can no longer go.
    update_card(session, broadcast, settings=settings, outcome=note, acting=None)
    channel, _sep, chat_id = (broadcast.origin_chat or "").partition(":")
    if chat_id and has_buttons(channel):  # the edited card is far up the chat: say it here too
        enqueue(session, channel=channel, chat_id=chat_id, message=Outgoing(text=note))
    return broadcast


def decide(turn: Turn, *, broadcast_id: int, chat: Chat, approve: bool, reason: str) -> None:
    """Approve or refuse a waiting broadcast from this chat, or say why not."""
    _ = turn._
    officer = officer_of(turn)
    try:
        broadcast = waiting_broadcast(turn.session, broadcast_id=broadcast_id)
    except BroadcastNotFound:
        turn.refuse(_("There is no broadcast {id}.").format(id=broadcast_id))
        return
    except BroadcastConflict:
        turn.refuse(_("Broadcast {id} is not waiting for approval.").format(id=broadcast_id))
        return
    if not may_act(turn.session, chat=chat, broadcast=broadcast):
        turn.refuse(_("Broadcast {id} is not of this group's area.").format(id=broadcast_id))
        return
    if not approve:
        if not reason:
            turn.refuse(_("Type /refuse, the broadcast's number and the reason."))
            return
        refuse_broadcast(
            turn.session,
            broadcast=broadcast,
            actor=officer.identity,
            chat=officer.chat,
            reason=reason,
            now=turn.now,
            name=officer.name,
        )
        change = _("Broadcast {id}: refused by {officer}. Reason: {reason}").format(
            id=broadcast_id, officer=officer.name, reason=reason
        )
    else:
        own = officer.identity == broadcast.created_by
        if own and not (broadcast.urgent and turn.settings.urgent_self_approve):
            turn.refuse(
                _("You wrote broadcast {id}: another officer must approve it.").format(
                    id=broadcast_id
                ),
            )
            return
        approve_broadcast(
            turn.session,
            broadcast=broadcast,
            actor=officer.identity,
            chat=officer.chat,
            settings=turn.settings,
            now=turn.now,
            name=officer.name,
            self_approved=own,
        )
        turn.broadcasts_changed = True
        when = (
            local_time(broadcast.next_run_at, settings=turn.settings, locale=turn.locale)
            if (broadcast.next_run_at)
            else "—"
        )
        template = (
            N_("Broadcast {id}: approved by its author alone (urgent); it goes at {when}.")
            if own
            else N_("Broadcast {id}: approved by {officer}; it goes at {when}.")
        )
        change = _(template).format(id=broadcast_id, officer=officer.name, when=when)
    update_card(turn.session, broadcast, settings=turn.settings, outcome=change, acting=chat)
    turn.confirm(change)
