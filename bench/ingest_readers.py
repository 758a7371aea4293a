"""Durable ingest while 8 clients read statistics, on a province's history of reports.

bench/ingest.py's measurement (wrk and bench/webhook.lua against `tinbao serve`, the bare app
beside it) on a database that already holds tests/support/history.py's history (200,000
reports by default: one province, 100 wards of 20 hamlets, two years). Round after round, on
the same database, each with a fresh server process:

- bare: the bare FastAPI app (bench/bare_app.py), the yardstick of the ratio;
- alone: Tinbao ingesting, nobody reading;
- readers: Tinbao ingesting while 8 clients (a child process, so that their Python does not
  share a GIL with the fakes) loop on `GET /api/v1/stats` (the province and a ward, 30 days
  and 2 years) and `GET /api/v1/reports` (newest, a ward), recording each call's latency;
- apart: the same readers, served by a second `tinbao serve` process on the same database
  (as a deployment that routes /api/v1 to its own process would serve them).

The summary gives ingest's figures with readers against those without them in the same run
(ratios, paired round by round), against bench/ingest.py's targets, and the readers' latencies.

    .venv/bin/python bench/ingest_readers.py                         # SQLite and PostgreSQL
    .venv/bin/python bench/ingest_readers.py --engines sqlite --reports 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import ingest
from _common import (
    ROOT,
    cpu_times,
    machine,
    memory_kb,
    process_cpu_seconds,
    table,
    verdict,
    write_results,
)

from tests.fakes import FakeTelegram, FakeZalo

TOKEN = "bench-admin-token-0123456789"
CLIENTS = 8
MODES = ("bare", "alone", "readers", "apart")
READING = ("readers", "apart")


def generate(url: str, reports: int, out: Path) -> None:
    """In a child process: fill the migrated database with the history; what it holds, as JSON."""
    from core.db import Database
    from tests.support.history import generate as fill

    db = Database(url)
    started = time.perf_counter()
    history = fill(db, reports=reports)
    db.dispose()
    data = history.__dict__ | {"seconds": round(time.perf_counter() - started, 1)}
    out.write_text(json.dumps(data, ensure_ascii=False))


def questions(history: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """What the readers ask, by name: path and query."""
    from tests.support.history import NOW

    ward = history["wards"][len(history["wards"]) // 2]

    def stats(area: str, days: int) -> dict[str, str]:
        return {"area": area, "since": (NOW - timedelta(days=days)).isoformat()}

    return [
        ("stats: province, 30 days", "/api/v1/stats", stats(history["province"], 30)),
        ("stats: province, 2 years", "/api/v1/stats", stats(history["province"], 730)),
        ("stats: ward, 30 days", "/api/v1/stats", stats(ward, 30)),
        ("stats: ward, 2 years", "/api/v1/stats", stats(ward, 730)),
        ("reports: newest", "/api/v1/reports", {}),
        ("reports: ward", "/api/v1/reports", {"area": ward}),
    ]


async def read(url: str, history: dict[str, Any], seconds: float) -> dict[str, Any]:
    """8 clients, each asking the questions in turn (each from its own place) until time is up."""
    import httpx

    asked = questions(history)
    samples: dict[str, list[float]] = {name: [] for name, _path, _query in asked}
    errors: dict[str, int] = {name: 0 for name, _path, _query in asked}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        for _name, path, query in asked:  # warm: the first call of each is not counted
            await client.get(path, params=query, headers=headers)
        print("ready", flush=True)
        deadline = time.monotonic() + seconds

        async def loop(start: int) -> None:
            n = start
            while time.monotonic() < deadline:
                name, path, query = asked[n % len(asked)]
                began = time.perf_counter()
                answer = await client.get(path, params=query, headers=headers)
                samples[name].append((time.perf_counter() - began) * 1000)
                errors[name] += answer.status_code != 200
                n += 1

        began = time.monotonic()
        await asyncio.gather(*(loop(k) for k in range(CLIENTS)))
        elapsed = time.monotonic() - began
    return {"seconds": round(elapsed, 1), "samples": samples, "errors": errors}


def percentile(ordered: list[float], share: float) -> float:
    """The value below which `share` of the sorted samples fall (nearest rank)."""
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latencies(samples: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max in ms, and how many calls."""
    ordered = sorted(samples) or [0.0]
    return {
        "calls": len(samples),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(percentile(ordered, 0.95), 1),
        "p99_ms": round(percentile(ordered, 0.99), 1),
        "max_ms": round(ordered[-1], 1),
    }


