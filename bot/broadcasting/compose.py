"""Composing a broadcast in a triage chat: message, area, time, preview, confirmation.

Each officer has their own draft in the chat, kept in the database; numbered answers work
everywhere, and Telegram shows buttons for the same choices.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bot.broadcasting.answers import read_number, read_tag, read_when, without_mention
from bot.broadcasting.approval import submit
from bot.broadcasting.buttons import Action, BroadcastButton
from bot.broadcasting.preview import foresee, preview_text, request_of
from bot.broadcasting.testing import send_test
from bot.commands import canonical
from bot.events import ButtonPress, Command, TextMessage
from bot.triage.authority import officer_of
from bot.turn import Turn
from broadcasts.contents.service import list_contents
from broadcasts.drafts import (
    composition_data,
    drop_composition,
    get_composition,
    save_composition,
)
from broadcasts.models import BroadcastDraft
from broadcasts.plans import BroadcastError
from core.i18n import N_
from domain.areas.models import Area
from domain.areas.resolver import resolve_area
from domain.areas.service import ancestors
from domain.chats.models import Chat, has_buttons
from domain.outbox.messages import Button
from domain.outbox.service import TEXT_LIMITS

MIN_OWN_WORDS = 3  # fewer words are an odd answer, not a message to residents
TEXT_LIMIT = min(TEXT_LIMITS.values())  # the broadcast goes to every channel: Zalo's 2,000
MAX_AREAS = 8
TEST_WORDS = {"test", "thu", "thunghiem", "thử", "thử nghiệm", "thunghiệm"}
URGENT_WORDS = {"urgent", "khan", "khẩn", "khancap", "khẩn cấp"}


class Step(StrEnum):
    """Where a broadcast being composed stands."""

    CHOICE = "choice"
    TARGET = "target"
    WHEN = "when"
    CONFIRM = "confirm"


# The buttons of each step: a button left from another step is an odd answer.
BUTTON_ACTIONS = {
    Step.CHOICE: Action.MESSAGE,
    Step.TARGET: Action.AREA,
    Step.WHEN: Action.WHEN,
    Step.CONFIRM: Action.CONFIRM,
}
QUESTIONS = {
    Step.CHOICE: N_(
        "What should the broadcast say? Type the number of a library message, a topic "
        "(lừa đảo, cháy, ma túy, tội phạm) to narrow the list, or write your own text. "
        "/cancel (/huy) stops."
    ),
    Step.TARGET: N_(
        "To which area? Type the number, or the name of an area within {area}. "
        "/cancel (/huy) stops."
    ),
    Step.WHEN: N_(
        "When? 1. Now (as soon as it is approved)\n"
        "Or type a date and time (24/12 08:00), or a weekly day and time (thứ 2 08:00). "
        "/cancel (/huy) stops."
    ),
    Step.CONFIRM: N_("1. Confirm\n2. Cancel"),
}


def start_broadcast(turn: Turn, command: Command) -> None:
    """Open the officer's draft in this chat and ask for the message."""
    words = command.args.strip().casefold()
    data: dict[str, Any] = {
        "test": words in TEST_WORDS,
        "urgent": words in URGENT_WORDS,
        "mention": command.mention,
    }
    _save(turn, Step.CHOICE, data)
    _ask(turn, Step.CHOICE, data)


def open_composition(turn: Turn) -> BroadcastDraft | None:
    """The sender's broadcast being composed in this chat, if any."""
    sender = turn.event.sender
    if sender is None:
        return None
    ref = turn.event.chat
    return get_composition(
        turn.session, channel=ref.channel, chat_id=ref.chat_id, author=officer_of(turn).identity
    )


