"""/stats (/thongke) in a triage chat: reports of a period counted, or a chart of the months."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from sqlmodel import Session

from bot.events import Command
from bot.reporting.choices import CATEGORY_LABELS
from bot.turn import Turn
from core.i18n import N_
from domain.areas.models import Area
from domain.chats.models import Channel, Chat
from domain.outbox.messages import MessageKind, Outgoing
from domain.outbox.service import enqueue
from domain.reports.chart import MonthCount, month_bounds, monthly_counts
from domain.reports.duplicate_stats import DuplicateCounts, duplicate_counts
from domain.reports.models import Status
from domain.reports.stats import ReportStats, report_stats
from domain.text import fold

Translate = Callable[[str], str]

# As the police speak of their queue; residents see bot.reporting.choices.STATUS_LABELS.
STATUS_LABELS: dict[str, str] = {
    Status.NEW: N_("Waiting for an officer"),
    Status.IN_PROGRESS: N_("Being handled"),
    Status.RESOLVED: N_("Resolved reports"),
    Status.REJECTED: N_("Rejected reports"),
    Status.DUPLICATE: N_("Duplicate reports"),
}
HELP = N_(
    "Type /stats for this month so far, /stats 10/2026 for a month, /stats 7 for the last "
    "7 days, or /stats chart for a chart of the last 12 months."
)
CHART_WORDS = frozenset({"chart", "bieudo"})
CHART_MONTHS = 12
MAX_DAYS = 366
# Charts wait in the media folder only until the sender has read them.
CHART_DAYS_KEPT = 7
_MONTH_YEAR = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DAYS = re.compile(r"^\d{1,4}$")


@dataclass(frozen=True)
class Period:
    """The time a count covers, [since, until), and how to name it."""

    since: datetime
    until: datetime
    title: str


Figures = ReportStats | tuple[MonthCount, ...]


def tell_stats(turn: Turn, command: Command, *, chat: Chat) -> None:
    """Answer /stats in a triage chat: counts for a period, or the monthly chart."""
    _ = turn._
    area = turn.session.get(Area, chat.area_id) if chat.area_id is not None else None
    area_name = area.name if area is not None else _("all areas")
    words = command.args.strip()
    # Counted before the transaction began, in a reading session (bot.facts), unless the
    # chat's link changed in between.
    ready = turn.facts.read_ahead
    now, figures = turn.now, None
    if (
        ready is not None
        and isinstance(ready.figures, ReportStats | tuple)
        and (ready.area_id, ready.asked) == (chat.area_id, command.args)
    ):
        now, figures = ready.now, ready.figures
    else:
        figures = count_figures(
            turn.session, area_id=chat.area_id, words=words, now=now, zone=turn.settings.zone
        )
    if isinstance(figures, tuple):
        _send_chart(turn, chat, figures, area_name)
        return
    period = read_period(words, now=now, zone=turn.settings.zone, _=_)
    if figures is None or period is None:
        turn.reply(_(HELP), quote=True)
        return
    text = stats_text(figures, area_name=area_name, period=period, _=_)
    if figures.total:
        counts = duplicate_counts(
            turn.session, area_id=chat.area_id, since=period.since, until=period.until
        )
        text += "\n" + duplicates_line(counts, _)
    turn.reply(text)


def duplicates_line(counts: DuplicateCounts, _: Translate) -> str:
    """How many reports repeated another, and how the suggested duplicates fared."""
    return _(
        "Duplicates: {duplicates} report(s) marked as repeats; suggestions shown {shown}, "
        "accepted {accepted}, rejected {rejected}"
    ).format(
        duplicates=counts.duplicates,
        shown=counts.shown,
        accepted=counts.accepted,
        rejected=counts.rejected,
    )


def count_figures(
    session: Session, *, area_id: int | None, words: str, now: datetime, zone: tzinfo
) -> Figures | None:
    """What /stats with these words shows: counts of a period, or the chart's months; None if unclear."""
    if fold(words).replace(" ", "") in CHART_WORDS:
        return tuple(
            monthly_counts(session, area_id=area_id, months=CHART_MONTHS, until=now, zone=zone)
        )
    period = read_period(words, now=now, zone=zone, _=str)
    if period is None:
        return None
    return report_stats(session, area_id=area_id, since=period.since, until=period.until)


def read_period(words: str, *, now: datetime, zone: tzinfo, _: Translate) -> Period | None:
    """The period the officer typed: nothing, a month, or a number of days; None if unclear."""
    local = now.astimezone(zone)
    if not words:
        since, _next = month_bounds(local.year, local.month, zone=zone)
        title = _("{month}, from the 1st until now").format(month=f"{local:%m/%Y}")
        return Period(since=since, until=now, title=title)
    month = _MONTH_YEAR.match(words)
    year_month = _YEAR_MONTH.match(words)
    if month or year_month:
        if month:
            number, year = int(month.group(1)), int(month.group(2))
        else:
            assert year_month is not None
            year, number = int(year_month.group(1)), int(year_month.group(2))
        if not 1 <= number <= 12 or not 2000 <= year <= 2100:
            return None
        since, until = month_bounds(year, number, zone=zone)
        title = _("Month {month}").format(month=f"{number:02d}/{year}")
        return Period(since=since, until=until, title=title)
    if _DAYS.match(words) and 1 <= int(words) <= MAX_DAYS:
        days = int(words)
        start = (now - timedelta(days=days)).astimezone(zone)
        title = _("The last {days} days (since {time} on {date})").format(
            days=days, time=f"{start:%H:%M}", date=f"{start:%d/%m/%Y}"
        )
        return Period(since=now - timedelta(days=days), until=now, title=title)
    return None


