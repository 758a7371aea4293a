"""`tinbao broadcast`: the admin API's broadcasts from the command line, on the database itself."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlmodel import Session

    from broadcasts.plans import BroadcastRequest
    from core.db import Database
    from core.settings import Settings

broadcast_app = typer.Typer(
    help=(
        "Safety broadcasts to the community groups of areas: schedule, preview, list, follow "
        "and control them. They work on the database directly; a running `tinbao serve` "
        "notices each change within a few seconds."
    ),
    no_args_is_help=True,
)

Text = Annotated[str | None, typer.Option("--text", help="The words to send.")]
Content = Annotated[
    str | None,
    typer.Option("--content", metavar="ID", help="Send a library message instead (its id)."),
]
Areas = Annotated[
    list[str] | None,
    typer.Option(
        "--area", metavar="CODE", help="An area and every area under it; repeat for several."
    ),
]
Everywhere = Annotated[bool, typer.Option("--all", help="Every area.")]
At = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="TIME",
        help=(
            "Send once, at this time: ISO 8601, e.g. 2026-12-24T08:00+07:00. "
            "A time without an offset, e.g. '2026-12-24 08:00', is read in TINBAO_TIMEZONE."
        ),
    ),
]
Cron = Annotated[
    str | None,
    typer.Option(
        "--cron",
        metavar='"m h dom mon dow"',
        help="Send on a schedule: 5 cron fields in TINBAO_TIMEZONE; day of week 0 and 7 are Sunday.",
    ),
]
Urgent = Annotated[
    bool,
    typer.Option("--urgent", help="Ignore quiet hours and go ahead of routine broadcasts."),
]
Channels = Annotated[
    list[str] | None,
    typer.Option(
        "--channel",
        metavar="CHANNEL",
        help="Only groups on telegram, zalo or zalo-oa; repeat for several. Default: all.",
    ),
]
BroadcastId = Annotated[int, typer.Argument(metavar="ID", help="The broadcast's id.")]


def _fail(message: str) -> typer.Exit:
    from tinbao.cli import _fail as fail

    return fail(message)


def _open() -> tuple[Settings, Database]:
    """The settings and a database with the newest schema, or a one-line error."""
    from tinbao.cli import _database, _require_schema, _settings

    settings = _settings()
    db = _database(settings)
    try:
        _require_schema(db)
    except typer.Exit:
        db.dispose()
        raise
    return settings, db


def _moment(at: str, settings: Settings) -> datetime:
    try:
        moment = datetime.fromisoformat(at.strip())
    except ValueError:
        raise _fail(
            f"--at: cannot read {at!r} as a time; write e.g. 2026-12-24T08:00+07:00"
        ) from None
    # An operator at the console means the deployment's own clock.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=settings.zone)


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:96]
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return "cli"


def _request(
    settings: Settings,
    *,
    text: str | None,
    content: str | None,
    areas: list[str] | None,
    everywhere: bool,
    at: str | None,
    cron: str | None,
    urgent: bool,
    channels: list[str] | None,
) -> BroadcastRequest:
    """The service's request from the options; what they mean is left to the service to judge."""
    from broadcasts.plans import BroadcastRequest

    # Only which options go together is checked here, so that the error names them.
    if (text is None) == (content is None):
        raise _fail("give either --text or --content")
    if everywhere and areas:
        raise _fail("give either --area or --all, not both")
    if not everywhere and not areas:
        raise _fail("give at least one --area, or --all")
    if (at is None) == (cron is None):
        raise _fail("give either --at (once) or --cron (a schedule)")
    return BroadcastRequest(
        areas=None if everywhere else tuple(areas or ()),
        text=text,
        content_id=content,
        send_at=_moment(at, settings) if at is not None else None,
        cron=cron,
        urgent=urgent,
        channels=tuple(channels) if channels else None,
        created_by=_operator(),
    )


@broadcast_app.command()
def create(
    text: Text = None,
    content: Content = None,
    area: Areas = None,
    everywhere: Everywhere = False,
    at: At = None,
    cron: Cron = None,
    urgent: Urgent = False,
    channel: Channels = None,
) -> None:
    """Schedule a broadcast: its id alone on the first line, a summary on standard error.

    Give --text or --content, --area (repeatable) or --all, and --at or --cron.
    Nothing is saved when anything is wrong; the one line on standard error says what.
    """
    from broadcasts.plans import BroadcastError, preview
    from broadcasts.service import create_broadcast
    from broadcasts.texts import request_text
    from core.db import utcnow
    from tinbao.broadcast_views import summary

    settings, db = _open()
    try:
        request = _request(
            settings,
            text=text,
            content=content,
            areas=area,
            everywhere=everywhere,
            at=at,
            cron=cron,
            urgent=urgent,
            channels=channel,
        )
        now = utcnow()
        with db.session() as session:
            words = request_text(session, request, locale=settings.locale)
            seen = preview(session, request, settings=settings, text=words, now=now)
            broadcast = create_broadcast(session, request, settings=settings, now=now)
        assert broadcast.id is not None
    except BroadcastError as error:
        raise _fail(str(error)) from None
    finally:
        db.dispose()
    typer.echo(broadcast.id)
    typer.echo(summary(broadcast.id, seen, cron=request.cron, settings=settings), err=True)


