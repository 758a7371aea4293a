"""/stats (/thongke) in a triage group: counts for a period, the monthly chart, and its help."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image

from bot.triage.stats import (
    Period,
    draw_chart,
    duration,
    months_table,
    read_period,
    stats_text,
)
from domain.db import utcnow
from domain.i18n import gettext_for
from domain.reports.stats import AreaCount, MonthCount, ReportStats

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
VI = gettext_for("vi")
EN = gettext_for("en")


def test_read_period_this_month_a_month_and_days() -> None:
    now = datetime(2026, 10, 15, 7, 5, tzinfo=UTC)  # 14:05 in Hà Nội
    this_month = read_period("", now=now, zone=ZONE, _=VI)
    assert this_month is not None
    assert (this_month.since, this_month.until) == (datetime(2026, 9, 30, 17, tzinfo=UTC), now)
    assert this_month.title == "Tháng 10/2026, từ ngày 1 đến nay"
    for typed in ("9/2026", "09/2026", "2026-09", "9-2026"):
        september = read_period(typed, now=now, zone=ZONE, _=VI)
        assert september is not None, typed
        assert september.since == datetime(2026, 8, 31, 17, tzinfo=UTC)
        assert september.until == datetime(2026, 9, 30, 17, tzinfo=UTC)
        assert september.title == "Tháng 09/2026"
    week = read_period("7", now=now, zone=ZONE, _=EN)
    assert week is not None and week.since == now - timedelta(days=7)
    assert week.title == "The last 7 days (since 14:05 on 08/10/2026)"
    for unreadable in ("0", "400", "13/2026", "2026-13", "hôm qua", "10/26"):
        assert read_period(unreadable, now=now, zone=ZONE, _=VI) is None, unreadable


def test_duration_reads_as_minutes_hours_or_days() -> None:
    assert duration(0.2, VI) == "dưới 1 phút"
    assert duration(42.4, VI) == "42 phút"
    assert duration(135, VI) == "2 giờ 15 phút"
    assert duration(3 * 24 * 60 + 5 * 60 + 10, VI) == "3 ngày 5 giờ"
    assert duration(135, EN) == "2 h 15 min"


def test_stats_text_shows_only_what_there_is_and_says_when_medians_are_missing() -> None:
    stats = ReportStats(
        total=3,
        by_category={"drugs": 0, "theft": 3},
        by_status={"new": 3, "resolved": 0},
        by_area=(AreaCount("SL-TH", "Tô Hiệu", 2), AreaCount(None, None, 1)),
        claimed=0,
        resolved=0,
        median_minutes_to_claim=None,
        median_minutes_to_resolve=None,
    )
    period = Period(since=utcnow(), until=utcnow(), title="Tháng 10/2026")
    text = stats_text(stats, area_name="Sơn La", period=period, _=VI)
    assert "• Trộm cắp: 3" in text and "Ma túy" not in text
    assert "• Chờ cán bộ nhận xử lý: 3" in text and "Đã giải quyết" not in text
    assert "• chưa rõ địa bàn: 1" in text
    assert "Thời gian nhận xử lý (trung vị): chưa có tin báo nào được nhận" in text
    empty = ReportStats(0, {}, {}, (), 0, 0, None, None)
    assert stats_text(empty, area_name="Sơn La", period=period, _=EN).splitlines() == [
        "📊 Report statistics: Sơn La",
        "Tháng 10/2026",
        "No reports in this period.",
    ]


def test_draw_chart_writes_a_png_and_months_table_lists_each_month(tmp_path: Path) -> None:
    months = [
        MonthCount(datetime(2026, m, 1, tzinfo=ZONE), filed=m, resolved=m // 2)
        for m in range(1, 13)
    ]
    path = draw_chart(
        months, folder=tmp_path / "charts", title="Tô Hiệu", legend=("Nhận được", "Đã giải quyết")
    )
    assert path.parent == tmp_path / "charts" and path.suffix == ".png"
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (900, 450)
    table = months_table(months, VI).splitlines()
    assert table[0] == "Tháng: nhận được / đã giải quyết"
    assert table[1:3] == ["01/2026: 1 / 0", "02/2026: 2 / 1"] and len(table) == 13
