"""The police's desk in a triage chat: commands, card buttons, and replies to the bot's prompts.

Authority comes from where an action happens: the triage chat covering the report, and the
sender's current membership of it. Button data names a move and a code, and nothing more.
"""

from __future__ import annotations

from bot.broadcasting.desk import BROADCAST_HELP
from bot.commands import canonical
from bot.events import ButtonPress, Command, Event, Media, TextMessage
from bot.reporting.police import route_report
from bot.triage.authority import covers, is_member, is_triage_chat, officer_of
from bot.triage.cards import chats_with_card, post_card, refresh_cards, status_words
from bot.triage.merge import CONFIRM_WORDS, ask_to_merge, merge_into
from bot.triage.queue import show_queue
from bot.triage.relay import ask_reporter
from bot.triage.stats import tell_stats
from bot.triage.tell import tell_reporter_of_move
from bot.triage.transfer import transfer_choices
from bot.turn import Turn
from core.i18n import N_
from domain.areas.models import Area
from domain.areas.resolver import resolve_area
from domain.chats.models import Chat, shows_replies
from domain.codes import looks_like_code, normalize_code
from domain.outbox.messages import Outgoing
from domain.outbox.service import enqueue, ref_of_sent
from domain.reports.deadlines import after_move
from domain.reports.models import Report, Status
from domain.reports.routing import triage_chat_for
from domain.reports.service import get_report
from domain.reports.suggestions import record_answer, shown_suggestion
from domain.reports.triage import OPEN, Move, MoveRefused, allowed, apply_move
from domain.text import fold, whole_number

CODE_LENGTH = 6
ASK = "ask"  # not a Move: asking the reporter changes no status
SHOW = "show"  # not a Move either: a report's full card, posted again in this chat
MERGE = "merge"  # the rest of a cluster marked as duplicates of one report, once confirmed
# Moves that need words from the officer; a prompt asks for them when a button was pressed.
NEEDS_WORDS = {Move.REJECT, Move.RESOLVE, Move.DUPLICATE}
PROMPTS: dict[str, str] = {
    Move.REJECT: N_("Reply to this message with the reason for rejecting report {code}."),
    Move.RESOLVE: N_("Reply to this message with the outcome of report {code}, in a few words."),
    Move.DUPLICATE: N_("Reply to this message with the code of the report that {code} repeats."),
    ASK: N_(
        "Reply to this message with your question for the reporter of {code}; a photo or file "
        "may come with it. It will reach them as coming from the ward police."
    ),
}
USAGE: dict[str, str] = {
    Move.CLAIM: N_("Type /claim followed by the report's code, for example /claim K7QX2M."),
    Move.UNCLAIM: N_("Type /unclaim followed by the report's code."),
    Move.REOPEN: N_("Type /reopen followed by the report's code."),
    Move.REJECT: N_("Type /reject, the report's code and the reason: /reject K7QX2M reason."),
    Move.RESOLVE: N_("Type /resolve, the report's code and the outcome: /resolve K7QX2M outcome."),
    Move.DUPLICATE: N_("Type /duplicate, the report's code and the code it repeats."),
    Move.TRANSFER: N_(
        "Type /transfer, the report's code and the area: /transfer K7QX2M Chiềng An."
    ),
    ASK: N_("Type /ask, the report's code and your question: /ask K7QX2M question."),
    SHOW: N_("Type /show followed by the report's code, for example /show K7QX2M."),
    MERGE: N_(
        "Type /merge and the code of the report to keep: the rest of its cluster are marked "
        "as its duplicates once you confirm."
    ),
}
DESK_HELP = N_(
    "The police's desk. Each new report of this group's area arrives as a card with its code.\n"
    "/claim CODE (/nhan): take a report\n"
    "/unclaim CODE (/bonhan): let it go\n"
    "/ask CODE question (/hoi): ask the reporter, who stays anonymous\n"
    "/transfer CODE area (/chuyen): send it to another area\n"
    "/duplicate CODE OTHER (/trung): mark it as a repeat of another report\n"
    "/reject CODE reason (/tuchoi): reject it\n"
    "/resolve CODE outcome (/giaiquyet): close it as handled\n"
    "/reopen CODE (/molai): open it again\n"
    "/show CODE (/xem): the report's full card, for one listed in a digest or a cluster\n"
    "/merge CODE (/gop): mark the rest of its cluster as its duplicates, once confirmed\n"
    "/queue (/hangcho): the open reports\n"
    "/stats (/thongke): the numbers of this month; /stats chart for a chart"
)
DONE: dict[Move, str] = {
    Move.CLAIM: N_("{code}: taken by {officer}."),
    Move.UNCLAIM: N_("{code}: released by {officer}; it waits for an officer again."),
    Move.REJECT: N_("{code}: rejected by {officer}."),
    Move.DUPLICATE: N_("{code}: marked by {officer} as a duplicate of {other}."),
    Move.TRANSFER: N_("{code}: transferred by {officer} to {area}."),
    Move.RESOLVE: N_("{code}: resolved by {officer}."),
    Move.REOPEN: N_("{code}: reopened by {officer}."),
}


