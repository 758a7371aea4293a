"""Whether two reports likely tell the same event: pure rules, tuned for precision.

A wrong suggestion costs an officer's attention, so every rule must hold: a related category,
close in time, the same or an adjacent ward, near in place when both have a location, and
enough of the same words once diacritics and filler words are set aside, and no numbers
that disagree (house, lane and group numbers tell places apart).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.text import fold

# Pairs of categories one event is often filed under; anything else never matches.
# Kept short on purpose: each pair widens what may be suggested.
RELATED: dict[frozenset[str], str] = {
    # A fight with knives or machetes is filed as violence by some, as weapons by others.
    frozenset({"violence", "weapons"}): "a fight with a weapon",
    # A thief caught in the act is often first seen as someone prowling.
    frozenset({"theft", "suspicious"}): "a prowler who steals",
    # Residents file smoke or a smell of burning, before they see flames, as suspicious.
    frozenset({"fire", "suspicious"}): "smoke before flames",
    # A crash often ends in a fight between the drivers.
    frozenset({"traffic", "violence"}): "a crash and the fight after it",
}
# Vietnamese filler words: pronouns, particles and verbs that every report carries. Matching
# is on folded words, so a filler whose folded form is also a word that tells an event is left
# out: "chợ" (cho), "cửa" (của), "nổ" (nó), "đá" (đã), "tai" nạn (tại), "xe máy" (mấy),
# "ma" túy (mà).
# Numbers are never fillers: "số 12" and "số 21" are two houses.
FILLERS = frozenset(
    [
        "a",
        "à",
        "ạ",
        "ơi",
        "ới",
        "nhé",
        "ha",
        "hả",
        "thì",
        "là",
        "bị",
        "được",
        "đang",
        "sẽ",
        "vừa",
        "mới",
        "có",
        "không",
        "ko",
        "k",
        "ở",
        "trong",
        "ngoài",
        "trên",
        "ra",
        "vào",
        "và",
        "về",
        "lúc",
        "khi",
        "thấy",
        "nghe",
        "nói",
        "báo",
        "tin",
        "anh",
        "chị",
        "em",
        "cô",
        "chú",
        "mình",
        "tôi",
        "tui",
        "tao",
        "ai",
        "gì",
        "người",
        "ng",
        "này",
        "kia",
        "ấy",
        "nay",
        "hôm",
        "một",
        "các",
        "những",
        "nhiều",
        "lắm",
        "rất",
        "quá",
        "hơi",
        "cũng",
        "vẫn",
        "như",
        "đi",
        "lên",
        "làm",
        "giúp",
        "giùm",
        "xin",
        "công",
        "an",
        "ca",
        "cảnh",
        "sát",
        "nhanh",
        "ngay",
        "gấp",
        "khẩn",
        "cấp",
        "hiện",
        "giờ",
        "bây",
        "kìa",
        "luôn",
        "phải",
    ]
)
_FOLDED_FILLERS = frozenset(fold(word) for word in FILLERS)
# Words before a number that make it an address: số 12, nhà 12, hẻm 45, ngõ 8, kiệt 3.
HOUSE_WORDS = frozenset({"so", "nha", "hem", "ngo", "ngach", "kiet", "can"})
GROUP_WORDS = frozenset({"to", "thon", "ban", "khu", "khom", "ap", "xom"})
STREET_WORDS = frozenset({"duong", "pho"})
EARTH_METRES = 6_371_000.0


@dataclass(frozen=True)
class Told:
    """What the rules read of a report."""

    id: int
    code: str
    category: str
    created_at: datetime
    text: str
    ward_id: int | None
    ward_lat: float | None = None
    ward_lon: float | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Rules:
    """The thresholds, from TINBAO_DUPLICATE_* settings."""

    within: timedelta = timedelta(hours=3)
    metres: float = 300.0
    ward_km: float = 2.0
    min_score: float = 0.5


@dataclass(frozen=True)
class Likeness:
    """Why two reports look alike: the score, minutes apart, and metres apart when known."""

    score: float
    minutes: int
    metres: int | None


def words_of(text: str) -> frozenset[str]:
    """The words that tell an event: folded, fillers dropped, numbers kept."""
    return frozenset(w for w in fold(text).split() if w not in _FOLDED_FILLERS)


def text_similarity(a: str, b: str) -> float:
    """How much two texts share, 0 to 1: the mean of Jaccard and containment on their words."""
    left, right = words_of(a), words_of(b)
    if not left or not right:
        return 0.0
    shared = len(left & right)
    jaccard = shared / len(left | right)
    containment = shared / min(len(left), len(right))
    return (jaccard + containment) / 2


def numbers_of(text: str) -> dict[str, frozenset[str]]:
    """The numbers a text gives, by what they number: houses and lanes, residential groups, any."""
    tokens = fold(text).split()
    found: dict[str, set[str]] = {"house": set(), "group": set(), "any": set()}
    for before, token in zip(["", *tokens], tokens, strict=False):
        if not token.isdigit():
            continue
        found["any"].add(token)
        if before in HOUSE_WORDS:
            found["house"].add(token)
        elif before in GROUP_WORDS:
            found["group"].add(token)
    return {kind: frozenset(numbers) for kind, numbers in found.items()}


def streets_of(text: str) -> frozenset[str]:
    """Street names written with capitals after "đường" or "phố": "đường Trần Phú" is tran phu."""
    words = re.findall(r"\w+", text)
    streets = set()
    for index, word in enumerate(words[:-1]):
        if fold(word) in STREET_WORDS and words[index + 1][:1].isupper():
            name = [words[index + 1]]
            if index + 2 < len(words) and words[index + 2][:1].isupper():
                name.append(words[index + 2])
            streets.add(fold(" ".join(name)))
    return frozenset(streets)


def places_differ(a: str, b: str) -> bool:
    """Whether the texts name different places: numbers or streets that both give and disagree.

    "nhà số 12" and "nhà số 21", "tổ 3" and "tổ 7", "đường Trần Phú" and "đường Lê Duẩn".
    """
    left, right = numbers_of(a), numbers_of(b)
    for kind in ("house", "group", "any"):
        if left[kind] and right[kind] and not left[kind] & right[kind]:
            return True
    streets_a, streets_b = streets_of(a), streets_of(b)
    return bool(streets_a) and bool(streets_b) and not streets_a & streets_b


def related(first: str, second: str) -> bool:
    """Whether one event is likely filed under these two categories."""
    return first == second or frozenset({first, second}) in RELATED


def metres_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_METRES * math.asin(min(1.0, math.sqrt(h)))


def adjacent(a: Told, b: Told, *, ward_km: float) -> bool:
    """The same ward, or wards whose centres lie within `ward_km` (no boundaries are known)."""
    if a.ward_id is None or b.ward_id is None:
        return False
    if a.ward_id == b.ward_id:
        return True
    if None in (a.ward_lat, a.ward_lon, b.ward_lat, b.ward_lon):
        return False
    assert a.ward_lat is not None and a.ward_lon is not None
    assert b.ward_lat is not None and b.ward_lon is not None
    return metres_between(a.ward_lat, a.ward_lon, b.ward_lat, b.ward_lon) <= ward_km * 1000


def likeness(a: Told, b: Told, *, rules: Rules) -> Likeness | None:
    """How alike two reports are, or None when any rule says they are two events."""
    if a.id == b.id or not related(a.category, b.category):
        return None
    apart = abs(a.created_at - b.created_at)
    if apart > rules.within or not adjacent(a, b, ward_km=rules.ward_km):
        return None
    metres: float | None = None
    if None not in (a.latitude, a.longitude, b.latitude, b.longitude):
        assert a.latitude is not None and a.longitude is not None
        assert b.latitude is not None and b.longitude is not None
        metres = metres_between(a.latitude, a.longitude, b.latitude, b.longitude)
        if metres > rules.metres:
            return None
    if places_differ(a.text, b.text):
        return None
    score = text_similarity(a.text, b.text)
    # Small bonuses: agreeing facts besides the words, never enough alone.
    if a.category == b.category:
        score += 0.05
    if metres is not None:
        score += 0.1
    if apart <= timedelta(minutes=30):
        score += 0.05
    score = min(1.0, score)
    if score < rules.min_score:
        return None
    return Likeness(
        score=round(score, 4),
        minutes=int(apart.total_seconds() // 60),
        metres=None if metres is None else round(metres),
    )


def most_alike(report: Told, others: list[Told], *, rules: Rules) -> tuple[Told, Likeness] | None:
    """The other report most likely to tell the same event, if any passes every rule."""
    best: tuple[Told, Likeness] | None = None
    for other in others:
        found = likeness(report, other, rules=rules)
        # Ties go to the earlier report: the original, not a later repeat.
        if found is not None and (
            best is None
            or (found.score, -other.created_at.timestamp(), -other.id)
            > (best[1].score, -best[0].created_at.timestamp(), -best[0].id)
        ):
            best = (other, found)
    return best
