"""What the desk says: the words a move needs, how to type each command, and what was done."""

from __future__ import annotations

from core.i18n import N_
from domain.reports.triage import Move

CODE_LENGTH = 6
ASK = "ask"  # not a Move: asking the reporter changes no status
SHOW = "show"  # not a Move either: a report's full card, posted again in this chat
MERGE = "merge"  # the rest of a cluster marked as duplicates of one report, once confirmed
# Moves that need words from the officer; a prompt asks for them when a button was pressed.
NEEDS_WORDS = {Move.REJECT, Move.RESOLVE, Move.DUPLICATE}
PROMPTS: dict[str, str] = {
    Move.REJECT: N_("Reply to this message with the reason for rejecting report {code}."),
    Move.RESOLVE: N_("Reply to this message with the outcome of report {code}, in a few words."),
    Move.DUPLICATE: N_("Reply to this message with the code of the report that {code} repeats."),
    ASK: N_(
        "Reply to this message with your question for the reporter of {code}; a photo or file "
        "may come with it. It will reach them as coming from the ward police."
    ),
}
USAGE: dict[str, str] = {
    Move.CLAIM: N_("Type /claim followed by the report's code, for example /claim K7QX2M."),
    Move.UNCLAIM: N_("Type /unclaim followed by the report's code."),
    Move.REOPEN: N_("Type /reopen followed by the report's code."),
    Move.REJECT: N_("Type /reject, the report's code and the reason: /reject K7QX2M reason."),
    Move.RESOLVE: N_("Type /resolve, the report's code and the outcome: /resolve K7QX2M outcome."),
    Move.DUPLICATE: N_("Type /duplicate, the report's code and the code it repeats."),
    Move.TRANSFER: N_(
        "Type /transfer, the report's code and the area: /transfer K7QX2M Chiềng An."
    ),
    ASK: N_("Type /ask, the report's code and your question: /ask K7QX2M question."),
    SHOW: N_("Type /show followed by the report's code, for example /show K7QX2M."),
    MERGE: N_(
        "Type /merge and the code of the report to keep: the rest of its cluster are marked "
        "as its duplicates once you confirm."
    ),
}
DESK_HELP = N_(
    "The police's desk. Each new report of this group's area arrives as a card with its code.\n"
    "/claim CODE (/nhan): take a report\n"
    "/unclaim CODE (/bonhan): let it go\n"
    "/ask CODE question (/hoi): ask the reporter, who stays anonymous\n"
    "/transfer CODE area (/chuyen): send it to another area\n"
    "/duplicate CODE OTHER (/trung): mark it as a repeat of another report\n"
    "/reject CODE reason (/tuchoi): reject it\n"
    "/resolve CODE outcome (/giaiquyet): close it as handled\n"
    "/reopen CODE (/molai): open it again\n"
    "/show CODE (/xem): the report's full card, for one listed in a digest or a cluster\n"
    "/merge CODE (/gop): mark the rest of its cluster as its duplicates, once confirmed\n"
    "/queue (/hangcho): the open reports\n"
    "/stats (/thongke): the numbers of this month; /stats chart for a chart"
)
DONE: dict[Move, str] = {
    Move.CLAIM: N_("{code}: taken by {officer}."),
    Move.UNCLAIM: N_("{code}: released by {officer}; it waits for an officer again."),
    Move.REJECT: N_("{code}: rejected by {officer}."),
    Move.DUPLICATE: N_("{code}: marked by {officer} as a duplicate of {other}."),
    Move.TRANSFER: N_("{code}: transferred by {officer} to {area}."),
    Move.RESOLVE: N_("{code}: resolved by {officer}."),
    Move.REOPEN: N_("{code}: reopened by {officer}."),
}
DONE_WORD: dict[Move, str] = {
    Move.CLAIM: N_("claimed"),
    Move.UNCLAIM: N_("released"),
    Move.REJECT: N_("rejected"),
    Move.DUPLICATE: N_("marked as a duplicate"),
    Move.TRANSFER: N_("transferred"),
    Move.RESOLVE: N_("resolved"),
    Move.REOPEN: N_("reopened"),
}
