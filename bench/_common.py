"""What both benchmarks share: the repository on the path, the machine, tables, results files."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/x.py` puts bench/, not the repository, first
    sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    mem_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
        wrk_version = (
            (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else ""
        )
    except FileNotFoundError:  # only bench/ingest.py needs it
        wrk_version = "not installed"
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory_mb": mem_kb // 1024,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "wrk": wrk_version,
        "loadavg_at_start": os.getloadavg(),
        "code": code_version(),
    }


def code_version() -> dict[str, Any]:
    """The commit measured, and the files that differed from it (others work in this tree)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout

    changed = [line[3:] for line in git("status", "--short").splitlines() if line[3:]]
    return {"commit": git("rev-parse", "--short", "HEAD").strip(), "uncommitted": changed}


def cpu_times() -> tuple[int, int]:
    """(all jiffies, steal jiffies) of the whole machine, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    return sum(fields), fields[7] if len(fields) > 7 else 0


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scheduling_seconds() -> tuple[float, float]:
    """(seconds on a core, seconds runnable but waiting for one) of this process's live threads."""
    on_core = waiting = 0
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "schedstat").read_text().split()
        except OSError:  # the thread ended meanwhile
            continue
        on_core += int(fields[0])
        waiting += int(fields[1])
    return on_core / 1e9, waiting / 1e9


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of a process, in kB."""
    found: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(line.split()[1])
    return found


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table, columns padded for reading in a terminal too."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def write_results(name: str, data: dict[str, Any], out: Path | None = None) -> Path:
    """Write the results as JSON to bench/results/<name>-<date>.json (or `out`)."""
    now = datetime.now(UTC)
    path = out or RESULTS / f"{name}-{now.date().isoformat()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"benchmark": name, "finished_at": now.isoformat(timespec="seconds")} | data
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"
