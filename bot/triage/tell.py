"""What a reporter hears of the police's moves: in their language, on their channel, with the
code, and with the officer shown only as the ward police."""

from __future__ import annotations

from sqlmodel import Session

from bot.reporting.news import reporter_gettext, tell_reporter
from core.i18n import N_
from core.sealing import Sealer
from core.settings import Settings
from domain.reports.models import Report
from domain.reports.triage import Move

NEWS: dict[Move, str] = {
    Move.CLAIM: N_(
        "The ward police have taken up your report {code} and are working on it. "
        "Thank you for letting us know."
    ),
    Move.REJECT: N_(
        "The ward police will not take your report {code} further. Reason: {reason}\n"
        "If you have more to tell, you can send a new report at any time."
    ),
    Move.DUPLICATE: N_(
        "Your report {code} concerns a matter the ward police already know of, reported by "
        "someone else; it will be handled together with that report. Thank you."
    ),
    Move.RESOLVE: N_(
        "Your report {code} has been resolved by the ward police. Outcome: {reason}\n"
        "Thank you for helping keep the neighbourhood safe."
    ),
    Move.REOPEN: N_("The ward police have reopened your report {code} to look into it again."),
}


def tell_reporter_of_move(
    session: Session, *, report: Report, move: Move, settings: Settings, sealer: Sealer
) -> bool:
    """Tell the reporter what the move means for them; False when it is nothing to tell."""
    template = NEWS.get(move)
    if template is None:
        return False  # unclaim and transfer change nothing the reporter waits for
    _ = reporter_gettext(session, report=report, settings=settings)
    text = _(template).format(code=report.code, reason=report.outcome or "")
    return bool(tell_reporter(session, report=report, settings=settings, sealer=sealer, text=text))