def duration(minutes: float, _: Translate) -> str:
    """A median time as people say it: minutes, hours and minutes, or days and hours."""
    whole = round(minutes)
    if whole < 1:
        return _("under a minute")
    if whole < 60:
        return _("{minutes} min").format(minutes=whole)
    if whole < 24 * 60:
        return _("{hours} h {minutes} min").format(hours=whole // 60, minutes=whole % 60)
    hours = round(minutes / 60)
    return _("{days} d {hours} h").format(days=hours // 24, hours=hours % 24)


def stats_text(stats: ReportStats, *, area_name: str, period: Period, _: Translate) -> str:
    """The answer to /stats: the period, the counts that are not zero, and the medians."""
    lines = ["📊 " + _("Report statistics: {area}").format(area=area_name), period.title]
    if stats.total == 0:
        lines.append(_("No reports in this period."))
        return "\n".join(lines)
    lines.append(_("Total: {count} reports").format(count=stats.total))

    def section(title: str, counts: Sequence[tuple[str, int]]) -> None:
        lines.extend(["", title, *(f"• {label}: {n}" for label, n in counts if n)])

    section(
        _("By category:"),
        [(_(CATEGORY_LABELS.get(k, k)), n) for k, n in stats.by_category.items()],
    )
    section(_("By status:"), [(_(STATUS_LABELS.get(k, k)), n) for k, n in stats.by_status.items()])
    section(_("By area:"), [(a.name or _("no area given"), a.count) for a in stats.by_area])
    lines.append("")
    claim, resolve = stats.median_minutes_to_claim, stats.median_minutes_to_resolve
    lines.append(
        _("Median time to claim: {duration}").format(duration=duration(claim, _))
        if claim is not None
        else _("Median time to claim: no report claimed yet")
    )
    lines.append(
        _("Median time to resolve: {duration}").format(duration=duration(resolve, _))
        if resolve is not None
        else _("Median time to resolve: no report resolved yet")
    )
    return "\n".join(lines)


def months_table(months: Sequence[MonthCount], _: Translate) -> str:
    """The chart's numbers as text, one month a line."""
    rows = [f"{m.month_start:%m/%Y}: {m.filed} / {m.resolved}" for m in months]
    return "\n".join([_("Month: received / resolved"), *rows])


def _send_chart(turn: Turn, chat: Chat, months: Sequence[MonthCount], area_name: str) -> None:
    _ = turn._
    caption = _("Reports received and resolved each month, the last 12 months: {area}").format(
        area=area_name
    )
    if chat.channel not in (Channel.TELEGRAM.value, Channel.PLAYGROUND.value):
        # The Zalo bot sends photos only by a public URL, which Tinbao does not have.
        note = _("A chart cannot be sent in this chat, so here are its numbers.")
        turn.reply("\n\n".join([caption, months_table(months, _), note]))
        return
    folder = (turn.settings.media_dir / "charts").resolve()
    path = draw_chart(
        months,
        folder=folder,
        title=area_name,
        legend=(_("Reports received"), _("Reports resolved")),
    )
    enqueue(
        turn.session,
        channel=chat.channel,
        chat_id=chat.chat_id,
        message=Outgoing(text=caption, extra={"path": str(path)}),
        kind=MessageKind.PHOTO,
    )


def draw_chart(
    months: Sequence[MonthCount], *, folder: Path, title: str, legend: tuple[str, str]
) -> Path:
    """Draw bars of reports received and resolved per month into a new PNG; its path."""
    # Imported here: matplotlib takes a second to load, and only charts need it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    figure = Figure(figsize=(9, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    width = 0.4
    places = range(len(months))
    for shift, values, label, colour in (
        (-width / 2, [m.filed for m in months], legend[0], "#1f5fa8"),
        (width / 2, [m.resolved for m in months], legend[1], "#2e8b57"),
    ):
        bars = axes.bar([p + shift for p in places], values, width, label=label, color=colour)
        axes.bar_label(bars, labels=[str(v) if v else "" for v in values], fontsize=8)
    axes.set_xticks(list(places), [f"{m.month_start:%m/%Y}" for m in months], fontsize=9)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(
        bottom=0, top=max([1, *(m.filed for m in months), *(m.resolved for m in months)]) * 1.15
    )
    axes.set_title(title)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=2, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    path = folder / f"stats-{uuid.uuid4().hex}.png"
    figure.savefig(path, format="png")
    return path


def _sweep(folder: Path) -> None:
    """Delete charts old enough to have been sent long ago."""
    oldest = time.time() - CHART_DAYS_KEPT * 86400
    for old in folder.glob("stats-*.png"):
        try:
            if old.stat().st_mtime < oldest:
                old.unlink()
        except OSError:
            continue  # gone already, or not ours to delete: the chart matters more
