"""/merge CODE (/gop): the rest of a cluster marked as duplicates of one report, once confirmed."""

from __future__ import annotations

from bot.events import ButtonPress
from bot.triage.authority import covers, officer_of
from bot.triage.cards import refresh_cards
from bot.triage.clusters import post_cluster
from bot.triage.tell import tell_reporter_of_move
from bot.turn import Turn
from domain.chats.models import Chat, has_buttons
from domain.outbox.messages import Button
from domain.reports.clusters import open_members, root_of
from domain.reports.deadlines import after_move
from domain.reports.models import Report, Status
from domain.reports.routing import triage_chat_for
from domain.reports.suggestions import record_answer, shown_suggestion
from domain.reports.triage import OPEN, Move, apply_move

# What confirms a merge typed as a command: "/merge K7QX2M ok" (or "/gop K7QX2M dongy").
CONFIRM_WORDS = frozenset({"ok", "yes", "co", "có", "dongy", "đồng ý", "xacnhan", "xác nhận"})


def rest_of_cluster(turn: Turn, *, keep: Report, chat: Chat) -> list[Report]:
    """The cluster's other open reports that this chat may act on."""
    root = root_of(turn.session, keep)
    if root.cluster_id is None:
        return []
    return [
        r
        for r in open_members(turn.session, root=root)
        if r.id != keep.id and covers(turn.session, chat=chat, report=r)
    ]


def ask_to_merge(turn: Turn, *, keep: Report, chat: Chat) -> None:
    """Say what a merge would do, and how to confirm it."""
    _ = turn._
    rest = rest_of_cluster(turn, keep=keep, chat=chat)
    if not rest or Status(keep.status) not in OPEN:
        turn.reply(
            _("Report {code} has no other open report in its cluster.").format(code=keep.code),
            quote=not isinstance(turn.event, ButtonPress),
        )
        return
    question = _(
        "Mark {count} report(s) of this cluster as duplicates of {code}? Each reporter is told."
    ).format(count=len(rest), code=keep.code)
    if has_buttons(chat.channel):
        yes = Button(
            label=_("✔ Yes, mark {count}").format(count=len(rest)),
            data=f"t:mergeok:{keep.code}",
        )
        turn.reply(question, buttons=((yes,),))
    else:
        turn.reply(
            question + "\n" + _("Type /merge {code} ok to confirm.").format(code=keep.code),
            quote=True,
        )


def merge_into(turn: Turn, *, keep: Report, chat: Chat) -> int:
    """Mark the rest of the cluster as duplicates of `keep`, with every trace a single move
    leaves; how many were marked."""
    if Status(keep.status) not in OPEN:
        return 0
    officer = officer_of(turn)
    rest = rest_of_cluster(turn, keep=keep, chat=chat)
    for report in rest:
        shown = shown_suggestion(turn.session, report=report)
        record_answer(
            turn.session,
            report=report,
            accepted=shown is not None and shown[0].id == keep.id,
            actor=officer.identity,
            chat=officer.chat,
        )
        apply_move(
            turn.session,
            report=report,
            move=Move.DUPLICATE,
            officer=officer,
            duplicate_of=keep,
            now=turn.now,
        )
        after_move(report, move=Move.DUPLICATE, settings=turn.settings, now=turn.now)
        refresh_cards(
            turn.session,
            report=report,
            settings=turn.settings,
            sealer=turn.sealer,
            change="",
            acting=chat,
            live_chat=triage_chat_for(turn.session, area_id=report.area_id),
        )
        tell_reporter_of_move(
            turn.session,
            report=report,
            move=Move.DUPLICATE,
            settings=turn.settings,
            sealer=turn.sealer,
        )
    if rest:
        post_cluster(
            turn.session, root=root_of(turn.session, keep), chat=chat, settings=turn.settings
        )
    return len(rest)
