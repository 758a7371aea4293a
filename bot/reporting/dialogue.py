"""The private report dialogue: one step at a time, its state a draft row, /cancel and /back anywhere."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from bot.commands import canonical
from bot.events import ButtonPress, Command, Event, Location, Media, TextMessage
from bot.reporting import prompts
from bot.reporting.choices import (
    ANONYMITY_WORDS,
    CATEGORIES,
    choice_by_words,
    numbered,
    read_category,
    says_done,
)
from bot.reporting.evidence import remember_evidence
from bot.reporting.filing import confirm_or_file, show_summary
from bot.reporting.limits import over_limit
from bot.turn import Turn
from domain.areas.location import close_call, nearest_areas
from domain.areas.resolver import Resolution, names_a_region, resolve_area
from domain.reports.drafts import draft_data, drop_draft, get_draft, save_draft, start_draft
from domain.reports.models import Draft
from domain.reports.urgency import is_emergency
from domain.reports.when import read_when
from domain.text import fold, has_diacritics


class Step(StrEnum):
    """Where a draft stands."""

    CATEGORY = "category"
    AREA = "area"
    AREA_PICK = "area_pick"
    DESCRIPTION = "description"
    WHEN = "when"
    EVIDENCE = "evidence"
    ANONYMITY = "anonymity"
    CONFIRM = "confirm"


ORDER = [
    Step.CATEGORY,
    Step.AREA,
    Step.DESCRIPTION,
    Step.WHEN,
    Step.EVIDENCE,
    Step.ANONYMITY,
    Step.CONFIRM,
]
# The data of the buttons under each step's question (the area list's depend on the draft).
BUTTONS: dict[str, set[str]] = {
    Step.CATEGORY: {f"r:cat:{category}" for category in CATEGORIES},
    Step.WHEN: {"r:when:now"},
    Step.EVIDENCE: {"r:ev:done"},
    Step.ANONYMITY: {"r:anon:yes", "r:anon:no"},
    Step.CONFIRM: {"r:ok:send", "r:ok:again", "r:ok:cancel"},
}


def start_report(turn: Turn) -> None:
    """Open a new draft and ask the first question."""
    person = turn.person()
    if person is None or person.id is None:
        return
    if over_limit(turn, person_id=person.id):
        return
    ref = turn.event.chat
    start_draft(
        turn.session,
        person_id=person.id,
        channel=ref.channel,
        chat_id=ref.chat_id,
        step=Step.CATEGORY,
        data={},
    )
    prompts.ask_category(turn)


def open_draft(turn: Turn) -> Draft | None:
    """The sender's open report draft, if they are writing one."""
    person = turn.person()
    if person is None or person.id is None:
        return None
    draft = get_draft(turn.session, person_id=person.id)
    return draft if draft is not None and draft.step in set(Step) else None


def continue_report(turn: Turn, draft: Draft) -> None:
    """Take the event as the answer to the draft's current step."""
    event = turn.event
    data = draft_data(draft)
    step = Step(draft.step)
    if isinstance(event, Command) and not event.edited:  # an old message edited is no command
        name = canonical(event.name)
        if name == "cancel":
            drop_draft(turn.session, draft=draft)
            turn.reply(turn._("Cancelled: the report you were writing was not sent."))
            return
        if name == "back":
            _go(turn, draft, data, _previous(step))
            return
        if name == "report":
            start_report(turn)
            return
    if isinstance(event, Media | Location) and not (
        step == Step.AREA and isinstance(event, Location)
    ):
        remember_evidence(turn, data)
        save_draft(turn.session, draft=draft, step=step, data=data)
        return
    answer = _answer(event, _buttons(step, data))
    if answer is None:
        _ask(turn, step, data)
        return
    next_step = STEPS[step](turn, data, answer)
    if next_step is None:  # the step could not use the answer: it asked again
        save_draft(turn.session, draft=draft, step=step, data=data)
        return
    if next_step == "filed":
        drop_draft(turn.session, draft=draft)
        return
    _go(turn, draft, data, Step(next_step))


