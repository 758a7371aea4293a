"""What the app's routes share: settings, database, metrics and the inbox writer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from core.db import Database
from core.metrics import Metrics
from core.reading_turns import ReadingTurns
from core.sealing import Sealer
from core.settings import Settings
from core.shared_reads import SharedReads
from core.supervision import Supervisor
from webhooks.inbox_writer import InboxWriter


def _never() -> bool:
    return False


@dataclass
class Supervision:
    """The background work the health routes describe, and whether this process leads."""

    supervisor: Supervisor = field(default_factory=Supervisor)
    leads: Callable[[], bool] = _never


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
    supervision: Supervision = field(default_factory=Supervision)
    # Identical statistics asked at once share one fresh reading (core/shared_reads.py).
    shared_reads: SharedReads = field(default_factory=SharedReads)
    # Statistics over periods with the same whole days share the reading of those days.
    shared_days: SharedReads = field(default_factory=SharedReads)
    # Admin reads take turns with the desk's figures (core/reading_turns.py).
    reading_turns: ReadingTurns = field(default_factory=ReadingTurns)


async def get_state(request: Request) -> AppState:
    """The state the app was built with (async: FastAPI would run a plain def in a thread)."""
    state: AppState = request.app.state.tinbao
    return state


StateDep = Annotated[AppState, Depends(get_state)]
