"""`/link CODE`: a group is bound to an area and a role by a one-time code."""

from __future__ import annotations

from sqlmodel import col, select

from bot.events import Command
from bot.reporting.police import route_waiting_reports
from bot.turn import Turn
from bot.zalo.groups import tell_zalo_group_limits
from core.i18n import N_
from domain.areas.models import Area
from domain.chats.models import Channel, LinkCode, LinkRole
from domain.chats.service import LinkOutcome, reactivate_chat, redeem_link_code
from domain.codes import normalize_code

_LINKED = frozenset({LinkOutcome.LINKED, LinkOutcome.REPLACED, LinkOutcome.SAME})
ROLE_NAMES = {
    LinkRole.TRIAGE.value: N_("the police's triage group"),
    LinkRole.COMMUNITY.value: N_("a residents' group"),
}


def link_group(turn: Turn, command: Command) -> None:
    """Redeem the code typed in a group, and say what changed."""
    _ = turn._
    if turn.is_private:
        turn.reply(_("The /link command works in a group: add me to the group and type it there."))
        return
    typed = normalize_code(command.args)
    if not typed:
        turn.reply(_("To link this group, type /link followed by the code you were given."))
        return
    needs_admin = (
        turn.event.chat.channel == Channel.TELEGRAM.value and turn.facts.bot_is_admin is False
    )
    if needs_admin and _code_role(turn, typed) == LinkRole.TRIAGE.value:
        turn.reply(
            _(
                "To work as a triage group I need to be an administrator here. Please make me "
                "an administrator, then type /link with the code again."
            )
        )
        return
    chat = turn.chat()
    result = redeem_link_code(turn.session, chat=chat, typed=typed, now=turn.now)
    if result.outcome in _LINKED and chat.channel == Channel.ZALO_OA.value and not chat.active:
        # An OA group stopped for an expired package: linked again once the OA renewed it.
        reactivate_chat(turn.session, chat=chat)
    if result.outcome == LinkOutcome.UNKNOWN:
        turn.reply(_("I do not know this code. Please check it, or ask for a new one."))
    elif result.outcome == LinkOutcome.EXPIRED:
        turn.reply(
            _("This code has expired: codes are valid for 24 hours. Please ask for a new one.")
        )
    elif result.outcome == LinkOutcome.USED:
        turn.reply(_("This code was already used for another group. Each code works only once."))
    else:
        turn.reply(
            _describe(
                turn,
                result.outcome,
                result.area,
                result.role,
                result.previous_area,
                result.previous_role,
            )
        )
        if turn.event.chat.channel == Channel.ZALO.value:
            tell_zalo_group_limits(turn)
        if result.role == LinkRole.TRIAGE.value and result.area is not None and result.area.id:
            # Reports that found no police chat before this one was linked come to it now.
            route_waiting_reports(
                turn.session, area_id=result.area.id, settings=turn.settings, sealer=turn.sealer
            )


def _code_role(turn: Turn, typed: str) -> str | None:
    code = turn.session.exec(select(LinkCode).where(col(LinkCode.code) == typed)).first()
    return code.role if code is not None else None


def _describe(
    turn: Turn,
    outcome: LinkOutcome,
    area: Area | None,
    role: str | None,
    previous_area: Area | None,
    previous_role: str | None,
) -> str:
    _ = turn._
    area_name = area.name if area else "?"
    role_name = _(ROLE_NAMES.get(role or "", role or "?"))
    if outcome == LinkOutcome.SAME:
        return _("This group is already linked to {area} as {role}.").format(
            area=area_name, role=role_name
        )
    if outcome == LinkOutcome.REPLACED and previous_area is not None:
        return _(
            "Linked: this group is now {role} of {area}. It replaces the earlier link to "
            "{old_area} as {old_role}."
        ).format(
            area=area_name,
            role=role_name,
            old_area=previous_area.name,
            old_role=_(ROLE_NAMES.get(previous_role or "", previous_role or "?")),
        )
    return _("Linked: this group is now {role} of {area}.").format(area=area_name, role=role_name)