def _buttons(step: Step, data: dict[str, Any]) -> set[str]:
    if step == Step.AREA_PICK:
        more = {"r:area:more"} if data.get("more") else set()
        return {f"r:area:{area_id}" for area_id in data.get("candidates", [])} | more
    return BUTTONS.get(step, set())


def _answer(event: Event, buttons: set[str]) -> str | None:
    if isinstance(event, TextMessage) and not event.edited:
        return event.text.strip() or None
    # A button of an earlier question, or data nobody sent, gets the current question again.
    if isinstance(event, ButtonPress) and event.data in buttons:
        return event.data
    if isinstance(event, Location):
        return f"@{event.latitude},{event.longitude}"
    return None


def _go(turn: Turn, draft: Draft, data: dict[str, Any], step: Step) -> None:
    save_draft(turn.session, draft=draft, step=step, data=data)
    _ask(turn, step, data)


def _previous(step: Step) -> Step:
    if step == Step.AREA_PICK:
        return Step.AREA
    index = ORDER.index(step)
    return ORDER[max(index - 1, 0)]


def _ask(turn: Turn, step: Step, data: dict[str, Any]) -> None:
    if step == Step.CATEGORY:
        prompts.ask_category(turn)
    elif step == Step.AREA:
        prompts.ask_area(turn)
    elif step == Step.AREA_PICK:
        prompts.ask_area_pick(
            turn,
            data.get("candidates", []),
            formers=data.get("formers", {}),
            more=bool(data.get("more")),
            narrow=bool(data.get("narrow")),
        )
    elif step == Step.DESCRIPTION:
        prompts.ask_description(turn)
    elif step == Step.WHEN:
        prompts.ask_when(turn)
    elif step == Step.EVIDENCE:
        prompts.ask_evidence(turn)
    elif step == Step.ANONYMITY:
        prompts.ask_anonymity(turn)
    else:
        show_summary(turn, data)


def _not_understood(turn: Turn) -> None:
    turn.reply(turn._("Sorry, I did not understand. Please answer with one of the numbers."))


def _on_category(turn: Turn, data: dict[str, Any], answer: str) -> str | None:
    category = answer.removeprefix("r:cat:") if answer in BUTTONS[Step.CATEGORY] else None
    category = category or read_category(answer, prompts.category_labels(turn))
    if category is None:
        _not_understood(turn)
        prompts.ask_category(turn)
        return None
    data["category"] = category
    return Step.AREA


def _on_area(turn: Turn, data: dict[str, Any], answer: str) -> str | None:
    provinces = turn.settings.provinces
    if isinstance(turn.event, Location):  # typed text may start with "@" too
        lat, lon = turn.event.latitude, turn.event.longitude
        data["latitude"], data["longitude"] = lat, lon
        found = nearest_areas(turn.session, lat=lat, lon=lon, provinces=provinces)
        if not found:
            prompts.ask_area_again(turn)
            return None
        if close_call(found):  # a centre is all we know: the resident confirms which ward
            data["candidates"], data["formers"], data["more"] = [a.id for a, _ in found], {}, False
            return Step.AREA_PICK
        data["area_id"] = found[0][0].id
        return Step.DESCRIPTION
    page = 0
    if answer == "+" and data.get("more"):  # the next page of the same place
        answer, page = data.get("place", ""), data.get("page", 0) + 1
    resolution = resolve_area(turn.session, text=answer, provinces=provinces, page=page)
    return _offer(turn, data, answer, page, resolution)


