"""Command names as people type them: English and Vietnamese aliases, one meaning."""

from __future__ import annotations

# Vietnamese aliases, typed without diacritics because commands allow only a-z, 0-9 and _.
ALIASES = {
    "batdau": "start",
    "trogiup": "help",
    "baocao": "report",
    "tracuu": "status",
    "huy": "cancel",
    "quaylai": "back",
    "ngonngu": "lang",
    "lienket": "link",
    "bosung": "add",
    "dangky": "subscribe",
    "huydangky": "unsubscribe",
    # The police's desk.
    "nhan": "claim",
    "bonhan": "unclaim",
    "hoi": "ask",
    "chuyen": "transfer",
    "trung": "duplicate",
    "tuchoi": "reject",
    "giaiquyet": "resolve",
    "molai": "reopen",
    "hangcho": "queue",
    "thongke": "stats",
    # Broadcasts from the police's desk; /tuchoi is taken by reports, hence /khongduyet.
    "phatthanh": "broadcast",
    "duyet": "approve",
    "khongduyet": "refuse",
    "dinhchinh": "correct",
    "dsphatthanh": "broadcasts",
    "xem": "show",
    "gop": "merge",
}

# Commands of a resident's private chat with the bot about broadcasts.
SUBSCRIPTION_COMMANDS = frozenset({"subscribe", "unsubscribe"})

# Commands of a triage chat.
TRIAGE_COMMANDS = frozenset(
    {"claim", "unclaim", "ask", "transfer", "duplicate", "reject", "resolve", "reopen"}
    | {"queue", "stats", "show", "merge"}
    | {"broadcast", "approve", "refuse", "correct", "broadcasts"}
)


def canonical(name: str) -> str:
    """The English name of a command typed in either language."""
    name = name.lower()
    return ALIASES.get(name, name)
