"""What the report dialogue asks and answers, in the resident's language."""

from __future__ import annotations

from babel.dates import format_datetime

from bot.reporting.choices import CATEGORIES, CATEGORY_LABELS
from bot.turn import Turn
from domain.outbox.messages import Button
from domain.reports.routing import area_path

Keyboard = tuple[tuple[Button, ...], ...]


def _rows(buttons: list[Button], per_row: int) -> Keyboard:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def category_labels(turn: Turn) -> list[str]:
    """The categories' names in the turn's language, in list order."""
    _ = turn._
    return [_(CATEGORY_LABELS[c]) for c in CATEGORIES]


def ask_category(turn: Turn) -> None:
    """Ask what the report is about, as a numbered list (and buttons on Telegram)."""
    _ = turn._
    labels = category_labels(turn)
    listing = "\n".join(f"{n}. {label}" for n, label in enumerate(labels, 1))
    text = _("What would you like to report? Answer with a number:") + "\n" + listing
    text += "\n\n" + _("Type /cancel to stop, /back to go back a step.")
    buttons = [
        Button(f"{n}. {label}", f"r:cat:{c}")
        for n, (c, label) in enumerate(zip(CATEGORIES, labels, strict=True), 1)
    ]
    turn.reply(text, buttons=_rows(buttons, 2))


def ask_area(turn: Turn) -> None:
    """Ask where it happened."""
    _ = turn._
    turn.reply(
        _(
            "Where did it happen? Type the name of the ward or commune, or of the residential "
            "group (former names work too), or share a location."
        )
    )


def ask_area_again(turn: Turn) -> None:
    """Say the place was not found and ask again."""
    _ = turn._
    turn.reply(
        _(
            "I could not find this place. Please type the ward or commune again (a former name "
            "works too), or share a location."
        )
    )


def ask_area_pick(
    turn: Turn,
    area_ids: list[int],
    *,
    formers: dict[str, str] | None = None,
    more: bool = False,
    narrow: bool = False,
) -> None:
    """Offer the places the resident may mean, each with the area it lies in and, when the
    resident typed a former name, what the place was called."""
    _ = turn._
    places = []
    for area_id in area_ids:
        path = area_path(turn.session, area_id=area_id)
        former = (formers or {}).get(str(area_id))
        if former:
            name, _sep, rest = path.partition(", ")
            path = _("{place} (formerly {former})").format(place=name, former=former)
            path += f", {rest}" if rest else ""
        places.append((area_id, path))
    lines = [f"{n}. {path}" for n, (_id, path) in enumerate(places, 1)]
    text = _("Which place do you mean? Answer with a number:") + "\n" + "\n".join(lines)
    text += "\n0. " + _("None of these: I will type it again")
    buttons = [
        Button(f"{n}. {path}"[:60], f"r:area:{area_id}")
        for n, (area_id, path) in enumerate(places, 1)
    ]
    if more:
        text += "\n+ " + _("More places of this name")
        buttons.append(Button("+ " + _("More places of this name"), "r:area:more"))
    if narrow:  # places of this name in several provinces, or more than a page of them
        text += "\n" + _(
            "Or type the district (before 2025) or the province, for example \u201cquận 3\u201d "
            "or \u201cThanh Hóa\u201d, and I will look only there."
        )
    turn.reply(text, buttons=_rows(buttons, 1))


def ask_description(turn: Turn) -> None:
    """Ask what happened."""
    _ = turn._
    turn.reply(
        _(
            "Please describe what happened: what you saw, who was involved, how to recognise "
            "them or their vehicle, if you can."
        )
    )


def ask_when(turn: Turn) -> None:
    """Ask when it happened."""
    _ = turn._
    now_button = Button(_("Just now"), "r:when:now")
    turn.reply(
        _(
            "When did it happen? For example: \u201cjust now\u201d, \u201clast night\u201d, "
            "\u201c2 hours ago\u201d, \u201c20/11 at 22:00\u201d."
        ),
        buttons=((now_button,),),
    )


def ask_evidence(turn: Turn) -> None:
    """Invite photos, videos, voice notes, files and a location."""
    _ = turn._
    turn.reply(
        _(
            "If you have photos, videos, voice notes, documents or a location, send them now "
            "(several are fine). When you are finished, type \u201cdone\u201d; if you have "
            "none, type \u201cskip\u201d."
        ),
        buttons=((Button(_("Done"), "r:ev:done"),),),
    )


def ask_anonymity(turn: Turn) -> None:
    """Ask whether the police may know who reports."""
    _ = turn._
    text = _("Do you want to report anonymously? Answer with a number:") + "\n"
    text += (
        "1. "
        + _(
            "Anonymously: the police will not know who you are and can reach you only through this bot"
        )
        + "\n"
    )
    text += "2. " + _("With my name: the police may see my name on this app")
    buttons = (
        (Button(_("1. Anonymously"), "r:anon:yes"), Button(_("2. With my name"), "r:anon:no")),
    )
    turn.reply(text, buttons=buttons)


def when_label(turn: Turn, at_iso: str | None, typed: str | None) -> str:
    """When it happened, as the resident reads it."""
    if at_iso is None:
        return typed or "?"
    from datetime import datetime

    at = datetime.fromisoformat(at_iso)
    return format_datetime(at, "HH:mm dd/MM/yyyy", tzinfo=turn.settings.zone, locale=turn.locale)


def emergency_numbers(turn: Turn) -> str:
    """The emergency numbers, said at once when a report reads as an emergency."""
    _ = turn._
    return _(
        "If anyone is in danger right now, call 113 (police), 114 (fire) or 115 (ambulance) at "
        "once. A report through this bot does not replace an emergency call."
    )
