"""Throwaway PostgreSQL servers for tests."""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Self

import psycopg
from psycopg import sql

_TOOLS = ("initdb", "pg_ctl", "postgres")
_PG_USER = "postgres"
_MAX_DIR_LEN = 80  # keeps <dir>/.s.PGSQL.<port> below the 107-byte socket path limit


class PostgresError(RuntimeError):
    """Raised when a test PostgreSQL server cannot be set up or controlled."""


def _has_tools(directory: Path) -> bool:
    """Tell whether a directory holds every server binary."""
    return all((directory / tool).is_file() for tool in _TOOLS)


def _version_key(directory: Path) -> tuple[int, ...]:
    """Sort key for /usr/lib/postgresql/<version>/bin directories."""
    return tuple(int(part) for part in re.findall(r"\d+", directory.parent.name))


def find_pg_bin() -> Path | None:
    """Return the directory holding initdb, pg_ctl and postgres, or None."""
    found = shutil.which("initdb")
    on_path = [Path(found).parent, Path(found).resolve().parent] if found else []
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    return next((d for d in [*on_path, *installed] if _has_tools(d)), None)


def _free_port() -> int:
    """Ask the kernel for a currently unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 40) -> str:
    """Return the last lines of a file, or a note that it is missing."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


class PostgresServer:
    """A private PostgreSQL cluster listening on 127.0.0.1."""

    # Fast and unsafe on power loss: right for tests, which throw the server away.
    durability = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"

    def __init__(self, bin_dir: Path, work_dir: Path) -> None:
        """Store paths; use start() to create a running server."""
        self.bin_dir = bin_dir
        self.work_dir = work_dir
        self.data_dir = work_dir / "data"
        self.log_path = work_dir / "postgres.log"
        self.port = 0
        self._running = False

    @classmethod
    def start(cls, base_dir: Path) -> PostgresServer:
        """Initialise and start a new cluster in a fresh directory under base_dir."""
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise PostgresError("PostgreSQL server binaries not installed (package postgresql)")
        server = cls(bin_dir, cls._make_work_dir(base_dir))
        try:
            server._initdb()
            server._launch()
        except BaseException:
            with contextlib.suppress(Exception):
                server.stop()  # also stops a server that came up despite the failure
            raise
        return server

    @staticmethod
    def _make_work_dir(base_dir: Path) -> Path:
        """Create a directory the server user owns, can reach, and can put a socket in."""
        base_dir.mkdir(parents=True, exist_ok=True)
        owner = pwd.getpwnam(_PG_USER) if os.geteuid() == 0 else None
        # Fall back to /tmp if base_dir is too deep or unreachable (pytest's tmp root is 0700).
        for parent in (base_dir, Path("/tmp")):
            work = Path(tempfile.mkdtemp(prefix="tinbao-pg-", dir=parent))
            if owner is not None:
                os.chown(work, owner.pw_uid, owner.pw_gid)
            probe = ["runuser", "-u", _PG_USER, "--", "test", "-w", str(work)]
            reachable = owner is None or subprocess.run(probe, check=False).returncode == 0
            if reachable and len(str(work)) <= _MAX_DIR_LEN:
                return work
            shutil.rmtree(work)
        raise PostgresError(f"no directory usable by the {_PG_USER} user under {base_dir}")

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a server binary, as the postgres user when we are root."""
        cmd = [str(self.bin_dir / tool), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", _PG_USER, "--", *cmd]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        # cwd: the postgres user may be unable to access ours (e.g. /root).
        return subprocess.run(
            cmd, cwd=self.work_dir, env=env, capture_output=True, text=True, check=False
        )

    def _initdb(self) -> None:
        """Create the cluster, falling back to --no-locale if C.UTF-8 is missing."""
        common = ["-D", str(self.data_dir), "-A", "trust", "-U", "postgres", "--encoding=UTF8"]
        common.append("--no-sync")
        result = self._run("initdb", *common, "--locale=C.UTF-8")
        if result.returncode != 0:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            result = self._run("initdb", *common, "--no-locale")
        if result.returncode != 0:
            raise PostgresError(f"initdb failed:\n{result.stdout}\n{result.stderr}")

    def _launch(self, attempts: int = 5) -> None:
        """Start the server on a free port, retrying if the port was taken meanwhile."""
        for _ in range(attempts):
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port}"
                f" -c unix_socket_directories={shlex.quote(str(self.work_dir))}"
                f" {self.durability} -c max_connections=200"
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
        raise PostgresError(
            f"PostgreSQL failed to start (port {self.port}):\n{result.stdout}\n{result.stderr}\n"
            f"--- tail of {self.log_path} ---\n{_tail(self.log_path)}"
        )

    def halt(self) -> None:
        """Stop the server at once (connections cut, as in a crash), keeping its data and port."""
        result = self._run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self.data_dir))
        if result.returncode != 0:
            raise PostgresError(f"pg_ctl stop failed:\n{result.stdout}\n{result.stderr}")
        self._running = False

    def resume(self) -> None:
        """Start a halted server again on the same port."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port}"
            f" -c unix_socket_directories={shlex.quote(str(self.work_dir))}"
            f" {self.durability} -c max_connections=200"
        )
        result = self._run(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir),
            "-l", str(self.log_path), "-o", options,
        )  # fmt: skip
        if result.returncode != 0:
            raise PostgresError(
                f"PostgreSQL did not start again:\n{result.stderr}\n{_tail(self.log_path)}"
            )
        self._running = True

    def url(self, dbname: str = "postgres") -> str:
        """Return a SQLAlchemy URL for a database on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def conninfo(self, dbname: str = "postgres") -> str:
        """Return a libpq connection string for a database on this server."""
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname} connect_timeout=10"

    def _execute(self, *statements: sql.Composed) -> None:
        """Run statements in autocommit mode on the maintenance database."""
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def create_database(self, name: str, template: str | None = None) -> None:
        """Create a database, optionally copied from a template (which must have no connections)."""
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        self._execute(statement)

    def drop_database(self, name: str) -> None:
        """Drop a database if it exists, terminating its connections first."""
        terminate = sql.SQL(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = {} AND pid <> pg_backend_pid()"
        ).format(sql.Literal(name))
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        self._execute(terminate, drop)

    def stop(self) -> None:
        """Stop the server immediately and delete its directory; safe to call twice."""
        pid_file = self.data_dir / "postmaster.pid"
        if self._running or pid_file.exists():
            result = self._run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self.data_dir))
            if result.returncode != 0 and pid_file.exists():
                raise PostgresError(f"pg_ctl stop failed:\n{result.stdout}\n{result.stderr}")
        self._running = False
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        """Use the server as a context manager that stops it on exit."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server."""
        self.stop()
