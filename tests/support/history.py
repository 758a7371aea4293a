"""A province's history of reports, generated and bulk inserted: for query plans and benchmarks.

One province, `wards` wards of `hamlets` hamlets each, and `reports` reports over two years up
to `now`, filed mostly in hamlets (a few hamlets stay quiet), claimed, resolved, rejected or
left open as a busy police desk leaves them; about 2.8 timeline events and half a file per
report. Rows go in by multi-row statements (COPY on PostgreSQL), the daily counts and the
times to claim and resolve are filled as the service would have kept them, and the tables
analyzed (and vacuumed on PostgreSQL). A fixed seed gives the same history every time.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.db import Database
from domain.reports.figures import rebuild_counts
from domain.reports.models import Category

NOW = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
CHUNK = 5000
CATEGORIES = [c.value for c in Category]
CATEGORY_WEIGHTS = [8, 25, 15, 10, 3, 2, 15, 12, 10]
REPORT_COLUMNS = (
    "id", "code", "category", "status", "area_id", "channel", "source", "text", "anonymous",
    "urgent", "unrouted", "locale", "claimed_by", "claimed_by_name", "claimed_at", "closed_at",
    "outcome", "claim_due_at", "resolve_due_at", "reminded_at", "escalated_at",
    "claim_minutes", "resolve_minutes", "created_at", "updated_at",
)  # fmt: skip
EVENT_COLUMNS = ("report_id", "kind", "actor", "chat", "details", "at")
EVIDENCE_COLUMNS = ("report_id", "kind", "path", "mime_type", "size", "sha256", "created_at")
_CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class History:
    """What was generated: the areas' codes and ids, and how many rows of each kind."""

    province: str
    wards: list[str]
    hamlets: list[str]
    quiet_hamlet: str  # the hamlet with the fewest reports
    area_ids: dict[str, int]
    reports: int
    events: int
    evidence: int


def code_of(number: int) -> str:
    """A report code for a row number, unique, 6 characters as the service's."""
    letters = []
    for _ in range(6):
        number, digit = divmod(number, len(_CODE_LETTERS))
        letters.append(_CODE_LETTERS[digit])
    return "".join(letters)


def generate(
    db: Database, *, reports: int, wards: int = 100, hamlets: int = 20, seed: int = 14
) -> History:
    """Fill a migrated, empty database with the history; what it holds."""
    rng = random.Random(seed)
    areas, codes = _areas(wards, hamlets)
    hamlet_ids = [i for i, (code, *_rest) in enumerate(areas, start=1) if code.count("-") == 2]
    ward_ids = [i for i, (code, *_rest) in enumerate(areas, start=1) if code.count("-") == 1]
    # Busy and quiet hamlets: a heavy-tailed share of the reports each.
    weights = [rng.paretovariate(1.3) for _ in hamlet_ids]
    quiet = hamlet_ids[min(range(len(hamlet_ids)), key=weights.__getitem__)]
    counts = {"events": 0, "evidence": 0}
    with db.engine.begin() as connection:
        _insert(connection, "areas", ("id", "code", "name", "kind", "parent_id", "created_at",
                "updated_at"), [(i, *row, NOW, NOW) for i, row in enumerate(areas, start=1)])  # fmt: skip
        if connection.dialect.name != "sqlite":
            connection.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('areas', 'id'), (SELECT max(id) FROM areas))"
            )
    for start in range(1, reports + 1, CHUNK):
        rows, events, files = [], [], []
        for number in range(start, min(reports, start + CHUNK - 1) + 1):
            area = (
                rng.choices(hamlet_ids, weights)[0] if rng.random() < 0.9 else rng.choice(ward_ids)
            )
            row, timeline, evidence = _report(rng, number, area)
            rows.append(row)
            events.extend(timeline)
            files.extend(evidence)
        with db.engine.begin() as connection:
            _insert(connection, "reports", REPORT_COLUMNS, rows)
            _insert(connection, "report_events", EVENT_COLUMNS, events)
            _insert(connection, "report_evidence", EVIDENCE_COLUMNS, files)
        counts["events"] += len(events)
        counts["evidence"] += len(files)
    with db.engine.begin() as connection:
        if connection.dialect.name != "sqlite":
            connection.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('reports', 'id'), "
                "(SELECT coalesce(max(id), 1) FROM reports))"
            )
        rebuild_counts(connection)
        connection.exec_driver_sql("ANALYZE")
    if not db.is_sqlite:
        # As autovacuum would soon after: marks the pages all-visible, without which every
        # index-only scan (the counts' covering keys, the index by time) reads the table too.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM")
    return History(
        province="P",
        wards=[areas[i - 1][0] for i in ward_ids],
        hamlets=[areas[i - 1][0] for i in hamlet_ids],
        quiet_hamlet=areas[quiet - 1][0],
        area_ids=codes,
        reports=reports,
        events=counts["events"],
        evidence=counts["evidence"],
    )