def continue_composition(turn: Turn, draft: BroadcastDraft, chat: Chat) -> None:
    """Take the event as the answer to the draft's step; an odd answer gets the question again."""
    event, _ = turn.event, turn._
    data = composition_data(draft)
    step = Step(draft.step)
    if isinstance(event, Command):
        if canonical(event.name) == "cancel":
            drop_composition(turn.session, draft=draft)
            turn.reply(_("Cancelled: nothing was scheduled."), quote=True)
            return
        _ask(turn, step, data, again=True)
        return
    answer = _answer(turn, step, data)
    if answer is None:
        _ask(turn, step, data, again=True)
        return
    if step == Step.CHOICE:
        _choose(turn, data, answer)
    elif step == Step.TARGET:
        _target(turn, data, answer, chat)
    elif step == Step.WHEN:
        _when(turn, data, answer)
    else:
        _confirm(turn, draft, data, answer, chat)


def _answer(turn: Turn, step: Step, data: dict[str, Any]) -> str | None:
    """A typed answer, or a button's choice as the same typed answer."""
    event = turn.event
    if isinstance(event, ButtonPress):
        turn.answer_button(event.callback_id)
        pressed = BroadcastButton.decode(event.data)
        return pressed.value if pressed and pressed.action == BUTTON_ACTIONS[step] else None
    if isinstance(event, TextMessage):
        name = f"@{turn.profile.name}" if turn.profile.name else ""
        return without_mention(event.text, mentions=(data.get("mention", ""), name)) or None
    return None


def _choose(turn: Turn, data: dict[str, Any], answer: str) -> None:
    offer: list[str] = data.get("offer", [])
    number = read_number(answer, count=len(offer))
    if number is not None:
        data["content"], data["text"] = offer[number - 1], None
    elif (tag := read_tag(answer)) is not None:
        data["tag"] = tag
        _save(turn, Step.CHOICE, data)
        _ask(turn, Step.CHOICE, data)
        return
    elif len(answer.split()) >= MIN_OWN_WORDS:
        if len(answer.strip()) > TEXT_LIMIT:
            too_long = turn._(
                "The text has {n} characters; at most {limit} fit in one message. "
                "Please shorten it."
            )
            turn.reply(too_long.format(n=len(answer.strip()), limit=TEXT_LIMIT), quote=True)
            return
        data["text"], data["content"] = answer.strip(), None
    else:
        _ask(turn, Step.CHOICE, data, again=True)
        return
    if data.get("test"):
        _test(turn, data)
        return
    _save(turn, Step.TARGET, data)
    _ask(turn, Step.TARGET, data)


def _target(turn: Turn, data: dict[str, Any], answer: str, chat: Chat) -> None:
    offer: list[str] = data.get("areas", [])
    number = read_number(answer, count=len(offer))
    area: Area | None = None
    if number is not None:
        area = turn.session.scalars(select(Area).where(col(Area.code) == offer[number - 1])).first()
    else:
        found = resolve_area(
            turn.session, text=answer, provinces=turn.settings.provinces, near=chat.area_id
        )
        area = found.area
        if area is None and found.candidates:
            inside = [c.area for c in found.candidates if _within(turn, c.area, chat)]
            area = inside[0] if len(inside) == 1 else None
    if area is None or not _within(turn, area, chat):
        turn.reply(
            turn._("I know no area called \u201c{name}\u201d within this group's area.").format(
                name=answer
            ),
            quote=True,
        )
        _ask(turn, Step.TARGET, data)
        return
    data["area"] = area.code
    _save(turn, Step.WHEN, data)
    _ask(turn, Step.WHEN, data)


def _within(turn: Turn, area: Area, chat: Chat) -> bool:
    """Whether the area is the chat's own or below it: never outside the group's area."""
    return chat.area_id in {a.id for a in ancestors(turn.session, area=area)}


def _when(turn: Turn, data: dict[str, Any], answer: str) -> None:
    if read_number(answer, count=1) == 1:
        data["when"] = {}
    else:
        when = read_when(answer, now=turn.now, zone=turn.settings.zone)
        if when is None:
            _ask(turn, Step.WHEN, data, again=True)
            return
        data["when"] = {
            "send_at": when.send_at.isoformat() if when.send_at else None,
            "cron": when.cron,
        }
    if _show_preview(turn, data):
        _save(turn, Step.CONFIRM, data)


