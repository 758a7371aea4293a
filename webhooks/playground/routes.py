"""The playground's endpoints, added only by `tinbao demo`: elsewhere they do not exist (404)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from bot.playground.cast import CHATS, PLACES, chat_by_id
from bot.playground.feed import PlaygroundFeed
from bot.playground.updates import update_keys
from bot.sender.playground import MEDIA_URL
from domain.chats.models import Channel
from domain.evidence import store_bytes
from domain.inbox.service import NewUpdate
from webhooks.playground.pages import STATIC, page_locale, render
from webhooks.playground.timeline import report_page
from webhooks.security import read_body
from webhooks.state import StateDep

MAX_PHOTO_BYTES = 10 * 1024 * 1024
HEARTBEAT_SECONDS = 15.0


@dataclass
class Playground:
    """The demo's feed, and how to put the demo back to its first state."""

    feed: PlaygroundFeed
    reset: Callable[[], Awaitable[None]]


async def _playground(request: Request) -> Playground:
    playground: Playground = request.app.state.playground
    return playground


PlaygroundDep = Annotated[Playground, Depends(_playground)]
router = APIRouter(include_in_schema=False)


def mount_playground(app: FastAPI, playground: Playground) -> None:
    """Add the page and its endpoints to a demo's app; refused unless the setting is on."""
    if not app.state.tinbao.settings.playground:
        raise RuntimeError("the playground needs Settings.playground, which only the demo sets")
    app.state.playground = playground
    app.include_router(router)
    app.mount("/playground/static", StaticFiles(directory=STATIC), name="playground-static")


@router.get("/", response_class=HTMLResponse)
async def page(playground: PlaygroundDep, lang: str | None = None) -> HTMLResponse:
    """The playground: every chat of the demo ward side by side."""
    locale = page_locale(lang)
    chats = [
        {
            "id": c.chat_id,
            "kind": c.kind,
            "title": c.title,
            "role": c.role,
            "members": [{"id": m.user_id, "name": m.name} for m in c.members],
        }
        for c in CHATS
    ]
    places = [{"name": p.name, "lat": p.latitude, "lon": p.longitude} for p in PLACES]
    html = render(
        "page.html",
        locale=locale,
        chats=chats,
        places=places,
        epoch=playground.feed.epoch,
    )
    return HTMLResponse(html)


@router.post("/playground/updates")
async def post_update(request: Request, state: StateDep, playground: PlaygroundDep) -> JSONResponse:
    """Store what a person typed or tapped in the inbox, like a webhook: 200 once committed."""
    raw = await read_body(request.scope, request.receive)
    try:
        body = json.loads(raw)
        update_key, chat_key = update_keys(body)
    except (ValueError, TypeError, RecursionError):
        raise HTTPException(400, "not an update") from None
    update = NewUpdate(
        channel=Channel.PLAYGROUND.value,
        update_key=update_key,
        chat_key=chat_key,
        payload=raw.decode("utf-8", errors="replace"),
    )
    if await state.writer.store(update) and (item := _shown(body)) is not None:
        playground.feed.append(item)
    return JSONResponse({"ok": True})


def _shown(body: dict[str, Any]) -> dict[str, Any] | None:
    """What the page shows of a person's update; a button press shows nothing, as on Telegram."""
    chat, sender = body["chat"], body.get("from")
    if chat_by_id(str(chat["id"])) is None or not isinstance(sender, dict):
        return None
    item: dict[str, Any] = {
        "type": "message",
        "chat": chat["id"],
        "id": body.get("message_id"),
        "from_bot": False,
        "from": _words(sender.get("name")),
        "text": _words(body.get("text")),
    }
    if isinstance(replied := body.get("reply_to"), dict):
        item["quote"] = _words(replied.get("text"))[:100]
    if isinstance(photo := body.get("photo"), dict) and isinstance(photo.get("path"), str):
        item["photo"] = MEDIA_URL + photo["path"]
        item["text"] = _words(photo.get("caption"))
    elif isinstance(where := body.get("location"), dict):
        item["location"] = [where.get("latitude"), where.get("longitude")]
        item["text"] = _words(where.get("name"))
    elif not item["text"]:
        return None
    return item


def _words(value: object) -> str:
    return value if isinstance(value, str) else ""


@router.post("/playground/photos")
async def upload_photo(request: Request, state: StateDep) -> JSONResponse:
    """Keep a photo picked on the computer in the media folder; the update then names it."""
    data = await read_body(request.scope, request.receive, limit=MAX_PHOTO_BYTES)
    name = request.query_params.get("name")
    stored = await asyncio.to_thread(
        store_bytes,
        state.settings.media_dir,
        data,
        mime_type=request.headers.get("content-type"),
        file_name=name,
    )
    if not stored.mime_type.startswith("image/"):
        raise HTTPException(415, "only photos can be attached here")
    return JSONResponse({"path": stored.path, "size": stored.size, "mime_type": stored.mime_type})


@router.get("/playground/feed")
async def feed(
    playground: PlaygroundDep,
    after: Annotated[int, Query(ge=0)] = 0,
    epoch: str | None = None,
) -> StreamingResponse:
    """The chats' messages as server-sent events, from after `after`; "reset" when reset."""
    return StreamingResponse(
        _events(playground.feed, after, epoch),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(feed: PlaygroundFeed, seq: int, epoch: str | None) -> AsyncIterator[str]:
    yield "retry: 1000\n\n"
    current = feed.epoch
    if epoch is not None and epoch != current:
        yield "event: reset\ndata: {}\n\n"
        return
    while not feed.closed:
        if feed.epoch != current:
            yield "event: reset\ndata: {}\n\n"
            return
        items = feed.after(seq)
        for item in items:
            seq = item["seq"]
            yield f"id: {seq}\ndata: {json.dumps(item, ensure_ascii=False)}\n\n"
        if not items:
            await feed.wait(HEARTBEAT_SECONDS)
            if not feed.after(seq):
                yield ": still here\n\n"


@router.post("/playground/reset")
async def reset(playground: PlaygroundDep) -> JSONResponse:
    """Put the demo back to its first state."""
    await playground.reset()
    return JSONResponse({"ok": True, "epoch": playground.feed.epoch})


@router.get("/playground/reports/{code}", response_class=HTMLResponse)
async def report(code: str, state: StateDep, lang: str | None = None) -> HTMLResponse:
    """A report's timeline: what happened to it, who did it, when."""
    html = await asyncio.to_thread(report_page, state, code=code, locale=page_locale(lang))
    if html is None:
        raise HTTPException(404, "no such report")
    return HTMLResponse(html)


@router.get("/playground/media/{path:path}")
async def media(path: str, state: StateDep) -> FileResponse:
    """A photo kept in the media folder, for the page to show."""
    root = state.settings.media_dir.resolve()
    file = (root / path).resolve()
    if not file.is_relative_to(root) or not file.is_file():
        raise HTTPException(404, "no such file")
    return FileResponse(file)
