"""The plain words that end a resident's subscriptions: "STOP", "dừng", "huỷ đăng ký"."""

from __future__ import annotations

from domain.text import fold

# Folded (lower case, no diacritics, punctuation and spaces collapsed): "Dừng!" is "dung".
STOP_WORDS = frozenset({"stop", "dung", "dung lai", "huy dang ky", "huy dang ki", "unsubscribe"})


def is_stop_word(text: str) -> bool:
    """Whether a message, on its own, asks to stop the broadcasts."""
    return fold(text) in STOP_WORDS
