"""A throwaway PostgreSQL for the benchmarks: the tests' server, by default with durable commits.

tests/support/postgres.py starts its server with fsync, synchronous_commit and full_page_writes
off, which is right for tests and wrong for a benchmark of durable ingest: a commit would then
return before anything reached the disk. Command-line settings outrank ALTER SYSTEM and the
configuration file, so the launch itself is repeated here with PostgreSQL's defaults.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import psycopg
from _common import ROOT  # noqa: F401  (puts the repository on sys.path)

from tests.support.postgres import PostgresError, PostgresServer, _free_port, _tail

DURABLE = "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
AS_IN_TESTS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class BenchPostgres(PostgresServer):
    """PostgresServer whose commits are durable unless `durable=False`."""

    durable = True

    def _launch(self, attempts: int = 5) -> None:
        for _ in range(attempts):
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port}"
                f" -c unix_socket_directories={shlex.quote(str(self.work_dir))}"
                f" {DURABLE if self.durable else AS_IN_TESTS} -c max_connections=200"
            )
            result = self._run(
                "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir),
                "-l", str(self.log_path), "-o", options,
            )  # fmt: skip
            if result.returncode == 0:
                self._running = True
                return
            if "could not bind" not in _tail(self.log_path, 10):
                break
        raise PostgresError(f"PostgreSQL failed to start:\n{_tail(self.log_path)}")

    def setting(self, name: str) -> str:
        """A server setting as SHOW prints it."""
        with psycopg.connect(self.conninfo()) as conn:
            row = conn.execute(f"SHOW {name}").fetchone()
        return str(row[0]) if row else ""


def start_postgres(base: Path, *, durable: bool) -> BenchPostgres:
    """Start a private server under `base`; durable=False keeps the tests' fast settings."""
    cls = BenchPostgres if durable else type("FastPostgres", (BenchPostgres,), {"durable": False})
    server = cls.start(base)
    assert isinstance(server, BenchPostgres)
    return server
