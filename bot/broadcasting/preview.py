"""What an officer's composed broadcast would be: its request, and the preview they confirm."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_datetime
from sqlmodel import Session

from broadcasts.cron import parse_cron
from broadcasts.plans import BroadcastRequest, Preview, preview
from broadcasts.texts import request_text
from core.i18n import N_
from core.settings import Settings

# "Now" is a moment later than the confirmation, since a broadcast's time must be to come.
NOW_DELAY = timedelta(seconds=1)
CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "zalo_oa": "Zalo OA"}


def request_of(data: dict[str, Any], *, author: str, now: datetime) -> BroadcastRequest:
    """The broadcast a draft describes, as if it were confirmed now."""
    when = data.get("when") or {}
    send_at = None
    if when.get("send_at"):
        send_at = datetime.fromisoformat(when["send_at"])
    elif not when.get("cron"):
        send_at = now + NOW_DELAY
    return BroadcastRequest(
        areas=(data["area"],),
        text=data.get("text"),
        content_id=data.get("content"),
        send_at=send_at,
        cron=when.get("cron"),
        urgent=bool(data.get("urgent")),
        created_by=author,
    )


def foresee(
    session: Session, request: BroadcastRequest, *, settings: Settings, now: datetime
) -> Preview:
    """The preview of a request (BroadcastError when it cannot be sent)."""
    text = request_text(session, request, locale=settings.locale)
    return preview(session, request, settings=settings, text=text, now=now)


def local_time(at: datetime, *, settings: Settings, locale: str) -> str:
    """A time as people in the ward read it."""
    return format_datetime(at, "HH:mm dd/MM/yyyy", tzinfo=settings.zone, locale=locale)


def schedule_words(
    _: Callable[[str], str],
    *,
    cron: str | None,
    first: datetime | None,
    settings: Settings,
    locale: str,
) -> str:
    """When it goes, in words: a time, or weekly from a first time."""
    shown = local_time(first, settings=settings, locale=locale) if first else "—"
    if cron is None:
        return shown
    days = parse_cron(cron).weekdays
    names = [_(WEEKDAY_NAMES[day]) for day in sorted(days)]
    return _("weekly on {days}, first {first}").format(days=", ".join(names), first=shown)


WEEKDAY_NAMES = {
    0: N_("Sunday"),
    1: N_("Monday"),
    2: N_("Tuesday"),
    3: N_("Wednesday"),
    4: N_("Thursday"),
    5: N_("Friday"),
    6: N_("Saturday"),
}


def preview_text(
    _: Callable[[str], str],
    seen: Preview,
    *,
    request: BroadcastRequest,
    settings: Settings,
    locale: str,
) -> str:
    """The preview an officer confirms: the exact text, the groups by area, when, how long."""
    by_area: dict[str, list[str]] = {}
    for count in seen.targets:
        by_area.setdefault(count.area_name, []).append(
            _("{n} on {channel}").format(
                n=count.groups, channel=CHANNEL_NAMES.get(count.channel, count.channel)
            )
        )
    groups = "; ".join(f"{area}: {', '.join(parts)}" for area, parts in by_area.items())
    lines = [
        _("📣 Preview of the broadcast"),
        "",
        seen.text,
        "",
        _("Groups: {total} ({groups})").format(total=seen.total, groups=groups or "—"),
        _("Residents subscribed privately: {subscribers}").format(subscribers=seen.subscribers),
        _("Goes: {when}").format(
            when=schedule_words(
                _, cron=request.cron, first=seen.first_send_at, settings=settings, locale=locale
            )
        ),
        _("Sending to every group takes about {seconds} s.").format(
            seconds=round(seen.fan_out_seconds)
        ),
    ]
    if request.urgent:
        lines.append(_("Urgent: it ignores quiet hours."))
    elif seen.quiet_hours:
        lines.append(_("Not sent in quiet hours ({hours}).").format(hours=seen.quiet_hours))
    if seen.total == 0 and seen.subscribers == 0:
        lines.append(_("No community group is linked in this area yet: it would reach nobody."))
    return "\n".join(lines)
