"""Query plans of the questions people ask of a large history, written into docs/queries.md.

Generates the history of tests/support/history.py (a fixed seed) on SQLite and on a throwaway
PostgreSQL server, asks each question of tests/support/plans.py through the service's own
functions, and writes every statement sent with its plan (EXPLAIN QUERY PLAN on SQLite,
EXPLAIN on PostgreSQL).

    .venv/bin/python bench/plans.py                    # 50,000 reports, both engines
    .venv/bin/python bench/plans.py --reports 200000 --out /tmp/queries.md
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import ROOT  # puts the repository on sys.path

from core.db import Database
from migrations.runner import upgrade_to_head
from tests.support.history import History, describe, generate
from tests.support.plans import QUESTIONS, explain, uses
from tests.support.postgres import PostgresServer

HEADER = """# Query plans

What the database does for each question people ask of a large history, on both engines:
every statement the service sends for it, and the plan the engine chose. Written by
`bench/plans.py` ({command}) over a generated history of {history}
(tests/support/history.py, a fixed seed), after ANALYZE (and VACUUM on PostgreSQL). `tests/domain/test_query_plans.py`
checks on both engines that each plan names the index made for it.

The indexes (domain/reports/models.py, migrations 0009 to 0011):

| Index | Columns | For |
|---|---|---|
| `ix_reports_area_id_id` | area_id, id | the reports of an area and its descendants, newest first |
| `ix_reports_status_id` | status, id | the reports of one status, newest first |
| `ix_reports_category_created_at` | category, created_at | a category over a period |
| `ix_reports_area_figures` | area_id, created_at, claim_minutes, resolve_minutes | statistics of an area: the reports at the ends of a period, and the median times read from the index alone |
| `ix_reports_status_area` | status, area_id | the open reports of an area |
| `ix_reports_open_queue` | urgent, created_at, id, where open | `/queue`'s page: the open reports walked in queue order until the page is full |
| `ix_reports_status_closed_at` | status, closed_at, area_id | reports resolved in a period (the chart's ends of months) |
| `ix_reports_claim_overdue` | status, claim_due_at, where not escalated | the overdue sweep, claim deadlines |
| `ix_reports_resolve_overdue` | status, resolve_due_at, where not escalated | the overdue sweep, resolve deadlines |
| `ix_reports_created_at_figures` | created_at, area_id, category, status, claim_minutes, resolve_minutes | the reports of many areas at the ends of a period (statistics of a province, the chart's ends of months), read from the index alone |
| `report_daily_counts` primary key | area_id, day, category, status | statistics and the chart over the days at the ends of whole months, from the asked area's own rows |
| `report_month_counts` primary key | area_id, scope, month, category, status | statistics and the chart over whole UTC months, from the asked area's own rows |
| `report_area_totals` primary key | area_id, day | the list of areas: each area's running total of its own reports, two rows per area for any period |
| `report_minute_counts` primary key | area_id, unit, kind, start, bucket | the median times, from the asked area's buckets by month and day |
| `report_open_counts` primary key | area_id, status | how many reports are open in an area (`/queue`) |

The count tables (daily, month, minute counts and running totals) are WITHOUT ROWID tables on
SQLite: their rows live in their key's order. On PostgreSQL, whose tables keep rows in the
order they were written, their primary keys INCLUDE the counts (migration 0011), so that each
is read by an index-only scan of a run of the key's pages.

An area filter reads the ids of the area and those below it as a subquery (by
`ix_areas_parent_id`). Statistics add whole UTC months up from the asked area's rows of
`report_month_counts`, the days left at their ends from its rows of `report_daily_counts`,
take each area's own reports of the whole days as the difference of two rows of
`report_area_totals`, and read the reports of the two partial days at the ends of a period
by `ix_reports_area_figures` (an area with few below it) or `ix_reports_created_at_figures`
(more than 50 areas, or everywhere); the median times walk the buckets of
`report_minute_counts` (docs/architecture.md). Where a plan names another index than the one made for the
question, the planner judged it cheaper at this size, and the section says which.
"""


def section(title: str, db: Database, history: History) -> list[str]:
    """The plans of every question on one engine, as Markdown."""
    lines = [f"## {title}", ""]
    for question in QUESTIONS:
        explained = explain(db, question, history)
        lines += [f"### {question.title}", ""]
        shown = explained[: len(question.indexes)]
        for number, (index, step) in enumerate(zip(question.indexes, shown, strict=True), start=1):
            used = "uses" if uses(step.plan, index) else "DOES NOT USE"
            names = " or ".join(f"`{name}`" for name in index.split("|"))
            lines += [f"{number}. {used} {names}", ""]
            lines += [
                "   ```sql",
                *("   " + line for line in step.sql.strip().splitlines()),
                "   ```",
                "",
            ]
            lines += ["   ```", *("   " + line for line in step.plan), "   ```", ""]
        if len(explained) > len(question.indexes):
            lines += [
                f"… and {len(explained) - len(question.indexes)} more statements like these, "
                f"each with the same plan.",
                "",
            ]
    return lines


def plans_of(url: str, reports: int, title: str) -> tuple[str, list[str]]:
    """Generate the history on a database and explain every question."""
    db = Database(url)
    try:
        upgrade_to_head(db)
        history = generate(db, reports=reports)
        return describe(history), section(title, db, history)
    finally:
        db.dispose()


def main() -> None:
    """Write docs/queries.md (or --out) from both engines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "queries.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        described, sqlite_lines = plans_of(
            f"sqlite:///{workdir}/plans.db", args.reports, "SQLite (EXPLAIN QUERY PLAN)"
        )
        with PostgresServer.start(Path(workdir) / "pg") as server:
            server.create_database("plans")
            _, postgres_lines = plans_of(server.url("plans"), args.reports, "PostgreSQL (EXPLAIN)")
    command = f"`.venv/bin/python bench/plans.py --reports {args.reports}`"
    text = HEADER.format(command=command, history=described)
    args.out.write_text("\n".join([text, *sqlite_lines, *postgres_lines]).rstrip() + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
