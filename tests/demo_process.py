"""`tinbao demo` as a user starts it: a process on a loopback port, stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.harness import free_port

TINBAO = str(Path(sys.executable).with_name("tinbao"))


@dataclass
class DemoProcess:
    """A running demo and where to reach it."""

    process: subprocess.Popen[str]
    url: str
    data: Path | None
    log: Path

    def output(self) -> str:
        """What the process printed so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, *, within: float = 15.0) -> bool:
        """SIGTERM; whether it stopped cleanly within `within` seconds."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=within)
        # Uvicorn raises the signal again once shut down, as a killed process would end.
        return code in (0, -signal.SIGTERM) and "stopped cleanly" in self.output()


@contextmanager
def demo_process(
    data: Path | None, *, cwd: Path, env: dict[str, str] | None = None, args: tuple[str, ...] = ()
) -> Iterator[DemoProcess]:
    """Start `tinbao demo --port P [--data DATA]` and wait until its page answers."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TINBAO_")}
    log = cwd / f"demo-{port}.log"  # a file, not a pipe: a full pipe would stall the demo
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [TINBAO, "demo", "--port", str(port), *(("--data", str(data)) if data else ()), *args],
            cwd=cwd,
            env=clean | (env or {}),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    running = DemoProcess(process, f"http://127.0.0.1:{port}", data, log)
    try:
        _wait_for_page(running)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_page(running: DemoProcess, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise AssertionError(f"tinbao demo exited early:\n{running.output()[-3000:]}")
        try:
            if httpx.get(running.url + "/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling for a port to open: nothing to wait on but time
    raise AssertionError("tinbao demo did not serve its page in time")
