"""Adding to a filed report: by /add CODE, or by the private link a group reporter receives."""

from __future__ import annotations

from dataclasses import asdict

from bot.commands import canonical
from bot.events import Command, Location, Media, TextMessage
from bot.reporting.choices import says_done
from bot.reporting.evidence import stored_files
from bot.reporting.police import tell_police_of_addition
from bot.turn import Turn
from domain.chats.models import Channel
from domain.codes import normalize_code
from domain.evidence import StoredFile
from domain.reports.drafts import draft_data, drop_draft, start_draft
from domain.reports.models import Draft, Report
from domain.reports.service import add_to_report, get_report

ADDING = "adding"
LINK_PREFIX = "add_"


def invite_link(turn: Turn, report: Report) -> str | None:
    """A Telegram link that only this reporter can use to add to the report."""
    username = turn.profile.username
    person = turn.person()
    if username is None or person is None:
        return None
    signature = turn.sealer.sign(f"add:{report.code}:{person.id}")
    return f"https://t.me/{username}?start={LINK_PREFIX}{report.code}_{signature}"


def start_adding(turn: Turn, command: Command) -> bool:
    """Open adding mode from `/add CODE` or from an invite link; False if the command is neither."""
    _ = turn._
    name, args = canonical(command.name), command.args.strip()
    person = turn.person()
    if person is None or person.id is None:
        return False
    if name == "start" and args.startswith(LINK_PREFIX):
        code, _sep, signature = args.removeprefix(LINK_PREFIX).partition("_")
        valid = turn.sealer.verify(f"add:{code}:{person.id}", signature)
        report = get_report(turn.session, code=code) if valid else None
    elif name == "add":
        report = get_report(turn.session, code=normalize_code(args))
    else:
        return False
    if report is None or report.reporter_id != person.id:
        turn.reply(_("This link or code is not for one of your reports."))
        return True
    ref = turn.event.chat
    start_draft(
        turn.session,
        person_id=person.id,
        channel=ref.channel,
        chat_id=ref.chat_id,
        step=ADDING,
        data={"code": report.code},
    )
    turn.reply(
        _(
            "Send more words, photos, videos or files for report {code}. Type \u201cdone\u201d when finished."
        ).format(code=report.code)
    )
    return True


def continue_adding(turn: Turn, draft: Draft) -> None:
    """Add the event to the report; "done" or /cancel ends adding."""
    _ = turn._
    event = turn.event
    code = str(draft_data(draft).get("code", ""))
    report = get_report(turn.session, code=code)
    ends = isinstance(event, Command) and canonical(event.name) in {"cancel", "back"}
    if report is None or ends or (isinstance(event, TextMessage) and says_done(event.text)):
        drop_draft(turn.session, draft=draft)
        turn.reply(_("Thank you. Report {code} has everything you sent.").format(code=code))
        return
    text: str | None = None
    evidence = None
    if isinstance(event, TextMessage) and event.text.strip():
        text = event.text.strip()[:4000]
    elif isinstance(event, Media) and turn.facts.evidence is not None:
        text = event.caption
        item = {"kind": event.kind, "caption": event.caption, **asdict(turn.facts.evidence)}
        evidence = stored_files({"evidence": [item]})[0]
    elif isinstance(event, Location):
        report.latitude, report.longitude = event.latitude, event.longitude
    else:
        turn.reply(_("I could not add this. Send text, a photo, a video, a file or a location."))
        return
    add_and_tell(turn, report, text=text, evidence=evidence)
    turn.reply(_("Added to report {code}. Send more, or type \u201cdone\u201d.").format(code=code))


def is_zalo(turn: Turn) -> bool:
    """Whether the turn happens on Zalo (no links, no buttons)."""
    return turn.event.chat.channel in (Channel.ZALO.value, Channel.ZALO_OA.value)


def add_and_tell(
    turn: Turn,
    report: Report,
    *,
    text: str | None,
    evidence: tuple[str, StoredFile, str | None] | None,
) -> None:
    """Add the reporter's words or file to the report, and let the police know."""
    chat = (
        f"{turn.event.chat.channel}:{turn.event.chat.chat_id if not turn.is_private else 'private'}"
    )
    add_to_report(turn.session, report=report, text=text, evidence=evidence, chat=chat)
    tell_police_of_addition(
        turn.session,
        report=report,
        settings=turn.settings,
        text=text,
        files=int(evidence is not None),
    )
