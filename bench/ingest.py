"""Durable ingest: how many webhook updates per second Tinbao stores, against a bare FastAPI app.

Each trial starts a fresh server process on a loopback port, warms it up, drives it with wrk
(bench/webhook.lua: unique, realistic Telegram or Zalo updates) and, for Tinbao, counts the
inbox rows it stored and samples its memory. The bare app and Tinbao run alternately, round
after round, so that both see the same noise; the medians are compared.

    .venv/bin/python bench/ingest.py                 # SQLite, Telegram and Zalo, 2 rounds
    .venv/bin/python bench/ingest.py --postgres      # PostgreSQL too (durable commits)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _profile
from _common import (
    RESULTS,
    ROOT,
    VENV_BIN,
    cpu_times,
    free_port,
    machine,
    memory_kb,
    process_cpu_seconds,
    table,
    verdict,
    write_results,
)

from tests.fakes import FakeTelegram, FakeZalo

LUA = ROOT / "bench" / "webhook.lua"
TINBAO = VENV_BIN / "tinbao"
TELEGRAM_TOKEN = "123456:BENCH-telegram-token"
ZALO_TOKEN = "bench-zalo-token"
SECRETS = {"telegram": "bench-telegram-secret_0123", "zalo": "bench-zalo-secret_0123"}
SECRET_KEY = "bench-secret-key-0123456789abcdef"
TARGETS = {"ratio": 0.5, "p99_ms": 30.0, "non_2xx": 0, "rss_mb": 150.0}


@dataclass
class Trial:
    """One wrk run against one freshly started server."""

    target: str  # bare | sqlite | postgresql
    channel: str
    round: int
    wrk: dict[str, Any] = field(default_factory=dict)
    stored: int | None = None
    pending_after: int | None = None
    handled: int | None = None  # updates the inbox workers finished during the measured run
    probes: list[dict[str, Any]] = field(default_factory=list)  # shorter runs after it
    loadavg: float = 0.0  # the machine's 1-minute load average after the measured run
    rss_peak_kb: int = 0
    hwm_kb: int = 0
    cpu_s: float = 0.0
    steal_pct: float = 0.0
    errors_logged: int = 0
    exit_code: int | None = None

    @property
    def seconds(self) -> float:
        """How long wrk ran."""
        return float(self.wrk["duration_us"]) / 1e6

    @property
    def ok_2xx(self) -> int:
        """Answers with a 2xx status (wrk counts other statuses as status errors)."""
        return int(self.wrk["requests"]) - int(self.wrk["errors"]["status"])

    @property
    def rps(self) -> float:
        """2xx answers per second: for Tinbao, updates durably stored per second."""
        return self.ok_2xx / self.seconds

    def probe_p99_ms(self, connections: int) -> float:
        """The p99 of the shorter run with this many connections."""
        probe = next(p for p in self.probes if p["connections"] == connections)
        return float(probe["latency_us"]["p99"]) / 1000

    def probe_rps(self, connections: int) -> float:
        """2xx answers per second in the shorter run with this many connections."""
        probe = next(p for p in self.probes if p["connections"] == connections)
        ok = int(probe["requests"]) - int(probe["errors"]["status"])
        return ok / (float(probe["duration_us"]) / 1e6)

    @property
    def socket_errors(self) -> int:
        """Connect, read, write errors and timeouts (requests that got no answer at all)."""
        errors = self.wrk["errors"]
        return sum(int(errors[k]) for k in ("connect", "read", "write", "timeout"))

    def summary(self) -> dict[str, Any]:
        """The trial as JSON."""
        return {
            "target": self.target,
            "channel": self.channel,
            "round": self.round,
            "requests_per_s_2xx": round(self.rps, 1),
            "answered_2xx": self.ok_2xx,
            "non_2xx": int(self.wrk["errors"]["status"]),
            "socket_errors": self.socket_errors,
            "sent": int(self.wrk["sent"]),
            "stored_rows": self.stored,
            "pending_after": self.pending_after,
            "handled_during_run": self.handled,
            "p50_ms": self.wrk["latency_us"]["p50"] / 1000,
            "p99_ms": self.wrk["latency_us"]["p99"] / 1000,
            "max_ms": self.wrk["latency_us"]["max"] / 1000,
            "rss_peak_mb": round(self.rss_peak_kb / 1024, 1),
            "vm_hwm_mb": round(self.hwm_kb / 1024, 1),
            "server_cpu_ms_per_request": round(1000 * self.cpu_s / max(1, self.ok_2xx), 3),
            "machine_steal_pct": round(self.steal_pct, 1),
            "loadavg_1m_after": round(self.loadavg, 2),
            "errors_logged": self.errors_logged,
            "exit_code": self.exit_code,
            "probes": [
                {
                    "connections": probe["connections"],
                    "requests_per_s": round(probe["requests"] / (probe["duration_us"] / 1e6), 1),
                    "p50_ms": probe["latency_us"]["p50"] / 1000,
                    "p99_ms": probe["latency_us"]["p99"] / 1000,
                    "non_2xx": probe["errors"]["status"],
                }
                for probe in self.probes
            ],
            "wrk": self.wrk,
        }


class Server:
    """A server process on a loopback port: the bare app or `tinbao serve`."""

    def __init__(self, target: str, workdir: Path, env: dict[str, str] | None) -> None:
        self.target = target
        self.port = free_port()
        self.workdir = workdir
        self.log = workdir / "server.log"
        if target == "bare":
            cmd = [sys.executable, str(ROOT / "bench" / "bare_app.py"), "--port", str(self.port)]
        else:
            cmd = [str(TINBAO), "serve", "--port", str(self.port)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_healthy()

    @property
    def url(self) -> str:
        """Root URL."""
        return f"http://127.0.0.1:{self.port}"

    def _wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.target} exited at start:\n{self.log.read_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.target} did not become healthy:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> int | None:
        """Stop gracefully (SIGTERM, as systemd does), killing after 30 s; return the exit code."""
        # uvicorn shuts down, then raises the signal again: the code is -15 after a clean stop.
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None

    def errors_logged(self) -> int:
        """Lines of the server's log at level error or worse, or tracebacks."""
        text = self.log.read_text(errors="replace")
        return len(re.findall(r'"level": "(?:error|critical)"|^Traceback', text, re.M))


