"""/subscribe (/dangky): a place typed, resolved like a report's, confirmed when unsure."""

from __future__ import annotations

from typing import Any

from bot.commands import canonical
from bot.events import ButtonPress, Command, TextMessage
from bot.reporting.choices import numbered
from bot.reporting.prompts import ask_area_pick
from bot.turn import Turn
from domain.areas.models import Area
from domain.areas.resolver import resolve_area
from domain.reports.drafts import draft_data, drop_draft, get_draft, save_draft, start_draft
from domain.reports.models import Draft
from domain.reports.routing import area_path
from domain.subscriptions.service import subscribe, subscriptions_of

# The dialogue's steps, kept in the person's draft row like the report dialogue's.
ASK_PLACE = "subscribe_place"
PICK_PLACE = "subscribe_pick"
STEPS = frozenset({ASK_PLACE, PICK_PLACE})
# The report dialogue's list of places, its buttons too ("more": the next page); the step in
# the draft says which dialogue a press answers.
BUTTON = "r:area:"


def start_subscribing(turn: Turn, command: Command) -> None:
    """Subscribe to the place typed after the command, or ask for one."""
    person = turn.person()
    if person is None or person.id is None:
        return
    draft = get_draft(turn.session, person_id=person.id)
    if draft is not None and draft.step not in STEPS:
        turn.reply(
            turn._(
                "You are in the middle of something else. Finish it, or type /cancel, then "
                "type /subscribe again."
            )
        )
        return
    place = command.args.strip()
    if place:
        _try_place(turn, draft, {}, place)
        return
    _open(turn, draft, ASK_PLACE, {})
    _ask_place(
        turn, current=[area for _s, area in subscriptions_of(turn.session, person_id=person.id)]
    )


def continue_subscribing(turn: Turn, draft: Draft) -> None:
    """Take the event as the answer to the place question or to the list of places."""
    event, data = turn.event, draft_data(draft)
    if isinstance(event, Command) and not event.edited:
        name = canonical(event.name)
        if name == "cancel":
            drop_draft(turn.session, draft=draft)
            turn.reply(turn._("Cancelled: nothing changed in your subscriptions."))
            return
        if name == "back":
            _open(turn, draft, ASK_PLACE, {})
            _ask_place(turn, current=[])
            return
    answer = _answer(turn, data, draft.step)
    if answer is None:
        _ask_again(turn, draft, data)
        return
    if draft.step == PICK_PLACE and (picked := _picked(data, answer)) is not None:
        if picked == "again":
            _open(turn, draft, ASK_PLACE, {})
            _ask_place(turn, current=[])
        elif picked == "more":
            _try_place(turn, draft, data, data.get("place", ""), page=data.get("page", 0) + 1)
        else:
            area = turn.session.get(Area, int(picked))
            if area is not None:
                _subscribed(turn, draft, area)
        return
    _try_place(turn, draft, data, answer)


def _answer(turn: Turn, data: dict[str, Any], step: str) -> str | None:
    event = turn.event
    if isinstance(event, TextMessage) and not event.edited:
        return event.text.strip() or None
    if isinstance(event, ButtonPress) and step == PICK_PLACE and event.data in _buttons(data):
        return event.data
    return None


def _buttons(data: dict[str, Any]) -> set[str]:
    more = {f"{BUTTON}more"} if data.get("more") else set()
    return {f"{BUTTON}{area_id}" for area_id in data.get("candidates", [])} | more


def _picked(data: dict[str, Any], answer: str) -> str | None:
    """The area id, "more" or "again" an answer to the list means; None: a new place typed."""
    candidates: list[int] = data.get("candidates", [])
    if answer in _buttons(data):
        return answer.removeprefix(BUTTON)
    if answer == "+" and data.get("more"):
        return "more"
    number = numbered(answer, len(candidates))
    if number == 0:
        return "again"
    return str(candidates[number - 1]) if number else None


def _try_place(
    turn: Turn, draft: Draft | None, data: dict[str, Any], place: str, *, page: int = 0
) -> None:
    """Subscribe when the place is sure; else offer the places it may mean, or ask again."""
    resolution = resolve_area(
        turn.session, text=place, provinces=turn.settings.provinces, page=page
    )
    if resolution.area is not None:
        _subscribed(turn, draft, resolution.area)
        return
    if not resolution.candidates:
        _open(turn, draft, ASK_PLACE, {})
        turn.reply(
            turn._(
                "I could not find this place. Please type the name of your ward or commune, or "
                "of your residential group, again (a former name works too), or /cancel."
            )
        )
        return
    data = {
        "candidates": [c.area.id for c in resolution.candidates],
        "formers": {str(c.area.id): c.former for c in resolution.candidates if c.former},
        "place": place,
        "page": page,
        "more": resolution.more,
    }
    _open(turn, draft, PICK_PLACE, data)
    _offer(turn, data)


def _offer(turn: Turn, data: dict[str, Any]) -> None:
    # The report dialogue's list, with this dialogue's buttons.
    ask_area_pick(
        turn, data["candidates"], formers=data.get("formers"), more=data.get("more", False)
    )


def _subscribed(turn: Turn, draft: Draft | None, area: Area) -> None:
    person = turn.person()
    if person is None or person.id is None:
        return
    if draft is not None:
        drop_draft(turn.session, draft=draft)
    subscribe(turn.session, person_id=person.id, chat=turn.chat(), area=area, now=turn.now)
    turn.reply(
        turn._(
            "Done: you will receive the safety broadcasts of the police for {place} here. To "
            "stop them, type /unsubscribe or STOP."
        ).format(place=area_path(turn.session, area_id=area.id))
    )


def _open(turn: Turn, draft: Draft | None, step: str, data: dict[str, Any]) -> None:
    """Keep the dialogue's state in the person's draft row."""
    if draft is not None:
        save_draft(turn.session, draft=draft, step=step, data=data)
        return
    person, ref = turn.person(), turn.event.chat
    assert person is not None and person.id is not None
    start_draft(
        turn.session,
        person_id=person.id,
        channel=ref.channel,
        chat_id=ref.chat_id,
        step=step,
        data=data,
    )


def _ask_place(turn: Turn, *, current: list[Area]) -> None:
    _ = turn._
    text = ""
    if current:
        places = "\n".join(f"- {area_path(turn.session, area_id=a.id)}" for a in current)
        text = _("You already receive the broadcasts of:") + "\n" + places + "\n\n"
    text += _(
        "Which area's broadcasts would you like to receive? Type the name of your ward or "
        "commune, or of your residential group (a former name works too). Type /cancel to stop."
    )
    turn.reply(text)


def _ask_again(turn: Turn, draft: Draft, data: dict[str, Any]) -> None:
    if draft.step == PICK_PLACE:
        _offer(turn, data)
    else:
        _ask_place(turn, current=[])
