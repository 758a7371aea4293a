"""What a transaction needs from the platforms, asked before it begins: no network inside a lock."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, tzinfo
from functools import partial

from telegram import Bot
from telegram.error import TelegramError

from bot.broadcasting.buttons import is_broadcast_button
from bot.commands import TRIAGE_COMMANDS, canonical
from bot.events import ButtonPress, Command, Event, Media, TextMessage
from bot.evidence import EvidenceFetcher
from bot.reporting.follow_up import captioned_report, followed_report
from bot.triage.reads import asked_of, read_ahead
from bot.turn import BotProfile, Facts, ReadAhead
from bot.zalo_oa.facts import OaGroupFacts
from core.db import Database, utcnow
from core.reading_turns import ReadingTurns
from core.sealing import Sealer
from core.shared_reads import Begun, SharedReads
from domain.chats.models import Channel, ChatKind, LinkRole
from domain.chats.service import get_chat
from domain.evidence import StoredFile
from domain.people.service import find_person
from domain.reports.drafts import get_draft
from domain.reports.questions import open_question

log = logging.getLogger(__name__)

# Group commands whose handling depends on the bot being a Telegram administrator there.
_NEEDS_ADMIN = {"link", "report"}


class FactFinder:
    """Asks the platforms, and fetches evidence, for the events about to be handled."""

    def __init__(
        self,
        *,
        db: Database,
        sealer: Sealer,
        profiles: dict[str, BotProfile],
        telegram_bot: Bot | None,
        fetcher: EvidenceFetcher | None,
        member_check_seconds: float = 60.0,
        oa_groups: OaGroupFacts | None = None,
        zone: tzinfo = UTC,
        reading_turns: ReadingTurns | None = None,
        shared_reads: SharedReads | None = None,
    ) -> None:
        self._oa_groups = oa_groups
        # The desk's figures take turns with the admin API's reads (core/reading_turns.py),
        # and the same command asked in a chat by several at once is read once for them.
        self._turns = reading_turns or ReadingTurns()
        self._shared = shared_reads or SharedReads()
        self._zone = zone
        self._member_ttl = member_check_seconds
        # (chat id, user id) -> (is a member, monotonic time asked)
        self._members: dict[tuple[str, str], tuple[bool, float]] = {}
        self._db = db
        self._sealer = sealer
        self._profiles = profiles
        self._telegram = telegram_bot
        self._fetcher = fetcher

    async def facts_for(self, event: Event) -> Facts:
        """The facts one event's handling needs."""
        admin = None
        in_group = event.chat.kind == ChatKind.GROUP.value
        # Asked once: it decides both the admin question and whether media are copied.
        files_by_reply = in_group and (
            await self._may_file_by_reply(event) or await self._files_from_group(event)
        )
        if (
            in_group
            and event.chat.channel == Channel.TELEGRAM.value
            and (
                (isinstance(event, Command) and canonical(event.name) in _NEEDS_ADMIN)
                or files_by_reply
            )
        ):
            admin = await self._telegram_bot_is_admin(event.chat.chat_id)
        evidence, problem = None, None
        # Only media that go into a report are copied: a group reply filing one, a draft's,
        # an answer to the police's question.
        wanted = files_by_reply if in_group else await self._person_writes_report(event)
        if isinstance(event, Media) and self._fetcher is not None and wanted:
            fetched = await self._fetcher.fetch(event.chat.channel, event)
            if isinstance(fetched, StoredFile):
                evidence = fetched
            else:
                problem = fetched.reason
        member, title, name = None, None, None
        if in_group and event.chat.channel == Channel.TELEGRAM.value and _may_be_triage(event):
            member = await self._telegram_member(event)
        oa_group = self._oa_groups if event.chat.channel == Channel.ZALO_OA.value else None
        if in_group and oa_group is not None:
            if isinstance(event, Command) and canonical(event.name) == "link":
                title = await oa_group.title(event.chat.chat_id)
            if _may_be_triage(event) and event.sender is not None:
                chat_id, user_id = event.chat.chat_id, event.sender.user_id
                member, name = await oa_group.member(chat_id, user_id)
        return Facts(
            bot_is_admin=admin,
            evidence=evidence,
            evidence_problem=problem,
            sender_is_member=member,
            chat_title=title,
            sender_name=name,
            # Only the desk's reading commands open a session for it: other events none.
            read_ahead=await self.read_ahead(event),
        )

    async def read_ahead(self, event: Event) -> ReadAhead | None:
        """What a desk command that only reads shows, read in its turn; None for other events.

        Officers asking the same of the same chat at once share one reading, begun after they
        asked (core/shared_reads.py): its figures are as of that reading's moment.
        """
        asked = asked_of(event)
        if asked is None:
            return None

        async def read(begun: Begun) -> ReadAhead | None:
            return await self._turns.read(partial(self._read_ahead, event), begun=begun)

        key = ("desk", event.chat.channel, event.chat.chat_id, *asked)
        answer: ReadAhead | None = await self._shared.answer(key, read)
        return answer

    def _read_ahead(self, event: Event) -> ReadAhead | None:
        with self._db.reading() as session:
            return read_ahead(session, event, now=utcnow(), zone=self._zone)

    async def _telegram_member(self, event: Event) -> bool | None:
        """Whether the sender is in the group now; answers are trusted for a short while."""
        if self._telegram is None or event.sender is None:
            return None
        key = (event.chat.chat_id, event.sender.user_id)
        now = time.monotonic()
        known = self._members.get(key)
        if known is not None and now - known[1] < self._member_ttl:
            return known[0]
        try:
            member = await self._telegram.get_chat_member(
                chat_id=int(event.chat.chat_id), user_id=int(event.sender.user_id)
            )
        except (TelegramError, ValueError) as error:
            log.warning("could not ask Telegram whether someone is in a group: %s", error)
            return None
        is_member = member.status in {"creator", "administrator", "member"} or (
            member.status == "restricted" and bool(getattr(member, "is_member", False))
        )
        if len(self._members) > 10_000:  # forget everyone rather than grow without bound
            self._members.clear()
        self._members[key] = (is_member, now)
        return is_member

    async def _may_file_by_reply(self, event: Event) -> bool:
        """A reply to the bot in a community group: it may file a report, to be deleted."""
        replies_to_bot = (
            isinstance(event, TextMessage | Media)
            and event.reply_to is not None
            and event.reply_to.from_bot
            and not event.edited
        )
        return replies_to_bot and await asyncio.to_thread(
            self._is_community, event.chat.channel, event.chat.chat_id
        )

    async def _files_from_group(self, event: Event) -> bool:
        """A photo captioned /report, or a Zalo reporter's follow-up to their group report."""
        if not isinstance(event, Media) or event.edited:
            return False
        if captioned_report(event) is not None:
            return await asyncio.to_thread(
                self._is_community, event.chat.channel, event.chat.chat_id
            )
        return await asyncio.to_thread(self._follows_a_report, event)

    def _follows_a_report(self, event: Event) -> bool:
        with self._db.reading() as session:
            chat = get_chat(session, channel=event.chat.channel, chat_id=event.chat.chat_id)
            found = followed_report(session, sealer=self._sealer, event=event, chat=chat)
            return found is not None

    async def _person_writes_report(self, event: Event) -> bool:
        """In private, media are copied only into a draft or an answer to the police."""
        sender = event.sender
        if not isinstance(event, Media) or sender is None:
            return False
        return await asyncio.to_thread(self._has_draft, event.chat.channel, sender.user_id)

    def _is_community(self, channel: str, chat_id: str) -> bool:
        with self._db.reading() as session:
            chat = get_chat(session, channel=channel, chat_id=chat_id)
            return chat is not None and chat.role == LinkRole.COMMUNITY.value

    def _has_draft(self, channel: str, user_id: str) -> bool:
        with self._db.reading() as session:
            person = find_person(session, sealer=self._sealer, channel=channel, user_id=user_id)
            if person is None or person.id is None:
                return False
            # A draft's media go into the report; an answer to the police's question, too.
            return (
                get_draft(session, person_id=person.id) is not None
                or open_question(session, reporter_id=person.id, now=utcnow()) is not None
            )

    async def _telegram_bot_is_admin(self, chat_id: str) -> bool | None:
        profile = self._profiles.get(Channel.TELEGRAM.value)
        if self._telegram is None or profile is None or profile.user_id is None:
            return None
        try:
            member = await self._telegram.get_chat_member(
                chat_id=int(chat_id), user_id=profile.user_id
            )
        except TelegramError as error:
            log.warning(
                "could not ask Telegram whether the bot administers a group: %s", error.message
            )
            return None
        return member.status in {"administrator", "creator"}


def _may_be_triage(event: Event) -> bool:
    """Events that may be a police action: a card's button, a desk command, a reply to the bot."""
    if isinstance(event, ButtonPress):
        return event.data.startswith("t:") or is_broadcast_button(event.data)
    if isinstance(event, Command):
        return canonical(event.name) in TRIAGE_COMMANDS
    return (
        isinstance(event, TextMessage | Media)
        and event.reply_to is not None
        and event.reply_to.from_bot
    )
