"""The results tables of bench/broadcasts.py, one per part, with verdicts against the targets."""

from __future__ import annotations

from typing import Any

from _common import table, verdict

TARGET_RATIO = 0.95
TARGET_PER_SECOND = 1000
TARGET_SECONDS = 10.0
TARGET_MB = 300.0


def print_report(results: dict[str, Any]) -> None:
    """Print every table that has rows."""
    if results["fan_out"]:
        rows = []
        direct = {(d["engine"], d["groups"]): d for d in results["fan_out_direct"]}
        for r in results["fan_out"]:
            d = direct.get((r["engine"], r["groups"]), {})
            passed = (
                r["ratio_from_run_start"] >= TARGET_RATIO
                and r["violations"] == 0
                and r["duplicates"] == 0
                and r["delivered_groups"] == r["groups"]
            )
            rows.append(
                [
                    r["engine"], r["groups"], r["run_targets"], r["delivered_groups"],
                    round((r["groups"] - 1) / 30, 2), r["due_to_run_start_s"],
                    r["start_to_first_s"], r["run_start_to_last_s"], r["ratio_from_run_start"],
                    r["ratio"], d.get("ratio"), d.get("gap_ms", {}).get("max"),
                    r["violations"], r["duplicates"], r["gap_ms"]["max"],
                    r["record_lag_after_last_delivery_s"], r.get("on_core_s"),
                    r.get("waiting_for_core_s"), r["loadavg_1m_after"], verdict(passed),
                ]
            )  # fmt: skip
        print("Fan-out through the broadcast path (FakeTelegram with limits):")
        print(
            table(
                ["engine", "N", "run targets", "delivered", "bound s", "due to start s", "start to first s", "start to last s", "ratio", "ratio first-last", "baseline: outbox rows, ratio first-last", "baseline max gap ms", "violations", "duplicates", "max gap ms", "record lag s", "on a core s", "waiting for a core s", "load 1m", ">=0.95, 0 viol., 0 dup."],
                rows,
            )
        )  # fmt: skip
        print()
    if results["crash"]:
        rows = [
            [
                r["engine"], r["groups"], r["delivered_at_kill"], r["in_flight_at_kill"],
                r["groups_reached"], r["repeats"], r["violations"], r["first_send_after_kill_s"],
                r["done_after_kill_s"], r["loadavg_1m_after"],
                verdict(r["repeats"] <= r["in_flight_at_kill"] and r["groups_reached"] == r["groups"]),
            ]
            for r in results["crash"]
        ]  # fmt: skip
        print("kill -9 of `tinbao serve` mid fan-out, then a restart:")
        print(
            table(
                ["engine", "N", "delivered at kill", "in flight at kill", "groups reached", "repeats", "violations", "first send after kill s", "done after kill s", "load 1m", "repeats <= in flight"],
                rows,
            )
        )  # fmt: skip
        print()
    if results["capacity"]:
        rows = []
        baselines = {b["engine"]: b for b in results["baseline"]}
        for r in results["capacity"]:
            b = baselines[r["engine"]]
            rows.append(
                [
                    r["engine"], r["client"], r["groups"], r["most_calls_in_flight"], b["raw_per_s"], b["httpx_per_s"], b["httpx_cpu_ms"],
                    r["calls_per_s"], r["recorded_per_s"], round(r["recorded_per_s"] / b["raw_per_s"], 3),
                    round(r["recorded_per_s"] / b["httpx_per_s"], 3), r["cpu_ms_per_delivery"],
                    r["cpu_share_of_wall"], r["duplicates"], r["rows_unfinished"],
                    r["loadavg_1m_after"], verdict(r["recorded_per_s"] >= TARGET_PER_SECOND),
                ]
            )  # fmt: skip
        print("Sender capacity (FakeTelegram without limits, pacer at 1,000,000/s):")
        print(
            table(
                ["engine", "client", "N", "most calls in flight", "raw HTTP/1.1 calls/s", "httpx calls/s", "httpx CPU ms/call", "sender calls/s", "recorded/s", "ratio vs raw", "ratio vs httpx", "sender CPU ms/delivery", "CPU/wall", "duplicates", "unfinished", "load 1m", ">=1,000/s"],
                rows,
            )
        )  # fmt: skip
        print()
    if results["national"]:
        rows = [
            [
                r["engine"], r["audience"], r["run_targets"], r["outbox_rows_before"],
                r["pass_s"], r["cpu_s"], r["rss_before_mb"], r["peak_rss_mb"], r["setup_s"],
                r["loadavg_1m_after"],
                verdict(r["pass_s"] < TARGET_SECONDS and r["peak_rss_mb"] < TARGET_MB),
            ]
            for r in results["national"]
        ]  # fmt: skip
        print("National scale: one advance_broadcasts pass starting a run (own process):")
        print(
            table(
                ["engine", "audience", "run targets", "outbox rows before", "pass s", "CPU s", "RSS before MB", "peak RSS MB", "setup s (not counted)", "load 1m", "<10 s, <300 MB"],
                rows,
            )
        )  # fmt: skip
