"""Reading when something happened from a resident's own words, in Vietnamese or English."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.text import fold, has_diacritics, normalize

# Clocks disagree a little; a report of "22h" sent at 21:58 still means tonight.
SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class When:
    """A moment read from text: aware UTC, whether a clock time was given, the words read."""

    at: datetime
    exact: bool
    label: str


class _Unreadable(Exception):
    """The text names a moment that cannot be: 31/02, 25h, 13pm."""


# Every word the patterns below use, with the spellings accepted for it in text typed with
# diacritics; there a word that only folds to one of them is another word ("tôi", I, is
# not "tối", evening; "bà" is not "ba", three). Unmarked spellings listed here are ones a
# hurried writer drops marks from without becoming another word.
_ACCEPTED_WORDS = (
    "bây bảy bẩy giờ gio vừa xong nay nãy ngay ngày phút phut tiếng tieng trước truoc sáng "
    "trưa chiều tối đêm qua hôm hom kia tháng thang năm lúc luc hồi buổi một mốt hai ba bốn "
    "tư lăm sáu tám chín mười mươi rưỡi tuần tuan"
)
_ACCEPTED = frozenset(_ACCEPTED_WORDS.split())
_TIME_WORDS = frozenset(fold(word) for word in _ACCEPTED)
# "bây giờ" is now, "bảy giờ" is seven o'clock: kept apart where the marks tell them apart.
_KEPT = {"bảy": "bảy", "bẩy": "bảy"}
_WORD = re.compile(r"[^\W\d_]+")

_PART = r"(?:buoi )?(?P<part>sang|trua|chieu|toi|dem)"
_DIGIT_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5, "sau": 6}
_DIGIT_WORDS |= {"bay": 7, "bảy": 7, "tam": 8, "chin": 9, "a": 1, "an": 1}
_NUMBER_WORD = "(?:mot|hai|ba|bon|tu|nam|lam|sau|bay|bảy|tam|chin|muoi)"
# Words need a space before the unit: "anh trước" (brother, before) is not "an h trước".
_NUMBER = rf"(?:\d{{1,5}} ?|(?:{_NUMBER_WORD} )+|an? )"

_NOW = re.compile(
    r"\b(?:(?:ngay )?bay gio|vua (?:xong|nay)|(?:hoi|luc) nay|(?:just |right )?now)\b"
)
_AGO = re.compile(
    rf"\b(?P<count>{_NUMBER})(?P<unit>phut|p|tieng|gio|h|ngay|tuan|minutes?|mins?|hours?"
    r"|hrs?|days?|weeks?)(?P<half> ruoi)? (?:truoc|ago)\b"
)
# Folded, "toi qua" is also "tôi qua" (I went over) and "sang qua" "sang qua" (go across):
# text typed without diacritics keeps that ambiguity, and the dialogue shows what it read.
_DAY = re.compile(
    rf"\b(?:{_PART} (?:hom )?|hom )(?P<day>nay|qua|kia)\b"
    r"|\b(?P<english>today|yesterday|tonight|last night|this (?:morning|afternoon|evening)"
    r"|(?:the )?day before yesterday)(?: (?P<english_part>morning|afternoon|evening|night))?\b"
)
# "số 12/5", "hẻm 12/5": Vietnamese addresses write alleys as fractions, not dates.
_DATE = re.compile(
    r"(?<!so )(?<!hem )(?<!ngo )(?<!ngach )(?<!kiet )(?<!nha )"
    rf"\b(?:{_PART} )?(?:(?:ngay|hom|on) )?(?P<day>\d{{1,2}})"
    r"(?:[/-](?P<month>\d{1,2})(?:[/-](?P<year>\d{4}|\d{2}))?"
    r"| thang (?P<month_word>\d{1,2})(?: nam (?P<year_word>\d{4}))?)(?![\d/-])"
)
# "2 giờ trước" is two hours ago, not two o'clock; no "22g30", for "3g" and "4g" are networks.
_CLOCK = re.compile(
    r"\b(?:(?:luc|vao luc|at) )?(?P<hour>\d{1,2})(?P<sep>(?::|h| ?gio)(?: ?(?P<minute>\d{1,2})"
    rf"(?: ?(?:p|phut))?)?)?(?: ?(?P<ampm>am|pm)| {_PART})?\b(?! (?:truoc|ago)\b)"
)

# Fixed hours a part of day stands for, and the hour from which it has begun.
_PARTS = {"sang": (8, 4), "trua": (12, 11), "chieu": (15, 13), "toi": (20, 18), "dem": (23, 21)}
_ENGLISH_PARTS = {"morning": "sang", "afternoon": "chieu", "evening": "toi", "night": "dem"}
_ENGLISH_DAYS = {"today": (0, None), "tonight": (0, "toi"), "this morning": (0, "sang")}
_ENGLISH_DAYS |= {"this afternoon": (0, "chieu"), "this evening": (0, "toi")}
_ENGLISH_DAYS |= {"yesterday": (1, None), "last night": (1, "dem")}
_ENGLISH_DAYS |= {"day before yesterday": (2, None)}
_OFFSETS = {"nay": 0, "qua": 1, "kia": 2}
_UNITS = {"phut": "m", "p": "m", "min": "m", "minute": "m", "tieng": "h", "gio": "h", "h": "h"}
_UNITS |= {"hour": "h", "hr": "h", "ngay": "d", "day": "d", "tuan": "w", "week": "w"}
_STEP = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_STEP |= {"w": timedelta(weeks=1)}


@dataclass(frozen=True)
class _Clock:
    """A time of day as written: hour and minute, with any part of day or am/pm."""

    hour: int
    minute: int
    part: str | None
    ampm: str | None
    span: tuple[int, int]

    def on(self, day: date, part: str | None, zone: ZoneInfo, *, named: bool) -> datetime:
        """This time on a day, read in the part of day the clock or its day names."""
        part = self.part or part
        hour = _hour(self.hour, part, self.ampm)
        # "2 giờ đêm qua": the small hours after the named evening belong to the next date.
        if named and part in ("toi", "dem") and hour < 6:
            day += timedelta(days=1)
        return datetime.combine(day, time(hour, self.minute), tzinfo=zone)


def read_when(text: str, *, now: datetime, zone: ZoneInfo) -> When | None:
    """Read when something happened, never after now; None when the text does not say."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    source = normalize(text)
    plain = _plain(source, marked=has_diacritics(source))
    local_now = now.astimezone(zone)
    try:
        read = _read(plain, local_now, zone)
    except (_Unreadable, ValueError, OverflowError):
        read = None  # 31/02, 25h, a date before year 1: the dialogue keeps the raw text
    # In UTC: two times in one zone compare by their wall clocks, wrong around a DST change.
    if read is None or read[0].astimezone(UTC) > now + SLACK:
        return None
    local_at, exact, spans = read
    spans = sorted(spans)
    if len(spans) == 2 and spans[1][0] < spans[0][1]:  # "10 giờ tối hôm qua" reads "tối" twice
        spans = [(spans[0][0], max(spans[0][1], spans[1][1]))]
    label = " ".join(source[start:end] for start, end in spans)
    return When(at=local_at.astimezone(UTC), exact=exact, label=label)


