"""The relay between officers and a reporter: both ways through the bot, so that an anonymous
reporter stays anonymous and the officer is shown only as the ward police."""

from __future__ import annotations

from bot.events import Location, Media
from bot.reporting.news import reporter_gettext, tell_reporter
from bot.triage.cards import send_photo
from bot.turn import Turn
from core.i18n import N_, gettext_for
from domain.chats.models import Channel, Chat
from domain.chats.service import get_chat
from domain.outbox.messages import MessageKind, Outgoing
from domain.outbox.service import enqueue
from domain.reports.models import Question, Report
from domain.reports.questions import mark_answered, record_question
from domain.reports.routing import triage_chat_for
from domain.reports.service import attach_evidence, record_event
from domain.reports.triage import Officer

ANSWERS = N_("The reporter of {code} answers:")
FILE_KEPT = N_("A file came with it; a copy is kept for the police.")
FILE_LOST = N_("A file came with it but could not be copied.")
PLACE = N_("Location: {lat:.5f}, {lon:.5f}")


def question_ref(code: str) -> str:
    """The ref of a question sent to a reporter: their reply to it is an answer."""
    return f"question:{code}"


def answer_ref(code: str) -> str:
    """The ref of a reporter's answer shown to the police; a command may reply to it."""
    return f"answer:{code}"


def ask_reporter(turn: Turn, *, report: Report, officer: Officer, question: str) -> bool:
    """Relay an officer's question (text, or media with a caption) to the reporter."""
    _ = reporter_gettext(turn.session, report=report, settings=turn.settings)
    event = turn.event
    media = event if isinstance(event, Media) else None
    text = _("The ward police ask about your report {code}:").format(code=report.code)
    if question:
        text += "\n\n" + question
    text += "\n\n" + _("Please answer by writing here; your answer goes only to the ward police.")
    sent = tell_reporter(
        turn.session,
        report=report,
        settings=turn.settings,
        sealer=turn.sealer,
        text=text,
        ref=question_ref(report.code),
    )
    if not sent:
        return False
    reporter_chat = sent[0]
    if media is not None and event.message_id is not None:
        same_platform = reporter_chat.channel == event.chat.channel == Channel.TELEGRAM.value
        if same_platform:
            # A copy, never a forward: a forward would show the officer's own account.
            enqueue(
                turn.session,
                channel=reporter_chat.channel,
                chat_id=reporter_chat.chat_id,
                message=Outgoing(
                    extra={"from_chat_id": event.chat.chat_id, "message_id": event.message_id}
                ),
                kind=MessageKind.COPY,
                ref=question_ref(report.code),
            )
        else:
            enqueue(
                turn.session,
                channel=reporter_chat.channel,
                chat_id=reporter_chat.chat_id,
                message=Outgoing(
                    text=_("(The ward police also sent a file that cannot be shown here.)")
                ),
            )
    record_question(
        turn.session,
        report=report,
        asked_by=officer.identity,
        chat=officer.chat,
        text=question,
        now=turn.now,
    )
    record_event(
        turn.session,
        report=report,
        kind="asked",
        actor=officer.identity,
        chat=officer.chat,
        details={"question": question, "media": media is not None},
    )
    return True


def relay_answer(turn: Turn, *, question: Question, report: Report) -> None:
    """Bring a reporter's message back to the police's triage chat, without who sent it."""
    _ = turn._
    police = triage_chat_for(turn.session, area_id=report.area_id)
    if police is None:  # transferred to an area nobody covers yet: back to who asked
        channel, _sep, chat_id = question.chat.partition(":")
        police = get_chat(turn.session, channel=channel, chat_id=chat_id)
    if police is None or not police.active:
        turn.reply(_("Sorry, the ward police cannot be reached right now. Please try later."))
        return
    event = turn.event
    p_ = gettext_for(turn.settings.locale)  # the police read the service's language
    media = event if isinstance(event, Media) else None
    words = (media.caption if media else getattr(event, "text", None)) or ""
    if isinstance(event, Location):
        words = p_(PLACE).format(lat=event.latitude, lon=event.longitude)
    header = "💬 " + p_(ANSWERS).format(code=report.code)
    if media is not None and turn.facts.evidence is not None:
        header += "\n" + p_(FILE_KEPT)
    elif media is not None:
        header += "\n" + p_(FILE_LOST)
    enqueue(
        turn.session,
        channel=police.channel,
        chat_id=police.chat_id,
        message=Outgoing(text=header + ("\n\n" + words if words else "")),
        ref=answer_ref(report.code),
    )
    if isinstance(event, Location) and police.channel == Channel.TELEGRAM.value:
        enqueue(
            turn.session,
            channel=police.channel,
            chat_id=police.chat_id,
            message=Outgoing(extra={"latitude": event.latitude, "longitude": event.longitude}),
            kind=MessageKind.LOCATION,
            ref=answer_ref(report.code),
        )
    kept = False
    if media is not None:
        kept = _relay_media(turn, media=media, report=report, police=police)
    mark_answered(turn.session, question=question, now=turn.now)
    record_event(
        turn.session,
        report=report,
        kind="answered",
        actor="reporter",
        chat=f"{police.channel}:{police.chat_id}",
        details={"media": media is not None, "kept": kept},
    )
    turn.reply(
        _("Thank you. I passed your answer about report {code} to the ward police.").format(
            code=report.code
        )
    )


def _relay_media(turn: Turn, *, media: Media, report: Report, police: Chat) -> bool:
    """Keep the reporter's photo or file as evidence and show a photo to the police.

    The photo goes from the kept copy, never with copyMessage: a copy's call would name the
    reporter's private chat, which is their user id.
    """
    stored = turn.facts.evidence
    if stored is None:
        return False
    attach_evidence(
        turn.session, report=report, kind=media.kind, stored=stored, caption=media.caption
    )
    if stored.mime_type.startswith("image/"):
        send_photo(
            turn.session,
            chat=police,
            path=stored.path,
            caption=report.code,
            settings=turn.settings,
            sealer=turn.sealer,
        )
    return True
