"""The FastAPI app: ingress, admin API, health and metrics, over the state it is given."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from broadcasts.contents.library import shipped_library
from webhooks import docs, health, ingress, media
from webhooks.admin import areas, broadcasts, chats, contents, link_codes, reports, stats
from webhooks.admin.auth import require_admin
from webhooks.admin.turns import read_in_turn
from webhooks.state import AppState

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


class _App(FastAPI):
    """FastAPI, with the webhooks' POSTs sent straight to their endpoints."""

    webhook_posts: dict[str, ASGIApp]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch one connection, lifespan included."""
        # The middleware stack and the router were 5 % of the CPU under a burst. They change
        # nothing for a webhook's POST; any other method or path goes through them as before.
        if scope["type"] == "http" and scope["method"] == "POST" and not self.root_path:
            webhook = self.webhook_posts.get(scope["path"])
            if webhook is not None:
                scope["app"] = self
                await webhook(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(state: AppState, *, lifespan: Lifespan | None = None) -> FastAPI:
    """An app serving the given state; `lifespan` starts and stops the background work."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        state.writer.start()
        try:
            if lifespan is None:
                yield
            else:
                async with lifespan(app):
                    yield
        finally:
            await state.writer.stop()

    app = _App(
        docs_url=None,  # served by webhooks.docs from packaged assets, not from a CDN
        redoc_url=None,
        title="Tinbao",
        summary="Community reports from Zalo and Telegram groups to the ward police.",
        version="0.1.0",
        lifespan=run,
    )
    app.state.tinbao = state
    shipped_library()  # read and check every shipped message now: a bad file stops the start
    # First in line, and plain ASGI: the webhooks need none of FastAPI's machinery.
    app.webhook_posts = ingress.endpoints(state)
    app.router.routes.extend(ingress.routes(app.webhook_posts))
    admin = APIRouter(
        prefix="/api/v1", dependencies=[Depends(require_admin), Depends(read_in_turn)]
    )
    for module in (areas, link_codes, chats, reports, contents, broadcasts):
        admin.include_router(module.router)
    app.include_router(admin)
    # Statistics take their turn for a shared reading, not one per question.
    app.include_router(stats.router, prefix="/api/v1", dependencies=[Depends(require_admin)])
    app.include_router(media.router)
    app.include_router(health.router)
    docs.serve_offline(app)
    return app