class Database:
    """The benchmarked database: a fresh SQLite file or a fresh PostgreSQL database."""

    def __init__(self, target: str, workdir: Path, pg: Any, name: str) -> None:
        self.target = target
        if target == "sqlite":
            self.path = workdir / "tinbao.db"
            self.url = f"sqlite:///{self.path}"
        else:
            pg.create_database(name)
            self.pg, self.name = pg, name
            self.url = pg.url(name)

    def counts(self) -> tuple[int, int]:
        """(inbox rows, of which pending)."""
        query = "SELECT count(*), count(*) FILTER (WHERE status = 'pending') FROM inbox"
        if self.target == "sqlite":
            with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30) as conn:
                total, pending = conn.execute(query).fetchone()
        else:
            import psycopg

            with psycopg.connect(self.pg.conninfo(self.name)) as conn:
                row = conn.execute(query).fetchone()
                assert row is not None
                total, pending = row
        return int(total), int(pending)

    def drop(self) -> None:
        """Drop a PostgreSQL database (an SQLite file goes with its directory)."""
        if self.target == "postgresql":
            self.pg.drop_database(self.name)


def tinbao_env(
    database_url: str, telegram_url: str, zalo_url: str, synchronous: str
) -> dict[str, str]:
    """The environment of `tinbao migrate` and `tinbao serve`: both channels on, fakes behind."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TINBAO_")}
    return env | {
        "TINBAO_DATABASE_URL": database_url,
        "TINBAO_SECRET_KEY": SECRET_KEY,
        "TINBAO_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "TINBAO_TELEGRAM_API_URL": telegram_url,
        "TINBAO_TELEGRAM_WEBHOOK_SECRET": SECRETS["telegram"],
        "TINBAO_ZALO_TOKEN": ZALO_TOKEN,
        "TINBAO_ZALO_API_URL": zalo_url,
        "TINBAO_ZALO_WEBHOOK_SECRET": SECRETS["zalo"],
        "TINBAO_SQLITE_SYNCHRONOUS": synchronous,
    }


def run_wrk(
    url: str, channel: str, *, seconds: float, connections: int, threads: int, base: int
) -> dict[str, Any]:
    """Run wrk with the webhook script; return what its done() printed, plus its text summary."""
    cmd = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "--timeout", "5s",
        "-s", str(LUA), f"{url}/webhooks/{channel}", "--", channel, SECRETS[channel], str(base),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True)
    found = re.search(r"^BENCH_JSON (.*)$", done.stdout, re.M)
    if found is None:
        raise RuntimeError(f"wrk printed no results:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(found.group(1))
    rate = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    result["wrk_requests_per_s"] = float(rate.group(1)) if rate else None
    result["text"] = done.stdout
    return result


class Sampler(threading.Thread):
    """Samples a process's resident memory while a run lasts."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_kb = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            try:
                self.peak_kb = max(self.peak_kb, memory_kb(self.pid).get("VmRSS", 0))
            except OSError:
                return
            self._done.wait(self.every)

    def stop(self) -> int:
        """Stop sampling; return the highest VmRSS seen in kB."""
        self._done.set()
        self.join()
        return self.peak_kb


