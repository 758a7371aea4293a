"""Self-test for the throwaway PostgreSQL server helper."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from tests.support.postgres import PostgresServer, find_pg_bin


def _require_binaries() -> None:
    """Skip when PostgreSQL is absent, except on CI where that is a failure."""
    if find_pg_bin() is None:
        message = "PostgreSQL server binaries not installed (Debian package postgresql)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _server_pids(server: PostgresServer) -> set[int]:
    """Return the postmaster pid and the pids of its children."""
    postmaster = int((server.data_dir / "postmaster.pid").read_text().splitlines()[0])
    pids = {postmaster}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            pids.add(int(stat.parent.name))
    return pids


def _alive(pid: int) -> bool:
    """Tell whether a process exists (zombies excepted)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_server_lifecycle(tmp_path: Path) -> None:
    """Start two servers, clone a template database, connect, and stop cleanly."""
    _require_binaries()
    first = PostgresServer.start(tmp_path)
    try:
        second = PostgresServer.start(tmp_path)
        try:
            assert first.port != second.port
            assert first.work_dir != second.work_dir
            with psycopg.connect(second.conninfo()) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        finally:
            second.stop()

        with psycopg.connect(first.conninfo(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE tpl")
        with psycopg.connect(first.conninfo("tpl"), autocommit=True) as conn:
            conn.execute("CREATE TABLE t (name text)")
            conn.execute("INSERT INTO t VALUES ('xin chào')")
        first.create_database("copy", template="tpl")
        conn = psycopg.connect(first.conninfo("copy"), autocommit=True)
        try:
            assert conn.execute("SELECT name FROM t").fetchall() == [("xin chào",)]
            assert conn.execute("SHOW server_encoding").fetchone() == ("UTF8",)
            first.drop_database("copy")  # must work while this connection is open
        finally:
            conn.close()
        first.drop_database("copy")
        assert first.url("tpl") == f"postgresql+psycopg://postgres@127.0.0.1:{first.port}/tpl"
        pids = _server_pids(first)
        assert len(pids) > 1
    finally:
        first.stop()
    assert not any(_alive(pid) for pid in pids)
    assert not first.work_dir.exists()
    assert not second.work_dir.exists()
    first.stop()  # idempotent
