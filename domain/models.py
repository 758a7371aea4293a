"""Every table, imported in one place so that metadata and migrations see them all."""

from core.leadership import LeaderLease
from core.oa_tokens import SealedOaTokens
from domain.areas.models import Area, AreaAlias
from domain.chats.models import Chat, LinkCode
from domain.inbox.models import ChatLease, InboxUpdate
from domain.outbox.models import OutboxMessage
from domain.people.models import Identity, Person
from domain.reports import figures  # noqa: F401  (keeps the daily counts in step with flushes)
from domain.reports.models import Draft, Evidence, Question, Report, ReportDayCount, ReportEvent
from domain.subscriptions.models import Subscription

__all__ = [
    "Area",
    "AreaAlias",
    "Chat",
    "ChatLease",
    "Draft",
    "Evidence",
    "Identity",
    "InboxUpdate",
    "LeaderLease",
    "LinkCode",
    "OutboxMessage",
    "Person",
    "Question",
    "Report",
    "ReportDayCount",
    "ReportEvent",
    "SealedOaTokens",
    "Subscription",
]