def settled_counts(db: Database, *, timeout: float = 15.0) -> tuple[int, int]:
    """Inbox counts once requests still in flight when wrk stopped have committed."""
    last, stable = db.counts(), 0
    deadline = time.monotonic() + timeout
    while stable < 3 and time.monotonic() < deadline:
        time.sleep(0.25)
        now = db.counts()
        stable = stable + 1 if now[0] == last[0] else 0
        last = now
    return last


def run_trial(
    target: str,
    channel: str,
    round_no: int,
    args: argparse.Namespace,
    fakes: tuple[FakeTelegram, FakeZalo],
    pg: Any,
    profile: Path | None = None,
) -> Trial:
    """Start a fresh server, warm it up, measure, count what it stored, stop it.

    With `profile`, py-spy records the server during the measured run (such trials are
    reported apart: the sampling costs the server a little).
    """
    trial = Trial(target, channel, round_no)
    workdir = Path(tempfile.mkdtemp(prefix=f"tinbao-bench-{target}-"))
    telegram, zalo = fakes
    telegram.reset()
    zalo.reset()
    db: Database | None = None
    env: dict[str, str] | None = None
    try:
        if target != "bare":
            db = Database(target, workdir, pg, f"bench_{channel}_{round_no}")
            env = tinbao_env(db.url, telegram.url, zalo.url, args.sqlite_synchronous)
            subprocess.run(
                [str(TINBAO), "migrate"], cwd=workdir, env=env, check=True, capture_output=True
            )
        server = Server(target, workdir, env)
        try:
            wrk_options = {"connections": args.connections, "threads": args.threads}
            if args.warmup > 0:
                run_wrk(server.url, channel, seconds=args.warmup, base=1_000_000_000, **wrk_options)
            before = settled_counts(db) if db else (0, 0)
            sampler = Sampler(server.process.pid)
            sampler.start()
            cpu_before = process_cpu_seconds(server.process.pid)
            all_before, steal_before = cpu_times()
            spy = None
            if profile is not None:
                spy = _profile.record(
                    args.py_spy, server.process.pid, max(1, args.duration - 2), profile,
                    mode=args.profile_mode,
                )  # fmt: skip
            trial.wrk = run_wrk(
                server.url, channel, seconds=args.duration, base=2_000_000_000, **wrk_options
            )
            all_after, steal_after = cpu_times()
            trial.loadavg = os.getloadavg()[0]
            trial.cpu_s = process_cpu_seconds(server.process.pid) - cpu_before
            trial.steal_pct = 100 * (steal_after - steal_before) / max(1, all_after - all_before)
            trial.rss_peak_kb = sampler.stop()
            if spy is not None:
                spy.wait(30)
            trial.hwm_kb = memory_kb(server.process.pid).get("VmHWM", 0)
            if db is not None:
                after = settled_counts(db)
                trial.stored = after[0] - before[0]
                trial.pending_after = after[1]
                trial.handled = (after[0] - after[1]) - (before[0] - before[1])
            for n, connections in enumerate(args.probe_connections):
                # 4 connections: latency below saturation, service time rather than queueing.
                # 40: Telegram's default max_connections for a webhook, what it really sends.
                probe = run_wrk(
                    server.url, channel, seconds=args.probe_duration,
                    base=3_000_000_000 + n * 1_000_000_000, connections=connections,
                    threads=min(args.threads, connections),
                )  # fmt: skip
                probe["connections"] = connections
                trial.probes.append({k: v for k, v in probe.items() if k != "text"})
        finally:
            trial.exit_code = server.stop()
            trial.errors_logged = server.errors_logged()
            if trial.errors_logged and args.verbose:
                print(server.log.read_text()[-4000:], file=sys.stderr)
    finally:
        if db is not None:
            db.drop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"  kept {workdir}", file=sys.stderr)
    return trial


