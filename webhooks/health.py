"""Operations: /healthz (the database and the background work), /readyz and /metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from webhooks.state import AppState, StateDep

router = APIRouter(tags=["operations"])


def _database_answers(state: AppState) -> bool:
    try:
        with state.db.reading() as session:
            session.execute(text("SELECT 1"))
    except Exception:  # any failure means "not healthy", never a 500
        return False
    return True


@router.get("/healthz")
async def healthz(state: StateDep) -> JSONResponse:
    """200 while the database answers, else 503; with each background task's last good pass."""
    answers = await run_in_threadpool(_database_answers, state)
    body = {
        "status": "ok" if answers else "unavailable",
        "database": "ok" if answers else "unavailable",
        "leader": state.supervision.leads(),
        "tasks": state.supervision.supervisor.describe(),
    }
    return JSONResponse(body, status_code=200 if answers else 503)


@router.get("/readyz")
async def readyz(state: StateDep) -> JSONResponse:
    """200 while every background task did its work within its bound, else 503 naming the late."""
    # Whether a task owes work is read from the database: off the event loop.
    answers = await run_in_threadpool(_database_answers, state)
    late = await run_in_threadpool(state.supervision.supervisor.late)
    ready = answers and not late
    body = {
        "status": "ready" if ready else "not ready",
        "database": "ok" if answers else "unavailable",
        "late": late,
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics(state: StateDep) -> Response:
    """Prometheus text format."""
    body = await run_in_threadpool(generate_latest, state.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
