"""Photos, files and places posted in a community group without replying to the bot.

A photo captioned `/report TEXT` files a report with it, on every channel. On Zalo no event
says which message a group message answers, so there what a reporter posts in the group
within minutes of their `/report` is added to that report, as their reply would be on
Telegram.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlmodel import Session

from bot.commands import canonical
from bot.events import Event, Location, Media, parse_command
from bot.reporting.adding import add_and_tell
from bot.reporting.evidence import problem_text, stored_files
from bot.reporting.group import FOLLOW_UP, report_in_group
from bot.turn import Turn
from core.db import utcnow
from core.sealing import Sealer
from domain.chats.models import Chat, LinkRole, shows_replies
from domain.people.service import find_person
from domain.reports.models import Report
from domain.reports.service import latest_group_report


def captioned_report(event: Event) -> str | None:
    """The words after `/report` (`/baocao`) in a photo's caption; None when not so captioned."""
    if not isinstance(event, Media) or not event.caption:
        return None
    parts = parse_command(event.caption, bot_name=None, loose_mentions=False)
    return parts.args if parts is not None and canonical(parts.name) == "report" else None


def followed_report(
    session: Session, *, sealer: Sealer, event: Event, chat: Chat | None
) -> Report | None:
    """The report a Zalo group post follows: its sender's, from this group, minutes ago."""
    if (
        shows_replies(event.chat.channel)
        or not isinstance(event, Media | Location)
        or event.sender is None
        or chat is None
        or chat.id is None
        or chat.role != LinkRole.COMMUNITY.value
    ):
        return None
    person = find_person(
        session, sealer=sealer, channel=event.chat.channel, user_id=event.sender.user_id
    )
    if person is None or person.id is None:
        return None
    return latest_group_report(
        session, reporter_id=person.id, group_chat_id=chat.id, since=utcnow() - FOLLOW_UP
    )


def media_in_group(turn: Turn) -> None:
    """A captioned /report files a report; the reporter's follow-up adds to theirs; else nothing."""
    event = turn.event
    if not isinstance(event, Media | Location) or event.edited:
        return
    words = captioned_report(event)
    if words is not None:
        report_in_group(turn, words)
        return
    report = followed_report(turn.session, sealer=turn.sealer, event=event, chat=turn.chat())
    if report is None:
        return  # a photo shared among neighbours is not the police's business
    if isinstance(event, Location):
        report.latitude, report.longitude = event.latitude, event.longitude
        add_and_tell(turn, report, text=None, evidence=None)
    elif turn.facts.evidence is None:
        turn.reply(problem_text(turn, turn.facts.evidence_problem), quote=True)
        return
    else:
        item = {"kind": event.kind, "caption": event.caption, **asdict(turn.facts.evidence)}
        [evidence] = stored_files({"evidence": [item]})
        add_and_tell(turn, report, text=event.caption, evidence=evidence)
    turn.reply(turn._("Added to report {code}. Thank you!").format(code=report.code), quote=True)
