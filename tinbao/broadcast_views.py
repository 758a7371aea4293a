"""What `tinbao broadcast` shows: a preview, the list, one broadcast and its runs, a run followed."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from sqlmodel import Session

from broadcasts.models import Broadcast, BroadcastRun, RunStatus
from broadcasts.plans import BroadcastError, Preview
from broadcasts.service import (
    RunCounts,
    count_runs,
    get_broadcast,
    latest_run,
    next_send_at,
    run_counts,
    runs_of,
)
from broadcasts.texts import broadcast_text
from broadcasts.timeline import events_of
from core.db import Database
from core.settings import Settings

TEXT_START = 40  # characters of a broadcast's text in the list
RUNS_SHOWN = 20  # the newest runs `show` lists; the API pages through all of them
EVENTS_SHOWN = 60  # the last steps of the timeline `show` prints


def console(*, stderr: bool = False) -> Console:
    """A console that prints operators' words as typed: no markup, no highlighting, no emoji."""
    return Console(stderr=stderr, markup=False, highlight=False, emoji=False)


def verbatim(text: str, *, out: Console) -> None:
    """Print an operator's words exactly: not wrapped, tabs kept."""
    out.file.write(text + "\n")
    out.file.flush()


def local(moment: datetime | None, zone: ZoneInfo) -> str:
    """A time as people read it here, e.g. 2026-12-24 08:00; "-" when there is none."""
    return "-" if moment is None else f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def both(moment: datetime | None, zone: ZoneInfo) -> str:
    """A time in local time and in ISO 8601 with its offset."""
    if moment is None:
        return "none"
    iso = moment.astimezone(zone).isoformat(timespec="seconds")
    return f"{local(moment, zone)} {zone.key} ({iso})"


def duration(seconds: float) -> str:
    """A span for people: under a second, 40 s, 3 min 20 s, 2 h 5 min."""
    whole = round(seconds)
    if whole < 1:
        return "under a second"
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


@dataclass(frozen=True)
class Facts:
    """A broadcast with what the admin API tells of it: its words now, counts, next send."""

    broadcast: Broadcast
    text: str | None  # None: its library message was retired since
    counts: RunCounts  # of the current or last run
    next_send_at: datetime | None

    @property
    def id(self) -> int:
        """The broadcast's id."""
        assert self.broadcast.id is not None
        return self.broadcast.id


def facts_of(session: Session, broadcast: Broadcast, *, settings: Settings) -> Facts:
    """The facts `GET /api/v1/broadcasts/{id}` answers, read the same way."""
    assert broadcast.id is not None
    run = latest_run(session, broadcast_id=broadcast.id)
    try:
        text: str | None = broadcast_text(session, broadcast, locale=settings.locale)
    except BroadcastError:
        text = None
    return Facts(
        broadcast=broadcast,
        text=text,
        counts=run_counts(session, run_id=run.id) if run is not None and run.id else RunCounts(),
        next_send_at=next_send_at(broadcast, settings=settings),
    )


def show_preview(seen: Preview, *, settings: Settings, out: Console) -> None:
    """The exact text, the groups by area and channel, the first send and the fan-out."""
    out.print(f"Text ({len(seen.text)} characters):", soft_wrap=True)
    verbatim(seen.text, out=out)
    out.print()
    targets_table(seen, out=out)
    out.print(f"First send: {both(seen.first_send_at, settings.zone)}", soft_wrap=True)
    if seen.quiet_hours is not None:
        out.print(f"Quiet hours: {seen.quiet_hours} (a routine broadcast waits for their end)")
    out.print(f"Fan-out: {duration(seen.fan_out_seconds)} at the platforms' limits")


def targets_table(seen: Preview, *, out: Console) -> None:
    """The groups a broadcast reaches, by area and channel."""
    if not seen.targets:
        out.print("Groups: 0 (no community group in these areas yet)", soft_wrap=True)
        return
    table = _table()
    for heading in ("Area", "Name", "Channel"):
        table.add_column(heading)
    table.add_column("Groups", justify="right")
    for count in seen.targets:
        table.add_row(count.area_code, count.area_name, count.channel, str(count.groups))
    out.print(f"Groups: {seen.total}")
    out.print(table)


