"""What the Zalo Bot can do in groups, told plainly: its getMe says whether it may join one."""

from __future__ import annotations

from bot.turn import Turn
from core.i18n import N_

_MENTIONS_ONLY = N_(
    "On Zalo, a bot sees only the messages of a group that mention it: type @{name} before a "
    "command here (for example @{name} /report ...). For residents' groups, the groups of the "
    "ward's Zalo Official Account work better: there every message reaches Tinbao."
)


def zalo_bot_groups_note(joins_groups: bool | None) -> str:
    """The log line at start: what works with this Zalo Bot, and where residential groups go."""
    if joins_groups is False:
        return (
            "Zalo Bot: getMe says can_join_groups is false, so this bot cannot be added to "
            "groups: it works in private chats only. Residential groups reach Tinbao on Zalo as "
            "groups of the ward's Official Account (TINBAO_ZALO_OA_*)."
        )
    if joins_groups is True:
        return (
            "Zalo Bot: getMe says can_join_groups is true; in a group Zalo shows the bot only "
            "messages that mention it (@bot /report ...). Groups of the ward's Official Account "
            "see every message and are the way for residential groups."
        )
    return (
        "Zalo Bot: getMe does not say whether the bot may join groups; where it can, it sees "
        "only mentions. Groups of the ward's Official Account are the way for residential groups."
    )


def tell_zalo_group_limits(turn: Turn) -> None:
    """After /link in a Zalo Bot group: say that the bot sees mentions only, and what is better."""
    name = turn.profile.name or "Tin báo"
    turn.reply(turn._(_MENTIONS_ONLY).format(name=name))
