"""`/broadcasts` in a triage chat: its area's broadcasts, and one broadcast with its timeline."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import select
from sqlmodel import Session, col

from bot.broadcasting.approval import STATES, areas_text, author_name
from bot.broadcasting.authority import may_act
from bot.broadcasting.figures import figure_lines
from bot.broadcasting.preview import local_time
from bot.turn import Turn
from broadcasts.models import Broadcast, BroadcastStatus
from broadcasts.plans import BroadcastError
from broadcasts.service import latest_run, next_send_at, run_counts
from broadcasts.texts import broadcast_text
from broadcasts.timeline import events_of
from core.i18n import N_
from core.settings import Settings
from domain.chats.models import Chat
from domain.text import whole_number

SCANNED = 300  # the newest broadcasts looked at for a chat's list
SHOWN = 10
STEPS_SHOWN = 12  # the timeline's last steps: a chat message has room for a few
FIRST_WORDS = 8
UNDER_WAY = (
    BroadcastStatus.AWAITING_APPROVAL.value,
    BroadcastStatus.SCHEDULED.value,
    BroadcastStatus.SENDING.value,
    BroadcastStatus.PAUSED.value,
)
EVENT_WORDS = {
    "created": N_("written"),
    "approved": N_("approved"),
    "refused": N_("refused"),
    "expired": N_("expired without approval"),
    "run_started": N_("run started"),
    "run_done": N_("run finished"),
    "run_missed": N_("run missed"),
    "run_failed": N_("run could not start"),
    "run_paused": N_("run paused itself"),
    "paused": N_("paused"),
    "resumed": N_("resumed"),
    "cancelled": N_("cancelled"),
    "retried": N_("failed deliveries retried"),
    "corrected": N_("corrected"),
}


def show_broadcasts(turn: Turn, *, chat: Chat, args: str) -> None:
    """List the chat's area's broadcasts, or show one when its number is given."""
    _ = turn._
    number = args.strip().lstrip("#")
    if number:
        wanted = whole_number(number, digits=9)
        broadcast = turn.session.get(Broadcast, wanted) if wanted is not None else None
        if broadcast is None or not may_act(turn.session, chat=chat, broadcast=broadcast):
            turn.reply(_("There is no broadcast {id} in this group's area.").format(id=number))
            return
        lines = broadcast_lines(
            turn.session, broadcast, settings=turn.settings, _=_, locale=turn.locale
        )
        turn.reply("\n".join(lines))
        return
    found = [
        b
        for b in turn.session.scalars(
            select(Broadcast).order_by(col(Broadcast.id).desc()).limit(SCANNED)
        )
        if may_act(turn.session, chat=chat, broadcast=b)
    ]
    # Those still to go first, then the recent ones.
    found.sort(key=lambda b: (b.status not in UNDER_WAY, -(b.id or 0)))
    if not found:
        turn.reply(_("No broadcast for this group's area yet. Type /broadcast to compose one."))
        return
    lines = [_("📣 Broadcasts of this area (newest first; /broadcasts NUMBER for one):")]
    lines += [_summary(turn, b) for b in found[:SHOWN]]
    if len(found) > SHOWN:
        lines.append(_("… {count} more, older.").format(count=len(found) - SHOWN))
    turn.reply("\n".join(lines))


def _summary(turn: Turn, broadcast: Broadcast) -> str:
    """One line: number, state, first words, next or last run, its counts."""
    _ = turn._
    assert broadcast.id is not None
    words = _words(turn.session, broadcast, turn.settings)
    first = " ".join(words.split()[:FIRST_WORDS])
    line = f"#{broadcast.id} · {_(STATES[broadcast.status])} · {first}…"
    upcoming = next_send_at(broadcast, settings=turn.settings)
    run = latest_run(turn.session, broadcast_id=broadcast.id)
    if upcoming is not None and broadcast.status in UNDER_WAY:
        line += " · " + _("next {when}").format(
            when=local_time(upcoming, settings=turn.settings, locale=turn.locale)
        )
    if run is not None and run.id is not None:
        counts = run_counts(turn.session, run_id=run.id)
        line += " · " + _("last {when}: {sent} sent, {failed} failed").format(
            when=local_time(run.due_at, settings=turn.settings, locale=turn.locale),
            sent=counts.sent,
            failed=counts.failed,
        )
    return line


def broadcast_lines(
    session: Session,
    broadcast: Broadcast,
    *,
    settings: Settings,
    _: Callable[[str], str],
    locale: str,
) -> list[str]:
    """One broadcast as `/broadcasts ID` shows it; each part a few lines, easy to add to."""
    assert broadcast.id is not None
    lines = [
        _("📣 Broadcast {id} · {state}").format(id=broadcast.id, state=_(STATES[broadcast.status])),
        _("Written by: {name}").format(name=author_name(session, broadcast)),
        _("Areas: {areas}").format(areas=areas_text(session, broadcast)),
    ]
    upcoming = next_send_at(broadcast, settings=settings)
    if upcoming is not None:
        lines.append(
            _("Next run: {when}").format(
                when=local_time(upcoming, settings=settings, locale=locale)
            )
        )
    lines += ["", _words(session, broadcast, settings), ""]
    lines += _last_run_lines(session, broadcast, settings=settings, _=_, locale=locale)
    lines += _timeline_lines(session, broadcast, settings=settings, _=_, locale=locale)
    return lines


def _last_run_lines(
    session: Session,
    broadcast: Broadcast,
    *,
    settings: Settings,
    _: Callable[[str], str],
    locale: str,
) -> list[str]:
    assert broadcast.id is not None
    run = latest_run(session, broadcast_id=broadcast.id)
    if run is None or run.id is None:
        return [_("No run yet.")]
    counts = run_counts(session, run_id=run.id)
    return [
        _(
            "Last run {when}: {targets} groups, {sent} sent, {failed} failed, {pending} waiting."
        ).format(
            when=local_time(run.due_at, settings=settings, locale=locale),
            targets=counts.targets,
            sent=counts.sent,
            failed=counts.failed,
            pending=counts.pending,
        ),
        *figure_lines(session, run, locale),
    ]


def _timeline_lines(
    session: Session,
    broadcast: Broadcast,
    *,
    settings: Settings,
    _: Callable[[str], str],
    locale: str,
) -> list[str]:
    assert broadcast.id is not None
    lines = [_("Timeline:")]
    steps, earlier = events_of(session, broadcast_id=broadcast.id, last=STEPS_SHOWN)
    if earlier:
        lines.append(_("· … earlier steps: {count}").format(count=earlier))
    for event in steps:
        word = _(EVENT_WORDS[event.kind]) if event.kind in EVENT_WORDS else event.kind
        details = json.loads(event.details)
        who = details.get("name") or details.get("author_name")
        line = f"· {local_time(event.at, settings=settings, locale=locale)} {word}"
        if who:
            line += f" — {who}"
        if "sent" in details:
            line += " " + _("({sent} sent, {failed} failed)").format(
                sent=details["sent"], failed=details.get("failed", 0)
            )
        lines.append(line)
    return lines


def _words(session: Session, broadcast: Broadcast, settings: Settings) -> str:
    try:
        return broadcast_text(session, broadcast, locale=settings.locale)
    except BroadcastError:
        return "—"