def summary(broadcast_id: int, seen: Preview, *, cron: str | None, settings: Settings) -> str:
    """One line on what was just scheduled."""
    schedule = f", then on its schedule {cron!r}" if cron else ""
    return (
        f"Broadcast {broadcast_id} scheduled for {seen.total} group(s): first send "
        f"{both(seen.first_send_at, settings.zone)}{schedule}; fan-out "
        f"{duration(seen.fan_out_seconds)}. A running `tinbao serve` takes it up within seconds."
    )


def list_table(found: list[Facts], *, settings: Settings, out: Console) -> None:
    """The broadcasts as a table, newest first."""
    if not found:
        out.print("No broadcasts yet.")
        return
    table = _table(caption=f"Times in {settings.zone.key}")
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Next run", no_wrap=True)
    for heading in ("Targets", "Sent", "Failed", "Pending"):
        table.add_column(heading, justify="right", no_wrap=True)
    table.add_column("Text")  # the one column that gives way on a narrow terminal, cut short
    for facts in found:
        counts = facts.counts
        table.add_row(
            str(facts.id),
            facts.broadcast.status,
            local(facts.next_send_at, settings.zone),
            *(str(n) for n in (counts.targets, counts.sent, counts.failed, counts.pending)),
            Text(_text_start(facts), no_wrap=True, overflow="ellipsis"),
        )
    out.print(table)


def _text_start(facts: Facts) -> str:
    if facts.text is None:
        return f"(retired message {facts.broadcast.content_key})"
    first_line = " ".join(facts.text.split())
    return first_line if len(first_line) <= TEXT_START else first_line[: TEXT_START - 1] + "…"


def show_broadcast(session: Session, facts: Facts, *, settings: Settings, out: Console) -> None:
    """One broadcast: what, where, when, the counts of its current or last run, its runs."""
    broadcast, zone = facts.broadcast, settings.zone
    areas = json.loads(broadcast.areas)
    channels = json.loads(broadcast.channels) if broadcast.channels else None
    if broadcast.cron:
        schedule = f"cron {broadcast.cron!r} in {zone.key}"
    else:
        schedule = f"once, at {both(broadcast.send_at, zone)}"
    lines = [
        f"Broadcast {facts.id}: {broadcast.status}",
        f"Areas: {'all' if areas == 'all' else ', '.join(areas)}",
        f"Channels: {', '.join(channels) if channels else 'all'}",
        f"Schedule: {schedule}",
        f"Urgent: {'yes' if broadcast.urgent else 'no'}",
        f"Next run: {both(facts.next_send_at, zone)}",
        f"Created: {both(broadcast.created_at, zone)} by {broadcast.created_by}",
    ]
    if broadcast.content_key:
        lines.append(f"Library message: {broadcast.content_key}")
    if broadcast.reason:
        lines.append(f"Reason: {broadcast.reason}")
    counts = facts.counts
    lines.append(
        f"Current or last run: {counts.targets} targets, {counts.sent} sent, "
        f"{counts.failed} failed, {counts.pending} pending"
    )
    for line in lines:
        out.print(line, soft_wrap=True)
    out.print("Text:")
    verbatim(facts.text if facts.text is not None else "(its library message was retired)", out=out)
    out.print()
    runs = runs_of(session, broadcast_id=facts.id, limit=RUNS_SHOWN)
    runs_table(session, runs, zone=zone, out=out)
    if len(runs) == RUNS_SHOWN:
        earlier = count_runs(session, broadcast_id=facts.id) - RUNS_SHOWN
        if earlier:
            out.print(f"... and {earlier} earlier run(s): GET /api/v1/broadcasts/{facts.id}/runs")
    timeline(session, broadcast_id=facts.id, zone=zone, out=out)


def timeline(session: Session, *, broadcast_id: int, zone: ZoneInfo, out: Console) -> None:
    """The broadcast's timeline, oldest first: who did what, and what each run did."""
    events, earlier = events_of(session, broadcast_id=broadcast_id, last=EVENTS_SHOWN)
    if not events:
        return
    out.print()
    out.print("Timeline:")
    if earlier:
        out.print(f"  ... {earlier} earlier step(s), then the last {len(events)}:")
    for event in events:
        run = f" (run {event.run_id})" if event.run_id is not None else ""
        chat = f" in {event.chat}" if event.chat else ""
        details = json.loads(event.details)
        said = ": " + ", ".join(f"{k} {v}" for k, v in details.items()) if details else ""
        out.print(
            f"  {local(event.at, zone)}  {event.kind}{run} by {event.actor}{chat}{said}",
            soft_wrap=True,
        )


