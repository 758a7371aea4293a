"""Broadcasts at the police's desk: which events are theirs, and who may do what with them."""

from __future__ import annotations

from bot.broadcasting.approval import decide
from bot.broadcasting.buttons import Action, BroadcastButton, is_broadcast_button
from bot.broadcasting.compose import continue_composition, open_composition, start_broadcast
from bot.broadcasting.correction import correct_broadcast
from bot.broadcasting.listing import show_broadcasts
from bot.commands import canonical
from bot.events import ButtonPress, Command, Event, TextMessage
from bot.triage.authority import is_member, is_triage_chat
from bot.turn import Turn
from core.i18n import N_
from domain.chats.models import Chat, shows_replies
from domain.outbox.messages import Outgoing
from domain.outbox.service import enqueue, ref_of_sent
from domain.text import whole_number

BROADCAST_HELP = N_(
    "Broadcasts to the residents' groups of this group's area:\n"
    "/broadcast (/phatthanh): compose one, step by step; /broadcast test to try it here "
    "first, /broadcast urgent for an urgent one\n"
    "/approve NUMBER (/duyet): approve a colleague's broadcast\n"
    "/refuse NUMBER reason (/khongduyet): refuse it\n"
    "/correct NUMBER text (/dinhchinh): correct the last run that went out\n"
    "/broadcasts (/dsphatthanh): the area's broadcasts; /broadcasts NUMBER for one"
)
BROADCAST_COMMANDS = frozenset({"broadcast", "approve", "refuse", "correct", "broadcasts"})
PROMPT = "bprompt:refuse:"  # the ref of the question asking for a refusal's reason
USAGE = {
    "approve": N_("Type /approve and the broadcast's number: /approve 12."),
    "refuse": N_("Type /refuse, the broadcast's number and the reason: /refuse 12 reason."),
    "correct": N_(
        "Type /correct, the broadcast's number and the corrected text: /correct 12 text."
    ),
}


def is_broadcast_event(turn: Turn, event: Event) -> bool:
    """Whether a group event is for broadcasts: a command, a button, a composer's answer."""
    if isinstance(event, Command) and canonical(event.name) in BROADCAST_COMMANDS:
        return True
    if isinstance(event, ButtonPress):
        return is_broadcast_button(event.data)
    if event.sender is None or event.edited:
        return False
    if isinstance(event, Command):
        return canonical(event.name) == "cancel" and open_composition(turn) is not None
    if not isinstance(event, TextMessage):
        return False
    return _refusal_prompt(turn, event) is not None or open_composition(turn) is not None


def handle_broadcast_event(turn: Turn, event: Event) -> None:
    """Do what an officer asks of broadcasts in a triage chat, or say why not."""
    _ = turn._
    chat = turn.chat()
    if not is_triage_chat(chat):
        turn.refuse(_("This works only in a police triage group linked with /link."))
        return
    if event.sender is None or event.edited:
        return
    draft = open_composition(turn)
    answers = isinstance(event, TextMessage) or (
        isinstance(event, Command) and canonical(event.name) == "cancel"
    )
    if draft is not None and answers and _refusal_prompt_of(turn, event) is None:
        # Answers to the officer's own dialogue, which a member's command opened.
        continue_composition(turn, draft, chat)
        return
    member = is_member(turn)
    if not member:
        turn.refuse(
            _("I could not check that you belong to this group. Please try again.")
            if member is None
            else _("Only members of this triage group can act on its broadcasts."),
        )
        return
    if isinstance(event, ButtonPress):
        _button(turn, event, chat)
    elif isinstance(event, Command):
        _command(turn, event, chat)
    elif isinstance(event, TextMessage) and (number := _refusal_prompt(turn, event)) is not None:
        decide(turn, broadcast_id=number, chat=chat, approve=False, reason=event.text.strip())


def _command(turn: Turn, command: Command, chat: Chat) -> None:
    name = canonical(command.name)
    if name == "broadcast":
        start_broadcast(turn, command)
        return
    if name == "broadcasts":
        show_broadcasts(turn, chat=chat, args=command.args)
        return
    first, _sep, rest = command.args.strip().partition(" ")
    number = first.lstrip("#")
    if name not in USAGE:
        return
    broadcast_id = whole_number(number, digits=9)
    if broadcast_id is None or (name == "correct" and not rest.strip()):
        turn.reply(turn._(USAGE[name]), quote=True)
        return
    if name == "correct":
        correct_broadcast(turn, broadcast_id=broadcast_id, words=rest.strip(), chat=chat)
    else:
        decide(
            turn,
            broadcast_id=broadcast_id,
            chat=chat,
            approve=name == "approve",
            reason=rest.strip(),
        )


def _button(turn: Turn, press: ButtonPress, chat: Chat) -> None:
    pressed = BroadcastButton.decode(press.data)
    if pressed is not None and pressed.action in {Action.APPROVE, Action.REFUSE}:
        number = int(pressed.value)
        if pressed.action == Action.APPROVE:
            decide(turn, broadcast_id=number, chat=chat, approve=True, reason="")
        else:
            turn.answer_button(press.callback_id)
            _ask_reason(turn, number)
        return
    draft = open_composition(turn)
    if draft is None:
        turn.refuse(turn._("This is not a broadcast you are composing here."))
        return
    continue_composition(turn, draft, chat)


def _ask_reason(turn: Turn, number: int) -> None:
    """Ask for the reason of a refusal, in a message the officer replies to."""
    ref = turn.event.chat
    if not shows_replies(ref.channel):
        usage = USAGE["refuse"]
        turn.reply(turn._(usage))
        return
    enqueue(
        turn.session,
        channel=ref.channel,
        chat_id=ref.chat_id,
        message=Outgoing(
            text="✍️ "
            + turn._("Reply to this message with the reason for refusing broadcast {id}.").format(
                id=number
            )
        ),
        ref=f"{PROMPT}{number}",
    )


def _refusal_prompt_of(turn: Turn, event: Event) -> int | None:
    return _refusal_prompt(turn, event) if isinstance(event, TextMessage) else None


def _refusal_prompt(turn: Turn, event: TextMessage) -> int | None:
    """The broadcast whose refusal prompt the message replies to, if it replies to one."""
    reply = event.reply_to
    if reply is None or not reply.from_bot:
        return None
    ref = ref_of_sent(
        turn.session,
        channel=event.chat.channel,
        chat_id=event.chat.chat_id,
        message_id=reply.message_id,
    )
    if ref is None or not ref.startswith(PROMPT):
        return None
    return whole_number(ref[len(PROMPT) :], digits=9)
