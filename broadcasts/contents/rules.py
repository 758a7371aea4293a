"""What a safety message must be, for the shipped files and operators' messages alike."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MAX_TEXT = 2000  # Zalo's limit for one text message
MAX_TITLE = 200  # the column's length, checked here because SQLite would not
MAX_IMAGE = 500
MAX_TAGS = 10
TAG = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")


@dataclass(frozen=True)
class Words:
    """One title or text in Vietnamese, and in English when someone wrote it."""

    vi: str
    en: str | None = None

    def in_locale(self, locale: str) -> str:
        """The words in this locale: Vietnamese when there is no English."""
        return self.en if locale == "en" and self.en else self.vi


@dataclass(frozen=True)
class Draft:
    """A safety message as someone wrote it, before it is checked and stored."""

    title: Words
    text: Words
    tags: tuple[str, ...]
    image: str | None = None


def message_of(title: str, text: str) -> str:
    """What a broadcast of this title and text sends: the title, a blank line, the text."""
    return f"{title}\n\n{text}"


def _sent(title: str, text: str) -> int:
    return len(message_of(title, text))


def clean(text: str | None) -> str | None:
    """Text in NFC with its ends trimmed; None stays None."""
    return None if text is None else unicodedata.normalize("NFC", text).strip()


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags trimmed and lower-cased, each once, in the order given."""
    return tuple(dict.fromkeys(tag.strip().lower() for tag in tags))


def cleaned(draft: Draft) -> Draft:
    """A draft in NFC, trimmed, tags lower-cased once each; empty optional fields left out."""
    return Draft(
        title=Words(vi=clean(draft.title.vi) or "", en=clean(draft.title.en) or None),
        text=Words(vi=clean(draft.text.vi) or "", en=clean(draft.text.en) or None),
        tags=clean_tags(draft.tags),
        image=clean(draft.image) or None,
    )


def _length_problems(name: str, value: str | None, *, limit: int, required: bool) -> list[str]:
    if not value:
        return [f"{name} is empty"] if required else []
    if len(value) > limit:
        who = "Zalo takes" if limit == MAX_TEXT else "the limit is"
        return [f"{name} is {len(value):,} characters long; {who} at most {limit:,}"]
    return []


def draft_problems(draft: Draft, *, english_required: bool = False) -> list[str]:
    """What is wrong with a message, in words an operator understands; empty when nothing is."""
    problems: list[str] = []
    for suffix, title, text in (
        ("", draft.title.vi, draft.text.vi),
        ("_en", draft.title.en, draft.text.en),
    ):
        required = not suffix or english_required
        problems += _length_problems(f"title{suffix}", title, limit=MAX_TITLE, required=required)
        problems += _length_problems(f"text{suffix}", text, limit=MAX_TEXT, required=required)
        # A broadcast sends the title above the text: both must fit in one message.
        if (
            title
            and text
            and len(title) <= MAX_TITLE
            and len(text) <= MAX_TEXT < _sent(title, text)
        ):
            problems.append(
                f"title{suffix} and text{suffix} together are {_sent(title, text):,} characters;"
                f" Zalo takes at most {MAX_TEXT:,} in one message"
            )
    if not english_required and bool(draft.title.en) != bool(draft.text.en):
        problems.append("title_en and text_en go together: give both or neither")
    if not draft.tags:
        problems.append('tags: give at least one tag, e.g. ["scam"]')
    elif len(draft.tags) > MAX_TAGS:
        problems.append(f"tags: at most {MAX_TAGS}")
    problems += [
        f'tag "{tag[:40]}" may hold only lower-case letters a-z, digits and dashes (at most 32)'
        for tag in draft.tags
        if not TAG.fullmatch(tag)
    ]
    if draft.image is not None and len(draft.image) > MAX_IMAGE:
        problems.append(f"image is longer than {MAX_IMAGE} characters")
    return problems
