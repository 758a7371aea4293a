"""`tinbao zalo-oa groups`: the OA's GMF groups, their link state, size and package expiry."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import typer

from bot.zalo_oa.client import ZaloOaClient
from bot.zalo_oa.groups import OaGroup, get_group, list_group_ids
from core.db import Database, utcnow
from domain.areas.models import Area
from domain.chats.models import Channel
from domain.chats.service import get_chat

zalo_oa_app = typer.Typer(
    help="The Zalo Official Account: its groups (GMF) and how Tinbao uses them.",
    no_args_is_help=True,
)

WARN_WITHIN = timedelta(days=14)  # a package that runs out sooner is called out


@dataclass(frozen=True)
class GroupLine:
    """One group of the OA as the command shows it."""

    group: OaGroup
    link: str  # "community SL-CA", "triage SL-CA", "not linked", or with "(stopped: ...)"


async def gather_groups(client: ZaloOaClient, db: Database) -> list[GroupLine]:
    """Every group of the OA with its details and its link in Tinbao."""
    lines = []
    for group_id in await list_group_ids(client):
        group = await get_group(client, group_id=group_id)
        lines.append(GroupLine(group, await asyncio.to_thread(_link_state, db, group_id)))
    return lines


def _link_state(db: Database, group_id: str) -> str:
    with db.reading() as session:
        chat = get_chat(session, channel=Channel.ZALO_OA.value, chat_id=group_id)
        if chat is None or chat.role is None or chat.area_id is None:
            return "not linked"
        area = session.get(Area, chat.area_id)
        state = f"{chat.role} {area.code if area else '?'}"
        return state if chat.active else f"{state} (stopped: {chat.inactive_reason})"


def package_warning(group: OaGroup, *, now: datetime) -> str | None:
    """What to say of a package that ran out or runs out within 14 days; None otherwise."""
    if group.expires_at is None:
        return None
    left = group.expires_at - now
    if left <= timedelta(0):
        return "package expired: the group receives nothing"
    if left <= WARN_WITHIN:
        return f"package expires in {max(1, left.days)} days"
    return None


def describe(line: GroupLine, *, zone: ZoneInfo, now: datetime | None = None) -> str:
    """One line: id, title, link, size, expiry, and a warning when it runs out soon."""
    now = now or utcnow()
    group = line.group
    size = "?" if group.size is None else str(group.size)
    if group.max_size is not None:
        size += f"/{group.max_size}"
    expiry = "unknown"
    if group.expires_at is not None:
        expiry = group.expires_at.astimezone(zone).date().isoformat()
    warning = package_warning(group, now=now)
    warning = f"  ! {warning}" if warning else ""
    name = group.name or "(no name)"
    return (
        f"{group.group_id}  {name}  [{line.link}]  members {size}  package until {expiry}{warning}"
    )


@zalo_oa_app.command("groups")
def groups() -> None:
    """List the OA's groups: link state, members, package expiry; warn of those expiring within 14 days."""
    from bot.zalo_oa.client import ZaloOaApiError, ZaloOaNetworkError
    from core.sealing import Sealer
    from core.settings import resolve_secret_key
    from tinbao.cli import _database, _fail, _require_schema, _settings

    settings = _settings()
    secret, refresh = settings.zalo_oa_app_secret, settings.zalo_oa_refresh_token
    if not (settings.zalo_oa_on and settings.zalo_oa_app_id and secret and refresh):
        raise _fail(
            "the Zalo OA is off: set TINBAO_ZALO_OA_APP_ID, TINBAO_ZALO_OA_SECRET_KEY, "
            "TINBAO_ZALO_OA_APP_SECRET and TINBAO_ZALO_OA_REFRESH_TOKEN"
        )
    db = _database(settings)
    try:
        _require_schema(db)
        client = ZaloOaClient(
            app_id=settings.zalo_oa_app_id,
            app_secret=secret.get_secret_value(),
            initial_refresh_token=refresh.get_secret_value(),
            api_url=settings.zalo_oa_api_url,
            oauth_url=settings.zalo_oauth_url,
            db=db,
            sealer=Sealer(resolve_secret_key(settings)[0]),
        )

        async def gather() -> list[GroupLine]:
            try:
                return await gather_groups(client, db)
            finally:
                await client.close()

        lines = asyncio.run(gather())
    except (ZaloOaApiError, ZaloOaNetworkError) as error:
        raise _fail(f"Zalo did not list the OA's groups: {error}") from None
    finally:
        db.dispose()
    for line in lines:
        typer.echo(describe(line, zone=settings.zone))
    now = utcnow()
    soon = sum(1 for line in lines if package_warning(line.group, now=now) is not None)
    typer.echo(f"{len(lines)} groups; {soon} expired or expiring within 14 days", err=True)