def _areas(wards: int, hamlets: int) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    """(code, name, kind, parent id) of the province, its wards and their hamlets."""
    rows: list[tuple[Any, ...]] = [("P", "Tỉnh Thử", "province", None)]
    for w in range(wards):
        rows.append((f"P-W{w:03d}", f"Phường {w}", "ward", 1))
        ward_id = len(rows)
        for h in range(hamlets):
            rows.append((f"P-W{w:03d}-H{h:02d}", f"Tổ {h} phường {w}", "hamlet", ward_id))
    return rows, {row[0]: i for i, row in enumerate(rows, start=1)}


def _report(
    rng: random.Random, number: int, area: int
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """One report's row, its timeline and its files, as a desk would have left them by NOW."""
    created = NOW - SPAN * rng.random()
    category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
    officer = f"telegram:{880000 + rng.randrange(300)}"
    chat = f"telegram:-100{area}"
    timeline: list[tuple[Any, ...]] = [(number, "filed", "reporter", None, "{}", created)]
    status, claimed_at, closed_at, claim_minutes, resolve_minutes = "new", None, None, None, None
    claim_due: datetime | None = created + timedelta(hours=2)
    resolve_due: datetime | None = None
    escalated: datetime | None = None
    claim_after = timedelta(minutes=rng.expovariate(1 / 45))
    if created + claim_after < NOW and rng.random() < 0.97:
        claimed_at = created + claim_after
        claim_minutes = claim_after.total_seconds() / 60
        status, claim_due, resolve_due = "in_progress", None, claimed_at + timedelta(days=3)
        timeline.append((number, "claim", officer, chat, "{}", claimed_at))
        close_after = claim_after + timedelta(hours=rng.expovariate(1 / 30))
        ending = rng.random()
        if created + close_after < NOW and ending < 0.9:
            closed_at = created + close_after
            status = "resolved" if ending < 0.7 else "rejected" if ending < 0.85 else "duplicate"
            kind = {"resolved": "resolve", "rejected": "reject", "duplicate": "duplicate"}[status]
            timeline.append((number, kind, officer, chat, "{}", closed_at))
            resolve_due = None
            if status == "resolved":
                resolve_minutes = close_after.total_seconds() / 60
    # Old open reports were escalated long ago; a few hundred recent ones wait for the sweep.
    due = claim_due if status == "new" else resolve_due
    if due is not None and due < NOW - timedelta(days=7):
        escalated = due + timedelta(hours=1)
    files = [
        (number, "photo", f"evidence/{number}-{n}.jpg", "image/jpeg", 120_000, f"{number:064x}",
         created)
        for n in range(2 if rng.random() < 0.2 else 1 if rng.random() < 0.375 else 0)
    ]  # fmt: skip
    row = (
        number, code_of(number), category, status, area, "telegram", "private",
        "Có người lạ cạy khóa xe máy", True, rng.random() < 0.05, False, "vi",
        officer if claimed_at else None, "Cán bộ" if claimed_at else None,
        claimed_at if status == "in_progress" else None, closed_at,
        "Đã xử lý" if closed_at else None, claim_due, resolve_due, escalated, escalated,
        claim_minutes, resolve_minutes, created, closed_at or claimed_at or created,
    )  # fmt: skip
    return row, timeline, files


def _insert(
    connection: Any, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Many rows at once: executemany on SQLite, COPY on PostgreSQL."""
    if not rows:
        return
    raw = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in columns)
        raw.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
            [tuple(_sqlite(v) for v in row) for row in rows],
        )
        return
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _sqlite(value: Any) -> Any:
    """A value as the service stores it in SQLite: times as naive UTC text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def describe(history: History) -> str:
    """The history in one line, for the benchmark's output."""
    return (
        f"{history.reports:,} reports, {history.events:,} events, {history.evidence:,} files "
        f"in {len(history.wards)} wards and {len(history.hamlets)} hamlets"
    )