@broadcast_app.command("preview")
def preview_command(
    text: Text = None,
    content: Content = None,
    area: Areas = None,
    everywhere: Everywhere = False,
    at: At = None,
    cron: Cron = None,
    urgent: Urgent = False,
    channel: Channels = None,
) -> None:
    """Show what `create` with the same options would do; nothing is saved.

    The exact text, the groups it reaches by area and channel, its first send time after
    quiet hours, and how long the fan-out takes at the platforms' limits.
    """
    from broadcasts.plans import BroadcastError, preview
    from broadcasts.texts import request_text
    from tinbao.broadcast_views import console, show_preview

    settings, db = _open()
    try:
        request = _request(
            settings,
            text=text,
            content=content,
            areas=area,
            everywhere=everywhere,
            at=at,
            cron=cron,
            urgent=urgent,
            channels=channel,
        )
        with db.reading() as session:
            words = request_text(session, request, locale=settings.locale)
            seen = preview(session, request, settings=settings, text=words)
    except BroadcastError as error:
        raise _fail(str(error)) from None
    finally:
        db.dispose()
    show_preview(seen, settings=settings, out=console())
    typer.echo("Nothing was saved.", err=True)


@broadcast_app.command("list")
def list_command(
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many, newest first.")] = 50,
) -> None:
    """The broadcasts, newest first: status, next run, the counts of the current or last run."""
    from broadcasts.service import list_broadcasts
    from tinbao.broadcast_views import console, facts_of, list_table

    settings, db = _open()
    try:
        with db.reading() as session:
            found = [
                facts_of(session, broadcast, settings=settings)
                for broadcast in list_broadcasts(session, limit=limit)
            ]
    finally:
        db.dispose()
    list_table(found, settings=settings, out=console())


@broadcast_app.command()
def show(
    broadcast_id: BroadcastId,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            help="Draw the current run's progress until it ends, then its counts. Ctrl-C stops.",
        ),
    ] = False,
) -> None:
    """One broadcast: what, where and when, its counts, and its runs with their failures."""
    from broadcasts.service import BroadcastNotFound, get_broadcast
    from tinbao import broadcast_views as views

    settings, db = _open()
    out = views.console()
    try:
        if follow:
            views.follow(
                db,
                broadcast_id=broadcast_id,
                settings=settings,
                out=out,
                err=views.console(stderr=True),
            )
            return
        with db.reading() as session:
            broadcast = get_broadcast(session, broadcast_id=broadcast_id)
            facts = views.facts_of(session, broadcast, settings=settings)
            views.show_broadcast(session, facts, settings=settings, out=out)
    except BroadcastNotFound as error:
        raise _fail(str(error)) from None
    finally:
        db.dispose()


def _control(broadcast_id: int, act: Callable[[Session], object]) -> tuple[object, str]:
    """Do it in one transaction; what it returned, and the broadcast's status after."""
    from broadcasts.service import BroadcastConflict, BroadcastNotFound, get_broadcast

    _, db = _open()
    try:
        with db.session() as session:
            done = act(session)
            status = get_broadcast(session, broadcast_id=broadcast_id).status
    except (BroadcastNotFound, BroadcastConflict) as error:
        raise _fail(str(error)) from None
    finally:
        db.dispose()
    return done, status


@broadcast_app.command()
def pause(broadcast_id: BroadcastId) -> None:
    """Hold the unsent deliveries and the next runs until `resume`."""
    from broadcasts.service import pause_broadcast

    _, status = _control(
        broadcast_id, lambda s: pause_broadcast(s, broadcast_id=broadcast_id, actor=_operator())
    )
    typer.echo(f"broadcast {broadcast_id}: {status}")


@broadcast_app.command()
def resume(broadcast_id: BroadcastId) -> None:
    """Go on after a pause: the paused run sends again, the schedule runs again."""
    from broadcasts.service import resume_broadcast

    _, status = _control(
        broadcast_id, lambda s: resume_broadcast(s, broadcast_id=broadcast_id, actor=_operator())
    )
    typer.echo(f"broadcast {broadcast_id}: {status}")


@broadcast_app.command()
def cancel(broadcast_id: BroadcastId) -> None:
    """Stop for good: unsent deliveries are dropped and no run follows."""
    from bot.broadcasting.approval import cancel_and_tell
    from tinbao.cli import _settings

    settings = _settings()  # the card's note is written in the deployment's language
    _, status = _control(
        broadcast_id,
        lambda s: cancel_and_tell(
            s, broadcast_id=broadcast_id, settings=settings, actor=_operator()
        ),
    )
    typer.echo(f"broadcast {broadcast_id}: {status}")


@broadcast_app.command()
def retry(broadcast_id: BroadcastId) -> None:
    """Send the failed deliveries of the last run again."""
    from broadcasts.service import retry_failed

    retried, status = _control(
        broadcast_id, lambda s: retry_failed(s, broadcast_id=broadcast_id, actor=_operator())
    )
    typer.echo(f"broadcast {broadcast_id}: {status} ({retried} failed deliveries to send again)")
