"""First contact, /start, /help and /lang in a private chat."""

from __future__ import annotations

from bot.events import ButtonPress, Command
from bot.turn import Turn
from core.i18n import LOCALES
from domain.chats.models import Channel
from domain.outbox.messages import Button
from domain.people.service import note_first_contact, set_locale

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


def introduce_if_first(turn: Turn) -> bool:
    """Tell a person, the first time they write, who answers and what is kept; True if told."""
    person = turn.person()
    if person is None or not note_first_contact(turn.session, person=person, now=turn.now):
        return False
    introduce(turn)
    return True


def introduce(turn: Turn) -> None:
    """Say that this is an automated service of the ward police, what it keeps and why."""
    _ = turn._
    turn.reply(
        _(
            "Hello! This is Tinbao, an automated service of the ward police for reporting "
            "crime, drugs, scams and fire hazards. You are talking to a bot, not a person.\n\n"
            "What we keep: what you report (text, photos, location) and, unless you report "
            "anonymously, your name on this app, so that the police can follow up. It is used "
            "only to handle your reports.\n\n"
            "In an emergency call 113 (police), 114 (fire) or 115 (ambulance). To talk to an "
            "officer in person, call or visit your ward police station.\n\n"
            "To receive the police's safety warnings for your area here, type /subscribe.\n\n"
            "Type /help to see what you can do. Type /lang to change the language."
        )
    )
    if turn.event.chat.channel == Channel.ZALO_OA.value:
        turn.reply(
            _(
                "On Zalo, this Official Account may write to you only within 7 days of your "
                "last message: news of your report comes within 7 days of your last message. "
                "News that comes later waits, and is sent as soon as you write again."
            )
        )


def send_help(turn: Turn) -> None:
    """List what a person can do in a private chat."""
    _ = turn._
    turn.reply(
        _(
            "What you can do here:\n"
            "/report (/baocao): report something to the ward police\n"
            "/status CODE (/tracuu): see where your report stands\n"
            "/add CODE (/bosung): add details or photos to your report\n"
            "/subscribe PLACE (/dangky): receive the police's safety broadcasts for an area\n"
            "/unsubscribe (/huydangky), or STOP: stop receiving them\n"
            "/cancel (/huy): stop the report you are writing\n"
            "/back (/quaylai): go back one step\n"
            "/lang (/ngonngu): change the language\n"
            "/help (/trogiup): show this list\n\n"
            "In an emergency call 113 (police), 114 (fire) or 115 (ambulance)."
        )
    )


def choose_language(turn: Turn, command: Command) -> None:
    """Switch language by `/lang en`, or offer the choice."""
    choice = command.args.strip().lower()[:2]
    if choice in LOCALES:
        _switch(turn, choice)
        return
    _ = turn._
    buttons = (tuple(Button(label=LANGUAGE_NAMES[code], data=f"lang:{code}") for code in LOCALES),)
    turn.reply(
        _("Choose a language: type /lang vi for Vietnamese or /lang en for English."),
        buttons=buttons,
    )


def language_button(turn: Turn, press: ButtonPress) -> None:
    """Switch language from a pressed button."""
    choice = press.data.removeprefix("lang:")
    if choice in LOCALES:
        _switch(turn, choice)
    turn.answer_button(press.callback_id)


def _switch(turn: Turn, locale: str) -> None:
    person = turn.person()
    if person is not None:
        set_locale(turn.session, person=person, locale=locale)
    _ = turn._
    turn.reply(_("Done: I will write to you in English from now on."))
