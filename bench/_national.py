"""National scale: the leader's pass that starts a run for 100,000 groups, in a process of its own.

The parent (bench/broadcasts.py) writes the country and the broadcasts; this child does only
what the leader does when a run falls due, one `advance_broadcasts` pass, so that its peak
resident memory (VmHWM) is that pass's and the interpreter's, not the setup's. It prints one
JSON line: seconds of the pass, CPU seconds, RSS before and peak, and what the pass did.

    python bench/_national.py DATABASE_URL NOW_ISO
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from _common import ROOT, memory_kb

SETTINGS = {"quiet_hours": ""}  # the pass is timed whatever the hour of the run


def start_run(url: str, now: datetime, workdir: Path) -> dict[str, Any]:
    """Run the pass in a child process and return what it measured."""
    done = subprocess.run(
        [sys.executable, __file__, url, now.isoformat(), str(workdir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the national pass failed:\n{done.stderr[-3000:]}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def _child(url: str, now_iso: str, workdir: str) -> None:
    from sqlalchemy import func, select
    from sqlmodel import col

    from broadcasts.models import BroadcastRun
    from broadcasts.runs import advance_broadcasts
    from core.db import Database
    from domain.outbox.models import OutboxMessage
    from tests.harness import make_settings

    settings = make_settings(url, Path(workdir), **SETTINGS)
    db = Database(url)
    with db.reading() as session:  # connected, as a leader's pool is
        before_rows = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
    rss_before = memory_kb(os.getpid())["VmRSS"]
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    done = advance_broadcasts(db, settings=settings, now=datetime.fromisoformat(now_iso))
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    peak = memory_kb(os.getpid())
    with db.reading() as session:
        run = session.scalars(select(BroadcastRun).order_by(col(BroadcastRun.id).desc())).first()
        rows = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
    db.dispose()
    print(
        json.dumps(
            {
                "pass_s": round(seconds, 3),
                "cpu_s": round(after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime, 3),
                "rss_before_mb": round(rss_before / 1024, 1),
                "peak_rss_mb": round(peak["VmHWM"] / 1024, 1),
                "runs_started": done.started,
                "run_targets": run.targets if run is not None else None,
                "run_status": run.status if run is not None else None,
                "outbox_rows_before": before_rows,
                "outbox_rows_after": rows,
            }
        )
    )


if __name__ == "__main__":
    _child(*sys.argv[1:4])