def _show_preview(turn: Turn, data: dict[str, Any]) -> bool:
    """Show what the broadcast would do; False (and why) when it cannot be sent as composed."""
    request = request_of(data, author=officer_of(turn).identity, now=turn.now)
    try:
        seen = foresee(turn.session, request, settings=turn.settings, now=turn.now)
    except BroadcastError as error:
        turn.reply(
            turn._("This broadcast cannot be sent: {reason}").format(reason=error.told(turn._))
        )
        _save(turn, Step.WHEN, data)
        _ask(turn, Step.WHEN, data)
        return False
    text = preview_text(turn._, seen, request=request, settings=turn.settings, locale=turn.locale)
    _ask(turn, Step.CONFIRM, data, before=text)
    return True


def _confirm(
    turn: Turn, draft: BroadcastDraft, data: dict[str, Any], answer: str, chat: Chat
) -> None:
    choice = read_number(answer, count=2)
    if choice is None:
        _ask(turn, Step.CONFIRM, data, again=True)
        return
    drop_composition(turn.session, draft=draft)
    if choice == 2:
        turn.reply(turn._("Cancelled: nothing was scheduled."), quote=True)
        return
    request = request_of(data, author=officer_of(turn).identity, now=turn.now)
    try:
        submit(turn, request, chat=chat)
    except BroadcastError as error:
        turn.reply(
            turn._("This broadcast cannot be sent: {reason}").format(reason=error.told(turn._))
        )


def _test(turn: Turn, data: dict[str, Any]) -> None:
    draft = open_composition(turn)
    if draft is not None:
        drop_composition(turn.session, draft=draft)
    send_test(turn, text=data.get("text"), content=data.get("content"))


def _save(turn: Turn, step: Step, data: dict[str, Any]) -> None:
    ref = turn.event.chat
    save_composition(
        turn.session,
        channel=ref.channel,
        chat_id=ref.chat_id,
        author=officer_of(turn).identity,
        step=step,
        data=data,
        now=turn.now,
    )


def _ask(
    turn: Turn, step: Step, data: dict[str, Any], *, again: bool = False, before: str = ""
) -> None:
    """Ask the step's question, with its numbered choices and, on Telegram, buttons."""
    _ = turn._
    lines: list[str] = [before] if before else []
    if again:
        lines.append(_("I did not understand that answer."))
    choices: list[tuple[str, str]] = []  # (label, answer)
    if step == Step.CHOICE:
        messages = list_contents(turn.session, tag=data.get("tag"), limit=30)
        data["offer"] = [m.key for m in messages]
        choices = [(m.title.in_locale(turn.locale), str(n)) for n, m in enumerate(messages, 1)]
        _save(turn, step, data)
    elif step == Step.TARGET:
        areas = _areas_offered(turn)
        data["areas"] = [a.code for a in areas]
        choices = [(a.name, str(n)) for n, a in enumerate(areas, 1)]
        _save(turn, step, data)
    question = _(QUESTIONS[step])
    if step == Step.TARGET:
        question = question.format(area=_area_name(turn))
    if choices:
        lines.append("\n".join(f"{n}. {label}" for label, n in choices))
    lines.append(question)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if has_buttons(turn.event.chat.channel):
        if step == Step.WHEN:
            choices = [(_("Now"), "1")]
        elif step == Step.CONFIRM:
            choices = [(_("Confirm"), "1"), (_("Cancel"), "2")]
        buttons = tuple(
            (BroadcastButton(BUTTON_ACTIONS[step], n).button(label),) for label, n in choices
        )
    turn.reply("\n\n".join(lines), buttons=buttons)


def _areas_offered(turn: Turn) -> list[Area]:
    """The chat's own area, then the areas right below it."""
    own = turn.session.get(Area, turn.chat().area_id)
    if own is None:
        return []
    below = turn.session.scalars(
        select(Area).where(col(Area.parent_id) == own.id).order_by(col(Area.name))
    )
    return [own, *list(below)[: MAX_AREAS - 1]]


def _area_name(turn: Turn) -> str:
    area = turn.session.get(Area, turn.chat().area_id)
    return area.name if area is not None else ""