def is_desk_event(turn: Turn, event: Event) -> bool:
    """Whether a group event is for the desk: its commands, card buttons, replies to prompts."""
    if isinstance(event, Command):
        name = canonical(event.name)
        if name == "help":  # the desk's own help, in a triage group only
            return is_triage_chat(turn.chat())
        return name in {m.value for m in Move} | {ASK, SHOW, MERGE, "queue", "stats"}
    if isinstance(event, ButtonPress):
        return event.data.startswith("t:")
    if isinstance(event, TextMessage | Media) and event.reply_to is not None:
        return event.reply_to.from_bot and is_triage_chat(turn.chat())
    return False


def handle_desk(turn: Turn, event: Event) -> None:
    """Do what an officer asks at the desk, or say why not."""
    chat = turn.chat()
    if not is_triage_chat(chat):
        _refuse(turn, turn._("This works only in a police triage group linked with /link."))
        return
    if event.sender is None or event.edited:
        return  # an edited old command acts no more than the first time
    if isinstance(event, Command) and canonical(event.name) == "help":
        # The desk's commands are no secret: anyone may ask.
        turn.reply("\n\n".join([turn._(DESK_HELP), turn._(BROADCAST_HELP)]))
        return
    member = is_member(turn)
    if not member:
        text = (
            turn._("I could not check that you belong to this group. Please try again.")
            if member is None
            else turn._("Only members of this triage group can act on its reports.")
        )
        _refuse(turn, text)
        return
    if isinstance(event, ButtonPress):
        _button(turn, event, chat)
    elif isinstance(event, Command):
        _command(turn, event, chat)
    elif isinstance(event, TextMessage | Media):
        _reply_to_prompt(turn, event, chat)


def _refuse(turn: Turn, text: str) -> None:
    event = turn.event
    if isinstance(event, ButtonPress):
        turn.answer_button(event.callback_id, text, alert=True)
    else:
        turn.reply(text, quote=True)


def _command(turn: Turn, command: Command, chat: Chat) -> None:
    name = canonical(command.name)
    if name == "queue":
        show_queue(turn, chat=chat, page_text=command.args)
        return
    if name == "stats":
        tell_stats(turn, command, chat=chat)
        return
    code, rest = _split_code(command.args)
    if code is None:
        code = _code_replied_to(turn, chat)
    if code is None:
        turn.reply(turn._(USAGE[name]), quote=True)
        return
    report = _report_here(turn, code, chat)
    if report is None:
        return
    if name == SHOW:
        _show(turn, report, chat)
        return
    if name == MERGE:
        if fold(rest) in {fold(word) for word in CONFIRM_WORDS}:
            _merge(turn, report, chat)
        else:
            ask_to_merge(turn, keep=report, chat=chat)
        return
    if name == ASK:
        if rest:
            _ask(turn, report, rest)
        else:
            _prompt(turn, ASK, report)
        return
    move = Move(name)
    if move == Move.TRANSFER and not rest:
        transfer_choices(turn, report=report, chat=chat)
        return
    if move in NEEDS_WORDS and not rest:
        _prompt(turn, move, report)
        return
    _move(turn, report, move, rest, chat)


