"""Reports filed in a community group: `/report TEXT`, and replies to the bot's messages."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from sqlmodel import col, select

from bot.events import Media, TextMessage
from bot.reporting import prompts
from bot.reporting.adding import invite_link, is_zalo
from bot.reporting.choices import guess_category
from bot.reporting.evidence import problem_text, stored_files
from bot.reporting.limits import over_limit
from bot.reporting.police import route_report
from bot.turn import Turn
from domain.areas.resolver import resolve_area
from domain.chats.models import Channel, LinkRole
from domain.outbox.messages import MessageKind, Outgoing
from domain.outbox.models import OutboxMessage
from domain.outbox.service import enqueue
from domain.reports.models import Report, Source
from domain.reports.service import (
    NewReport,
    add_to_report,
    file_report,
    get_report,
)
from domain.reports.urgency import is_emergency

# On Zalo, which names no replied-to message, a reporter's posts in the group this soon after
# their /report are added to it.
FOLLOW_UP = timedelta(minutes=10)

# Inside a sentence the resolver names no area, but scores a name it finds there whole, with
# the diacritics as typed, at 0.8 or more.
_NAMED_IN_TEXT = 0.8


def report_in_group(turn: Turn, text: str) -> Report | None:
    """File a report from a community group, tagged with the group's area."""
    _ = turn._
    chat = turn.chat()
    if chat.role != LinkRole.COMMUNITY.value or chat.area_id is None:
        if chat.role == LinkRole.TRIAGE.value:
            turn.reply(
                _(
                    "This is the police's triage group: residents report in their own group or privately to me."
                )
            )
        else:
            turn.reply(
                _(
                    "This group is not linked to an area yet, so I cannot take reports here. Please message me privately."
                )
            )
        return None
    text = text.strip()
    photo = isinstance(turn.event, Media) and turn.facts.evidence is not None
    if not text and isinstance(turn.event, Media) and not photo:
        turn.reply(problem_text(turn, turn.facts.evidence_problem), quote=True)
        return None
    if not text and not photo:  # a photo captioned "/report" alone is a report
        turn.reply(
            _(
                "Type /report followed by what you saw, for example: /report a stranger on a motorbike without plates in lane 5. Or message me privately."
            )
        )
        return None
    person = turn.person()
    if person is not None and person.id is not None and over_limit(turn, person_id=person.id):
        return None
    named = _place_named(turn, text, within=chat.area_id)
    evidence = []
    if isinstance(turn.event, Media) and turn.facts.evidence is not None:
        item = {
            "kind": turn.event.kind,
            "caption": turn.event.caption,
            **asdict(turn.facts.evidence),
        }
        evidence = stored_files({"evidence": [item]})
    report = file_report(
        turn.session,
        new=NewReport(
            category=guess_category(text),
            channel=turn.event.chat.channel,
            source=Source.GROUP,
            reporter_id=person.id if person else None,
            area_id=named or chat.area_id,
            text=text[:4000],
            anonymous=True,
            urgent=is_emergency(text),
            locale=turn.locale,
            group_chat_id=chat.id,
            evidence=evidence,
        ),
        actor="reporter",
        chat=f"{chat.channel}:{chat.chat_id}",
    )
    route_report(turn.session, report=report, settings=turn.settings, sealer=turn.sealer)
    _answer_in_group(turn, report)
    return report


def _place_named(turn: Turn, text: str, *, within: int) -> int | None:
    """A more precise place inside the group's area that the text names ("ở tổ 3"), if one."""
    resolution = resolve_area(
        turn.session, text=text, within=within, provinces=turn.settings.provinces
    )
    if resolution.area is not None:
        return resolution.area.id
    found = [
        c.area.id
        for c in resolution.candidates
        if c.score >= _NAMED_IN_TEXT and c.area.id != within
    ]
    return found[0] if len(found) == 1 else None


def _answer_in_group(turn: Turn, report: Report) -> None:
    _ = turn._
    text = _("Report {code} received. Thank you!").format(code=report.code)
    if report.urgent:
        text += "\n" + prompts.emergency_numbers(turn)
    link = None if is_zalo(turn) else invite_link(turn, report)
    if link is not None:
        text += "\n" + _("To add details or photos privately, open: {link}").format(link=link)
    else:
        text += "\n" + _("To add details or photos, message me privately: /add {code}").format(
            code=report.code
        )
    if turn.event.chat.channel == Channel.ZALO_OA.value:
        # The OA sees every post of its groups, but no event names the message it answers:
        # the reporter's next posts stand in for replies.
        text += "\n" + _(
            "Photos, videos, files or a location you post in this group in the next "
            "{minutes} minutes are added to it too."
        ).format(minutes=int(FOLLOW_UP.total_seconds() // 60))
    enqueue(
        turn.session,
        channel=turn.event.chat.channel,
        chat_id=turn.event.chat.chat_id,
        message=Outgoing(text=text, reply_to=turn.event.message_id),
        ref=f"report:{report.code}",
    )
    # Removing the /report message keeps the reporter and the people named out of the group's view.
    removable = turn.event.chat.channel == Channel.TELEGRAM.value and turn.facts.bot_is_admin
    if removable and turn.settings.delete_group_reports and turn.event.message_id:
        enqueue(
            turn.session,
            channel=turn.event.chat.channel,
            chat_id=turn.event.chat.chat_id,
            message=Outgoing(target_message_id=turn.event.message_id),
            kind=MessageKind.DELETE,
        )


def reply_in_group(turn: Turn) -> None:
    """A reply to the bot: adds to the reporter's own report, or files a new one."""
    event = turn.event
    if event.reply_to is None or not event.reply_to.from_bot:
        return
    if turn.chat().role != LinkRole.COMMUNITY.value:
        return  # officers answering the bot in triage, or talk in a group not linked yet
    report = _report_replied_to(turn, event.reply_to.message_id)
    person = turn.person()
    text = (
        event.text
        if isinstance(event, TextMessage)
        else (event.caption or "" if isinstance(event, Media) else "")
    )
    if report is not None and person is not None and report.reporter_id == person.id:
        evidence = None
        if isinstance(event, Media) and turn.facts.evidence is not None:
            item = {"kind": event.kind, "caption": event.caption, **asdict(turn.facts.evidence)}
            evidence = stored_files({"evidence": [item]})[0]
        chat = f"{event.chat.channel}:{event.chat.chat_id}"
        add_to_report(turn.session, report=report, text=text or None, evidence=evidence, chat=chat)
        turn.reply(
            turn._("Added to report {code}. Thank you!").format(code=report.code), quote=True
        )
        return
    report_in_group(turn, text)


def _report_replied_to(turn: Turn, message_id: str) -> Report | None:
    ref = turn.session.exec(
        select(OutboxMessage.ref).where(
            col(OutboxMessage.channel) == turn.event.chat.channel,
            col(OutboxMessage.chat_id) == turn.event.chat.chat_id,
            col(OutboxMessage.platform_message_id) == message_id,
        )
    ).first()
    if ref is None or not ref.startswith("report:"):
        return None
    return get_report(turn.session, code=ref.removeprefix("report:"))
