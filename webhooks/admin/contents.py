"""/api/v1/contents: the library of safety messages; shipped ones read-only, operators' their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict

from broadcasts.contents.rules import Draft, Words
from broadcasts.contents.service import (
    ContentError,
    SafetyMessage,
    ShippedContent,
    UnknownContent,
    create_content,
    find_content,
    list_contents,
    retire_content,
    update_content,
)
from webhooks.admin.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from webhooks.admin.types import Timestamp
from webhooks.state import StateDep

router = APIRouter(prefix="/contents", tags=["contents"])


class LanguagesOut(BaseModel):
    """One title or text in both languages; `en` is null when an operator gave none."""

    vi: str
    en: str | None


class ContentOut(BaseModel):
    """A safety message; `title` and `text` in TINBAO_LOCALE, English falling back to Vietnamese."""

    id: str
    title: str
    text: str
    tags: list[str]
    image: str | None
    titles: LanguagesOut
    texts: LanguagesOut
    shipped: bool
    retired: bool
    retired_at: Timestamp | None


class ContentIn(BaseModel):
    """An operator's message: Vietnamese title and text, English optional."""

    model_config = ConfigDict(extra="forbid")

    title: str
    text: str
    tags: list[str]
    image: str | None = None
    title_en: str | None = None
    text_en: str | None = None


class ContentPatch(BaseModel):
    """The fields to change; null removes `image`, `title_en` or `text_en`."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    text: str | None = None
    tags: list[str] | None = None
    image: str | None = None
    title_en: str | None = None
    text_en: str | None = None


def _out(message: SafetyMessage, locale: str) -> ContentOut:
    return ContentOut(
        id=message.key,
        title=message.title.in_locale(locale),
        text=message.text.in_locale(locale),
        tags=list(message.tags),
        image=message.image,
        titles=LanguagesOut(vi=message.title.vi, en=message.title.en),
        texts=LanguagesOut(vi=message.text.vi, en=message.text.en),
        shipped=message.shipped,
        retired=message.retired,
        retired_at=message.retired_at,
    )


def _unprocessable(error: ContentError) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error))


def _refused(error: ShippedContent | UnknownContent) -> HTTPException:
    if isinstance(error, ShippedContent):
        return HTTPException(status.HTTP_409_CONFLICT, str(error))
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no safety message with id {error.key!r}")


@router.get("")
def get_contents(
    state: StateDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    tag: Annotated[str | None, Query(description="Only messages with this tag")] = None,
    retired: Annotated[bool, Query(description="List the retired messages instead")] = False,
) -> Page[ContentOut]:
    """List the shipped messages by id, then operators' in the order they were added."""
    after = decode_cursor(cursor)
    if after is not None and not isinstance(after, str):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "invalid cursor")
    with state.db.reading() as session:
        try:
            found = list_contents(session, tag=tag, retired=retired, after=after, limit=limit + 1)
        except ContentError:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "invalid cursor") from None
    items = [_out(m, state.settings.locale) for m in found[:limit]]
    more = len(found) > limit
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)


@router.post("", status_code=status.HTTP_201_CREATED)
def post_content(body: ContentIn, state: StateDep) -> ContentOut:
    """Add an operator's message under a new id ("op-" and its title's words)."""
    draft = Draft(
        title=Words(vi=body.title, en=body.title_en),
        text=Words(vi=body.text, en=body.text_en),
        tags=tuple(body.tags),
        image=body.image,
    )
    with state.db.session() as session:
        try:
            message = create_content(session, draft=draft)
        except ContentError as error:
            raise _unprocessable(error) from None
    return _out(message, state.settings.locale)


@router.get("/{content_id}")
def get_one_content(content_id: str, state: StateDep) -> ContentOut:
    """One message, retired or not."""
    with state.db.reading() as session:
        message = find_content(session, key=content_id)
    if message is None:
        raise _refused(UnknownContent(content_id))
    return _out(message, state.settings.locale)


def _patched(message: SafetyMessage, body: ContentPatch) -> Draft:
    given = body.model_fields_set
    for name in ("title", "text", "tags"):
        if name in given and getattr(body, name) is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{name} cannot be null")

    def pick(name: str, current: str | None) -> str | None:
        value: str | None = getattr(body, name) if name in given else current
        return value

    return Draft(
        title=Words(
            vi=pick("title", message.title.vi) or "", en=pick("title_en", message.title.en)
        ),
        text=Words(vi=pick("text", message.text.vi) or "", en=pick("text_en", message.text.en)),
        tags=tuple(body.tags) if body.tags is not None else message.tags,
        image=pick("image", message.image),
    )


@router.patch("/{content_id}")
def patch_content(content_id: str, body: ContentPatch, state: StateDep) -> ContentOut:
    """Change an operator's message; 409 for a shipped one."""
    with state.db.session() as session:
        current = find_content(session, key=content_id)
        if current is None:
            raise _refused(UnknownContent(content_id))
        if current.shipped:
            raise _refused(ShippedContent(content_id))
        try:
            message = update_content(session, key=content_id, draft=_patched(current, body))
        except ContentError as error:
            raise _unprocessable(error) from None
    return _out(message, state.settings.locale)


@router.delete("/{content_id}")
def delete_content(content_id: str, state: StateDep) -> ContentOut:
    """Retire an operator's message: kept, no longer listed nor sent; 409 for a shipped one."""
    with state.db.session() as session:
        try:
            message = retire_content(session, key=content_id)
        except (ShippedContent, UnknownContent) as error:
            raise _refused(error) from None
    return _out(message, state.settings.locale)