def _button(turn: Turn, press: ButtonPress, chat: Chat) -> None:
    parts = press.data.split(":")
    if len(parts) == 3 and parts[1] == "q" and whole_number(parts[2], digits=6) is not None:
        turn.answer_button(press.callback_id)
        show_queue(turn, chat=chat, page_text=parts[2])
        return
    if len(parts) < 3 or not looks_like_code(parts[2], length=CODE_LENGTH):
        _refuse(turn, turn._("This button is not one of mine."))
        return
    action, code = parts[1], normalize_code(parts[2])
    report = _report_here(turn, code, chat)
    if report is None:
        return
    if action == "to" and len(parts) == 4 and parts[3].isdigit():
        area = turn.session.get(Area, int(parts[3]))
        if area is None:
            _refuse(turn, turn._("That area no longer exists."))
            return
        _move(turn, report, Move.TRANSFER, "", chat, area=area)
        return
    if action == "tp" and len(parts) == 4 and parts[3].isdigit():
        turn.answer_button(press.callback_id)
        transfer_choices(turn, report=report, chat=chat, page=int(parts[3]))
        return
    if action == ASK:
        turn.answer_button(press.callback_id)
        _prompt(turn, ASK, report)
        return
    if action == SHOW:
        turn.answer_button(press.callback_id)
        _show(turn, report, chat)
        return
    if action == MERGE:
        turn.answer_button(press.callback_id)
        ask_to_merge(turn, keep=report, chat=chat)
        return
    if action == "mergeok":
        _merge(turn, report, chat)
        return
    if action == "same" and len(parts) == 4 and looks_like_code(parts[3], length=CODE_LENGTH):
        _move(turn, report, Move.DUPLICATE, normalize_code(parts[3]), chat)
        return
    if action == "notsame":
        _not_the_same(turn, report, chat)
        return
    if action not in {m.value for m in Move}:
        _refuse(turn, turn._("This button is not one of mine."))
        return
    move = Move(action)
    if not _allowed_now(turn, report, move, chat):
        return
    if move == Move.TRANSFER:
        turn.answer_button(press.callback_id)
        transfer_choices(turn, report=report, chat=chat)
    elif move in NEEDS_WORDS:
        turn.answer_button(press.callback_id)
        _prompt(turn, move, report)
    else:
        _move(turn, report, move, "", chat)


def _reply_to_prompt(turn: Turn, event: TextMessage | Media, chat: Chat) -> None:
    """An officer's reply to one of the bot's prompts: the words a move or a question needs."""
    assert event.reply_to is not None
    ref = ref_of_sent(
        turn.session,
        channel=chat.channel,
        chat_id=chat.chat_id,
        message_id=event.reply_to.message_id,
    )
    if ref is None:
        return  # a reply to some other message of the bot: nothing to do
    kind, _sep, rest = ref.partition(":")
    words = (event.text if isinstance(event, TextMessage) else event.caption or "").strip()
    if kind != "prompt":
        # Officers talk over cards and answers among themselves: only a reply to a prompt
        # acts, so that no remark meant for colleagues ever reaches a reporter.
        return
    action, _sep, code = rest.partition(":")
    report = _report_here(turn, code, chat)
    if report is None:
        return
    if action == ASK:
        _ask(turn, report, words)
    elif isinstance(event, Media) or not words:
        turn.reply(turn._(PROMPTS[action]).format(code=report.code), quote=True)
    else:
        _move(turn, report, Move(action), words, chat)


def _split_code(args: str) -> tuple[str | None, str]:
    """The report code at the start of a command's arguments, and the rest."""
    first, _sep, rest = args.strip().partition(" ")
    if not looks_like_code(first, length=CODE_LENGTH):
        return None, args.strip()
    return normalize_code(first), rest.strip()


def _code_replied_to(turn: Turn, chat: Chat) -> str | None:
    """The code of the card (or answer) a command replies to, if it replies to one."""
    reply = turn.event.reply_to
    if reply is None or not reply.from_bot:
        return None
    ref = ref_of_sent(
        turn.session, channel=chat.channel, chat_id=chat.chat_id, message_id=reply.message_id
    )
    if ref is None:
        return None
    kind, _sep, code = ref.partition(":")
    if kind == "prompt":
        code = code.partition(":")[2]
    return code if kind in {"card", "answer", "prompt", "report"} else None


def _report_here(turn: Turn, code: str, chat: Chat) -> Report | None:
    """The report, when this chat covers it; otherwise say so and return None."""
    report = get_report(turn.session, code=code)
    if report is None:
        _refuse(turn, turn._("There is no report {code}.").format(code=code))
        return None
    if not covers(turn.session, chat=chat, report=report):
        _refuse(turn, turn._("Report {code} is not handled by this group.").format(code=code))
        return None
    return report


