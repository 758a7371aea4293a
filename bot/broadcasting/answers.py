"""Reading an officer's typed answers while composing a broadcast: a number, a tag, a time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.text import fold, whole_number

# Library tags by the words officers type for them, folded (no diacritics).
TAG_WORDS = {
    "scam": "scam",
    "scams": "scam",
    "lua dao": "scam",
    "fire": "fire",
    "chay": "fire",
    "chay no": "fire",
    "pccc": "fire",
    "drugs": "drugs",
    "ma tuy": "drugs",
    "crime": "crime",
    "toi pham": "crime",
    "gambling": "gambling",
    "co bac": "gambling",
}
NOW_WORDS = frozenset({"now", "ngay", "bay gio", "ngay bay gio", "gui ngay", "luc nay"})
# Day of the week in cron's numbers (0 = Sunday), by the folded words for it.
WEEKDAYS = {
    "chu nhat": 0,
    "cn": 0,
    "sunday": 0,
    "monday": 1,
    "tuesday": 2,
    "wednesday": 3,
    "thursday": 4,
    "friday": 5,
    "saturday": 6,
    **{f"thu {n}": n - 1 for n in range(2, 8)},
    **{f"t{n}": n - 1 for n in range(2, 8)},
}
_WEEKDAY = "|".join(sorted((re.escape(w) for w in WEEKDAYS), key=len, reverse=True))
_HOUR, _MINUTE = r"(?:2[0-3]|[01]?\d)", r"[0-5]\d"
_DAY, _MONTH = r"(?:3[01]|[12]\d|0?[1-9])", r"(?:1[0-2]|0?[1-9])"
_TIME = (
    rf"(?P<hour>{_HOUR})"
    rf"(?:\s*(?:h|g|gio)\s*(?P<minute_h>{_MINUTE})?|\s+(?P<minute_s>{_MINUTE}))"
)
_WEEKLY = re.compile(
    rf"^(?:hang tuan |moi tuan |weekly |every |each )?(?:vao )?(?P<day>{_WEEKDAY})"
    rf"(?: (?:luc|at))? {_TIME}$"
)
_DATED = re.compile(
    rf"^(?:(?P<day>{_DAY}) (?P<month>{_MONTH})(?: (?P<year>\d{{4}}))? (?:luc |at )?)?{_TIME}"
    rf"(?: (?:ngay |on )?(?P<day2>{_DAY}) (?P<month2>{_MONTH})(?: (?P<year2>\d{{4}}))?)?$"
)


@dataclass(frozen=True)
class When:
    """When a broadcast goes: as soon as it may, once at a time, or weekly by cron."""

    now: bool = False
    send_at: datetime | None = None  # aware UTC
    cron: str | None = None


def without_mention(text: str, *, mentions: tuple[str, ...]) -> str:
    """The text without a leading mention of the bot ("@Tin báo 2" in a Zalo group)."""
    text = text.strip()
    for mention in mentions:
        if mention and text.casefold().startswith(mention.casefold()):
            return text[len(mention) :].strip()
    return text


def read_number(text: str, *, count: int) -> int | None:
    """A choice typed as its number (1 to count), or None."""
    words = text.strip().rstrip(".").strip()
    number = whole_number(words, digits=4)
    return number if number is not None and 1 <= number <= count else None


def read_tag(text: str) -> str | None:
    """The library tag an answer names ("lừa đảo", "fire"), or None."""
    return TAG_WORDS.get(fold(text))


def read_when(text: str, *, now: datetime, zone: ZoneInfo) -> When | None:
    """Now, a time to come (with a date or the next such time), or weekly on a day; else None."""
    words = fold(text)
    if words in NOW_WORDS:
        return When(now=True)
    weekly = _WEEKLY.match(words)
    if weekly is not None:
        moment = _clock(weekly)
        if moment is None:
            return None
        weekday = WEEKDAYS[weekly["day"]]
        return When(cron=f"{moment.minute} {moment.hour} * * {weekday}")
    dated = _DATED.match(words)
    if dated is None:
        return None
    moment = _clock(dated)
    if moment is None:
        return None
    local_now = now.astimezone(zone)
    day, month = dated["day"] or dated["day2"], dated["month"] or dated["month2"]
    year = dated["year"] or dated["year2"]
    if day is None or month is None:  # a time alone: today, or tomorrow when it has passed
        at = datetime.combine(local_now.date(), moment, tzinfo=zone)
        if at <= local_now:
            at = datetime.combine(local_now.date() + timedelta(days=1), moment, tzinfo=zone)
        return When(send_at=at.astimezone(ZoneInfo("UTC")))
    on = _date(int(day), int(month), int(year) if year else local_now.year)
    if on is None:
        return None
    at = datetime.combine(on, moment, tzinfo=zone)
    if at <= local_now and year is None:  # "24/1" typed in December means next January
        on = _date(on.day, on.month, on.year + 1)
        if on is None:
            return None
        at = datetime.combine(on, moment, tzinfo=zone)
    if at <= local_now:
        return None
    return When(send_at=at.astimezone(ZoneInfo("UTC")))


def _clock(match: re.Match[str]) -> time | None:
    hour = int(match["hour"])
    minute = int(match["minute_h"] or match["minute_s"] or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _date(day: int, month: int, year: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
