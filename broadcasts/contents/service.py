"""The safety messages broadcasts send: shipped ones from files, operators' own in `contents`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from broadcasts.contents.library import OPERATOR_PREFIX, LibraryMessage, shipped_library
from broadcasts.contents.rules import Draft, Words, cleaned, draft_problems, message_of
from broadcasts.models import Content
from core.db import utcnow
from domain.text import fold

MAX_SLUG = 48  # "op-" + slug + "-NNNN" stays within the key column's 64
_KEY_TRIES = 5


class ContentError(ValueError):
    """A message that cannot be written as asked; the text says why, for an operator."""


class UnknownContent(LookupError):
    """No message has this id, or it was retired: nothing to send."""

    def __init__(self, key: str, *, retired: bool = False) -> None:
        self.key, self.retired = key, retired
        super().__init__(f"safety message {key!r} {'is retired' if retired else 'does not exist'}")


class ShippedContent(Exception):
    """A shipped message cannot be changed or retired."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"{key!r}: shipped messages are read-only; add your own")


@dataclass(frozen=True)
class SafetyMessage:
    """A message of the library, shipped or an operator's, in both languages."""

    key: str
    title: Words
    text: Words
    tags: tuple[str, ...]
    image: str | None
    shipped: bool
    retired_at: datetime | None = None

    @property
    def retired(self) -> bool:
        """Whether an operator retired it (shipped messages never are)."""
        return self.retired_at is not None


@dataclass(frozen=True)
class ContentText:
    """A message in one language: what a broadcast of it sends."""

    key: str
    locale: str  # the language of title and text: "vi" when there was no English
    title: str
    text: str
    image: str | None

    @property
    def message(self) -> str:
        """Title, blank line, text: within Zalo's 2,000 characters for every stored message."""
        return message_of(self.title, self.text)


def _shipped(message: LibraryMessage) -> SafetyMessage:
    return SafetyMessage(
        key=message.id,
        title=message.title,
        text=message.text,
        tags=message.tags,
        image=message.image,
        shipped=True,
    )


def _operators(row: Content) -> SafetyMessage:
    return SafetyMessage(
        key=row.key,
        title=Words(vi=row.title_vi, en=row.title_en),
        text=Words(vi=row.text_vi, en=row.text_en),
        tags=tuple(json.loads(row.tags)),
        image=row.image,
        shipped=False,
        retired_at=row.retired_at,
    )


def _row(session: Session, key: str) -> Content | None:
    return session.exec(select(Content).where(col(Content.key) == key)).first()


def find_content(session: Session, *, key: str) -> SafetyMessage | None:
    """The message with this id, retired ones included, or None."""
    shipped = shipped_library().get(key)
    if shipped is not None:
        return _shipped(shipped)
    row = _row(session, key)
    return _operators(row) if row is not None else None


def get_content(session: Session, *, key: str, locale: str = "vi") -> ContentText:
    """What a broadcast of this message sends; UnknownContent if it is unknown or retired."""
    message = find_content(session, key=key)
    if message is None or message.retired:
        raise UnknownContent(key, retired=message is not None)
    language = "en" if locale == "en" and message.text.en else "vi"
    return ContentText(
        key=message.key,
        locale=language,
        title=message.title.in_locale(language),
        text=message.text.in_locale(language),
        image=message.image,
    )


def list_contents(
    session: Session,
    *,
    tag: str | None = None,
    retired: bool = False,
    after: str | None = None,
    limit: int = 50,
) -> list[SafetyMessage]:
    """Shipped messages by id, then operators' by age (the retired only, if `retired`), after `after`."""
    tag = (tag or "").strip().lower() or None
    library = shipped_library()
    order = {m.id: position for position, m in enumerate(library.messages)}
    shipped = [] if retired else [m for m in library.messages if tag is None or tag in m.tags]
    after_row = 0
    if after in order:
        shipped = [m for m in shipped if order[m.id] > order[after]]
    elif after is not None:
        row = _row(session, after)
        if row is None or row.id is None:
            raise ContentError(f"no message {after!r} to list after")
        shipped, after_row = [], row.id
    found = [_shipped(m) for m in shipped[:limit]]
    if len(found) == limit:
        return found
    query = select(Content).where(col(Content.id) > after_row)
    query = query.where(
        col(Content.retired_at).is_not(None) if retired else col(Content.retired_at).is_(None)
    )
    if tag is not None:
        query = query.where(col(Content.tags).contains(json.dumps(tag), autoescape=True))
    rows = session.exec(query.order_by(col(Content.id)).limit(limit - len(found)))
    return found + [_operators(row) for row in rows]


def _checked(draft: Draft) -> Draft:
    draft = cleaned(draft)
    problems = draft_problems(draft)
    if draft.image and not draft.image.startswith("https://"):
        problems.append("image must be an https:// address")
    if problems:
        raise ContentError("; ".join(problems))
    return draft


def _new_key(session: Session, title: str) -> str:
    """The title's words without diacritics after "op-", with a number if that key is taken."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:MAX_SLUG].strip("-") or "message"
    base = f"{OPERATOR_PREFIX}{slug}"
    taken = set(
        session.exec(
            select(Content.key).where(
                (col(Content.key) == base) | col(Content.key).startswith(f"{base}-")
            )
        )
    )
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


def create_content(session: Session, *, draft: Draft) -> SafetyMessage:
    """Store an operator's message under a new "op-…" key; ContentError if it is not valid."""
    draft = _checked(draft)
    for _ in range(_KEY_TRIES):
        row = Content(
            key=_new_key(session, draft.title.vi),
            title_vi=draft.title.vi,
            title_en=draft.title.en,
            text_vi=draft.text.vi,
            text_en=draft.text.en,
            tags=json.dumps(list(draft.tags)),
            image=draft.image,
        )
        try:
            # Another process may have taken the same key a moment ago: try the next one.
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        return _operators(row)
    raise ContentError("could not choose a key for this message; try again")


def _operators_row(session: Session, key: str) -> Content:
    if shipped_library().get(key) is not None:
        raise ShippedContent(key)
    row = _row(session, key)
    if row is None:
        raise UnknownContent(key)
    return row


def update_content(session: Session, *, key: str, draft: Draft) -> SafetyMessage:
    """Replace an operator's message's words, tags and image; retired ones too."""
    row = _operators_row(session, key)
    draft = _checked(draft)
    row.title_vi, row.title_en = draft.title.vi, draft.title.en
    row.text_vi, row.text_en = draft.text.vi, draft.text.en
    row.tags, row.image = json.dumps(list(draft.tags)), draft.image
    row.updated_at = utcnow()
    session.add(row)
    return _operators(row)


def retire_content(session: Session, *, key: str) -> SafetyMessage:
    """Stop offering an operator's message; it stays stored, and retiring it again changes nothing."""
    row = _operators_row(session, key)
    if row.retired_at is None:
        row.retired_at = row.updated_at = utcnow()
        session.add(row)
    return _operators(row)