def _allowed_now(turn: Turn, report: Report, move: Move, chat: Chat) -> bool:
    if allowed(report, move):
        return True
    _ = turn._
    _refuse(
        turn,
        _("Report {code} cannot be {done} now: {status}.").format(
            code=report.code, done=_(DONE_WORD[move]), status=status_words(turn.session, report, _)
        ),
    )
    if isinstance(turn.event, ButtonPress):  # a stale card: show it as it is now
        _refresh(turn, report, chat, change=None)
    return False


DONE_WORD: dict[Move, str] = {
    Move.CLAIM: N_("claimed"),
    Move.UNCLAIM: N_("released"),
    Move.REJECT: N_("rejected"),
    Move.DUPLICATE: N_("marked as a duplicate"),
    Move.TRANSFER: N_("transferred"),
    Move.RESOLVE: N_("resolved"),
    Move.REOPEN: N_("reopened"),
}


def _prompt(turn: Turn, action: str, report: Report) -> None:
    """Ask the officer for the words a move needs, in a message they reply to."""
    event, _ = turn.event, turn._
    if not shows_replies(event.chat.channel):
        # Zalo shows the bot no replies: the words come with the command.
        turn.reply(_(USAGE[action]), quote=True)
        return
    enqueue(
        turn.session,
        channel=event.chat.channel,
        chat_id=event.chat.chat_id,
        message=Outgoing(
            text="✍️ " + _(PROMPTS[action]).format(code=report.code),
            reply_to=None if isinstance(event, ButtonPress) else event.message_id,
        ),
        ref=f"prompt:{action}:{report.code}",
    )


def _ask(turn: Turn, report: Report, question: str) -> None:
    _ = turn._
    if not question and not isinstance(turn.event, Media):
        turn.reply(_(PROMPTS[ASK]).format(code=report.code), quote=True)
        return
    if Status(report.status) not in OPEN:
        turn.reply(
            _("Report {code} is closed; reopen it before asking its reporter.").format(
                code=report.code
            ),
            quote=True,
        )
        return
    if ask_reporter(turn, report=report, officer=officer_of(turn), question=question):
        turn.reply(
            _("Sent to the reporter of {code}. Their answer will appear here.").format(
                code=report.code
            ),
            quote=True,
        )
    else:
        turn.reply(
            _(
                "The reporter of {code} cannot be reached through the bot: they never opened a "
                "private chat with it, or they blocked it."
            ).format(code=report.code),
            quote=True,
        )


def _move(
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
    if not _allowed_now(turn, report, move, chat):
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
        _refuse(
            turn,
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
    _refresh(turn, report, chat, change=change)
    if move == Move.TRANSFER:  # after the refresh: the new chat gets a card, not a note
        _after_transfer(turn, report)
    tell_reporter_of_move(
        turn.session, report=report, move=move, settings=turn.settings, sealer=turn.sealer
    )
    _confirm(turn, chat, change)


def _show(turn: Turn, report: Report, chat: Chat) -> None:
    """Post the report's full card in this chat, live when this chat covers it."""
    post_card(turn.session, report=report, chat=chat, settings=turn.settings, sealer=turn.sealer)


def _merge(turn: Turn, report: Report, chat: Chat) -> None:
    """Mark the rest of the report's cluster as its duplicates, and say how many."""
    count = merge_into(turn, keep=report, chat=chat)
    text = turn._("{count} report(s) of the cluster marked by {officer} as duplicates of {code}.")
    _confirm(turn, chat, text.format(count=count, officer=officer_of(turn).name, code=report.code))


def _suggested_code(turn: Turn, report: Report) -> str | None:
    shown = shown_suggestion(turn.session, report=report)
    return shown[0].code if shown else None


def _not_the_same(turn: Turn, report: Report, chat: Chat) -> None:
    """An officer says the card's suggested duplicate is another event: the card drops it."""
    officer = officer_of(turn)
    assert isinstance(turn.event, ButtonPress)
    if record_answer(
        turn.session, report=report, accepted=False, actor=officer.identity, chat=officer.chat
    ):
        _refresh(turn, report, chat, change=None)
    turn.answer_button(
        turn.event.callback_id,
        turn._("{code}: noted as another event.").format(code=report.code),
    )


def _confirm(turn: Turn, chat: Chat, change: str) -> None:
    event = turn.event
    if isinstance(event, ButtonPress):
        turn.answer_button(event.callback_id, change)
    else:
        # On Telegram the edited card shows the change far up the chat: say it here as well.
        turn.reply("✔️ " + change, quote=True)


def _refresh(turn: Turn, report: Report, chat: Chat, *, change: str | None) -> None:
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