def summarise(trials: list[Trial], targets: list[str], channels: list[str]) -> list[dict[str, Any]]:
    """Medians per (target, channel), the ratio to the bare app's median, and the verdicts."""
    rows = []
    probes = [p["connections"] for p in trials[0].probes] if trials else []
    for channel in channels:
        bare = [t for t in trials if t.target == "bare" and t.channel == channel]
        bare_rps = statistics.median(t.rps for t in bare)
        for target in targets:
            mine = [t for t in trials if t.target == target and t.channel == channel]
            rps = statistics.median(t.rps for t in mine)
            row: dict[str, Any] = {
                "target": target,
                "channel": channel,
                "rounds": len(mine),
                "median_rps": round(rps, 1),
                "ratio_vs_bare": round(rps / bare_rps, 3),
                "paired_ratios": [round(t.rps / b.rps, 3) for t, b in zip(mine, bare, strict=True)],
                "median_p99_ms": round(
                    statistics.median(t.wrk["latency_us"]["p99"] / 1000 for t in mine), 1
                ),
                "median_probe_p99_ms": {
                    str(c): round(statistics.median(t.probe_p99_ms(c) for t in mine), 1)
                    for c in probes
                },
                "median_probe_rps": {
                    str(c): round(statistics.median(t.probe_rps(c) for t in mine), 1)
                    for c in probes
                },
                "non_2xx": sum(int(t.wrk["errors"]["status"]) + t.socket_errors for t in mine),
                "rss_peak_mb": round(max(t.rss_peak_kb for t in mine) / 1024, 1),
                "cpu_ms_per_request": round(
                    statistics.median(1000 * t.cpu_s / max(1, t.ok_2xx) for t in mine), 3
                ),
            }
            if target != "bare":
                lost = [t for t in mine if t.stored is None or t.stored < t.ok_2xx]
                row["every_2xx_stored"] = not lost
                row["stored_minus_2xx"] = [(t.stored or 0) - t.ok_2xx for t in mine]
                row["pass"] = {
                    "ratio": row["ratio_vs_bare"] >= TARGETS["ratio"],
                    "p99": row["median_p99_ms"] < TARGETS["p99_ms"],
                    "non_2xx": row["non_2xx"] == TARGETS["non_2xx"],
                    "rss": row["rss_peak_mb"] < TARGETS["rss_mb"],
                    "stored": not lost,
                }
            rows.append(row)
    return rows


def print_report(trials: list[Trial], rows: list[dict[str, Any]]) -> None:
    """The per-trial table and the summary with verdicts."""
    print("\nTrials (2xx/s = updates answered 200, which for Tinbao means committed):")
    print(
        table(
            ["target", "channel", "round", "2xx/s", "2xx", "non-2xx", "sock err", "stored", "sent", "handled", "p50 ms", "p99 ms", "RSS MB", "CPU ms/req", "load 1m"],
            [
                [
                    t.target, t.channel, t.round, f"{t.rps:.0f}", t.ok_2xx, t.wrk["errors"]["status"],
                    t.socket_errors, "-" if t.stored is None else t.stored, t.wrk["sent"],
                    "-" if t.handled is None else t.handled,
                    f"{t.wrk['latency_us']['p50'] / 1000:.2f}", f"{t.wrk['latency_us']['p99'] / 1000:.2f}",
                    f"{t.rss_peak_kb / 1024:.0f}", f"{1000 * t.cpu_s / max(1, t.ok_2xx):.3f}", f"{t.loadavg:.1f}",
                ]
                for t in trials
            ],
        )
    )  # fmt: skip
    print(
        "\nSummary (medians over rounds; targets: ratio >= 0.5, p99 < 30 ms, non-2xx 0, RSS < 150 MB):"
    )
    out = []
    for row in rows:
        checks = row.get("pass")
        out.append(
            [
                row["target"], row["channel"], row["median_rps"], row["ratio_vs_bare"],
                " ".join(str(r) for r in row["paired_ratios"]), row["median_p99_ms"],
                " ".join(f"{c}:{v}" for c, v in row["median_probe_p99_ms"].items()) or "-", row["non_2xx"],
                row["rss_peak_mb"], row.get("every_2xx_stored", "-"),
                "-" if checks is None else " ".join(f"{k}:{verdict(v)}" for k, v in checks.items()),
            ]
        )  # fmt: skip
    print(
        table(
            [
                "target",
                "channel",
                "2xx/s",
                "ratio",
                "paired",
                "p99 ms",
                "p99 ms at N conns",
                "non-2xx",
                "RSS MB",
                "all stored",
                "verdicts",
            ],
            out,
        )
    )


