"""/stats (/thongke) in a triage group: counts for a period, the monthly chart, and its help."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlmodel import Session, col, select

from bot.events import ChatRef, Command, Person
from bot.facts import FactFinder
from bot.triage.stats import (
    Period,
    draw_chart,
    duration,
    months_table,
    read_period,
    stats_text,
)
from core.db import utcnow
from core.i18n import gettext_for
from domain.areas.models import Area
from domain.reports.chart import MonthCount
from domain.reports.models import Report
from domain.reports.queue import QueuePage
from domain.reports.stats import AreaCount, ReportStats
from domain.reports.triage import Move, Officer, apply_move
from tests.bot.reporting_support import TRIAGE, handled, link, make_wards
from tests.factories import make_report
from tests.fakes import FakeTelegram, FakeZalo
from tests.fakes._server import Upload
from tests.harness import Running
from tests.people import TelegramPerson, ZaloPerson, texts_to
from tests.support.locks import writer_holding_the_lock

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
VI = gettext_for("vi")
EN = gettext_for("en")
OFFICER = Officer(identity="telegram:880001", name="Hùng", chat=f"telegram:{TRIAGE}")
ZALO_POLICE = "g_5566778899"  # the police of phường Chiềng An, on Zalo


def filed(session: Session, area_code: str, category: str, ago: timedelta) -> Report:
    """A report of an area filed some time ago."""
    area = session.exec(select(Area).where(col(Area.code) == area_code)).one()
    report = make_report(
        session,
        category=category,
        channel="zalo",
        area_id=area.id,
        text=category,
    )
    report.created_at = utcnow() - ago
    session.add(report)
    session.flush()
    return report


def act(session: Session, report: Report, move: Move, after: timedelta) -> None:
    """An officer's move some time after the report was filed."""
    reason = "Đã xử lý" if move in (Move.RESOLVE, Move.REJECT) else None
    at = report.created_at + after
    apply_move(session, report=report, move=move, officer=OFFICER, reason=reason, now=at)


@pytest.fixture
def desk(running: Running) -> Running:
    """The wards of Sơn La with four reports of the last three days and one of 40 days ago."""
    make_wards(running.db)
    with running.db.session() as session:
        link(session, channel="zalo", chat_id=ZALO_POLICE, area="SL-CA", role="triage")
        drugs = filed(session, "SL-TH", "drugs", timedelta(days=2))
        act(session, drugs, Move.CLAIM, timedelta(minutes=25))
        act(session, drugs, Move.RESOLVE, timedelta(hours=30))
        theft = filed(session, "SL-TH-T3", "theft", timedelta(days=1))
        act(session, theft, Move.CLAIM, timedelta(minutes=15))
        fraud = filed(session, "SL-CA", "fraud", timedelta(days=3))
        act(session, fraud, Move.CLAIM, timedelta(hours=2))
        act(session, fraud, Move.RESOLVE, timedelta(hours=6))
        filed(session, "SL-CA", "theft", timedelta(hours=5))
        filed(session, "SL-TH", "fire", timedelta(days=40))
    return running


