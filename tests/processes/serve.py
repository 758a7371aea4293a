"""`tinbao serve` as a child process: start it, wait until it is healthy, stop it or kill it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import httpx

from tests.harness import ADMIN_TOKEN, TELEGRAM_SECRET, free_port

# The console command installed beside the interpreter that runs the tests.
TINBAO = Path(sys.executable).with_name("tinbao")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
# Uvicorn shuts down gracefully on SIGTERM, then re-raises the signal so that the parent
# sees it: a clean stop ends with status 0 or "terminated by SIGTERM".
CLEAN_EXITS = frozenset({0, -signal.SIGTERM})


def telegram_env(database_url: str, telegram_url: str, workdir: Path) -> dict[str, str]:
    """The variables of a deployment with Telegram on, pointed at a fake Bot API."""
    return {
        "TINBAO_DATABASE_URL": database_url,
        "TINBAO_SECRET_KEY": "test-secret-key-0123456789",
        "TINBAO_ADMIN_TOKEN": ADMIN_TOKEN,
        "TINBAO_MEDIA_DIR": str(workdir / "media"),
        "TINBAO_TELEGRAM_TOKEN": "123:TEST",
        "TINBAO_TELEGRAM_API_URL": telegram_url,
        "TINBAO_TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        # Short leases: a killed process's chats and leadership pass on within seconds.
        "TINBAO_LEASE_SECONDS": "3",
    }


class ServeProcess:
    """One running `tinbao serve`, its port and its log."""

    def __init__(self, *, name: str, env: Mapping[str, str], workdir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"serve-{name}.log"
        # Only the given TINBAO_* variables: nothing leaks in from the shell running the tests.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("TINBAO_")}
        self._log: IO[bytes] = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                [str(TINBAO), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=workdir,  # no stray .env is read
                env=inherited | {"PYTHONUNBUFFERED": "1"} | dict(env),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C meant for pytest does not reach it
            )
        except OSError:
            self._log.close()
            raise

    @property
    def pid(self) -> int:
        """The process id, which the leader lease's holder names."""
        return self.process.pid

    @property
    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """The end of what the process wrote, for failure messages."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        """Return once GET /healthz answers 200; fail with the log if it never does."""
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=1.0) as client:
            while time.monotonic() < deadline:
                if not self.alive:
                    raise AssertionError(
                        f"tinbao serve ({self.name}) exited with {self.process.returncode}:\n"
                        + self.log_tail()
                    )
                try:
                    if client.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass  # not listening yet
                time.sleep(0.05)
        self.kill()
        raise AssertionError(f"tinbao serve ({self.name}) never became healthy:\n{self.log_tail()}")

    def terminate(self, timeout: float = STOP_TIMEOUT) -> int:
        """Stop with SIGTERM, as an operator or a supervisor would; return the exit code."""
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"tinbao serve ({self.name}) ignored SIGTERM for {timeout} s:\n{self.log_tail()}"
            ) from None
        finally:
            self._log.close()

    def kill(self) -> None:
        """Kill with SIGKILL: the process gets no chance to finish anything."""
        if self.alive:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)
        self._log.close()


class Launcher:
    """Starts `tinbao serve` processes and makes sure none outlives the test."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[ServeProcess] = []

    def start(self, env: Mapping[str, str], *, name: str) -> ServeProcess:
        """Start a process and wait until it answers /healthz."""
        served = ServeProcess(name=name, env=env, workdir=self.workdir)
        self.started.append(served)
        served.wait_healthy()
        return served

    def close(self) -> None:
        """Kill whatever is still running."""
        for served in self.started:
            served.kill()
