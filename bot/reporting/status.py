"""`/status CODE`: a reporter asks where their report stands; nobody else learns anything."""

from __future__ import annotations

from babel.dates import format_datetime

from bot.events import Command
from bot.reporting.choices import CATEGORY_LABELS, STATUS_LABELS
from bot.turn import Turn
from domain.codes import normalize_code
from domain.reports.service import get_report


def tell_status(turn: Turn, command: Command) -> None:
    """Answer with the report's status, only to its reporter and only in private."""
    _ = turn._
    if not turn.is_private:
        turn.reply(_("To check a report, please message me privately: /status CODE."))
        return
    code = normalize_code(command.args)
    if not code:
        turn.reply(
            _("Type /status followed by the code of your report, for example /status K7QX2M.")
        )
        return
    person = turn.person()
    report = get_report(turn.session, code=code)
    if report is None or person is None or report.reporter_id != person.id:
        # The same answer for someone else's report: a code reveals nothing to a stranger.
        turn.reply(_("I found no report {code} of yours. Please check the code.").format(code=code))
        return
    filed = format_datetime(
        report.created_at, "HH:mm dd/MM/yyyy", tzinfo=turn.settings.zone, locale=turn.locale
    )
    turn.reply(
        _("Report {code} ({category}, sent {filed}): {status}.").format(
            code=report.code,
            category=_(CATEGORY_LABELS[report.category]),
            filed=filed,
            status=_(STATUS_LABELS[report.status]),
        )
    )
