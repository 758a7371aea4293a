"""Filings at once on PostgreSQL: do they wait on the rows of the counts kept above the ward?

Every report filed adds to counts in its transaction (domain/reports/figures.py's flush
listener): the open counts of its area, every area above it and everywhere
(domain/reports/open_counts.py), the month and minute counts likewise, the daily counts of
its own area. Two filings in different wards of one province update the same province and
"everywhere" rows, and the second waits for the first's commit.

This files reports with the service's own `file_report`, each in its own transaction, from
1, 4 (an inbox worker's slots) and 8 threads (two processes' worth) for a few seconds each,
into random hamlets of 20 wards of one province, on a durable PostgreSQL. Meanwhile a
separate connection samples pg_stat_activity every 5 ms: a filing seen waiting on a lock is
put down to the table its statement names. Reported: filings a second, the latency of one
filing (flush to commit), and the share of the filings' time spent waiting, by table.

    .venv/bin/python bench/hot_rows.py
    .venv/bin/python bench/hot_rows.py --threads 1,4,8,16 --seconds 10
    .venv/bin/python bench/hot_rows.py --processes --threads 1,2,4   # no GIL shared
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
from _common import ROOT, machine, table, write_results

import domain.models  # noqa: F401  (every table on the metadata, as in the service)
from core.db import Database
from domain.areas.models import AreaKind
from domain.reports.models import Category, Source
from domain.reports.service import NewReport, file_report
from migrations.runner import upgrade_to_head
from tests.factories import make_area

WARDS, HAMLETS = 20, 5
TABLE = re.compile(r"(?:INSERT INTO|UPDATE)\s+(\w+)", re.I)


def prepare(db: Database) -> list[int]:
    """A province of 20 wards of 5 hamlets; the hamlets' ids."""
    hamlets = []
    with db.session() as session:
        province = make_area(session, code="P", name="Tỉnh", kind=AreaKind.PROVINCE)
        for w in range(WARDS):
            ward = make_area(session, code=f"P-{w}", name=f"Phường {w}", parent=province)
            for h in range(HAMLETS):
                hamlet = make_area(
                    session, code=f"P-{w}-{h}", name=f"Tổ {h}", kind=AreaKind.HAMLET, parent=ward
                )
                assert hamlet.id is not None
                hamlets.append(hamlet.id)
    return hamlets


def filer(db: Database, hamlets: list[int], until: float, seed: int, out: list[float]) -> None:
    """File reports one transaction each until `until`; each filing's milliseconds."""
    rng = random.Random(seed)
    categories = [c.value for c in Category]
    while time.monotonic() < until:
        new = NewReport(
            category=rng.choice(categories),
            channel="telegram",
            source=Source.GROUP,
            reporter_id=None,
            area_id=rng.choice(hamlets),
            text="Có người lạ đi xe máy không biển số, đứng trước ngõ.",
            anonymous=True,
            urgent=False,
            locale="vi",
        )
        began = time.perf_counter()
        with db.session() as session:
            file_report(session, new=new, actor="bench", chat=None)
        out.append((time.perf_counter() - began) * 1000)


class Waits(threading.Thread):
    """Samples the filings' sessions: how often each is running, or waiting on a lock and where."""

    def __init__(self, conninfo: str) -> None:
        super().__init__(daemon=True)
        self.conninfo = conninfo
        self.samples = 0
        self.busy = 0  # filing sessions seen inside a transaction, all samples together
        self.waiting: Counter[str] = Counter()
        self._done = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while not self._done.is_set():
                rows = conn.execute(
                    "SELECT state, wait_event_type, query FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend'"
                ).fetchall()
                self.samples += 1
                for state, wait_type, query in rows:
                    if state not in ("active", "idle in transaction"):
                        continue
                    self.busy += 1
                    if wait_type == "Lock":
                        found = TABLE.search(query or "")
                        self.waiting[found.group(1) if found else "other"] += 1
                self._done.wait(0.005)

    def stop(self) -> None:
        """Stop sampling."""
        self._done.set()
        self.join()