def runs_table(session: Session, runs: list[BroadcastRun], *, zone: ZoneInfo, out: Console) -> None:
    """Each run: due time, status and counts; then why deliveries failed or a run stopped."""
    if not runs:
        out.print("No run yet.")
        return
    table = _table(title="Runs", caption=f"Times in {zone.key}")
    for heading in ("Run", "Due", "Status", "Targets", "Sent", "Failed", "Pending", "Cancelled"):
        left = heading in ("Due", "Status")
        table.add_column(heading, justify="left" if left else "right", no_wrap=True)
    notes: list[str] = []
    for run in runs:
        assert run.id is not None
        counts = run_counts(session, run_id=run.id)
        numbers = (counts.targets, counts.sent, counts.failed, counts.pending, counts.cancelled)
        table.add_row(str(run.id), local(run.due_at, zone), run.status, *(str(n) for n in numbers))
        notes += [f"Run {run.id} failed: {line}" for line in failures(counts)]
        if run.reason:
            notes.append(f"Run {run.id}: {run.reason}")
    out.print(table)
    for note in notes:
        out.print(note, soft_wrap=True)


def _table(*, title: str | None = None, caption: str | None = None) -> Table:
    return Table(
        title=title,
        caption=caption,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        title_justify="left",
    )


def failures(counts: RunCounts) -> list[str]:
    """Failed deliveries by reason, most frequent first: 'Forbidden: bot was kicked (3)'."""
    ranked = sorted(counts.failures.items(), key=lambda item: (-item[1], item[0]))
    return [f"{reason} ({n})" for reason, n in ranked]


def follow(
    db: Database, *, broadcast_id: int, settings: Settings, out: Console, err: Console
) -> None:
    """Draw the current run's progress, read afresh each second, until it stops sending."""
    with db.reading() as session:
        broadcast = get_broadcast(session, broadcast_id=broadcast_id)
        run = latest_run(session, broadcast_id=broadcast_id)
        upcoming = next_send_at(broadcast, settings=settings)
    if run is None or run.id is None or run.status != RunStatus.SENDING.value:
        then = f"; next run {both(upcoming, settings.zone)}" if upcoming else ""
        out.print(
            f"Broadcast {broadcast_id} is {broadcast.status}: nothing is sending{then}.",
            soft_wrap=True,
        )
        return
    run_id = run.id
    try:
        err.print(
            f"Following run {run_id} of broadcast {broadcast_id}, due "
            f"{local(run.due_at, settings.zone)}. Ctrl-C stops following, not the broadcast.",
            soft_wrap=True,
        )
        status, counts = _watch(db, run_id=run_id, err=err)
    except KeyboardInterrupt:
        err.print("Stopped following; the broadcast goes on.")
        return
    out.print(
        f"Run {run_id} {status}: {counts.targets} targets, {counts.sent} sent, "
        f"{counts.failed} failed, {counts.pending} pending, {counts.cancelled} cancelled",
        soft_wrap=True,
    )
    for line in failures(counts):
        out.print(f"  failed: {line}", soft_wrap=True)


def _watch(db: Database, *, run_id: int, err: Console) -> tuple[str, RunCounts]:
    progress = Progress(
        TextColumn(f"run {run_id}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("sent {task.fields[sent]}, failed {task.fields[failed]}"),
        TimeElapsedColumn(),
        console=err,
    )
    with progress:
        task = progress.add_task("", total=None, sent=0, failed=0)
        while True:
            # A fresh session each pass: the counts another process (the sender) commits.
            with db.reading() as session:
                run = session.get(BroadcastRun, run_id)
                counts = run_counts(session, run_id=run_id)
            status = run.status if run is not None else RunStatus.CANCELLED.value
            progress.update(
                task,
                total=counts.targets,
                completed=counts.sent + counts.failed,
                sent=counts.sent,
                failed=counts.failed,
            )
            if status != RunStatus.SENDING.value:
                return status, counts
            time.sleep(1)
