"""A kind limit on how many reports one person files, against floods and abuse."""

from __future__ import annotations

from bot.turn import Turn
from domain.reports.service import recent_window, reports_filed_since


def over_limit(turn: Turn, *, person_id: int) -> bool:
    """Tell the person, and return True, when they filed too many reports lately."""
    per_day = turn.settings.reports_per_day
    filed = reports_filed_since(turn.session, reporter_id=person_id, since=recent_window(24))
    if filed < per_day:
        return False
    _ = turn._
    turn.reply(
        _(
            "You have sent many reports today, thank you. Please wait a while before sending "
            "another. In an emergency call 113 (police), 114 (fire) or 115 (ambulance)."
        )
    )
    return True
