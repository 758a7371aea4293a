"""Routes each channel-neutral event to what handles it, inside one transaction."""

from __future__ import annotations

from bot.commands import canonical
from bot.events import (
    BotAdded,
    BotPromoted,
    BotRemoved,
    ButtonPress,
    ChatMigrated,
    Command,
    Event,
    MemberJoined,
    MemberLeft,
    Unsupported,
)
from bot.linking import link_group
from bot.turn import Turn
from bot.welcome import choose_language, introduce, introduce_if_first, language_button, send_help
from domain.chats.service import migrate_chat, set_bot_membership


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
    first = introduce_if_first(turn)
    if isinstance(event, Command):
        name = canonical(event.name)
        if name == "start":
            if not first:
                introduce(turn)
        elif name == "lang":
            choose_language(turn, event)
        elif name == "link":
            link_group(turn, event)
        elif not first:
            send_help(turn)
    elif isinstance(event, ButtonPress):
        if event.data.startswith("lang:"):
            language_button(turn, event)
        else:
            turn.answer_button(event.callback_id)
    elif isinstance(event, Unsupported):
        _ = turn._
        turn.reply(
            _(
                "Sorry, I cannot read this kind of message. Please write in text, or type "
                "/help to see what you can do."
            )
        )
    elif not first and not event.edited:
        send_help(turn)


def _group(turn: Turn, event: Event) -> None:
    if isinstance(event, Command) and canonical(event.name) == "link":
        turn.chat()
        link_group(turn, event)
    elif isinstance(event, ButtonPress):
        turn.answer_button(event.callback_id)
