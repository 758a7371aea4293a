"""The broadcasts of the admin API: create, preview, list, read, and control them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from bot.broadcasting.approval import cancel_and_tell
from bot.broadcasting.testing import send_test_to_triage
from broadcasts.effect import effect_of
from broadcasts.models import Broadcast, BroadcastRun
from broadcasts.plans import BroadcastError, BroadcastRequest, preview
from broadcasts.reach import reach_of
from broadcasts.service import (
    BroadcastConflict,
    BroadcastNotFound,
    RunKey,
    create_broadcast,
    get_broadcast,
    latest_run,
    list_broadcasts,
    next_send_at,
    pause_broadcast,
    resume_broadcast,
    retry_failed,
    run_counts,
    runs_of,
)
from broadcasts.texts import broadcast_text, request_text
from broadcasts.timeline import events_of
from core.settings import Settings
from domain.chats.models import Channel
from webhooks.admin.figures import EffectOut, ReachOut, effect_out, reach_out
from webhooks.admin.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from webhooks.admin.types import Timestamp
from webhooks.state import AppState, StateDep

router = APIRouter(prefix="/broadcasts", tags=["broadcasts"])
EVENTS_SHOWN = 200  # a weekly broadcast adds two steps a run: years of them stay out of one answer


class BroadcastIn(BaseModel):
    """A broadcast to create or preview: words or a library message, areas, a time or a cron."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    content_id: str | None = None
    areas: list[str] | Literal["all"]
    send_at: datetime | None = None
    cron: str | None = None
    urgent: bool = False
    channels: list[Channel] | None = None
    # A test: the text, marked as such, goes now to the police triage groups of the areas only.
    test: bool = False

    def request(self, created_by: str = "api") -> BroadcastRequest:
        """The domain's request."""
        return BroadcastRequest(
            areas=None if self.areas == "all" else tuple(self.areas),
            text=self.text,
            content_id=self.content_id,
            send_at=self.send_at,
            cron=self.cron,
            urgent=self.urgent,
            channels=tuple(c.value for c in self.channels) if self.channels is not None else None,
            created_by=created_by,
        )


class TargetOut(BaseModel):
    """Groups and subscribers of one named area (or province, for `all`) on one channel."""

    area_code: str
    area_name: str
    channel: str
    groups: int
    subscribers: int


class PreviewOut(BaseModel):
    """What a broadcast would send, to whom, when, and for how long; nothing is saved."""

    text: str
    targets: list[TargetOut]
    total_groups: int
    total_subscribers: int
    first_send_at: Timestamp | None
    fan_out_seconds: float
    quiet_hours: str | None


class BroadcastOut(BaseModel):
    """A broadcast, with the counts of its current or last run."""

    id: int
    status: str
    text: str | None
    content_id: str | None
    areas: list[str] | Literal["all"]
    channels: list[str] | None
    send_at: Timestamp | None
    cron: str | None
    urgent: bool
    targets: int
    sent: int
    failed: int
    pending: int
    next_run_at: Timestamp | None
    reason: str | None
    created_by: str
    origin_chat: str | None  # the triage chat it was composed in; null for the API and CLI
    created_at: Timestamp


class EventOut(BaseModel):
    """One step of a broadcast's timeline."""

    kind: str
    actor: str
    chat: str | None
    run_id: int | None
    at: Timestamp
    details: dict[str, Any]


class TestSendOut(BaseModel):
    """A test send: the marked text went to these triage groups only; nothing was saved."""

    test: Literal[True] = True
    text: str
    triage_groups: list[str]


class BroadcastDetail(BroadcastOut):
    """A broadcast with its timeline, and the reach and effect of its last run."""

    events: list[EventOut]
    earlier_events: int  # older steps left out of `events`; each run's outcome is in /runs
    reach: ReachOut | None
    effect: EffectOut | None


class RunOut(BaseModel):
    """One occurrence of a broadcast, its outcome and its failures by reason."""

    id: int
    due_at: Timestamp
    status: str
    targets: int
    sent: int
    failed: int
    pending: int
    cancelled: int
    failures: dict[str, int]
    reason: str | None
    started_at: Timestamp | None
    finished_at: Timestamp | None
    reach: ReachOut
    effect: EffectOut | None


