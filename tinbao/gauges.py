"""The gauges read at each scrape: the background tasks' records, and the queues in the database."""

from __future__ import annotations

from collections.abc import Sequence

from broadcasts.service import delivery_counts
from core.db import Database
from core.metrics import Reading
from core.supervision import Supervisor
from domain.inbox.service import count_by_status, waiting
from domain.outbox.delivery import due_summary
from domain.outbox.service import outbox_counts
from domain.reports.queries import unrouted_count


def task_readings(supervisor: Supervisor, *, leads: bool) -> list[Reading]:
    """Each task's last pass age, restarts and failures in a row, and whether this process leads."""
    tasks = supervisor.tasks.values()
    return [
        Reading(
            "tinbao_task_last_pass_age_seconds",
            "Seconds since each background task's last good pass",
            ("task",),
            {(t.name,): t.age() for t in tasks},
        ),
        Reading(
            "tinbao_task_restarts",
            "Times each background task was started again after it failed or ended",
            ("task",),
            {(t.name,): t.restarts for t in tasks},
            counter=True,
        ),
        Reading(
            "tinbao_task_failures_in_a_row",
            "Failed passes of each background task since its last good one",
            ("task",),
            {(t.name,): t.failures for t in tasks},
        ),
        Reading("tinbao_leader", "1 while this process leads", (), {(): int(leads)}),
    ]


def queue_readings(db: Database, *, channels: Sequence[str]) -> list[Reading]:
    """What waits in the inbox and the outbox, and for how long; the unrouted reports."""
    waiting_count, waiting_age = waiting(db)
    due_count, due_age = due_summary(db, channels=channels)
    return [
        Reading("tinbao_inbox_waiting", "Stored updates due for handling", (), {(): waiting_count}),
        Reading(
            "tinbao_inbox_oldest_waiting_seconds",
            "Age of the oldest stored update due for handling",
            (),
            {(): waiting_age},
        ),
        Reading("tinbao_outbox_due", "Outbox rows due for sending", (), {(): due_count}),
        Reading(
            "tinbao_outbox_oldest_due_seconds",
            "How long the oldest due outbox row has been due",
            (),
            {(): due_age},
        ),
        Reading(
            "tinbao_inbox_rows",
            "Inbox rows by channel and state",
            ("channel", "status"),
            count_by_status(db),
        ),
        Reading(
            "tinbao_outbox_rows",
            "Outbox rows by lane and state",
            ("lane", "status"),
            outbox_counts(db),
        ),
        Reading(
            "tinbao_broadcast_deliveries",
            "Deliveries of the broadcast runs under way, by channel and state",
            ("channel", "status"),
            delivery_counts(db),
        ),
        Reading(
            "tinbao_reports_unrouted",
            "Reports that no triage chat covers",
            (),
            {(): unrouted_count(db)},
        ),
    ]