def measure(
    db: Database,
    conninfo: str,
    hamlets: list[int],
    threads: int,
    seconds: float,
    *,
    processes: bool,
    workdir: Path,
) -> dict[str, Any]:
    """File from `threads` threads (or processes) for `seconds`; rate, latency and lock waits."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    waits = Waits(conninfo)
    waits.start()
    began = time.monotonic()
    if processes:  # each its own Python: no GIL shared, as several `tinbao serve` would be
        outs = [workdir / f"filer-{n}.json" for n in range(threads)]
        children = [
            subprocess.Popen(
                [sys.executable, __file__, "--file", db.engine.url.render_as_string(False),
                 "--hamlets", ",".join(map(str, hamlets)), "--seconds", str(seconds),
                 "--seed", str(n), "--to", str(outs[n])]
            )
            for n in range(threads)
        ]  # fmt: skip
        for child in children:
            child.wait()
        latencies = [json.loads(out.read_text()) for out in outs]
    else:
        until = time.monotonic() + seconds
        workers = [
            threading.Thread(target=filer, args=(db, hamlets, until, n, latencies[n]))
            for n in range(threads)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    window = seconds if processes else time.monotonic() - began  # a child's start not counted
    waits.stop()
    every = sorted(ms for part in latencies for ms in part)
    busy = max(1, waits.busy)
    return {
        "threads": threads,
        "in": "processes" if processes else "threads",
        "filings": len(every),
        "per_s": round(len(every) / window, 1),
        "p50_ms": round(statistics.median(every), 1),
        "p99_ms": round(every[min(len(every) - 1, round(0.99 * (len(every) - 1)))], 1),
        "samples": waits.samples,
        "waiting_share_pct": round(100 * sum(waits.waiting.values()) / busy, 1),
        "waiting_by_table_pct": {
            name: round(100 * n / busy, 1) for name, n in waits.waiting.most_common()
        },
    }  # fmt: skip


def main() -> None:
    """Start PostgreSQL, prepare the areas, measure each number of threads, report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", default="1,4,8")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--processes", action="store_true", help="file from processes instead of threads"
    )
    parser.add_argument("--out", type=Path)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--hamlets", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.file:  # one filing process: its filings' milliseconds, as JSON
        db = Database(args.file)
        done: list[float] = []
        hamlets = [int(n) for n in args.hamlets.split(",")]
        filer(db, hamlets, time.monotonic() + args.seconds, args.seed, done)
        db.dispose()
        args.to.write_text(json.dumps(done))
        return
    from _postgres import start_postgres

    results: dict[str, Any] = {"machine": machine(), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        server = start_postgres(Path(tmp) / "pg", durable=True)
        try:
            server.create_database("hot")
            db = Database(server.url("hot"))
            upgrade_to_head(db)
            hamlets = prepare(db)
            for round_no in range(1, args.rounds + 1):
                for threads in (int(n) for n in args.threads.split(",")):
                    run = measure(
                        db, server.conninfo("hot"), hamlets, threads, args.seconds,
                        processes=args.processes, workdir=Path(tmp),
                    )  # fmt: skip
                    run["round"] = round_no
                    print(run, flush=True)
                    results["runs"].append(run)
            db.dispose()
        finally:
            server.stop()
    print(
        table(
            ["round", "filers", "filings/s", "p50 ms", "p99 ms", "waiting on a lock %",
             "by table %"],
            [[r["round"], f"{r['threads']} {r['in']}", r["per_s"], r["p50_ms"], r["p99_ms"],
              r["waiting_share_pct"],
              " ".join(f"{k}:{v}" for k, v in r["waiting_by_table_pct"].items()) or "-"]
             for r in results["runs"]],
        )
    )  # fmt: skip
    path = write_results("hot-rows", results, args.out)
    print(f"results: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
