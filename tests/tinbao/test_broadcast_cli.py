"""`tinbao broadcast` as an operator runs it: create, preview, list, show, follow and control."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlmodel import col

from broadcasts.models import Broadcast, BroadcastRun
from broadcasts.runs import advance_broadcasts
from core.db import Database
from core.settings import Settings
from domain.areas.models import AreaKind
from domain.outbox.models import OutboxMessage, OutboxStatus
from tests.factories import make_area, make_group
from tests.harness import make_settings
from tests.support.broadcast_history import add_weekly_history

TINBAO = str(Path(sys.executable).with_name("tinbao"))
TEXT = "Cảnh giác [lừa đảo] qua điện thoại: công an không gọi để đòi tiền. Gọi 113."


@dataclass
class Ward:
    """A ward with three community groups (two on Telegram, one on Zalo) and a triage group."""

    db: Database
    settings: Settings
    env: dict[str, str]
    folder: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The command, with only this ward's TINBAO_* settings."""
        return subprocess.run(
            [TINBAO, *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """The command, left running."""
        return subprocess.Popen(
            [TINBAO, *args],
            cwd=self.folder,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def create(self, *args: str) -> int:
        """A broadcast to the ward an hour from now, or with other options; its id."""
        result = self.run("broadcast", "create", *(args or (*ONCE, "--text", TEXT)))
        assert result.returncode == 0, result.stderr
        return int(result.stdout.splitlines()[0])

    def broadcasts(self) -> int:
        """How many broadcasts are saved."""
        with self.db.reading() as session:
            return int(session.scalar(select(func.count()).select_from(Broadcast)) or 0)

    def start_run(self, broadcast_id: int) -> int:
        """Let the leader start the broadcast's run (its time come); the run's id."""
        with self.db.reading() as session:
            broadcast = session.get(Broadcast, broadcast_id)
            assert broadcast is not None and broadcast.next_run_at is not None
            due = broadcast.next_run_at
        advance_broadcasts(self.db, settings=self.settings, now=due + timedelta(minutes=1))
        with self.db.reading() as session:
            run_id = session.scalar(
                select(col(BroadcastRun.id)).where(col(BroadcastRun.broadcast_id) == broadcast_id)
            )
        assert run_id is not None
        return int(run_id)

    def finish_run(self, run_id: int, *, failed: int) -> None:
        """The sender's outcomes: the first `failed` deliveries failed, the rest sent; the
        leader's next pass then finishes the run."""
        with self.db.session() as session:
            ids = list(
                session.scalars(
                    select(col(OutboxMessage.id))
                    .where(col(OutboxMessage.run_id) == run_id)
                    .order_by(col(OutboxMessage.id))
                )
            )
            for n, row_id in enumerate(ids):
                session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id) == row_id)
                    .values(
                        status=(OutboxStatus.FAILED if n < failed else OutboxStatus.SENT).value,
                        finished_at=func.now(),
                        error="Forbidden: bot was kicked" if n < failed else None,
                    )
                )
            run = session.get(BroadcastRun, run_id)
            assert run is not None
            due = run.due_at
        advance_broadcasts(self.db, settings=self.settings, now=due + timedelta(minutes=2))


def in_an_hour() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds")


ONCE = ("--area", "HN-TOHIEU", "--at", in_an_hour())


@pytest.fixture
def ward(database_url: str, tmp_path: Path) -> Iterator[Ward]:
    db = Database(database_url)
    with db.session() as session:
        province = make_area(session, code="HN", name="Hà Nội", kind=AreaKind.PROVINCE)
        to_hieu = make_area(session, code="HN-TOHIEU", name="Tô Hiệu", parent=province)
        hamlet = make_area(
            session, code="HN-TOHIEU-5", name="Tổ dân phố 5", kind=AreaKind.HAMLET, parent=to_hieu
        )
        make_group(session, area=to_hieu, chat_id="-1001")
        make_group(session, area=hamlet, chat_id="-1002")
        make_group(session, area=hamlet, chat_id="zg-5", channel="zalo")
        make_group(session, area=to_hieu, chat_id="-1009", role="triage")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TINBAO_")}
    env = clean | {
        "TINBAO_DATABASE_URL": database_url,
        "TINBAO_SECRET_KEY": "test-secret-key-0123456789",
        "TINBAO_QUIET_HOURS": "",
        "COLUMNS": "200",
    }
    settings = make_settings(database_url, tmp_path, quiet_hours="")
    yield Ward(db=db, settings=settings, env=env, folder=tmp_path)
    db.dispose()


