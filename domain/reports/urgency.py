"""Whether a report reads as an emergency, so the bot gives 113, 114 and 115 at once."""

from __future__ import annotations

from domain.text import fold, has_diacritics, normalize_words

# The terms as returned, in their normalized form (lower case, NFC, diacritics kept).
EMERGENCY_TERMS: tuple[str, ...] = tuple(
    normalize_words(term)
    for term in (
        "cháy", "hỏa hoạn", "đang cháy", "nổ", "cháy nổ", "đánh nhau", "đang đánh nhau",
        "đâm", "chém", "cướp", "cướp giật", "dao", "súng", "bắn", "nổ súng", "bắt cóc",
        "đuối nước", "tai nạn", "ngất", "bất tỉnh", "cấp cứu", "đe dọa giết", "giết",
        "fire", "burning", "explosion", "fight", "fighting", "stabbing", "stabbed",
        "robbery", "robbing", "knife", "gun", "gunshot", "shooting", "kidnap", "kidnapping",
        "drowning", "accident", "unconscious", "emergency",
    )
)  # fmt: skip

# Both tone placements are in daily use ("hoả"/"hỏa") and NFC does not make them one.
_OTHER_SPELLINGS = {"hoả hoạn": "hỏa hoạn", "đe doạ giết": "đe dọa giết"}

# Typed without diacritics these are among the commonest words of the language ("no": nó,
# he; "ban": bạn, friend, and bán, sell, as in selling drugs; "dam": đám, crowd, and dám,
# dare), so alone they would put the emergency numbers under most unmarked reports. They
# still count inside a phrase: "chay no", "no sung" and the folded contexts below.
_TOO_COMMON_WHEN_FOLDED = frozenset({"nổ", "bắn", "đâm"})
_FOLDED_CONTEXTS = {"bi dam": "đâm", "dam chet": "đâm", "ban chet": "bắn", "phat no": "nổ"}


def _marked_phrases() -> dict[tuple[str, ...], str]:
    """The word sequences to look for in text typed with diacritics."""
    phrases = {tuple(term.split()): term for term in EMERGENCY_TERMS}
    for spelling, term in _OTHER_SPELLINGS.items():
        phrases[tuple(normalize_words(spelling).split())] = normalize_words(term)
    return phrases


def _folded_phrases() -> dict[tuple[str, ...], str]:
    """The word sequences to look for in text typed without any diacritics."""
    # Folding merges look-alikes: "chay" is cháy (fire) but also chạy (run) and ăn chay
    # (eat vegetarian), "dao" is dao (knife) but also dạo (stroll), đào (dig) and lãnh đạo
    # (leader), "sung" is súng (gun) but also sung sướng (happy). A writer who types no
    # diacritics at all has told us nothing more, and a needless reminder of 113/114/115
    # costs little next to a missed fire: in unmarked text we prefer to warn.
    phrases: dict[tuple[str, ...], str] = {}
    for term in EMERGENCY_TERMS:
        if term not in _TOO_COMMON_WHEN_FOLDED:
            phrases.setdefault(tuple(fold(term).split()), term)
    for context, term in _FOLDED_CONTEXTS.items():
        phrases.setdefault(tuple(context.split()), normalize_words(term))
    return phrases


_MARKED = _marked_phrases()
_FOLDED = _folded_phrases()
_LONGEST = max(len(phrase) for phrase in (*_MARKED, *_FOLDED))


def emergency_words(text: str) -> list[str]:
    """The emergency terms the text contains, in the order found, each once."""
    # A writer who uses diacritics anywhere means them: "chạy" is not "cháy" and a bare
    # "sung" next to "sướng" is not "súng". Only text without any is compared folded.
    if has_diacritics(text):
        words, phrases = normalize_words(text).split(), _MARKED
    else:
        words, phrases = fold(text).split(), _FOLDED
    found: dict[str, None] = {}
    position = 0
    while position < len(words):
        # Whole words only, longest phrase first: "dao" is not in "daotao", and
        # "đang cháy" is reported once rather than as "đang cháy" and "cháy".
        for size in range(min(_LONGEST, len(words) - position), 0, -1):
            term = phrases.get(tuple(words[position : position + size]))
            if term is not None:
                found.setdefault(term, None)
                position += size
                break
        else:
            position += 1
    return list(found)


def is_emergency(text: str) -> bool:
    """Whether the text reads as an emergency (fire, violence in progress, a life at risk)."""
    return bool(emergency_words(text))
