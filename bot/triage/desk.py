"""The police's desk in a triage chat: commands, card buttons, and replies to the bot's prompts.

Authority comes from where an action happens: the triage chat covering the report, and the
sender's current membership of it. Button data names a move and a code, and nothing more.
"""

from __future__ import annotations

from bot.broadcasting.desk import BROADCAST_HELP
from bot.commands import canonical
from bot.events import ButtonPress, Command, Event, Media, TextMessage
from bot.triage.authority import covers, is_member, is_triage_chat, officer_of
from bot.triage.cards import post_card
from bot.triage.merge import CONFIRM_WORDS, ask_to_merge, merge_into
from bot.triage.moves import allowed_now, make_move, refresh
from bot.triage.queue import show_queue
from bot.triage.relay import ask_reporter
from bot.triage.stats import tell_stats
from bot.triage.transfer import transfer_choices
from bot.triage.words import (
    ASK,
    CODE_LENGTH,
    DESK_HELP,
    MERGE,
    NEEDS_WORDS,
    PROMPTS,
    SHOW,
    USAGE,
)
from bot.turn import Turn
from domain.areas.models import Area
from domain.chats.models import Chat, shows_replies
from domain.codes import looks_like_code, normalize_code
from domain.outbox.messages import Outgoing
from domain.outbox.service import enqueue, ref_of_sent
from domain.reports.models import Report, Status
from domain.reports.service import get_report
from domain.reports.suggestions import record_answer
from domain.reports.triage import OPEN, Move
from domain.text import fold, whole_number


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
        turn.refuse(turn._("This works only in a police triage group linked with /link."))
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
        turn.refuse(text)
        return
    if isinstance(event, ButtonPress):
        _button(turn, event, chat)
    elif isinstance(event, Command):
        _command(turn, event, chat)
    elif isinstance(event, TextMessage | Media):
        _reply_to_prompt(turn, event, chat)


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
    make_move(turn, report, move, rest, chat)


def _button(turn: Turn, press: ButtonPress, chat: Chat) -> None:
    parts = press.data.split(":")
    if len(parts) == 3 and parts[1] == "q" and whole_number(parts[2], digits=6) is not None:
        turn.answer_button(press.callback_id)
        show_queue(turn, chat=chat, page_text=parts[2])
        return
    if len(parts) < 3 or not looks_like_code(parts[2], length=CODE_LENGTH):
        turn.refuse(turn._("This button is not one of mine."))
        return
    action, code = parts[1], normalize_code(parts[2])
    report = _report_here(turn, code, chat)
    if report is None:
        return
    if action == "to" and len(parts) == 4 and parts[3].isdigit():
        area = turn.session.get(Area, int(parts[3]))
        if area is None:
            turn.refuse(turn._("That area no longer exists."))
            return
        make_move(turn, report, Move.TRANSFER, "", chat, area=area)
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
        make_move(turn, report, Move.DUPLICATE, normalize_code(parts[3]), chat)
        return
    if action == "notsame":
        _not_the_same(turn, report, chat)
        return
    if action not in {m.value for m in Move}:
        turn.refuse(turn._("This button is not one of mine."))
        return
    move = Move(action)
    if not allowed_now(turn, report, move, chat):
        return
    if move == Move.TRANSFER:
        turn.answer_button(press.callback_id)
        transfer_choices(turn, report=report, chat=chat)
    elif move in NEEDS_WORDS:
        turn.answer_button(press.callback_id)
        _prompt(turn, move, report)
    else:
        make_move(turn, report, move, "", chat)


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
        make_move(turn, report, Move(action), words, chat)


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
        turn.refuse(turn._("There is no report {code}.").format(code=code))
        return None
    if not covers(turn.session, chat=chat, report=report):
        turn.refuse(turn._("Report {code} is not handled by this group.").format(code=code))
        return None
    return report


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


def _show(turn: Turn, report: Report, chat: Chat) -> None:
    """Post the report's full card in this chat, live when this chat covers it."""
    post_card(turn.session, report=report, chat=chat, settings=turn.settings, sealer=turn.sealer)


def _merge(turn: Turn, report: Report, chat: Chat) -> None:
    """Mark the rest of the report's cluster as its duplicates, and say how many."""
    count = merge_into(turn, keep=report, chat=chat)
    text = turn._("{count} report(s) of the cluster marked by {officer} as duplicates of {code}.")
    turn.confirm(text.format(count=count, officer=officer_of(turn).name, code=report.code))


def _not_the_same(turn: Turn, report: Report, chat: Chat) -> None:
    """An officer says the card's suggested duplicate is another event: the card drops it."""
    officer = officer_of(turn)
    assert isinstance(turn.event, ButtonPress)
    if record_answer(
        turn.session, report=report, accepted=False, actor=officer.identity, chat=officer.chat
    ):
        refresh(turn, report, chat, change=None)
    turn.answer_button(
        turn.event.callback_id,
        turn._("{code}: noted as another event.").format(code=report.code),
    )
