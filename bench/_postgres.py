"""A throwaway PostgreSQL for the benchmarks: the tests' server, by default with durable commits.

tests/support/postgres.py starts its server with fsync, synchronous_commit and full_page_writes
off, which is right for tests and wrong for a benchmark of durable ingest: a commit would then
return before anything reached the disk. Command-line settings outrank ALTER SYSTEM and the
configuration file, so the launch is given PostgreSQL's defaults instead.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
from _common import ROOT  # noqa: F401  (puts the repository on sys.path)

from tests.support.postgres import PostgresServer

DURABLE = "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
AS_IN_TESTS = PostgresServer.durability


class BenchPostgres(PostgresServer):
    """PostgresServer whose commits are durable: PostgreSQL's defaults."""

    durability = DURABLE

    def setting(self, name: str) -> str:
        """A server setting as SHOW prints it."""
        with psycopg.connect(self.conninfo()) as conn:
            row = conn.execute(f"SHOW {name}").fetchone()
        return str(row[0]) if row else ""


class FastPostgres(BenchPostgres):
    """BenchPostgres with the tests' fast, non-durable commits."""

    durability = AS_IN_TESTS


def start_postgres(base: Path, *, durable: bool) -> BenchPostgres:
    """Start a private server under `base`; durable=False keeps the tests' fast settings."""
    cls: type[BenchPostgres] = BenchPostgres if durable else FastPostgres
    server = cls.start(base)
    assert isinstance(server, BenchPostgres)
    return server