def test_broadcast_help_describes_every_subcommand(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([TINBAO, *args], cwd=tmp_path, capture_output=True, text=True)

    top = run("broadcast", "--help")
    assert top.returncode == 0
    for command in ("create", "preview", "list", "show", "pause", "resume", "cancel", "retry"):
        assert command in top.stdout
        assert run("broadcast", command, "--help").returncode == 0
    assert "--follow" in run("broadcast", "show", "--help").stdout
    assert "broadcast" in run("--help").stdout


def test_broadcast_create_appears_in_list_and_show(ward: Ward) -> None:
    result = ward.run("broadcast", "create", *ONCE, "--text", TEXT)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert re.fullmatch(r"\d+", first)
    assert "3 group(s)" in result.stderr and "Asia/Ho_Chi_Minh" in result.stderr
    listing = ward.run("broadcast", "list")
    assert listing.returncode == 0
    row = next(line for line in listing.stdout.splitlines() if line.strip().startswith(first))
    assert "scheduled" in row and "Cảnh giác [lừa đảo]" in row
    shown = ward.run("broadcast", "show", first)
    assert shown.returncode == 0
    assert f"Broadcast {first}: scheduled" in shown.stdout
    assert TEXT in shown.stdout and "Areas: HN-TOHIEU" in shown.stdout
    assert "No run yet." in shown.stdout
    with ward.db.reading() as session:
        broadcast = session.get(Broadcast, int(first))
        assert broadcast is not None and broadcast.created_by.startswith("cli")


def test_broadcast_create_reads_a_time_without_offset_in_the_local_zone(ward: Ward) -> None:
    broadcast_id = ward.create(
        "--area", "HN-TOHIEU", "--at", "2099-08-19 08:00", "--text", TEXT, "--urgent"
    )
    with ward.db.reading() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None and broadcast.send_at is not None
        assert broadcast.send_at == datetime(2099, 8, 19, 1, 0, tzinfo=UTC)
        assert broadcast.urgent


def test_broadcast_create_sends_a_library_message(ward: Ward) -> None:
    broadcast_id = ward.create(*ONCE, "--content", "scam-fake-police")
    shown = ward.run("broadcast", "show", str(broadcast_id)).stdout
    assert "Library message: scam-fake-police" in shown
    assert "113" in shown  # its words, which end with whom to call


def test_broadcast_preview_shows_text_groups_and_times_and_saves_nothing(ward: Ward) -> None:
    result = ward.run(
        "broadcast", "preview", "--area", "HN-TOHIEU", "--cron", "0 8 19 8 *", "--text", TEXT
    )
    assert result.returncode == 0, result.stderr
    assert TEXT in result.stdout.splitlines()
    assert "Groups: 3" in result.stdout
    rows = {" ".join(line.split()) for line in result.stdout.splitlines()}
    assert "HN-TOHIEU Tô Hiệu telegram 2" in rows and "HN-TOHIEU Tô Hiệu zalo 1" in rows
    assert re.search(
        r"First send: \d{4}-08-19 08:00 Asia/Ho_Chi_Minh \(\S+T08:00:00\+07:00\)", result.stdout
    )
    assert "Fan-out:" in result.stdout
    assert "Nothing was saved." in result.stderr
    assert ward.broadcasts() == 0


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--area", "NOPE", "--at", in_an_hour(), "--text", TEXT], "unknown area: NOPE"),
        (["--area", "HN-TOHIEU", "--cron", "0 0 8 * * 1", "--text", TEXT], "5 fields"),
        (["--area", "HN-TOHIEU", "--at", "2020-01-01T08:00+07:00", "--text", TEXT], "in the past"),
        (["--area", "HN-TOHIEU", "--at", "tomorrow", "--text", TEXT], "cannot read 'tomorrow'"),
        ([*ONCE, "--text", "   "], "the text is empty"),
        ([*ONCE, "--text", "x" * 2001], "at most 2000"),
        ([*ONCE, "--text", "x" * 4097, "--channel", "telegram"], "at most 4096"),
        ([*ONCE, "--text", TEXT, "--content", "fire-114"], "either --text or --content"),
        ([*ONCE], "either --text or --content"),
        ([*ONCE, "--content", "no-such-message"], "unknown content id"),
        ([*ONCE, "--cron", "0 8 * * 1", "--text", TEXT], "either --at (once) or --cron"),
        (["--area", "HN-TOHIEU", "--text", TEXT], "either --at (once) or --cron"),
        ([*ONCE, "--all", "--text", TEXT], "either --area or --all, not both"),
        (["--at", in_an_hour(), "--text", TEXT], "at least one --area, or --all"),
        ([*ONCE, "--text", TEXT, "--channel", "sms"], "unknown channel 'sms'"),
    ],
)
def test_broadcast_create_refuses_bad_input_in_one_line_and_saves_nothing(
    ward: Ward, args: list[str], reason: str
) -> None:
    result = ward.run("broadcast", "create", *args)
    assert result.returncode != 0
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("tinbao: ") and reason in result.stderr
    assert ward.broadcasts() == 0


def test_broadcast_preview_refuses_bad_input_as_create_does(ward: Ward) -> None:
    unknown = ward.run(
        "broadcast", "preview", "--area", "NOPE", "--cron", "0 8 * * 1", "--text", TEXT
    )
    assert (unknown.returncode, unknown.stderr) == (2, "tinbao: unknown area: NOPE\n")
    both = ward.run("broadcast", "preview", *ONCE, "--all", "--text", TEXT)
    assert both.returncode == 2 and "either --area or --all" in both.stderr


