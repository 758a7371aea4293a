"""The reach and effect of a run in a few lines, for the police's chats."""

from __future__ import annotations

from datetime import datetime

from babel.numbers import format_decimal
from sqlmodel import Session

from bot.reporting.choices import CATEGORY_LABELS
from broadcasts.effect import WINDOW, Change, effect_of
from broadcasts.models import BroadcastRun
from broadcasts.reach import reach_of
from core.i18n import gettext_for


def figure_lines(
    session: Session, run: BroadcastRun, locale: str, *, now: datetime | None = None
) -> list[str]:
    """What the run reached, what failed, and whether reports of its category changed."""
    _ = gettext_for(locale)

    def number(n: int) -> str:
        return format_decimal(n, locale=locale)

    reach = reach_of(session, run)
    areas = ", ".join(f"{a.area_name}: {number(a.groups)}" for a in reach.by_area)
    lines = [
        _("Groups reached: {groups}").format(groups=number(reach.groups))
        + (f" ({areas})" if areas else "")
    ]
    if reach.counted:
        lines.append(
            _(
                "People in them: about {people} (in the {counted} groups whose size is known)"
            ).format(people=number(reach.people), counted=number(reach.counted))
        )
    elif reach.groups:
        lines.append(_("People in them: not known (these platforms do not tell a group's size)"))
    lines.append(
        _("Subscribers reached privately: {subscribers}").format(
            subscribers=number(reach.subscribers)
        )
    )
    if reach.subscriptions:
        subscribed = ", ".join(
            f"{area.area_name}: {number(area.subscribers)}" for area in reach.subscriptions
        )
        lines.append(_("Subscriptions in these areas: {areas}").format(areas=subscribed))
    if reach.failures:
        reasons = "; ".join(f"{reason}: {number(n)}" for reason, n in reach.failures.items())
        lines.append(
            _("Failed: {failed} ({reasons})").format(
                failed=number(sum(reach.failures.values())), reasons=reasons
            )
        )
    effect = effect_of(session, run, now=now)
    if effect is None:
        return lines

    def change(side: Change) -> str:
        percent = side.percent
        if percent is None:
            return _("too few reports to tell")
        return f"{percent:+.0f}%"

    category = _(CATEGORY_LABELS.get(effect.category, effect.category))
    if effect.elsewhere is None:
        text = _(
            "Reports of {category}, {days} days before and after: {before} → {after} ({change})."
        ).format(
            category=category,
            days=WINDOW.days,
            before=number(effect.targeted.before),
            after=number(effect.targeted.after),
            change=change(effect.targeted),
        )
    else:
        text = _(
            "Reports of {category}, {days} days before and after: in the areas reached "
            "{before} → {after} ({change}); elsewhere {base_before} → {base_after} "
            "({base_change})."
        ).format(
            category=category,
            days=WINDOW.days,
            before=number(effect.targeted.before),
            after=number(effect.targeted.after),
            change=change(effect.targeted),
            base_before=number(effect.elsewhere.before),
            base_after=number(effect.elsewhere.after),
            base_change=change(effect.elsewhere),
        )
    lines.append(text)
    if not effect.complete:
        lines.append(_("The {days} days after are not over yet.").format(days=WINDOW.days))
    return lines