def _offer(
    turn: Turn, data: dict[str, Any], place: str, page: int, resolution: Resolution
) -> str | None:
    """Take the place if the text surely names one, else offer the candidates to pick from."""
    if resolution.area is not None:
        data["area_id"] = resolution.area.id
        return Step.DESCRIPTION
    if not resolution.candidates:
        prompts.ask_area_again(turn)
        return None
    data["candidates"] = [c.area.id for c in resolution.candidates]
    data["formers"] = {str(c.area.id): c.former for c in resolution.candidates if c.former}
    data["place"], data["page"], data["more"] = place, page, resolution.more
    # A name that several provinces share, or more wards than a page ("phường 2"), is settled
    # by where it lies: the resident is told they can simply type the province or district.
    provinces_shown = {c.province.id for c in resolution.candidates if c.province}
    data["narrow"] = len(provinces_shown) > 1 or resolution.more
    return Step.AREA_PICK


def _on_narrowing(turn: Turn, data: dict[str, Any], answer: str) -> str | None:
    """The answer names the province or former district of the place typed before: the two
    read together ("phường 2" then "quận 3"); None when it does not narrow it."""
    place = data.get("place")
    if not place or not names_a_region(turn.session, answer):
        return None
    together = f"{place}, {answer.strip()}"
    if not has_diacritics(place) or not has_diacritics(answer):
        # Diacritics count only in text typed with them: one part typed without, both read so.
        together = fold(together)
    resolution = resolve_area(turn.session, text=together, provinces=turn.settings.provinces)
    if resolution.area is None and not resolution.candidates:
        return None
    return _offer(turn, data, together, 0, resolution)


def _on_area_pick(turn: Turn, data: dict[str, Any], answer: str) -> str | None:
    candidates: list[int] = data.get("candidates", [])
    if answer in _buttons(Step.AREA_PICK, data):
        if answer == "r:area:more":
            return _on_area(turn, data, "+")
        data["area_id"] = int(answer.removeprefix("r:area:"))
        return Step.DESCRIPTION
    if answer.strip() == "+":
        return _on_area(turn, data, "+")
    number = numbered(answer, len(candidates))
    if number == 0:
        return Step.AREA
    if number:
        data["area_id"] = candidates[number - 1]
        return Step.DESCRIPTION
    # Not a number: where the place lies, or another try at the place.
    return _on_narrowing(turn, data, answer) or _on_area(turn, data, answer)


def _on_description(turn: Turn, data: dict[str, Any], answer: str) -> str | None:
    if answer.startswith("r:"):
        return None
    data["text"] = answer[:4000]
    if is_emergency(answer) and not data.get("urgent"):
        data["urgent"] = True
        turn.reply(prompts.emergency_numbers(turn))
    return Step.WHEN


def _on_when(turn: Turn, data: dict[str, Any], answer: str) -> str | None:
    if answer == "r:when:now":
        answer = turn._("just now")
    when = read_when(answer, now=turn.now, zone=turn.settings.zone)
    data["occurred_at"] = when.at.isoformat() if when is not None else None
    data["occurred_text"] = answer[:200]
    return Step.EVIDENCE


def _on_evidence(turn: Turn, data: dict[str, Any], answer: str) -> str | None:
    if answer == "r:ev:done" or says_done(answer):
        return Step.ANONYMITY
    # Words at this step are more of the story, not a wrong answer.
    data["text"] = f"{data.get('text', '')}\n{answer}".strip()[:4000]
    turn.reply(turn._("Added to your report. Send more, or type \u201cdone\u201d."))
    return None


def _on_anonymity(turn: Turn, data: dict[str, Any], answer: str) -> str | None:
    choice = {"r:anon:yes": 1, "r:anon:no": 2}.get(answer) or choice_by_words(
        answer, ANONYMITY_WORDS, 2
    )
    if choice not in (1, 2):
        _not_understood(turn)
        prompts.ask_anonymity(turn)
        return None
    data["anonymous"] = choice == 1
    return Step.CONFIRM


STEPS = {
    Step.CATEGORY: _on_category,
    Step.AREA: _on_area,
    Step.AREA_PICK: _on_area_pick,
    Step.DESCRIPTION: _on_description,
    Step.WHEN: _on_when,
    Step.EVIDENCE: _on_evidence,
    Step.ANONYMITY: _on_anonymity,
    Step.CONFIRM: confirm_or_file,
}
