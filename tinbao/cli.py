"""The `tinbao` command: migrate, serve, import areas, issue link codes, broadcast."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from core.db import Database
from core.settings import Settings, SettingsError, load_settings, resolve_secret_key
from migrations.revision import HEAD_REVISION, current_revision
from tinbao.broadcast_cli import broadcast_app
from tinbao.zalo_oa_cli import zalo_oa_app

app = typer.Typer(
    help="Tinbao: community reports from Zalo and Telegram groups to the ward police.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
areas_app = typer.Typer(
    help="Manage the area tree (provinces, wards, residential groups).", no_args_is_help=True
)
app.add_typer(areas_app, name="areas")
app.add_typer(broadcast_app, name="broadcast")
app.add_typer(zalo_oa_app, name="zalo-oa")

log = logging.getLogger("tinbao")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"tinbao: {message}", err=True)
    return typer.Exit(code=2)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        raise _fail(str(error)) from None


def _database(settings: Settings) -> Database:
    return Database(
        settings.database_url,
        synchronous=settings.sqlite_synchronous,
        busy_seconds=settings.sqlite_busy_seconds,
    )


def _version(value: bool) -> None:
    if value:
        from tinbao.startup import tinbao_version

        typer.echo(f"tinbao {tinbao_version()}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Tinbao: community reports from Zalo and Telegram groups to the ward police."""


def _require_schema(db: Database) -> None:
    revision = current_revision(db)
    if revision is None:
        raise _fail("the database has no schema yet: run `tinbao migrate` first")
    if revision != HEAD_REVISION:
        raise _fail("the database schema is not the newest: run `tinbao migrate`")


@contextmanager
def _import_progress() -> Iterator[Callable[[int, int], None]]:
    """A progress bar on standard error, and the callback an import reports to it."""
    with typer.progressbar(length=1, label="importing", file=sys.stderr) as bar:
        shown = 0

        def progress(done: int, total: int) -> None:
            nonlocal shown
            bar.length = total
            bar.update(done - shown)
            shown = done

        yield progress


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema. Safe to run again."""
    from migrations.runner import upgrade_to_head  # Alembic: only when migrating

    settings = _settings()
    db = _database(settings)
    try:
        upgrade_to_head(db)
    except Exception as error:
        raise _fail(f"migration failed: {type(error).__name__}: {error}") from None
    finally:
        db.dispose()
    typer.echo(f"database at revision {HEAD_REVISION}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the whole service: webhooks, admin API, scheduler and sender."""
    import uvicorn

    from core.logs import configure_logging
    from tinbao.service import Service
    from tinbao.startup import (
        StartupError,
        check_schema,
        describe,
        driver_reason,
        fewer_malloc_arenas,
        listen,
        new_sqlite_file,
        settle_heap,
    )

    fewer_malloc_arenas()  # before any thread allocates
    settings = _settings()
    try:
        settings.check_for_serving()
    except SettingsError as error:
        raise _fail(str(error)) from None
    configure_logging(settings)
    try:
        sock = listen(host, port)
    except StartupError as error:
        raise _fail(str(error)) from None
    creating = new_sqlite_file(settings)
    if creating is not None:
        log.info("no database at %s: creating one there", creating)
    db = _database(settings)
    try:
        if check_schema(db) is None:
            from migrations.runner import upgrade_to_head  # Alembic: only when migrating

            log.info("empty database: migrating to the newest schema")
            upgrade_to_head(db)
    except StartupError as error:
        sock.close()
        db.dispose()
        raise _fail(str(error)) from None
    except Exception as error:
        sock.close()
        db.dispose()
        raise _fail(
            f"TINBAO_DATABASE_URL: cannot open the database: {driver_reason(error, settings)}"
        ) from None
    if settings.secret_key is None:
        _, generated = resolve_secret_key(settings)
        if generated:
            log.warning(
                "TINBAO_SECRET_KEY is unset: generated one into tinbao.key beside the database; back it up"
            )
    service = Service(settings, db=db)
    config = uvicorn.Config(
        service.app(),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    log.info("%s", describe(settings, host=host, port=port))
    settle_heap()
    uvicorn.Server(config).run(sockets=[sock])


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port to listen on (127.0.0.1 only).")] = 8000,
    data: Annotated[
        Path | None,
        typer.Option(help="Keep the demo in this folder between runs (default: a temporary one)."),
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset", help="Start from the demo's first state.")
    ] = False,
) -> None:
    """Run the whole service on a demo ward, with a browser playground; no token, no network."""
    from core.logs import configure_logging
    from tinbao.demo.run import demo_settings, run_demo

    if data is not None and data.exists() and not data.is_dir():
        raise _fail(f"--data: {data} is not a folder")
    configure_logging(demo_settings(data or Path(".")))
    run_demo(port=port, data=data, reset=reset)


@areas_app.command("import")
def import_areas(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV: code,name,kind,parent_code,aliases,lat,lon", exists=True, dir_okay=False
        ),
    ],
) -> None:
    """Create or update areas from a CSV file; nothing is written if any row is bad."""
    from domain.areas.importer import import_areas_csv

    settings = _settings()
    db = _database(settings)
    _require_schema(db)
    with _import_progress() as progress:
        report = import_areas_csv(db, file, on_progress=progress)
    db.dispose()
    if report.errors:
        for error in report.errors:
            typer.echo(f"{file.name}: line {error.line}: {error.message}", err=True)
        raise _fail(f"{len(report.errors)} bad row(s): nothing was imported")
    typer.echo(f"{report.created} areas created, {report.updated} updated")


@areas_app.command("import-vietnam")
def import_vietnam_areas(
    province: Annotated[
        list[str] | None,
        typer.Option(help="Only this province (code or name); may be repeated. Default: all."),
    ] = None,
) -> None:
    """Create or update Vietnam's provinces and wards since the 2025 reform, with former names."""
    from domain.areas.importer import import_vietnam
    from domain.areas.vietnam import DivisionsError, pick_provinces

    try:
        pick_provinces(province or [])
    except DivisionsError as error:
        raise _fail(str(error)) from None
    settings = _settings()
    db = _database(settings)
    _require_schema(db)
    with _import_progress() as progress:
        try:
            report = import_vietnam(db, provinces=province, on_progress=progress)
        except DivisionsError as error:
            raise _fail(str(error)) from None
        finally:
            db.dispose()
    typer.echo(
        f"{report.created} areas created, {report.updated} updated, {report.unchanged} unchanged"
    )


@app.command("link-code")
def link_code(
    area: Annotated[str, typer.Option(help="Code of the area the chat will belong to.")],
    role: Annotated[
        str, typer.Option(help="triage (police group) or community (residents' group).")
    ],
) -> None:
    """Print a one-time code (valid 24 hours) that links a chat to an area with /link CODE."""
    from domain.chats.service import LinkError, issue_link_code

    settings = _settings()
    if role not in {"triage", "community"}:
        raise _fail("--role must be triage or community")
    db = _database(settings)
    _require_schema(db)
    try:
        with db.session() as session:
            code = issue_link_code(session, area_code=area, role=role)
    except LinkError as error:
        raise _fail(str(error)) from None
    finally:
        db.dispose()
    typer.echo(code.code)
    typer.echo(
        f"Type /link {code.code} in the group. Valid until {code.expires_at.isoformat()}.", err=True
    )


def main() -> None:
    """Entry point of the console command."""
    app()