_Read = tuple[datetime, bool, list[tuple[int, int]]]


def _read(plain: str, local_now: datetime, zone: ZoneInfo) -> _Read | None:
    """The first reading, most specific first: a date, a named day, an age, a clock, now."""
    for reader in (_read_date, _read_day, _read_ago, _read_clock, _read_now):
        read = reader(plain, local_now, zone)
        if read is not None:
            return read
    return None


def _plain(source: str, *, marked: bool) -> str:
    """The source with its words folded, same length, look-alikes of time words blanked."""

    def word(match: re.Match[str]) -> str:
        spelled = match.group()
        folded = fold(spelled)
        if marked and folded in _TIME_WORDS and spelled not in _ACCEPTED:
            return "_" * len(spelled)
        folded = _KEPT.get(spelled, folded)
        # Same length, so that a match in the plain text is the same span of the source.
        return folded if len(folded) == len(spelled) else "_" * len(spelled)

    return _WORD.sub(word, source)


def _read_date(plain: str, local_now: datetime, zone: ZoneInfo) -> _Read | None:
    """Read "20/11", "20-11-2026", "ngày 20 tháng 11", with any part of day or clock time."""
    match = _DATE.search(plain)
    if match is None:
        return None
    year_text = match["year"] or match["year_word"]
    year = local_now.year if year_text is None else int(year_text)
    year += 2000 if year < 100 else 0  # "20/11/26"
    day = date(year, int(match["month"] or match["month_word"]), int(match["day"]))
    clock = _clock(plain)
    at, exact, spans = _on(day, match["part"], clock, zone, span=match.span())
    if at > local_now + SLACK and year_text is None:
        if not exact and day == local_now.date() and _begun(match["part"], local_now):
            return local_now, False, spans
        # A date without a year that is still ahead this year is last year's.
        at, exact, spans = _on(
            day.replace(year=year - 1), match["part"], clock, zone, span=match.span()
        )
    return at, exact, spans


