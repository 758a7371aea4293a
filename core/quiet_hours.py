"""Quiet hours: local times between which no routine broadcast is sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


class QuietHoursError(ValueError):
    """TINBAO_QUIET_HOURS cannot be read."""


@dataclass(frozen=True)
class QuietHours:
    """A daily span of local time, which may run past midnight (21:30-06:30)."""

    start: time
    end: time
    zone: ZoneInfo

    def end_if_quiet(self, moment: datetime) -> datetime | None:
        """When the quiet hours around `moment` end, in UTC; None if `moment` is not in them."""
        local = moment.astimezone(self.zone)
        for day in (local.date() - timedelta(days=1), local.date()):
            start = datetime.combine(day, self.start, self.zone)
            end_day = day + timedelta(days=1) if self.end <= self.start else day
            end = datetime.combine(end_day, self.end, self.zone)
            if start <= local < end:
                return end.astimezone(UTC)
        return None

    def next_start(self, moment: datetime) -> datetime:
        """When quiet hours next begin, strictly after `moment`, in UTC."""
        local = moment.astimezone(self.zone)
        start = datetime.combine(local.date(), self.start, self.zone)
        if start <= local:
            start = datetime.combine(local.date() + timedelta(days=1), self.start, self.zone)
        return start.astimezone(UTC)

    def release(self, moment: datetime) -> datetime:
        """The first time at or after `moment` that a routine broadcast may go."""
        return self.end_if_quiet(moment) or moment

    def describe(self) -> str:
        """The span as written in the setting."""
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_quiet_hours(text: str, zone: ZoneInfo) -> QuietHours | None:
    """Read "HH:MM-HH:MM" in local time; an empty text means no quiet hours."""
    text = text.strip()
    if not text:
        return None
    start_text, dash, end_text = text.partition("-")
    if not dash:
        raise QuietHoursError("write quiet hours as HH:MM-HH:MM, for example 21:30-06:30")
    start, end = _clock(start_text), _clock(end_text)
    if start == end:
        raise QuietHoursError("quiet hours must start and end at different times")
    return QuietHours(start=start, end=end, zone=zone)


def _clock(text: str) -> time:
    hours, colon, minutes = text.strip().partition(":")
    if not (colon and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise QuietHoursError(f"{text.strip()!r} is not a time of day such as 21:30")
    if int(hours) > 23 or int(minutes) > 59:
        raise QuietHoursError(f"{text.strip()!r} is not a time of day such as 21:30")
    return time(int(hours), int(minutes))
