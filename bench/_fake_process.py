"""FakeTelegram in a process of its own, so that the benchmarked process's pauses are not its own.

In the process under test, a garbage collection or a thread holding the GIL also stops the
fake from reading requests that were sent on time; it then records them late and bunched,
which reads as limit violations that Telegram would not see. Run apart, the fake records
arrival times as a remote server would. Times are time.monotonic(), which on Linux is one
clock for all processes, so they compare with the benchmark's own.

The parent talks to the child over stdin/stdout, one JSON line per command:
"reset" and "calls" (the calls and violations recorded since the last reset).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from _common import ROOT


@dataclass
class RemoteCall:
    """A call as the fake recorded it."""

    method: str
    chat_id: str | None
    at: float
    status: int


class FakeTelegramProcess:
    """FakeTelegram (limits enforced) served by a child process."""

    def __init__(self, token: str) -> None:
        self._child = subprocess.Popen(
            [sys.executable, __file__, token],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.url = self._read()["url"]

    def _read(self) -> dict[str, Any]:
        assert self._child.stdout is not None
        line = self._child.stdout.readline()
        if not line:
            raise RuntimeError("the fake's process ended")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _ask(self, command: str) -> dict[str, Any]:
        assert self._child.stdin is not None
        self._child.stdin.write(command + "\n")
        self._child.stdin.flush()
        return self._read()

    def reset(self) -> None:
        """Forget calls, violations and limit windows."""
        self._ask("reset")

    def calls(self) -> tuple[list[RemoteCall], list[tuple[str, str | None, float]]]:
        """The calls and the violations recorded since the last reset."""
        answer = self._ask("calls")
        calls = [RemoteCall(**c) for c in answer["calls"]]
        return calls, [(v[0], v[1], v[2]) for v in answer["violations"]]

    def stop(self) -> None:
        """End the child."""
        if self._child.poll() is None:
            self._ask("quit")
            self._child.wait(10)


def _serve(token: str) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.fakes import FakeTelegram

    with FakeTelegram(token=token) as fake:
        print(json.dumps({"url": fake.url}), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "reset":
                fake.reset()
                answer: dict[str, Any] = {"ok": True}
            elif command == "calls":
                with fake._lock:  # a consistent copy while calls may still arrive
                    calls = [
                        {"method": c.method, "chat_id": c.chat_id, "at": c.at, "status": c.status}
                        for c in fake.calls
                    ]
                    violations = list(fake.violations)
                answer = {"calls": calls, "violations": violations}
            elif command == "quit":
                print(json.dumps({"ok": True}), flush=True)
                return
            else:
                answer = {"error": f"unknown command {command!r}"}
            print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    _serve(sys.argv[1])
