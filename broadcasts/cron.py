"""Five-field cron schedules, read as cron reads them, with APScheduler computing the times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Cron's numbering: 0 and 7 are Sunday. APScheduler 3 numbers Monday 0, so days go by name.
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


class CronError(ValueError):
    """A schedule Tinbao cannot read; the message says why, for a person."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    names_from: int = 0  # the number of the first name


FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, MONTHS, 1),
    _Field("day of week", 0, 7, WEEKDAYS, 0),
)


@dataclass(frozen=True)
class Cron:
    """A parsed schedule: the values each field allows, and whether day fields were restricted."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday ... 6 = Saturday
    any_day: bool  # day of month was "*"
    any_weekday: bool  # day of week was "*"

    def next_after(self, moment: datetime, zone: ZoneInfo) -> datetime | None:
        """The first time strictly after `moment` that the schedule names, in UTC."""
        # Cron runs when either day field matches if both are restricted; APScheduler wants
        # both. So each restricted day field gets a trigger of its own, and the earliest wins.
        day_rules: list[dict[str, str]] = []
        if self.any_day or self.any_weekday:
            day_rules.append(
                {"day": _listed(self.days, self.any_day), "day_of_week": self._weekday_names()}
            )
        else:
            day_rules += [
                {"day": _listed(self.days, False)},
                {"day_of_week": self._weekday_names()},
            ]
        after = moment + timedelta(seconds=1)  # fire times fall on whole seconds
        times = [
            CronTrigger(
                minute=_listed(self.minutes, False),
                hour=_listed(self.hours, False),
                month=_listed(self.months, False),
                timezone=zone,
                **rule,
            ).get_next_fire_time(None, after)
            for rule in day_rules
        ]
        found = [time for time in times if time is not None]
        return min(found).astimezone(ZoneInfo("UTC")) if found else None

    def _weekday_names(self) -> str:
        if self.any_weekday:
            return "*"
        return ",".join(WEEKDAYS[day] for day in sorted(self.weekdays))


def parse_cron(expression: str) -> Cron:
    """Read a five-field cron expression (minute hour day month weekday), or raise CronError."""
    fields = expression.split()
    if len(fields) != 5:
        raise CronError(
            f"a schedule has 5 fields (minute hour day month weekday), this one has {len(fields)}"
        )
    values = [_parse_field(text, spec) for text, spec in zip(fields, FIELDS, strict=True)]
    weekdays = frozenset(day % 7 for day in values[4])
    cron = Cron(
        expression=" ".join(fields),
        minutes=values[0],
        hours=values[1],
        days=values[2],
        months=values[3],
        weekdays=weekdays,
        any_day=fields[2] == "*",
        any_weekday=fields[4] == "*",
    )
    if cron.any_weekday and not _day_exists(cron.days, cron.months):
        raise CronError(f"the schedule {expression!r} names a day that no month has")
    return cron


def _parse_field(text: str, spec: _Field) -> frozenset[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        values |= _parse_part(part, spec)
    return frozenset(values)


def _parse_part(part: str, spec: _Field) -> set[int]:
    body, _, step_text = part.partition("/")
    step = 1
    if step_text:
        if not step_text.isdigit() or int(step_text) == 0:
            raise CronError(f"the {spec.name} field has a step Tinbao cannot read: {part!r}")
        step = int(step_text)
    if body == "*":
        low, high = spec.low, spec.high
    elif "-" in body:
        start, _, end = body.partition("-")
        low, high = _value(start, spec), _value(end, spec)
        if low > high:
            raise CronError(f"the {spec.name} field has a range that runs backwards: {part!r}")
    else:
        low = high = _value(body, spec)
        if step_text:  # "5/15" means from 5 to the end, every 15
            high = spec.high
    return set(range(low, high + 1, step))


def _value(text: str, spec: _Field) -> int:
    if text in spec.names:
        return spec.names.index(text) + spec.names_from
    if not text.isdigit():
        raise CronError(f"the {spec.name} field has a value Tinbao cannot read: {text!r}")
    value = int(text)
    if not spec.low <= value <= spec.high:
        raise CronError(f"the {spec.name} must be from {spec.low} to {spec.high}, not {value}")
    return value


def _listed(values: frozenset[int], anything: bool) -> str:
    return "*" if anything else ",".join(str(value) for value in sorted(values))


def _day_exists(days: frozenset[int], months: frozenset[int]) -> bool:
    longest = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30}
    return any(day <= longest.get(month, 31) for day in days for month in months)