def _broadcast_out(session: Session, broadcast: Broadcast, settings: Settings) -> BroadcastOut:
    assert broadcast.id is not None
    run = latest_run(session, broadcast_id=broadcast.id)
    counts = run_counts(session, run_id=run.id) if run is not None and run.id else None
    try:
        text = broadcast_text(session, broadcast, locale=settings.locale)
    except BroadcastError:  # its library message was retired since
        text = None
    return BroadcastOut(
        id=broadcast.id,
        status=broadcast.status,
        text=text,
        content_id=broadcast.content_key,
        areas=json.loads(broadcast.areas),
        channels=json.loads(broadcast.channels) if broadcast.channels else None,
        send_at=broadcast.send_at,
        cron=broadcast.cron,
        urgent=broadcast.urgent,
        targets=counts.targets if counts else 0,
        sent=counts.sent if counts else 0,
        failed=counts.failed if counts else 0,
        pending=counts.pending if counts else 0,
        next_run_at=next_send_at(broadcast, settings=settings),
        reason=broadcast.reason,
        created_by=broadcast.created_by,
        origin_chat=broadcast.origin_chat,
        created_at=broadcast.created_at,
    )


def _run_out(session: Session, run: BroadcastRun) -> RunOut:
    assert run.id is not None
    counts = run_counts(session, run_id=run.id)
    return RunOut(
        id=run.id,
        due_at=run.due_at,
        status=run.status,
        targets=counts.targets,
        sent=counts.sent,
        failed=counts.failed,
        pending=counts.pending,
        cancelled=counts.cancelled,
        failures=counts.failures,
        reason=run.reason,
        started_at=run.started_at,
        finished_at=run.finished_at,
        reach=reach_out(reach_of(session, run)),
        effect=effect_out(effect_of(session, run)),
    )


def _unprocessable(error: Exception) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=None)
def post_broadcast(
    body: BroadcastIn, state: StateDep, response: Response
) -> BroadcastOut | TestSendOut:
    """Schedule a broadcast (or, with "test", send it to the police only); 422 with a reason."""
    if body.test:
        response.status_code = status.HTTP_200_OK
        return _test_send(body, state)
    try:
        with state.db.session() as session:
            broadcast = create_broadcast(session, body.request(), settings=state.settings)
            out = _broadcast_out(session, broadcast, state.settings)
    except BroadcastError as error:
        raise _unprocessable(error) from None
    state.on_broadcast()
    return out


def _test_send(body: BroadcastIn, state: AppState) -> TestSendOut:
    """Send the text, marked as a test, to the triage groups of its areas; no broadcast, no run."""
    request = body.request()
    try:
        with state.db.session() as session:
            chats = send_test_to_triage(session, request, settings=state.settings)
            text = request_text(session, request, locale=state.settings.locale)
    except BroadcastError as error:
        raise _unprocessable(error) from None
    return TestSendOut(text=text, triage_groups=[f"{c.channel}:{c.chat_id}" for c in chats])


@router.post("/preview")
def post_preview(body: BroadcastIn, state: StateDep) -> PreviewOut:
    """What the broadcast would do: its text, its groups by area and channel, when, how long."""
    request = body.request()
    with state.db.reading() as session:
        try:
            text = request_text(session, request, locale=state.settings.locale)
            seen = preview(session, request, settings=state.settings, text=text)
        except BroadcastError as error:
            raise _unprocessable(error) from None
    return PreviewOut(
        text=seen.text,
        targets=[TargetOut(**vars(count)) for count in seen.targets],
        total_groups=seen.total,
        total_subscribers=seen.subscribers,
        first_send_at=seen.first_send_at,
        fan_out_seconds=round(seen.fan_out_seconds, 1),
        quiet_hours=seen.quiet_hours,
    )


