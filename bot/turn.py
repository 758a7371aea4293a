"""One event being handled: its transaction, what is known, and how to answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.events import ButtonPress, Event
from core.i18n import gettext_for, pick_locale
from core.sealing import Sealer
from core.settings import Settings
from domain.chats.models import Chat, ChatKind
from domain.chats.service import record_chat
from domain.evidence import StoredFile
from domain.outbox.messages import Button, MessageKind, Outgoing
from domain.outbox.models import Lane
from domain.outbox.service import enqueue
from domain.people.models import Person
from domain.people.service import remember_person
from domain.reports.chart import MonthCount
from domain.reports.queue import QueuePage
from domain.reports.stats import ReportStats

# The outbox "chat" of a button's answer: one of its own, so that it waits for nothing.
CALLBACK_QUEUE = "callback:"


@dataclass(frozen=True)
class ReadAhead:
    """What a command that only reads needed, read before the transaction in a reading session."""

    area_id: int | None  # the chat's area when it was read
    asked: str  # the command's words (or the button's page) it answers
    now: datetime  # the moment it was read: periods end here
    figures: QueuePage | ReportStats | tuple[MonthCount, ...]


@dataclass(frozen=True)
class Facts:
    """What was asked of the platform before the transaction began."""

    bot_is_admin: bool | None = None  # None: not asked, or the platform has no admins
    evidence: StoredFile | None = None  # the event's media, copied into the media folder
    evidence_problem: str | None = None  # why it could not be copied
    # Whether the sender is a current member of the group (Telegram's getChatMember, cached);
    # None: not asked, or the platform cannot tell.
    sender_is_member: bool | None = None
    chat_title: str | None = None  # the group's title as the platform gives it (a Zalo OA group)
    # The sender's name in the group's member list, where events carry none (a Zalo OA group).
    sender_name: str | None = None
    # /queue, /stats and the chart, read without holding the writer's lock (bot.facts).
    read_ahead: ReadAhead | None = None


@dataclass(frozen=True)
class BotProfile:
    """Who the bot is on a channel, as its getMe says."""

    user_id: int | None = None
    username: str | None = None
    name: str | None = None
    # The Zalo Bot's getMe `can_join_groups`; None: not said, or another platform.
    joins_groups: bool | None = None


@dataclass
class Turn:
    """Handling one event: everything a handler reads and the answers it writes."""

    session: Session
    settings: Settings
    sealer: Sealer
    event: Event
    now: datetime
    facts: Facts = field(default_factory=Facts)
    profile: BotProfile = field(default_factory=BotProfile)
    # Set when the turn scheduled or changed a broadcast: the leader's clock looks at once.
    broadcasts_changed: bool = False
    _person: Person | None = None
    _chat: Chat | None = None

    @property
    def is_private(self) -> bool:
        """Whether the event happened in a one-to-one chat with the bot."""
        return self.event.chat.kind == ChatKind.PRIVATE.value

    def chat(self) -> Chat:
        """The chat's row, created when first seen."""
        if self._chat is None:
            ref = self.event.chat
            self._chat = record_chat(
                self.session,
                channel=ref.channel,
                chat_id=ref.chat_id,
                kind=ref.kind,
                title=(self.facts.chat_title or ref.title)
                if ref.kind == ChatKind.GROUP.value
                else None,
            )
        return self._chat

    def person(self) -> Person | None:
        """The sender's row, created when first seen; their identity sealed apart."""
        sender = self.event.sender
        if self._person is None and sender is not None and not sender.is_bot:
            self._person = remember_person(
                self.session,
                sealer=self.sealer,
                channel=self.event.chat.channel,
                user_id=sender.user_id,
                display_name=sender.display_name,
                username=sender.username,
            )
        return self._person

    @property
    def locale(self) -> str:
        """The language to answer in: the person's choice in private, else the default."""
        chosen = None
        if self.is_private and (person := self.person()) is not None:
            chosen = person.locale
        return pick_locale(chosen, self.settings.locale)

    @property
    def _(self) -> Callable[[str], str]:
        """The translation function of the turn's language."""
        return gettext_for(self.locale)

    def reply(
        self, text: str, *, buttons: tuple[tuple[Button, ...], ...] = (), quote: bool = False
    ) -> None:
        """Answer in the event's chat, through the outbox."""
        message = Outgoing(
            text=text, buttons=buttons, reply_to=self.event.message_id if quote else None
        )
        enqueue(
            self.session,
            channel=self.event.chat.channel,
            chat_id=self.event.chat.chat_id,
            message=message,
            lane=Lane.INTERACTIVE,
        )

    def refuse(self, text: str) -> None:
        """Say why not: as an alert on a pressed button, or as a reply to the message."""
        if isinstance(self.event, ButtonPress):
            self.answer_button(self.event.callback_id, text, alert=True)
        else:
            self.reply(text, quote=True)

    def confirm(self, change: str) -> None:
        """Say it is done: on a pressed button, or as a reply marked ✔️."""
        if isinstance(self.event, ButtonPress):
            self.answer_button(self.event.callback_id, change)
        else:
            # A card edited far up the chat shows the change where nobody looks: say it here.
            self.reply("✔️ " + change, quote=True)

    def answer_button(self, callback_id: str, text: str = "", *, alert: bool = False) -> None:
        """Stop a pressed button's spinner, with an optional note."""
        # Queued apart from the chat's messages: an answer is no message, counts against no
        # group's limit, and must not wait behind a busy triage group's cards.
        enqueue(
            self.session,
            channel=self.event.chat.channel,
            chat_id=f"{CALLBACK_QUEUE}{callback_id}"[:64],
            message=Outgoing(text=text, callback_id=callback_id, alert=alert),
            kind=MessageKind.ANSWER_BUTTON,
        )