async def test_stats_in_the_triage_group_counts_the_last_days_of_its_area(
    desk: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    officer = TelegramPerson(desk, user_id=880001, first_name="Hùng", last_name="Trần")
    await officer.says("/stats 7", group=TRIAGE)
    await desk.settle()
    [answer] = texts_to(telegram, TRIAGE)
    lines = answer.splitlines()
    assert lines[0] == "📊 Thống kê tin báo: Sơn La"
    assert lines[1].startswith("7 ngày qua (từ ")
    assert "Tổng số: 4 tin báo" in lines
    assert {"• Ma túy: 1", "• Trộm cắp: 2", "• Lừa đảo: 1"} <= set(lines)
    assert not any("Cháy" in line for line in lines)  # the fire of 40 days ago is out
    assert {"• Chờ cán bộ nhận xử lý: 1", "• Đang xử lý: 1", "• Đã giải quyết: 2"} <= set(lines)
    assert {"• Chiềng An: 2", "• Tô Hiệu: 1", "• Tổ 3: 1"} <= set(lines)
    # Claimed after 15 min, 25 min and 2 h; resolved after 30 h and 6 h.
    assert "Thời gian nhận xử lý (trung vị): 25 phút" in lines
    assert "Thời gian giải quyết (trung vị): 18 giờ 0 phút" in lines


async def test_thongke_bieudo_sends_a_png_chart_to_a_telegram_group(
    desk: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    officer = TelegramPerson(desk, user_id=880001, first_name="Hùng", last_name="Trần")
    await officer.says("/thongke biểu đồ", group=TRIAGE)
    await desk.settle()
    [photo] = telegram.sent("sendPhoto", TRIAGE)
    upload = photo.params["photo"]
    assert isinstance(upload, Upload) and upload.data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(upload.data)) as image:
        assert image.format == "PNG" and image.width >= 600
    assert photo.params["caption"] == (
        "Tin báo nhận được và đã giải quyết theo tháng, 12 tháng gần nhất: Sơn La"
    )
    assert texts_to(telegram, TRIAGE) == []


async def test_chart_in_a_zalo_triage_group_comes_as_numbers(
    desk: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    _, zalo = platforms
    await ZaloPerson(desk, display_name="Cán bộ Tuấn").says("/thongke bieudo", group=ZALO_POLICE)
    await desk.settle()
    assert zalo.sent("sendPhoto", ZALO_POLICE) == []
    [answer] = texts_to(zalo, ZALO_POLICE)
    assert "Không gửi được biểu đồ" in answer
    lines = answer.splitlines()
    month_lines = [line for line in lines if line[:2].isdigit() and line[2] == "/"]
    assert len(month_lines) == 12
    local_now = utcnow().astimezone(ZONE)
    assert month_lines[-1].startswith(f"{local_now:%m/%Y}: ")
    # Chiềng An's two reports: one filed three days ago and resolved, one five hours ago.
    filed_total = sum(int(line.split(": ")[1].split(" / ")[0]) for line in month_lines)
    resolved_total = sum(int(line.split(" / ")[1]) for line in month_lines)
    assert (filed_total, resolved_total) == (2, 1)


async def test_stats_with_words_it_cannot_read_answers_with_help(
    desk: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    officer = TelegramPerson(desk, user_id=880001, first_name="Hùng", last_name="Trần")
    await officer.says("/stats hôm qua", group=TRIAGE)
    await officer.says("/stats 13/2026", group=TRIAGE)
    await handled(desk)
    await desk.settle()
    answers = texts_to(telegram, TRIAGE)
    assert len(answers) == 2
    assert all(a.startswith("Gõ /thongke để xem số liệu từ đầu tháng đến nay") for a in answers)


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


@pytest.mark.parametrize("words", ["7", "chart", "queue"])
async def test_the_desk_reads_stats_and_queue_while_another_connection_holds_the_write_lock(
    desk: Running, words: str
) -> None:
    service = desk.service
    finder = FactFinder(
        db=desk.db,
        sealer=service.sealer,
        profiles={},
        telegram_bot=None,
        fetcher=None,
        zone=service.settings.zone,
    )
    name, args = ("queue", "") if words == "queue" else ("stats", words)
    command = Command(
        chat=ChatRef(channel="zalo", chat_id=ZALO_POLICE, kind="group"),
        sender=Person(user_id="5810000000009999", display_name="Hùng", username=None),
        message_id="1",
        sent_at=utcnow(),
        name=name,
        args=args,
    )
    with writer_holding_the_lock(desk.db.url):
        facts = await asyncio.wait_for(finder.facts_for(command), timeout=15)
    assert facts.read_ahead is not None and facts.read_ahead.asked == args
    figures = facts.read_ahead.figures
    if words == "7":
        assert isinstance(figures, ReportStats) and figures.total == 2  # Chiềng An's two
    elif words == "chart":
        assert isinstance(figures, tuple) and sum(m.filed for m in figures) == 2
    else:
        assert isinstance(figures, QueuePage) and figures.total == 1  # the theft still new