def _read_day(plain: str, local_now: datetime, zone: ZoneInfo) -> _Read | None:
    """Read "tối qua", "sáng nay", "hôm kia", "yesterday evening", with any clock time."""
    match = _DAY.search(plain)
    if match is None:
        return None
    if match["english"]:
        offset, part = _ENGLISH_DAYS[match["english"].removeprefix("the ")]
        part = _ENGLISH_PARTS.get(match["english_part"], part)
    else:
        offset, part = _OFFSETS[match["day"]], match["part"]
    # Past midnight, "tối nay" and "đêm nay" still mean the night that began yesterday.
    if offset == 0 and part in ("toi", "dem") and local_now.hour < _PARTS["sang"][1]:
        offset = 1
    day = local_now.date() - timedelta(days=offset)
    at, exact, spans = _on(day, part, _clock(plain), zone, span=match.span())
    if at > local_now + SLACK and not exact and offset == 0 and _begun(part, local_now):
        # "đêm nay" said at 21:30: it happened tonight, and at the latest now.
        return local_now, False, spans
    return at, exact, spans


def _read_ago(plain: str, local_now: datetime, zone: ZoneInfo) -> _Read | None:
    """Read "2 tiếng trước", "hai mươi phút trước", "3 days ago"."""
    match = _AGO.search(plain)
    if match is None:
        return None
    unit = _UNITS[match["unit"].rstrip("s")]
    words = match["count"].split()
    # "hai ba phút" (two or three minutes), "anh Nam một tiếng": the last number words count.
    for dropped in range(len(words)):
        try:
            count = _number(" ".join(words[dropped:]))
        except (_Unreadable, KeyError):
            continue
        start = match.start() + sum(len(word) + 1 for word in words[:dropped])
        at = local_now - (count + (0.5 if match["half"] else 0)) * _STEP[unit]
        return at, unit in "mh", [(start, match.end())]
    raise _Unreadable(match.group())


def _read_clock(plain: str, local_now: datetime, zone: ZoneInfo) -> _Read | None:
    """Read a bare "22h", "10 giờ tối", "at 10pm": today, or yesterday when that is ahead."""
    clock = _clock(plain)
    if clock is None:
        return None
    at = clock.on(local_now.date(), None, zone, named=False)
    if at > local_now + SLACK:
        at = clock.on(local_now.date() - timedelta(days=1), None, zone, named=False)
    return at, True, [clock.span]


def _read_now(plain: str, local_now: datetime, zone: ZoneInfo) -> _Read | None:
    """Read "bây giờ", "vừa xong", "vừa nãy", "just now"."""
    match = _NOW.search(plain)
    return None if match is None else (local_now, True, [match.span()])


def _on(
    day: date, part: str | None, clock: _Clock | None, zone: ZoneInfo, *, span: tuple[int, int]
) -> _Read:
    """A named day at the clock's time, else at its part of day's fixed hour, else at noon."""
    if clock is not None:
        return clock.on(day, part, zone, named=True), True, [span, clock.span]
    hour = _PARTS[part][0] if part else 12
    return datetime.combine(day, time(hour), tzinfo=zone), False, [span]


def _begun(part: str | None, local_now: datetime) -> bool:
    """Whether the part of day (or, without one, the day) has begun by now."""
    return part is None or local_now.hour >= _PARTS[part][1]


def _clock(plain: str) -> _Clock | None:
    """The first time of day written in the text."""
    for match in _CLOCK.finditer(plain):
        if match["sep"] is None and match["ampm"] is None:
            continue  # a bare number: a house, an alley, a count
        if match["sep"] == ":":
            continue
        minute = int(match["minute"] or 0)
        if minute > 59:
            raise _Unreadable(match.group())
        return _Clock(int(match["hour"]), minute, match["part"], match["ampm"], match.span())
    return None


def _hour(hour: int, part: str | None, ampm: str | None) -> int:
    """The 24-hour hour of "10 giờ tối", "1h chiều", "2 giờ đêm", "10pm"."""
    if ampm is not None:
        if not 1 <= hour <= 12:
            raise _Unreadable(f"{hour}{ampm}")
        return hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23:
        raise _Unreadable(str(hour))
    if hour == 12 and part in ("toi", "dem"):
        return 0
    afternoon = (part in ("chieu", "toi") and hour < 12) or (part == "trua" and hour < 11)
    return hour + 12 if afternoon or (part == "dem" and 6 <= hour < 12) else hour


def _number(text: str) -> int:
    """The value of "25", "năm", "mười lăm", "hai mươi mốt", "an"."""
    if text.isdigit():
        return int(text)
    words = text.split()
    if "muoi" not in words:
        if len(words) != 1:
            raise _Unreadable(text)
        return _DIGIT_WORDS[words[0]]
    tens_words, unit_words = words[: words.index("muoi")], words[words.index("muoi") + 1 :]
    if len(tens_words) > 1 or len(unit_words) > 1 or "muoi" in unit_words:
        raise _Unreadable(text)
    # "mười" alone is ten; "hai mươi" twenty; "mốt", "tư", "lăm" after it are 1, 4, 5.
    value = 10 * (_DIGIT_WORDS[tens_words[0]] if tens_words else 1)
    return value + (_DIGIT_WORDS[unit_words[0]] if unit_words else 0)
