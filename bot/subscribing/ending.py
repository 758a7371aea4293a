"""/unsubscribe (/huydangky) and the words "STOP", "dừng", "huỷ đăng ký": ended at once."""

from __future__ import annotations

from bot.reporting.choices import numbered
from bot.turn import Turn
from domain.areas.models import Area
from domain.reports.routing import area_path
from domain.subscriptions.service import subscriptions_of, unsubscribe
from domain.text import fold


def end_subscriptions(turn: Turn, which: str = "") -> None:
    """End every subscription, or the one named by its number or place; say what ended."""
    _ = turn._
    person = turn.person()
    if person is None or person.id is None:
        return
    current = [area for _s, area in subscriptions_of(turn.session, person_id=person.id)]
    if not current:
        turn.reply(_("You are not subscribed to any broadcasts. Type /subscribe to start."))
        return
    chosen = current if not which.strip() else _named(current, which)
    if not chosen:
        listing = _listing(turn, current, numbered_lines=True)
        turn.reply(
            _(
                "Which one should end? Type /unsubscribe followed by its number, or "
                "/unsubscribe alone to end them all:"
            )
            + "\n"
            + listing
        )
        return
    ended = unsubscribe(turn.session, person_id=person.id, area_ids=[a.id for a in chosen if a.id])
    turn.reply(
        _(
            "Done: you will no longer receive the broadcasts of:\n{places}\n\nType /subscribe "
            "to subscribe again."
        ).format(places=_listing(turn, ended, numbered_lines=False))
    )


def _named(current: list[Area], which: str) -> list[Area]:
    """The subscription a resident names by its number in the list or by its place's name."""
    number = numbered(which, len(current))
    if number:
        return [current[number - 1]]
    wanted = fold(which)
    return [
        area for area in current if fold(area.name) == wanted or wanted.endswith(fold(area.name))
    ]


def _listing(turn: Turn, areas: list[Area], *, numbered_lines: bool) -> str:
    paths = [area_path(turn.session, area_id=area.id) for area in areas]
    if numbered_lines:
        return "\n".join(f"{n}. {path}" for n, path in enumerate(paths, 1))
    return "\n".join(f"- {path}" for path in paths)