def main() -> None:
    """Parse options, start the fakes (and PostgreSQL), run the rounds, report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per server")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="bare/Tinbao alternations")
    parser.add_argument("--channels", default="telegram,zalo")
    parser.add_argument("--postgres", action="store_true", help="also Tinbao on PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="skip Tinbao on SQLite")
    parser.add_argument(
        "--pg-fast", action="store_true", help="PostgreSQL with the tests' fsync=off settings"
    )
    parser.add_argument(
        "--probe-connections",
        type=lambda text: [int(n) for n in text.split(",") if n],
        default=[],
        help="after each measured run, shorter runs with these many connections (e.g. 4,40)",
    )
    parser.add_argument("--probe-duration", type=int, default=5)
    parser.add_argument("--sqlite-synchronous", choices=["NORMAL", "FULL"], default="NORMAL")
    parser.add_argument(
        "--py-spy", metavar="PATH", help="py-spy binary: profile one extra trial per target"
    )
    parser.add_argument(
        "--profile-mode",
        choices=["wall", "gil"],
        default="wall",
        help="wall: every thread, idle included; gil: the thread holding the GIL",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    parser.add_argument("--verbose", action="store_true", help="print server logs with errors")
    parser.add_argument(
        "--out", type=Path, help="results file (default bench/results/ingest-<date>.json)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    channels = args.channels.split(",")
    targets = (
        ["bare"]
        + ([] if args.no_sqlite else ["sqlite"])
        + (["postgresql"] if args.postgres else [])
    )
    info = machine()
    print(f"machine: {info}")
    pg = None
    pg_base = Path(tempfile.mkdtemp(prefix="tinbao-bench-pg-"))
    trials: list[Trial] = []
    profiled: list[dict[str, Any]] = []
    with FakeTelegram(token=TELEGRAM_TOKEN) as telegram, FakeZalo(token=ZALO_TOKEN) as zalo:
        try:
            if args.postgres:
                from _postgres import start_postgres

                pg = start_postgres(pg_base, durable=not args.pg_fast)
                info["postgres"] = {
                    k: pg.setting(k) for k in ("server_version", "fsync", "synchronous_commit")
                }
            for round_no in range(1, args.rounds + 1):
                for channel in channels:
                    for target in targets:
                        print(
                            f"round {round_no}: {target} / {channel} ...",
                            file=sys.stderr,
                            flush=True,
                        )
                        trial = run_trial(target, channel, round_no, args, (telegram, zalo), pg)
                        s = trial.summary()
                        print(
                            f"  {s['requests_per_s_2xx']} 2xx/s, p99 {s['p99_ms']} ms, non-2xx {s['non_2xx']},"
                            f" stored {s['stored_rows']} of {s['answered_2xx']} answered, RSS {s['rss_peak_mb']} MB",
                            file=sys.stderr, flush=True,
                        )  # fmt: skip
                        trials.append(trial)
            if args.py_spy:
                profiles = RESULTS / "profiles"
                profiles.mkdir(parents=True, exist_ok=True)
                for channel in channels:
                    for target in targets[1:]:
                        out = profiles / f"ingest-{target}-{channel}-{args.profile_mode}.txt"
                        print(
                            f"profiled: {target} / {channel} -> {out}", file=sys.stderr, flush=True
                        )
                        trial = run_trial(target, channel, 0, args, (telegram, zalo), pg, out)
                        print(_profile.report(out, mode=args.profile_mode))
                        out = _profile.compress(out)
                        profiled.append(trial.summary() | {"profile": str(out.relative_to(ROOT))})
        finally:
            if pg is not None:
                pg.stop()
            shutil.rmtree(pg_base, ignore_errors=True)
        fake_calls = {"telegram": len(telegram.calls), "zalo": len(zalo.calls)}
        violations = len(telegram.violations)
    rows = summarise(trials, targets, channels)
    print_report(trials, rows)
    settings = {k: v for k, v in vars(args).items() if k != "out"}
    path = write_results(
        "ingest",
        {
            "machine": info,
            "settings": settings,
            "targets": TARGETS,
            "summary": rows,
            "trials": [
                t.summary() | {"wrk": {k: v for k, v in t.wrk.items() if k != "text"}}
                for t in trials
            ],
            "profiled_trials": [{k: v for k, v in p.items() if k != "wrk"} for p in profiled],
            "fake_calls": fake_calls,
            "fake_telegram_violations": violations,
        },
        args.out,
    )
    print(f"\nresults: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