class Readers:
    """The 8 reading clients in a child process, for `seconds` once they are warm."""

    def __init__(self, url: str, history_file: Path, seconds: float, out: Path) -> None:
        self.out = out
        cmd = [sys.executable, __file__, "--read", url, "--history", str(history_file)]
        cmd += ["--seconds", str(seconds), "--to", str(out)]
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the readers did not start")

    def results(self) -> dict[str, Any]:
        """Wait for them to finish; their samples."""
        self.process.wait(120)
        found: dict[str, Any] = json.loads(self.out.read_text())
        return found


def trial(
    mode: str,
    round_no: int,
    engine: str,
    db: ingest.Database,
    env: dict[str, str],
    history_file: Path,
    workdir: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """One fresh server (the bare app, or Tinbao on the history), warmed, measured, stopped."""
    serverdir = Path(tempfile.mkdtemp(prefix="tinbao-bench-bare-")) if mode == "bare" else workdir
    server = ingest.Server(
        "bare" if mode == "bare" else engine, serverdir, None if mode == "bare" else env
    )
    out: dict[str, Any] = {"mode": mode, "round": round_no, "engine": engine}
    reading: ingest.Server | None = None  # the second process, in mode "apart"
    try:
        wrk = {"connections": args.connections, "threads": args.threads}
        channel = args.channel
        base = 1_000_000_000 * (10 * round_no + MODES.index(mode))  # update ids never repeat
        ingest.run_wrk(server.url, channel, seconds=args.warmup, base=base, **wrk)
        before = ingest.settled_counts(db) if mode != "bare" else (0, 0)
        readers = None
        if mode in READING:
            if mode == "apart":
                readerdir = Path(tempfile.mkdtemp(prefix="tinbao-bench-reading-"))
                reading = ingest.Server(engine, readerdir, env)
            answering = reading.url if reading is not None else server.url
            readers = Readers(
                answering, history_file, args.duration + 1, workdir / f"{mode}-{round_no}.json"
            )
        sampler = ingest.Sampler(server.process.pid)
        sampler.start()
        cpu_before = process_cpu_seconds(server.process.pid)
        reading_before = process_cpu_seconds(reading.process.pid) if reading else 0.0
        all_before, steal_before = cpu_times()
        result = ingest.run_wrk(
            server.url, channel, seconds=args.duration, base=base + 500_000_000, **wrk
        )
        all_after, steal_after = cpu_times()
        cpu = process_cpu_seconds(server.process.pid) - cpu_before
        out["loadavg_1m"] = round(os.getloadavg()[0], 2)
        out["steal_pct"] = round(
            100 * (steal_after - steal_before) / max(1, all_after - all_before), 1
        )
        out["rss_peak_mb"] = round(sampler.stop() / 1024, 1)
        out["vm_hwm_mb"] = round(memory_kb(server.process.pid).get("VmHWM", 0) / 1024, 1)
        if reading is not None:
            out["reading_server_cpu_s"] = process_cpu_seconds(reading.process.pid) - reading_before
            out["reading_server_hwm_mb"] = round(
                memory_kb(reading.process.pid).get("VmHWM", 0) / 1024, 1
            )
        if readers is not None:
            read = readers.results()
            out["readers"] = {
                "seconds": read["seconds"],
                "errors": read["errors"],
                "by_question": {k: latencies(v) for k, v in read["samples"].items()},
                "all": latencies([ms for v in read["samples"].values() for ms in v]),
            }
            if reading is not None:  # what a read costs the server that answers only reads
                reads = out["readers"]["all"]["calls"]
                out["reading_server_cpu_ms_per_read"] = round(
                    1000 * out["reading_server_cpu_s"] / max(1, reads), 1
                )
        ok = int(result["requests"]) - int(result["errors"]["status"])
        seconds = float(result["duration_us"]) / 1e6
        errors = result["errors"]
        out |= {
            "rps_2xx": round(ok / seconds, 1),
            "answered_2xx": ok,
            "non_2xx": int(errors["status"])
            + sum(int(errors[k]) for k in ("connect", "read", "write", "timeout")),
            "p50_ms": result["latency_us"]["p50"] / 1000,
            "p99_ms": result["latency_us"]["p99"] / 1000,
            "cpu_ms_per_request": round(1000 * cpu / max(1, ok), 3),
        }
        if mode != "bare":
            after = ingest.settled_counts(db)
            out["stored"] = after[0] - before[0]
            out["every_2xx_stored"] = out["stored"] >= ok
            out["handled_during_run"] = (after[0] - after[1]) - (before[0] - before[1])
    finally:
        if reading is not None:
            reading.stop()
            shutil.rmtree(reading.workdir, ignore_errors=True)
        out["exit_code"] = server.stop()
        out["errors_logged"] = server.errors_logged()
        if mode == "bare":
            shutil.rmtree(serverdir, ignore_errors=True)
    return out


def run_engine(
    engine: str, args: argparse.Namespace, fakes: tuple[FakeTelegram, FakeZalo], pg: Any
) -> dict[str, Any]:
    """Migrate, generate the history, let a first server do its start-up work, then the rounds."""
    workdir = Path(tempfile.mkdtemp(prefix=f"tinbao-bench-readers-{engine}-"))
    telegram, zalo = fakes
    db = ingest.Database(engine, workdir, pg, "bench_readers")
    env = ingest.tinbao_env(db.url, telegram.url, zalo.url, "NORMAL") | {
        "TINBAO_ADMIN_TOKEN": TOKEN
    }
    try:
        subprocess.run(
            [str(ingest.TINBAO), "migrate"], cwd=workdir, env=env, check=True, capture_output=True
        )
        history_file = workdir / "history.json"
        cmd = [sys.executable, __file__, "--generate", db.url, "--reports", str(args.reports)]
        subprocess.run([*cmd, "--to", str(history_file)], check=True)
        history = json.loads(history_file.read_text())
        print(f"{engine}: {history['reports']:,} reports generated in {history['seconds']} s")
        # The first start sweeps the history's overdue reports once; no trial should pay for it.
        first = ingest.Server(engine, workdir, env)
        time.sleep(args.settle)
        first.stop()
        trials = []
        for round_no in range(1, args.rounds + 1):
            for mode in MODES:
                print(f"{engine}, round {round_no}: {mode} ...", file=sys.stderr, flush=True)
                telegram.reset()
                zalo.reset()
                done = trial(mode, round_no, engine, db, env, history_file, workdir, args)
                print(
                    f"  {done['rps_2xx']} 2xx/s, p99 {done['p99_ms']} ms, RSS {done['rss_peak_mb']} MB,"
                    f" load {done['loadavg_1m']}"
                    + (f", reads p95 {done['readers']['all']['p95_ms']} ms" if "readers" in done else ""),
                    file=sys.stderr, flush=True,
                )  # fmt: skip
                trials.append(done)
        kept = {k: v for k, v in history.items() if k not in ("area_ids", "hamlets", "wards")}
        return {"history": kept, "trials": trials, "summary": summarise(trials)}
    finally:
        db.drop()
        shutil.rmtree(workdir, ignore_errors=True)


def summarise(trials: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians per mode, paired ratios, verdicts against bench/ingest.py's targets, reads."""
    by = {mode: [t for t in trials if t["mode"] == mode] for mode in MODES}
    rows: dict[str, Any] = {}
    for mode, mine in by.items():
        rows[mode] = {
            "median_rps": round(statistics.median(t["rps_2xx"] for t in mine), 1),
            "median_p99_ms": round(statistics.median(t["p99_ms"] for t in mine), 1),
            "non_2xx": sum(t["non_2xx"] for t in mine),
            "rss_peak_mb": max(t["rss_peak_mb"] for t in mine),
            "cpu_ms_per_request": round(
                statistics.median(t["cpu_ms_per_request"] for t in mine), 3
            ),
            "loadavg_1m": [t["loadavg_1m"] for t in mine],
        }
    for mode in MODES[1:]:
        rows[mode]["ratio_vs_bare"] = round(
            rows[mode]["median_rps"] / rows["bare"]["median_rps"], 3
        )
        rows[mode]["paired_vs_bare"] = [
            round(t["rps_2xx"] / b["rps_2xx"], 3) for t, b in zip(by[mode], by["bare"], strict=True)
        ]
        rows[mode]["every_2xx_stored"] = all(t["every_2xx_stored"] for t in by[mode])
        rows[mode]["pass"] = {
            "ratio": rows[mode]["ratio_vs_bare"] >= ingest.TARGETS["ratio"],
            "p99": rows[mode]["median_p99_ms"] < ingest.TARGETS["p99_ms"],
            "non_2xx": rows[mode]["non_2xx"] == 0,
            "rss": rows[mode]["rss_peak_mb"] < ingest.TARGETS["rss_mb"],
            "stored": rows[mode]["every_2xx_stored"],
        }
    for mode in READING:
        mine = by[mode]
        rows[mode]["vs_alone"] = round(rows[mode]["median_rps"] / rows["alone"]["median_rps"], 3)
        rows[mode]["paired_vs_alone"] = [
            round(t["rps_2xx"] / a["rps_2xx"], 3) for t, a in zip(mine, by["alone"], strict=True)
        ]
        names = list(mine[0]["readers"]["by_question"]) if mine else []
        pooled: dict[str, Any] = {}
        for name in names:
            pooled[name] = {
                "calls": sum(t["readers"]["by_question"][name]["calls"] for t in mine),
                "p50_ms": round(statistics.median(t["readers"]["by_question"][name]["p50_ms"] for t in mine), 1),
                "p95_ms": max(t["readers"]["by_question"][name]["p95_ms"] for t in mine),
                "max_ms": max(t["readers"]["by_question"][name]["max_ms"] for t in mine),
                "errors": sum(t["readers"]["errors"][name] for t in mine),
            }  # fmt: skip
        rows[mode]["reads"] = pooled
        if mode == "apart":
            rows[mode]["reading_server_cpu_ms_per_read"] = [
                t.get("reading_server_cpu_ms_per_read") for t in mine
            ]
            rows[mode]["reading_server_hwm_mb"] = max(t["reading_server_hwm_mb"] for t in mine)
        rows[mode]["reads_per_s"] = [
            round(t["readers"]["all"]["calls"] / t["readers"]["seconds"], 1) for t in mine
        ]
    return rows


def print_report(results: dict[str, Any]) -> None:
    """Per engine: ingest alone and with readers against the bare app, then the readers."""
    for engine, part in results["engines"].items():
        s = part["summary"]
        print(f"\n{engine}: {part['history']['reports']:,} reports")
        rows = []
        for mode in MODES:
            row = s[mode]
            checks = row.get("pass")
            rows.append(
                [
                    mode, row["median_rps"], row.get("ratio_vs_bare", 1),
                    " ".join(str(r) for r in row.get("paired_vs_bare", [])) or "-",
                    row["median_p99_ms"], row["non_2xx"], row["rss_peak_mb"],
                    row["cpu_ms_per_request"], " ".join(str(x) for x in row["loadavg_1m"]),
                    "-" if checks is None else " ".join(f"{k}:{verdict(v)}" for k, v in checks.items()),
                ]
            )  # fmt: skip
        print(
            table(
                ["mode", "2xx/s", "ratio vs bare", "paired", "p99 ms", "non-2xx", "RSS MB",
                 "CPU ms/req", "load 1m", "verdicts"],
                rows,
            )
        )  # fmt: skip
        for mode in READING:
            print(
                f"{mode} / alone: {s[mode]['vs_alone']} (paired {s[mode]['paired_vs_alone']});"
                f" reads/s {s[mode]['reads_per_s']}"
                + (
                    f"; the reading process: {s[mode]['reading_server_cpu_ms_per_read']} ms of CPU"
                    f" a read, peak RSS {s[mode]['reading_server_hwm_mb']} MB"
                    if mode == "apart"
                    else ""
                )
            )
            print(
                table(
                    [f"read (8 clients, {mode})", "calls", "p50 ms", "p95 ms", "max ms", "errors"],
                    [[n, q["calls"], q["p50_ms"], q["p95_ms"], q["max_ms"], q["errors"]]
                     for n, q in s[mode]["reads"].items()],
                )
            )  # fmt: skip


def main() -> None:
    """Parse options; per engine, generate and measure; report and record."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--channel", default="telegram", choices=["telegram", "zalo"])
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--settle", type=float, default=10, help="seconds of the first start")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    parser.add_argument("--read", help=argparse.SUPPRESS)
    parser.add_argument("--history", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.reports, args.to)
        return
    if args.read:
        history = json.loads(args.history.read_text())
        args.to.write_text(json.dumps(asyncio.run(read(args.read, history, args.seconds))))
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    results: dict[str, Any] = {"machine": machine(), "command": " ".join(sys.argv), "engines": {}}
    results["targets"] = ingest.TARGETS
    pg_base = Path(tempfile.mkdtemp(prefix="tinbao-bench-pg-"))
    pg = None
    with (
        FakeTelegram(token=ingest.TELEGRAM_TOKEN) as telegram,
        FakeZalo(token=ingest.ZALO_TOKEN) as zalo,
    ):
        try:
            for engine in args.engines.split(","):
                if engine == "postgresql" and pg is None:
                    from _postgres import start_postgres

                    pg = start_postgres(pg_base, durable=True)
                results["engines"][engine] = run_engine(engine, args, (telegram, zalo), pg)
        finally:
            if pg is not None:
                pg.stop()
            shutil.rmtree(pg_base, ignore_errors=True)
    results["loadavg_at_end"] = os.getloadavg()
    print_report(results)
    path = write_results(f"ingest-readers-{args.reports}", results, args.out)
    print(f"\nresults: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
