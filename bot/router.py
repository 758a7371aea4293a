"""Routes each channel-neutral event to what handles it, inside one transaction."""

from __future__ import annotations

from bot.broadcasting.buttons import is_broadcast_button
from bot.broadcasting.desk import handle_broadcast_event, is_broadcast_event
from bot.commands import SUBSCRIPTION_COMMANDS, TRIAGE_COMMANDS, canonical
from bot.events import (
    BotAdded,
    BotPromoted,
    BotRemoved,
    ButtonPress,
    ChatMigrated,
    Command,
    Event,
    Location,
    Media,
    MemberJoined,
    MemberLeft,
    TextMessage,
    Unsupported,
)
from bot.linking import link_group
from bot.reporting.adding import ADDING, continue_adding, start_adding
from bot.reporting.dialogue import continue_report, open_draft, start_report
from bot.reporting.follow_up import media_in_group
from bot.reporting.group import reply_in_group, report_in_group
from bot.reporting.status import tell_status
from bot.subscribing.dialogue import STEPS as SUBSCRIBING
from bot.subscribing.dialogue import continue_subscribing, start_subscribing
from bot.subscribing.ending import end_subscriptions
from bot.subscribing.words import is_stop_word
from bot.triage.answers import answer_question
from bot.triage.desk import handle_desk, is_desk_event
from bot.turn import Turn
from bot.welcome import choose_language, introduce, introduce_if_first, language_button, send_help
from core.i18n import N_
from domain.chats.models import Channel
from domain.chats.service import migrate_chat, set_bot_membership
from domain.outbox.service import release_awaiting_window
from domain.reports.drafts import get_draft
from domain.subscriptions.service import note_heard

_DESK_ONLY = N_("This works only in a police triage group linked with /link.")
_PRIVATE_ONLY = N_(
    "To receive the police's safety broadcasts privately, write /subscribe to me in a private chat."
)
# Commands that work the same whether or not a report is being written.
_ANYTIME = {"help", "lang", "status", "link"}


def handle_event(turn: Turn) -> None:
    """Do what one event asks; answers go to the outbox in the same transaction."""
    event = turn.event
    if isinstance(event, ChatMigrated):
        migrate_chat(
            turn.session,
            channel=event.chat.channel,
            old_id=event.chat.chat_id,
            new_id=event.new_chat_id,
        )
        return
    if isinstance(event, BotAdded | BotRemoved | BotPromoted):
        _membership(turn, event)
        return
    if isinstance(event, MemberJoined | MemberLeft):
        return  # membership of people is asked of the platform when it matters
    if turn.is_private:
        _private(turn, event)
    else:
        _group(turn, event)


def _membership(turn: Turn, event: BotAdded | BotRemoved | BotPromoted) -> None:
    chat = turn.chat()
    if isinstance(event, BotRemoved):
        set_bot_membership(turn.session, chat=chat, member=False, reason=event.reason)
        return
    was_member = chat.bot_is_member and chat.active
    set_bot_membership(turn.session, chat=chat, member=True)
    if (
        isinstance(event, BotAdded)
        and not turn.is_private
        and (not was_member or chat.area_id is None)
    ):
        _ = turn._
        turn.reply(
            _(
                "Hello! I am Tinbao, the ward police's reporting bot. To link this group to its "
                "area, type /link followed by the code you received from the ward police."
            )
        )


def _private(turn: Turn, event: Event) -> None:
    if event.chat.channel == Channel.ZALO_OA.value:
        # Writing opens Zalo's 7-day window again: what waited for it goes first.
        release_awaiting_window(
            turn.session, channel=event.chat.channel, chat_id=event.chat.chat_id
        )
    first = introduce_if_first(turn)
    # A subscriber who writes keeps the Zalo OA's 7-day window for broadcasts open.
    person = turn.person()
    if person is not None and person.id is not None:
        note_heard(turn.session, person_id=person.id, now=turn.now)
    if isinstance(event, ButtonPress) and event.data.startswith("lang:"):
        language_button(turn, event)
        return
    if isinstance(event, ButtonPress) and (
        event.data.startswith("t:") or is_broadcast_button(event.data)
    ):
        turn.answer_button(event.callback_id, turn._(_DESK_ONLY), alert=True)
        return
    if isinstance(event, ButtonPress):
        turn.answer_button(event.callback_id)
    # An edited old message is no new command: /huy edited in later must not cancel anything.
    if isinstance(event, Command) and not event.edited and _command(turn, event, first):
        return
    if answer_question(turn):
        return
    person = turn.person()
    draft = get_draft(turn.session, person_id=person.id) if person and person.id else None
    if draft is not None and draft.step == ADDING:
        continue_adding(turn, draft)
    elif draft is not None and draft.step in SUBSCRIBING:
        continue_subscribing(turn, draft)
    elif draft is not None and open_draft(turn) is not None:
        continue_report(turn, draft)
    elif isinstance(event, Unsupported):
        _ = turn._
        turn.reply(
            _(
                "Sorry, I cannot read this kind of message. Please write in text, or type "
                "/help to see what you can do."
            )
        )
    elif isinstance(event, TextMessage) and not event.edited and is_stop_word(event.text):
        # Only when no question waits for an answer: there "dừng" may be the answer.
        end_subscriptions(turn)
    elif isinstance(event, Command) and canonical(event.name) in {"cancel", "back"}:
        turn.reply(turn._("There is no report being written. Type /report to start one."))
    elif not first and not event.edited and not isinstance(event, ButtonPress):
        send_help(turn)


def _command(turn: Turn, command: Command, first: bool) -> bool:
    """Handle commands that do not depend on a draft; False to let the draft have it."""
    name = canonical(command.name)
    if start_adding(turn, command):
        return True
    if name == "start":
        if not first:
            introduce(turn)
        return True
    if name == "report":
        start_report(turn)
        return True
    if name == "subscribe":
        start_subscribing(turn, command)
        return True
    if name == "unsubscribe":
        end_subscriptions(turn, command.args)
        return True
    if name in TRIAGE_COMMANDS:
        turn.reply(turn._(_DESK_ONLY))
        return True
    if name not in _ANYTIME:
        return False
    if name == "lang":
        choose_language(turn, command)
    elif name == "link":
        link_group(turn, command)
    elif name == "status":
        tell_status(turn, command)
    else:
        send_help(turn)
    return True


def _group(turn: Turn, event: Event) -> None:
    if is_broadcast_event(turn, event):
        handle_broadcast_event(turn, event)
        return
    if is_desk_event(turn, event):
        handle_desk(turn, event)
        return
    if isinstance(event, Command):
        name = canonical(event.name)
        if name == "link":
            turn.chat()
            link_group(turn, event)
        elif name == "report":
            report_in_group(turn, event.args)
        elif name == "status":
            tell_status(turn, event)
        elif name in SUBSCRIPTION_COMMANDS:
            turn.reply(turn._(_PRIVATE_ONLY))
    elif isinstance(event, ButtonPress):
        turn.answer_button(event.callback_id)
    elif isinstance(event, TextMessage | Media) and event.reply_to is not None and not event.edited:
        reply_in_group(turn)
    elif isinstance(event, Media | Location):
        media_in_group(turn)
