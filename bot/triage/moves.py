"""A move an officer makes on a report: checked, applied, and told to cards, reporter and officer."""

from __future__ import annotations

from bot.events import ButtonPress
from bot.reporting.police import route_report
from bot.triage.authority import covers, officer_of
from bot.triage.cards import chats_with_card, post_card, refresh_cards, status_words
from bot.triage.tell import tell_reporter_of_move
from bot.triage.transfer import transfer_choices
from bot.triage.words import CODE_LENGTH, DONE, DONE_WORD, USAGE
from bot.turn import Turn
from domain.areas.models import Area
from domain.areas.resolver import resolve_area
from domain.chats.models import Chat
from domain.codes import looks_like_code, normalize_code
from domain.reports.deadlines import after_move
from domain.reports.models import Report
from domain.reports.routing import triage_chat_for
from domain.reports.service import get_report
from domain.reports.suggestions import record_answer, shown_suggestion
from domain.reports.triage import Move, MoveRefused, allowed, apply_move


def make_move(
    turn: Turn,
    report: Report,
    move: Move,
    words: str,
    chat: Chat,
    *,
    area: Area | None = None,
) -> None:
    """Make a move from this chat: the report, its cards, the reporter and the officer."""
    _ = turn._
    officer = officer_of(turn)
    if not allowed_now(turn, report, move, chat):
        return
    other: Report | None = None
    if move == Move.DUPLICATE:
        other = _other_report(turn, report, words, chat)
        if other is None:
            return
    if move == Move.TRANSFER and area is None:
        area = _area_named(turn, report, words, chat)
        if area is None:
            return
    if other is not None:  # the card's suggestion, if it named one, was right or wrong
        record_answer(
            turn.session,
            report=report,
            accepted=other.code == _suggested_code(turn, report),
            actor=officer.identity,
            chat=officer.chat,
        )
    try:
        apply_move(
            turn.session,
            report=report,
            move=move,
            officer=officer,
            reason=words or None,
            duplicate_of=other,
            area_id=area.id if area is not None else None,
            now=turn.now,
        )
    except MoveRefused:
        turn.refuse(
            _("Report {code} cannot be {done} that way.").format(
                code=report.code, done=_(DONE_WORD[move])
            ),
        )
        return
    after_move(report, move=move, settings=turn.settings, now=turn.now)
    change = _(DONE[move]).format(
        code=report.code,
        officer=officer.name,
        other=other.code if other else "",
        area=area.name if area else "",
    )
    refresh(turn, report, chat, change=change)
    if move == Move.TRANSFER:  # after the refresh: the new chat gets a card, not a note
        _after_transfer(turn, report)
    tell_reporter_of_move(
        turn.session, report=report, move=move, settings=turn.settings, sealer=turn.sealer
    )
    turn.confirm(change)


def allowed_now(turn: Turn, report: Report, move: Move, chat: Chat) -> bool:
    """Whether the move fits the report's status now; if not, say why and show the card as it is."""
    if allowed(report, move):
        return True
    _ = turn._
    turn.refuse(
        _("Report {code} cannot be {done} now: {status}.").format(
            code=report.code, done=_(DONE_WORD[move]), status=status_words(turn.session, report, _)
        ),
    )
    if isinstance(turn.event, ButtonPress):  # a stale card: show it as it is now
        refresh(turn, report, chat, change=None)
    return False


def refresh(turn: Turn, report: Report, chat: Chat, *, change: str | None) -> None:
    """Bring every card of the report up to date, with a note of the change."""
    live = triage_chat_for(turn.session, area_id=report.area_id)
    refresh_cards(
        turn.session,
        report=report,
        settings=turn.settings,
        sealer=turn.sealer,
        change=change or "",
        acting=chat,
        live_chat=live,
    )


def _after_transfer(turn: Turn, report: Report) -> None:
    """The card goes to the triage chat of the new area, or the report waits for one."""
    new_chat = triage_chat_for(turn.session, area_id=report.area_id)
    if new_chat is None:
        route_report(turn.session, report=report, settings=turn.settings, sealer=turn.sealer)
        return
    report.unrouted = False
    turn.session.add(report)
    if (new_chat.channel, new_chat.chat_id) not in chats_with_card(turn.session, report=report):
        post_card(
            turn.session, report=report, chat=new_chat, settings=turn.settings, sealer=turn.sealer
        )


def _other_report(turn: Turn, report: Report, words: str, chat: Chat) -> Report | None:
    _ = turn._
    first = words.split()[0] if words.split() else ""
    if not looks_like_code(first, length=CODE_LENGTH):
        turn.reply(_(USAGE[Move.DUPLICATE]), quote=True)
        return None
    other = get_report(turn.session, code=normalize_code(first))
    if other is None or not covers(turn.session, chat=chat, report=other):
        turn.reply(
            _("There is no report {code} in this group's area.").format(code=normalize_code(first)),
            quote=True,
        )
        return None
    if other.id == report.id:
        turn.reply(_("A report cannot repeat itself."), quote=True)
        return None
    return other


def _area_named(turn: Turn, report: Report, words: str, chat: Chat) -> Area | None:
    _ = turn._
    found = resolve_area(
        turn.session, text=words, provinces=turn.settings.provinces, near=chat.area_id
    )
    if found.area is not None and found.area.id != report.area_id:
        return found.area
    if found.area is not None:
        turn.reply(
            _("Report {code} is already in {area}.").format(code=report.code, area=found.area.name),
            quote=True,
        )
        return None
    if found.candidates:
        names = ", ".join(c.area.name for c in found.candidates[:5])
        turn.reply(
            _("Which area do you mean? {names}. Type it in full, or use the buttons.").format(
                names=names
            ),
            quote=True,
        )
        transfer_choices(turn, report=report, chat=chat)
        return None
    turn.reply(_("I know no area called \u201c{name}\u201d.").format(name=words), quote=True)
    return None


def _suggested_code(turn: Turn, report: Report) -> str | None:
    shown = shown_suggestion(turn.session, report=report)
    return shown[0].code if shown else None