@router.get("")
def get_broadcasts(state: StateDep, limit: Limit = 50, cursor: Cursor = None) -> Page[BroadcastOut]:
    """Broadcasts, newest first."""
    before = decode_cursor(cursor)
    if before is not None and not isinstance(before, int):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "invalid cursor")
    with state.db.reading() as session:
        found = list_broadcasts(session, before_id=before, limit=limit + 1)
        items = [_broadcast_out(session, b, state.settings) for b in found[:limit]]
    more = len(found) > limit
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)


@router.get("/{broadcast_id}")
def get_one(broadcast_id: int, state: StateDep) -> BroadcastDetail:
    """One broadcast with its progress and its timeline."""
    with state.db.reading() as session:
        try:
            broadcast = get_broadcast(session, broadcast_id=broadcast_id)
        except BroadcastNotFound as error:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from None
        steps, earlier = events_of(session, broadcast_id=broadcast_id, last=EVENTS_SHOWN)
        events = [
            EventOut(
                kind=event.kind,
                actor=event.actor,
                chat=event.chat,
                run_id=event.run_id,
                at=event.at,
                details=json.loads(event.details),
            )
            for event in steps
        ]
        out = _broadcast_out(session, broadcast, state.settings)
        run = latest_run(session, broadcast_id=broadcast_id)
        reach = reach_out(reach_of(session, run)) if run is not None else None
        effect = effect_out(effect_of(session, run)) if run is not None else None
    return BroadcastDetail(
        **out.model_dump(), events=events, earlier_events=earlier, reach=reach, effect=effect
    )


@router.get("/{broadcast_id}/runs")
def get_runs(
    broadcast_id: int, state: StateDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[RunOut]:
    """The broadcast's runs, newest first (by due time), a page at a time."""
    before = _run_key(decode_cursor(cursor))
    with state.db.reading() as session:
        try:
            get_broadcast(session, broadcast_id=broadcast_id)
        except BroadcastNotFound as error:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from None
        found = runs_of(session, broadcast_id=broadcast_id, before=before, limit=limit + 1)
        runs = [_run_out(session, run) for run in found[:limit]]
    following = None
    if len(found) > limit:
        following = encode_cursor([runs[-1].due_at.isoformat(), runs[-1].id])
    return Page(items=runs, next_cursor=following)


def _run_key(value: Any) -> RunKey | None:
    """The page's start from a runs cursor ([due time, run id]); 400 for anything else."""
    if value is None:
        return None
    try:
        due, run_id = value
        key = RunKey(due_at=datetime.fromisoformat(due), run_id=run_id)
    except (TypeError, ValueError):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "invalid cursor") from None
    if key.due_at.tzinfo is None or not isinstance(run_id, int):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "invalid cursor")
    return key


def _control(state: AppState, broadcast_id: int, act: Callable[[Session], object]) -> BroadcastOut:
    try:
        with state.db.session() as session:
            act(session)
            out = _broadcast_out(
                session, get_broadcast(session, broadcast_id=broadcast_id), state.settings
            )
    except BroadcastNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from None
    except BroadcastConflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    state.on_broadcast()
    return out


@router.post("/{broadcast_id}/pause")
def post_pause(broadcast_id: int, state: StateDep) -> BroadcastOut:
    """Hold the unsent deliveries and the next runs until resumed."""
    return _control(state, broadcast_id, lambda s: pause_broadcast(s, broadcast_id=broadcast_id))


@router.post("/{broadcast_id}/resume")
def post_resume(broadcast_id: int, state: StateDep) -> BroadcastOut:
    """Go on after a pause."""
    return _control(state, broadcast_id, lambda s: resume_broadcast(s, broadcast_id=broadcast_id))


@router.post("/{broadcast_id}/cancel")
def post_cancel(broadcast_id: int, state: StateDep) -> BroadcastOut:
    """Stop for good: unsent deliveries are dropped and no run follows."""
    return _control(
        state,
        broadcast_id,
        lambda s: cancel_and_tell(
            s, broadcast_id=broadcast_id, settings=state.settings, actor="api"
        ),
    )


@router.post("/{broadcast_id}/retry")
def post_retry(broadcast_id: int, state: StateDep) -> BroadcastOut:
    """Send the failed deliveries of the last run again."""
    return _control(state, broadcast_id, lambda s: retry_failed(s, broadcast_id=broadcast_id))
