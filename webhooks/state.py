"""What the app's routes share: settings, database, metrics and the inbox writer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from core.db import Database
from core.metrics import Metrics
from core.sealing import Sealer
from core.settings import Settings
from webhooks.inbox_writer import InboxWriter


@dataclass
class AppState:
    """The service parts a request may use."""

    settings: Settings
    db: Database
    metrics: Metrics
    writer: InboxWriter
    sealer: Sealer
    # Wakes this process's broadcast clock when it leads (others notice within seconds).
    on_broadcast: Callable[[], None] = lambda: None


async def get_state(request: Request) -> AppState:
    """The state the app was built with (async: FastAPI would run a plain def in a thread)."""
    state: AppState = request.app.state.tinbao
    return state


StateDep = Annotated[AppState, Depends(get_state)]
