"""What `serve` checks and says before it serves, and how it readies its process to serve.

Each thing that stops it is one plain line for the operator.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import gc
import os
import re
import socket
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sqlalchemy.engine import make_url

from core.db import Database
from core.settings import Settings
from migrations.revision import HEAD_REVISION, current_revision


class StartupError(Exception):
    """Something that stops `serve`; the message is one plain line for the operator."""


def tinbao_version() -> str:
    """The installed distribution's version."""
    try:
        return version("tinbao")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


def safe_url(url: str) -> str:
    """The database URL without its password."""
    return make_url(url).render_as_string(hide_password=True)


def new_sqlite_file(settings: Settings) -> Path | None:
    """The SQLite file `serve` is about to create, when there is none yet."""
    if not settings.is_sqlite:
        return None
    database = make_url(settings.database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).expanduser().resolve()
    return None if path.exists() else path


def driver_reason(error: BaseException, settings: Settings) -> str:
    """The database driver's own reason for a failure, on one line, without the password."""
    original = getattr(error, "orig", None) or error
    reason = " ".join(str(original).split()) or type(original).__name__
    password = make_url(settings.database_url).password
    if password:
        reason = reason.replace(str(password), "***")
    return re.sub(r"\s*\(Background on this error at: [^)]*\)", "", reason)


def check_schema(db: Database) -> str | None:
    """Raise StartupError for a schema `serve` cannot run on; the revision, or None when empty."""
    revision = current_revision(db)
    if revision is None or revision == HEAD_REVISION:
        return revision
    from migrations.runner import is_known_revision  # Alembic: only for a schema not ours

    if not is_known_revision(revision):
        raise StartupError(
            f"the database schema (revision {revision}) is newer than this Tinbao "
            f"{tinbao_version()} knows (revision {HEAD_REVISION}): run a newer Tinbao"
        )
    raise StartupError(
        f"the database schema (revision {revision}) is older than this Tinbao's "
        f"(revision {HEAD_REVISION}): run `tinbao migrate` first"
    )


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything starts, so a taken port stops at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise StartupError(f"--port {port}: {host}:{port} is already in use") from None
        raise StartupError(
            f"--host {host} --port {port}: cannot listen ({error.strerror})"
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def describe(settings: Settings, *, host: str, port: int) -> str:
    """One line: where it listens, the channels and their modes, the admin API, database, URL."""
    public = settings.public_url
    channels = []
    if settings.telegram_on:
        channels.append(f"Telegram ({settings.telegram_mode})")
    if settings.zalo_on:
        channels.append("Zalo Bot (webhook)")
    if settings.zalo_oa_on:
        channels.append("Zalo OA (webhook)")
    return (
        f"Tinbao {tinbao_version()} on http://{host}:{port}; "
        f"channels: {', '.join(channels) or 'none'}; "
        f"admin API: {'on' if settings.admin_token is not None else 'off (TINBAO_ADMIN_TOKEN unset)'}; "
        f"database: {safe_url(settings.database_url)}; "
        f"public URL: {public or 'unset (webhooks are not registered)'}"
    )


# glibc's mallopt() parameter for the most arenas malloc may create.
M_ARENA_MAX = -8


def fewer_malloc_arenas(arenas: int = 2) -> None:
    """Have glibc's malloc keep two arenas, not eight a core, unless MALLOC_ARENA_MAX says.

    Each thread that allocates gets an arena of its own, and memory freed in one stays
    there: the reading thread's rows, the webhooks' bodies, SQLite's pages. With two, the
    service's peak memory on a province's history fell by 7 MB (docs/benchmarks.md,
    section 8). Without glibc (musl, macOS), nothing is changed.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(M_ARENA_MAX, arenas)
    except (OSError, AttributeError):  # no C library by that name, or one without mallopt
        return


def settle_heap() -> None:
    """Leave what start-up built out of the garbage collector's passes, as serving begins.

    Everything built so far lives as long as the process: a frozen heap keeps full
    collections short (about 100 ms each over its 200,000 objects otherwise, every few
    seconds while statistics are read), and with them the pauses that delay webhooks and
    paced sends. A request's objects die by reference counting; with the default threshold
    (700) a burst of webhooks ran a young collection every few requests over the ones in
    flight. A thread that reads holds the interpreter for up to the switch interval each
    time the event loop asks for it: 1 ms, not 5, keeps webhooks answered while statistics
    are read (docs/benchmarks.md, section 8).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    sys.setswitchinterval(0.001)