def test_broadcast_pause_resume_cancel_print_the_new_status(ward: Ward) -> None:
    broadcast_id = str(ward.create())
    steps = [("pause", "paused"), ("resume", "scheduled"), ("cancel", "cancelled")]
    for command, status in steps:
        result = ward.run("broadcast", command, broadcast_id)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"broadcast {broadcast_id}: {status}"
    again = ward.run("broadcast", "cancel", broadcast_id)
    assert again.returncode != 0
    assert again.stderr.strip() == "tinbao: a broadcast that is cancelled cannot be cancelled"
    timeline = ward.run("broadcast", "show", broadcast_id).stdout
    for kind in ("created", "paused", "resumed", "cancelled"):
        assert re.search(rf"{kind} by cli", timeline), timeline
    unknown = ward.run("broadcast", "pause", "999")
    assert unknown.returncode != 0 and unknown.stderr.strip() == "tinbao: no broadcast 999"
    assert ward.run("broadcast", "show", "999").stderr.strip() == "tinbao: no broadcast 999"


def test_broadcast_retry_sends_the_failed_deliveries_again_and_show_tells_why(ward: Ward) -> None:
    broadcast_id = ward.create()
    early = ward.run("broadcast", "retry", str(broadcast_id))
    assert early.returncode != 0 and "has not run yet" in early.stderr
    run_id = ward.start_run(broadcast_id)
    ward.finish_run(run_id, failed=2)
    shown = ward.run("broadcast", "show", str(broadcast_id)).stdout
    assert f"Broadcast {broadcast_id}: done" in shown
    assert "3 targets, 1 sent, 2 failed, 0 pending" in shown
    assert f"Run {run_id} failed: Forbidden: bot was kicked (2)" in shown
    result = ward.run("broadcast", "retry", str(broadcast_id))
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip()
        == f"broadcast {broadcast_id}: sending (2 failed deliveries to send again)"
    )
    with ward.db.reading() as session:
        pending = session.scalar(
            select(func.count()).where(
                col(OutboxMessage.run_id) == run_id,
                col(OutboxMessage.status) == OutboxStatus.PENDING.value,
            )
        )
    assert pending == 2


def test_broadcast_show_follow_ends_when_the_run_finishes(ward: Ward) -> None:
    broadcast_id = ward.create()
    run_id = ward.start_run(broadcast_id)
    process = ward.popen("broadcast", "show", str(broadcast_id), "--follow")
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    try:
        assert process.stderr is not None
        assert f"Following run {run_id}" in process.stderr.readline()
        ward.finish_run(run_id, failed=1)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        watchdog.cancel()
    assert process.returncode == 0, stderr
    assert f"Run {run_id} done: 3 targets, 2 sent, 1 failed, 0 pending" in stdout
    assert "failed: Forbidden: bot was kicked (1)" in stdout
    assert "3/3" in stderr  # the bar's last state


def test_broadcast_show_follow_says_when_nothing_is_sending(ward: Ward) -> None:
    broadcast_id = ward.create()
    result = ward.run("broadcast", "show", str(broadcast_id), "--follow")
    assert result.returncode == 0
    assert f"Broadcast {broadcast_id} is scheduled: nothing is sending" in result.stdout


def test_broadcast_show_follow_stops_cleanly_on_ctrl_c(ward: Ward) -> None:
    broadcast_id = ward.create()
    ward.start_run(broadcast_id)
    process = ward.popen("broadcast", "show", str(broadcast_id), "--follow")
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    try:
        assert process.stderr is not None
        assert "Following run" in process.stderr.readline()
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        watchdog.cancel()
    assert process.returncode == 0
    assert "Stopped following; the broadcast goes on." in stderr
    assert "Traceback" not in stderr


def test_broadcast_show_of_years_of_runs_lists_the_newest_and_counts_the_rest(ward: Ward) -> None:
    broadcast_id = ward.create("--area", "HN-TOHIEU", "--cron", "0 8 * * 1", "--text", TEXT)
    add_weekly_history(ward.db, broadcast_id=broadcast_id, weeks=130)
    shown = ward.run("broadcast", "show", str(broadcast_id))
    assert shown.returncode == 0, shown.stderr
    rows = [line for line in shown.stdout.splitlines() if re.match(r"\s*\d+\s+20\d\d-", line)]
    assert len(rows) == 20 and "2026-11-23 08:00" in rows[0]  # the newest Monday first
    assert f"... and 110 earlier run(s): GET /api/v1/broadcasts/{broadcast_id}/runs" in shown.stdout
    # 248 steps (written, then 117 Mondays of two and 13 missed of one): the last 60 printed.
    assert "  ... 188 earlier step(s), then the last 60:" in shown.stdout
    assert shown.stdout.count(" by system") == 60
