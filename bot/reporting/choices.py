"""Reading a resident's answer to a list: by number, by button, or by the words themselves."""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.i18n import N_
from domain.reports.models import Category, Status
from domain.text import fold, has_diacritics, normalize_words

CATEGORY_LABELS: dict[str, str] = {
    Category.DRUGS: N_("Drugs"),
    Category.THEFT: N_("Theft"),
    Category.FRAUD: N_("Fraud, scams"),
    Category.VIOLENCE: N_("Fights, disorder"),
    Category.FIRE: N_("Fire, explosion hazards"),
    Category.WEAPONS: N_("Weapons, explosives"),
    Category.SUSPICIOUS: N_("Suspicious people"),
    Category.TRAFFIC: N_("Traffic"),
    Category.OTHER: N_("Other"),
}
STATUS_LABELS: dict[str, str] = {
    Status.NEW: N_("received, waiting for an officer"),
    Status.IN_PROGRESS: N_("being handled by the police"),
    Status.RESOLVED: N_("handled"),
    Status.REJECTED: N_("not taken up"),
    Status.DUPLICATE: N_("already reported by someone else"),
}
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_LABELS)

# Words people use for each category. Matched as whole words, with diacritics when the text
# has them ("chạy" is not "cháy"), folded only when it has none.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    Category.DRUGS: ("ma túy", "ma tuý", "thuốc lắc", "heroin", "cần sa", "drugs", "drug"),
    Category.THEFT: ("trộm", "trộm cắp", "mất cắp", "móc túi", "theft", "stolen", "steal"),
    Category.FRAUD: ("lừa đảo", "lừa", "giả danh", "scam", "fraud"),
    Category.VIOLENCE: ("đánh nhau", "gây rối", "hành hung", "fight", "violence"),
    Category.FIRE: ("cháy", "cháy nổ", "pccc", "hỏa hoạn", "fire", "explosion"),
    Category.WEAPONS: ("vũ khí", "súng", "vật liệu nổ", "weapon", "weapons", "gun"),
    Category.SUSPICIOUS: ("khả nghi", "nghi vấn", "lạ mặt", "suspicious", "stranger"),
    Category.TRAFFIC: ("giao thông", "đua xe", "tai nạn", "traffic", "racing"),
    Category.OTHER: ("khác", "other"),
}

_NUMBER = re.compile(r"^\s*(?:so\s*)?(\d{1,2})\s*[.)]?\s*$")


def numbered(answer: str, count: int) -> int | None:
    """The 1-based choice a resident typed as a number ("2", "2.", "số 2"), if in range."""
    match = _NUMBER.match(fold(answer))
    if match is None:
        return None
    number = int(match.group(1))
    return number if 0 <= number <= count else None


def mentions(text: str, word: str) -> bool:
    """Whether the text has the word or phrase, whole, honouring diacritics when it has them."""
    if has_diacritics(text):
        haystack, needle = normalize_words(text), normalize_words(word)
    else:
        haystack, needle = fold(text), fold(word)
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None


def read_category(answer: str, labels: Sequence[str]) -> str | None:
    """The category an answer names: its number, its label in the resident's language, or a word."""
    number = numbered(answer, len(CATEGORIES))
    if number:
        return CATEGORIES[number - 1]
    folded = fold(answer)
    for category, label in zip(CATEGORIES, labels, strict=True):
        if folded and folded == fold(label):
            return category
    found = [c for c in CATEGORIES if any(mentions(answer, w) for w in CATEGORY_WORDS[c])]
    return found[0] if len(found) == 1 else None


def guess_category(text: str) -> str:
    """The category a free text most likely belongs to (for group reports), else other."""
    for category in CATEGORIES:
        if any(mentions(text, w) for w in CATEGORY_WORDS[category]):
            return category
    return Category.OTHER.value


# Words that answer the anonymity and the summary questions, folded (choice number -> words).
ANONYMITY_WORDS = {
    1: ("an danh", "giau ten", "anonymous", "anonymously"),
    2: ("cho biet ten", "co ten", "ten toi", "voi ten", "with my name", "named", "name"),
}
CONFIRM_WORDS = {
    1: ("gui", "gui di", "gui tin bao", "dong y", "ok", "send", "yes", "co"),
    2: ("lam lai", "sua", "sua lai", "again", "start again", "edit"),
    3: ("huy", "huy bo", "cancel", "khong gui"),
}
DONE_WORDS = ("xong", "done", "het", "roi", "xong roi", "bo qua", "skip", "khong", "no", "finish")


def choice_by_words(answer: str, words: dict[int, tuple[str, ...]], count: int) -> int | None:
    """The choice an answer names, by its number or by the words that mean it."""
    number = numbered(answer, count)
    if number:
        return number
    folded = fold(answer)
    for choice, meaning in words.items():
        if folded in meaning:
            return choice
    return None


def says_done(answer: str) -> bool:
    """Whether a resident says they have nothing more to send ("xong", "bỏ qua", "done")."""
    folded = fold(answer)
    return folded in DONE_WORDS or numbered(answer, 0) == 0
