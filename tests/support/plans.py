"""The questions people ask of a large history, the SQL the service sends for each, and its plan.

Each question calls the service's own function; the statements it sends are recorded and
explained (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL) with their parameters.
bench/plans.py writes them into docs/queries.md; tests/domain/test_query_plans.py checks that
each uses the index it was made for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlmodel import Session

from core.db import Database
from core.settings import Settings
from domain.reports.chart import monthly_counts
from domain.reports.deadlines import overdue_reports
from domain.reports.queries import ReportFilter, list_reports
from domain.reports.queue import open_page
from domain.reports.service import get_report
from domain.reports.stats import report_stats
from tests.support.history import NOW, History, code_of

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# The daily counts' primary key, as each engine names it.
DAILY = "pk_report_daily_counts|report_daily_counts USING PRIMARY KEY"
# The minute counts' and the open counts' primary keys, as each engine names them.
MINUTES = "pk_report_minute_counts|report_minute_counts USING PRIMARY KEY"
OPEN_COUNTS = "pk_report_open_counts|sqlite_autoindex_report_open_counts_1"
MONTHS_PK = "pk_report_month_counts|report_month_counts USING PRIMARY KEY"
TOTALS = "pk_report_area_totals|report_area_totals USING PRIMARY KEY"
# Reports by when they were filed, with what statistics read of them.
BY_TIME = "ix_reports_created_at_figures"
# An area's reports: by (area_id, id), or by the figures index that also leads with the area.
AREA = "ix_reports_area_id_id|ix_reports_area_figures"


@dataclass(frozen=True)
class Question:
    """A question, the service's call that answers it, and the index each statement should use."""

    title: str
    ask: Callable[[Session, History], object]
    # For each statement sent on the reports, in order: the index its plan must name
    # (alternatives separated by "|"); statements past the last repeat the ones before.
    indexes: tuple[str, ...]


@dataclass(frozen=True)
class Explained:
    """One statement a question sent, with its plan."""

    sql: str
    plan: list[str]


def _list(where: Callable[[History], ReportFilter], *, deep: bool = False) -> Any:
    def ask(session: Session, history: History) -> object:
        before = history.reports // 2 if deep else None
        return list_reports(session, where=where(history), before_id=before, limit=51)

    return ask


def _stats(area: Callable[[History], str | None], days: int) -> Any:
    def ask(session: Session, history: History) -> object:
        code = area(history)
        area_id = history.area_ids[code] if code else None
        return report_stats(session, area_id=area_id, since=NOW - timedelta(days=days), until=NOW)

    return ask


def _ward(history: History) -> str:
    return history.wards[0]


QUESTIONS = [
    Question(
        "The reports of a quiet hamlet, newest first",
        _list(lambda h: ReportFilter(area_id=h.area_ids[h.quiet_hamlet])),
        (AREA,),
    ),
    Question(
        "The reports of a ward and its hamlets, newest first",
        _list(lambda h: ReportFilter(area_id=h.area_ids[_ward(h)])),
        (AREA,),
    ),
    Question(
        "The reports of the province, newest first",
        _list(lambda h: ReportFilter(area_id=h.area_ids[h.province])),
        # Its 2,100 areas hold nearly every report: the newest are walked until 51 are its own.
        ("SCAN reports|Index Scan Backward using pk_reports",),
    ),
    Question(
        "One category over the last 30 days",
        _list(lambda h: ReportFilter(category="fire", since=NOW - timedelta(days=30))),
        ("ix_reports_category_created_at",),
    ),
    Question(
        "One status (duplicate), newest first",
        _list(lambda h: ReportFilter(status="duplicate")),
        # PostgreSQL may walk the primary key backward instead: one report in twenty is a
        # duplicate, so a page is found within about a thousand of the newest.
        ("ix_reports_status_id|Index Scan Backward using pk_reports",),
    ),
    Question(
        "A deep page of every report (keyset cursor)",
        _list(lambda h: ReportFilter(), deep=True),
        ("PRIMARY KEY|pk_reports",),
    ),
    Question(
        "A report by its code",
        lambda session, h: get_report(session, code=code_of(h.reports // 3)),
        ("sqlite_autoindex_reports_1|uq_reports_code",),
    ),
    Question(
        "/queue for the province: how many are open (kept counts), then a page",
        lambda session, h: open_page(session, area_id=h.area_ids[h.province], page=1),
        (OPEN_COUNTS, "ix_reports_open_queue"),
    ),
    Question(
        "The overdue sweep",
        lambda session, h: overdue_reports(session, settings=Settings(), now=NOW),
        ("ix_reports_claim_overdue", "ix_reports_resolve_overdue"),
    ),
    Question(
        "Statistics of a ward over 30 days",
        _stats(_ward, 30),
        # The whole days: the ward's daily counts, its areas' running totals, its minute
        # counts; then its reports at the period's ends, by area (PostgreSQL may find them by
        # time).
        (DAILY, TOTALS, MINUTES, AREA + "|" + BY_TIME),
    ),
    Question(
        "Statistics of the province over two years",
        _stats(lambda h: h.province, 730),
        # The whole days: the province's own month and daily counts, its areas' running
        # totals, its minute counts; then its reports at the period's ends, by time (2,000
        # areas).
        (MONTHS_PK, TOTALS, MINUTES, BY_TIME),
    ),
    Question(
        "The 12-month chart of the province",
        lambda session, h: monthly_counts(
            session, area_id=h.area_ids[h.province], months=12, until=NOW, zone=ZONE
        ),
        (
            # Its months from the province's month counts, the days outside them taken back.
            MONTHS_PK,
            DAILY,
            BY_TIME,
            "ix_reports_status_closed_at",
        ),
    ),
]


@contextmanager
def recording(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """The statements sent on the database's engine while inside, with their parameters."""
    sent: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if not statement.lstrip().upper().startswith(("PRAGMA", "BEGIN", "SET", "SHOW")):
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def explain(db: Database, question: Question, history: History) -> list[Explained]:
    """Ask the question, then explain every statement it sent."""
    with recording(db) as sent, db.reading() as session:
        question.ask(session, history)
    # The areas below an area are read first, by their parent index: not the question.
    sent = [(sql, params) for sql, params in sent if "report" in sql]
    out = []
    with db.engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        for statement, parameters in sent:
            if db.is_sqlite:
                cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
                plan = [row[3] for row in cursor.fetchall()]
            else:
                cursor.execute(f"EXPLAIN {statement}", parameters)
                plan = [row[0] for row in cursor.fetchall()]
            out.append(Explained(sql=statement, plan=plan))
        cursor.close()
        connection.rollback()
    return out


def uses(plan: list[str], index: str) -> bool:
    """Whether a plan names one of the `|`-separated indexes."""
    text = "\n".join(plan)
    return any(name in text for name in index.split("|"))
