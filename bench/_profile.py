"""py-spy profiles of a benchmarked process: record raw stacks, then read them as tables.

py-spy is not a dependency of Tinbao: install it in a scratch venv
(`python -m venv /tmp/pyspy && /tmp/pyspy/bin/pip install py-spy`) and pass its path.

Two modes:
- gil: each sample is the thread holding the GIL, i.e. what competes for the one core
  that Python code of a single process can use;
- wall: every thread, idle ones included, so that time spent waiting (for SQLite's lock,
  for a free executor thread) shows up too.

    python bench/_profile.py gil FILE...    # or wall
"""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
_PROJECT = re.compile(r"\((?:domain|bot|webhooks|broadcasts)/|\(tinbao/(?!cli)")
_SQL_LEAVES = ("do_execute", "do_executemany", "do_commit", "do_rollback", "do_begin")


def record(
    py_spy: str, pid: int, seconds: int, out: Path, *, mode: str = "wall"
) -> subprocess.Popen[bytes]:
    """Start recording `pid` for `seconds` into `out` (collapsed stacks)."""
    flags = ["--gil"] if mode == "gil" else ["--idle", "--threads"]
    cmd = [
        py_spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200",
        "--format", "raw", "--nonblocking", "--output", str(out), *flags,
    ]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _short(frame: str) -> str:
    found = _FRAME.match(frame)
    if not found:
        return frame
    path = found["file"]
    for marker in ("site-packages/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{found['func']} ({path})"


def _samples(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    for line in raw.decode(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


# What a Tinbao process spends the GIL on, by a frame each sample's stack contains.
CATEGORIES = {
    "HTTP requests (uvicorn, Starlette, FastAPI, ingress)": "RequestResponseCycle.run_asgi",
    "  of which FastAPI dependency solving": "solve_dependencies",
    "storing (store_updates, in the writer's thread)": "store_updates",
    "inbox worker: finding and leasing chats": "InboxWorker.run_once",
    "inbox worker: handling updates (parse, dialogue, transaction)": "UpdateHandler.handle",
    "inbox worker: next_pending, release": "InboxWorker._drain_chat",
    "sender": "Sender.",
    "garbage collection (gc_collect frames)": "gc_collect",
    "logging": "logging/__init__.py",
}


def share(path: Path, needles: dict[str, str] = CATEGORIES) -> dict[str, float]:
    """Percent of samples whose stack contains each needle (a substring of a frame)."""
    total = 0
    hits: Counter[str] = Counter()
    for frames, n in _samples(path):
        stack = ";".join(frames)
        total += n
        for label, needle in needles.items():
            if needle in stack:
                hits[label] += n
    return {label: round(100 * hits[label] / max(1, total), 1) for label in needles}


def gil_report(path: Path, top: int = 25) -> str:
    """The heaviest functions while holding the GIL, inclusive and self."""
    total = 0
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for frames, n in _samples(path):
        names = [_short(f) for f in frames if not f.startswith("thread (")]
        total += n
        for name in set(names):
            inclusive[name] += n
        if names:
            own[names[-1]] += n
    if not total:
        return f"{path}: no samples"
    lines = [
        f"{path.name}: {total} samples with the GIL held",
        "  share %      part of the service",
    ]
    lines += [f"  {pct:10.1f}  {label}" for label, pct in share(path).items()]
    lines.append("  inclusive %  function")
    lines += [f"  {100 * n / total:10.1f}  {name}" for name, n in inclusive.most_common(top)]
    lines.append("  self %       function")
    lines += [f"  {100 * n / total:10.1f}  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines)


def _thread_group(head: str) -> str:
    name = re.sub(r"^thread \(\w+\): ", "", head)
    if "AnyIO" in name:
        return "anyio worker threads (sync dependencies, run_in_threadpool)"
    if name.startswith(("uvloop_", "asyncio_", "ThreadPoolExecutor")):
        return "default executor threads (asyncio.to_thread)"
    return name


def wall_breakdown(path: Path) -> dict[str, Counter[str]]:
    """Per thread group: samples by (what the thread works for, what it is doing)."""
    groups: dict[str, Counter[str]] = {}
    for frames, n in _samples(path):
        group = _thread_group(frames[0])
        body = frames[1:]
        work = next((_short(f).split(" (")[0] for f in body if _PROJECT.search(f)), None)
        leaf = _short(body[-1]).split(" (")[0] if body else ""
        names = [_short(f).split(" (")[0] for f in body]
        if any(name.endswith(_SQL_LEAVES) for name in names):
            state = (
                "waiting for SQLite's write lock (BEGIN IMMEDIATE)"
                if any("_on_begin" in f for f in body)
                else "in the database driver (SQL, commit, PostgreSQL round trips)"
            )
        elif leaf == "Runner.run":
            state = "event loop in C (uvloop, httptools: idle or parsing)"
        elif work is None:
            state = "idle or framework"
        else:
            state = "Python"
        key = f"{state}: {work}" if work else state
        groups.setdefault(group, Counter())[key] += n
    return groups


def wall_report(path: Path, top: int = 12) -> str:
    """Where each thread group spends its time, waiting included."""
    lines = [f"{path.name}: wall-clock samples per thread group"]
    for group, counts in sorted(wall_breakdown(path).items()):
        total = sum(counts.values())
        lines.append(f"  {group} ({total} samples)")
        lines += [f"    {100 * n / total:5.1f}%  {key}" for key, n in counts.most_common(top)]
    return "\n".join(lines)


def compress(path: Path) -> Path:
    """Gzip a recorded profile (raw stacks are large); return the new path."""
    target = path.with_name(path.name + ".gz")
    target.write_bytes(gzip.compress(path.read_bytes()))
    path.unlink()
    return target


def report(path: Path, *, mode: str = "wall") -> str:
    """The report of one profile."""
    return gil_report(path) if mode == "gil" else wall_report(path)


if __name__ == "__main__":
    for name in sys.argv[2:]:
        print(report(Path(name), mode=sys.argv[1]))
