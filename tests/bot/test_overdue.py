"""Missed deadlines: one reminder in the ward's triage chat, then one escalation above it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from bot.reporting.police import route_report
from bot.triage.overdue import remind_overdue
from core.db import Database
from core.sealing import Sealer
from core.settings import Settings
from domain.chats.service import deactivate_chat
from domain.outbox.service import messages_for
from domain.people.service import remember_person
from domain.reports.deadlines import after_move
from domain.reports.models import Report
from domain.reports.service import get_report, timeline
from domain.reports.triage import Move, Officer, apply_move
from tests.bot.reporting_support import TRIAGE, link, make_wards
from tests.factories import make_report
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import Running, make_settings
from tests.people import texts_to

SEALER = Sealer(b"test-secret-key-0123456789")
WARD_POLICE = "g_5544332211"  # the police of phường Tô Hiệu, on Zalo
WARD_POLICE_TELEGRAM = -1001000000666  # the same police, on Telegram, for the end-to-end test
OFFICER = Officer(identity="zalo:u_880001", name="Hùng Trần", chat=f"zalo:{WARD_POLICE}")
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def police_wards(db: Database, *, ward_channel: str = "zalo", ward_chat: str = WARD_POLICE) -> None:
    """Sơn La's wards, the province's police on Telegram and Tô Hiệu's own police."""
    make_wards(db)
    with db.session() as session:
        link(session, channel=ward_channel, chat_id=ward_chat, area="SL-TH", role="triage")


def file_in(
    db: Database, settings: Settings, *, area: str, category: str = "theft", urgent: bool = False
) -> str:
    """An anonymous report by Nguyễn Thị Lan, routed to its triage chat; return its code."""
    from domain.areas.service import get_area

    with db.session() as session:
        person = remember_person(
            session,
            sealer=SEALER,
            channel="telegram",
            user_id="770001",
            display_name="Nguyễn Thị Lan",
            username="lan_nguyen",
        )
        place = get_area(session, code=area)
        assert place is not None
        report = make_report(
            session,
            category=category,
            reporter_id=person.id,
            area_id=place.id,
            text="Có người lạ bẻ khóa xe máy",
            urgent=urgent,
        )
        route_report(session, report=report, settings=settings, sealer=SEALER)
        return report.code


def load(session: Session, code: str) -> Report:
    """The stored report of a code."""
    report = get_report(session, code=code)
    assert report is not None
    return report


def due(db: Database, code: str) -> tuple[datetime, datetime, datetime]:
    """When the report was filed, and its claim and resolve deadlines."""
    with db.reading() as session:
        report = load(session, code)
        assert report.claim_due_at is not None and report.resolve_due_at is not None
        return report.created_at, report.claim_due_at, report.resolve_due_at


def texts(db: Database, channel: str, chat_id: str | int) -> list[str]:
    """Every text queued for a chat, oldest first."""
    with db.reading() as session:
        rows = messages_for(session, channel=channel, chat_id=str(chat_id))
        return [str(json.loads(row.body).get("text", "")) for row in rows]


def notices(db: Database, code: str) -> list[tuple[str, str | None, dict[str, object]]]:
    """The report's reminder and escalation events: kind, chat, details."""
    with db.reading() as session:
        return [
            (e.kind, e.chat, json.loads(e.details))
            for e in timeline(session, report=load(session, code))
            if e.kind in {"reminded", "escalated", "escalation_unrouted"}
        ]


def test_remind_overdue_reminds_the_ward_once_then_escalates_to_the_province_once(
    db: Database, tmp_path: Path
) -> None:
    settings = make_settings(db.url, tmp_path)
    police_wards(db)
    code = file_in(db, settings, area="SL-TH-T3")
    filed, claim_due, _resolve_due = due(db, code)
    assert claim_due - filed == DAY
    ward_before = len(texts(db, "zalo", WARD_POLICE))
    province_before = len(texts(db, "telegram", TRIAGE))

    assert remind_overdue(db, settings=settings, now=claim_due - MINUTE) == 0
    assert remind_overdue(db, settings=settings, now=claim_due + 25 * MINUTE) == 1
    assert remind_overdue(db, settings=settings, now=claim_due + 26 * MINUTE) == 0
    reminders = texts(db, "zalo", WARD_POLICE)[ward_before:]
    assert reminders == [
        f"⏰ Tin báo {code} · Trộm cắp: quá hạn tiếp nhận 25 phút.\n"
        f"Chưa có cán bộ nào nhận. Gõ /nhan {code} để nhận xử lý."
    ]
    assert len(texts(db, "telegram", TRIAGE)) == province_before

    # Escalated once late by the claim span again (a day): to the province, not the ward.
    assert remind_overdue(db, settings=settings, now=claim_due + DAY - MINUTE) == 0
    assert remind_overdue(db, settings=settings, now=claim_due + DAY + 5 * HOUR) == 1
    assert remind_overdue(db, settings=settings, now=claim_due + 3 * DAY) == 0
    escalations = texts(db, "telegram", TRIAGE)[province_before:]
    assert len(escalations) == 1
    assert escalations[0].startswith(
        f"⚠️ Tin báo {code} · Trộm cắp đã quá hạn, được chuyển lên nhóm này để đôn đốc.\n"
    )
    assert "Tổ 3, Tô Hiệu, Sơn La" in escalations[0]
    assert "Chưa có cán bộ nào nhận, đã quá hạn tiếp nhận 1 ngày 5 giờ." in escalations[0]
    assert "Đã nhắc nhóm tiếp nhận tin báo của Tô Hiệu lúc" in escalations[0]
    assert len(texts(db, "zalo", WARD_POLICE)) == ward_before + 1

    assert notices(db, code) == [
        (
            "reminded",
            f"zalo:{WARD_POLICE}",
            {"stage": "claim", "minutes_late": 25, "due": claim_due.isoformat()},
        ),
        (
            "escalated",
            f"telegram:{TRIAGE}",
            {
                "stage": "claim",
                "minutes_late": 29 * 60,
                "due": claim_due.isoformat(),
                "from_chat": f"zalo:{WARD_POLICE}",
            },
        ),
    ]
    with db.reading() as session:
        report = load(session, code)
        assert report.reminded_at == claim_due + 25 * MINUTE
        assert report.escalated_at == claim_due + DAY + 5 * HOUR
    assert_anonymous(db)


def test_remind_overdue_after_a_claim_counts_the_twenty_day_crime_deadline(
    db: Database, tmp_path: Path
) -> None:
    settings = make_settings(db.url, tmp_path)
    police_wards(db)
    code = file_in(db, settings, area="SL-TH", category="drugs")
    filed, claim_due, resolve_due = due(db, code)
    assert resolve_due - filed == 20 * DAY
    with db.session() as session:
        report = load(session, code)
        apply_move(session, report=report, move=Move.CLAIM, officer=OFFICER, now=filed + HOUR)
        after_move(report, move=Move.CLAIM, settings=settings, now=filed + HOUR)
    before = len(texts(db, "zalo", WARD_POLICE))

    # No claim reminder any more, however late; the resolve deadline still counts.
    assert remind_overdue(db, settings=settings, now=claim_due + 2 * DAY) == 0
    assert remind_overdue(db, settings=settings, now=resolve_due - MINUTE) == 0
    assert remind_overdue(db, settings=settings, now=resolve_due + 3 * HOUR) == 1
    assert texts(db, "zalo", WARD_POLICE)[before:] == [
        f"⏰ Tin báo {code} · Ma túy: quá hạn giải quyết 3 giờ.\n"
        "Cán bộ đang xử lý: Hùng Trần.\n"
        f"Khi xử lý xong, gõ /giaiquyet {code} kèm kết quả."
    ]
    # A day after the deadline, at most, the province hears of it.
    assert remind_overdue(db, settings=settings, now=resolve_due + DAY) == 1
    [escalation] = texts(db, "telegram", TRIAGE)[-1:]
    assert (
        "Cán bộ Hùng Trần đang xử lý nhưng chưa giải quyết xong, đã quá hạn 1 ngày." in escalation
    )
    assert [kind for kind, _chat, _details in notices(db, code)] == ["reminded", "escalated"]
    assert all(details["stage"] == "resolve" for _k, _c, details in notices(db, code))
    assert_anonymous(db)


def test_remind_overdue_reminds_an_urgent_report_within_minutes(
    db: Database, tmp_path: Path
) -> None:
    settings = make_settings(db.url, tmp_path)
    police_wards(db)
    code = file_in(db, settings, area="SL-TH-T3", category="fire", urgent=True)
    filed, claim_due, _resolve_due = due(db, code)
    assert claim_due - filed == 15 * MINUTE
    assert remind_overdue(db, settings=settings, now=filed + 14 * MINUTE) == 0
    assert remind_overdue(db, settings=settings, now=filed + 17 * MINUTE) == 1
    reminder = texts(db, "zalo", WARD_POLICE)[-1]
    assert reminder.startswith(f"⏰ Tin báo {code} · Cháy nổ, PCCC: quá hạn tiếp nhận 2 phút.")
    assert "🚨" in reminder
    # Escalated after the span again: 30 minutes after filing.
    assert remind_overdue(db, settings=settings, now=filed + 29 * MINUTE) == 0
    assert remind_overdue(db, settings=settings, now=filed + 30 * MINUTE) == 1
    assert "đã quá hạn tiếp nhận 15 phút" in texts(db, "telegram", TRIAGE)[-1]
    assert_anonymous(db)


def test_remind_overdue_follows_configured_deadlines(db: Database, tmp_path: Path) -> None:
    settings = make_settings(db.url, tmp_path, claim_within={"theft": timedelta(hours=2)})
    police_wards(db)
    code = file_in(db, settings, area="SL-TH")
    filed, claim_due, _resolve_due = due(db, code)
    assert claim_due - filed == 2 * HOUR
    assert remind_overdue(db, settings=settings, now=filed + 3 * HOUR + 30 * MINUTE) == 1
    assert "quá hạn tiếp nhận 1 giờ 30 phút" in texts(db, "zalo", WARD_POLICE)[-1]


def test_remind_overdue_records_an_escalation_with_no_chat_above_once(
    db: Database, tmp_path: Path
) -> None:
    settings = make_settings(db.url, tmp_path, locale="en")
    police_wards(db)
    # Chiềng An has no police chat of its own: the province's covers it, and nothing is above.
    code = file_in(db, settings, area="SL-CA", category="weapons", urgent=True)
    filed, _claim_due, _resolve_due = due(db, code)
    province_before = len(texts(db, "telegram", TRIAGE))
    assert remind_overdue(db, settings=settings, now=filed + 20 * MINUTE) == 1
    assert texts(db, "telegram", TRIAGE)[province_before:] == [
        f"⏰ Report {code} · Weapons, explosives: overdue for claim by 5 minutes.\n"
        "🚨 URGENT\n"
        f"Nobody has claimed it yet. Type /claim {code} to take it."
    ]
    assert remind_overdue(db, settings=settings, now=filed + 40 * MINUTE) == 0
    assert remind_overdue(db, settings=settings, now=filed + 2 * HOUR) == 0
    assert len(texts(db, "telegram", TRIAGE)) == province_before + 1
    assert [(kind, chat) for kind, chat, _details in notices(db, code)] == [
        ("reminded", f"telegram:{TRIAGE}"),
        ("escalation_unrouted", None),
    ]


def test_remind_overdue_leaves_unrouted_and_closed_reports_alone(
    db: Database, tmp_path: Path
) -> None:
    settings = make_settings(db.url, tmp_path)
    police_wards(db)
    closed = file_in(db, settings, area="SL-TH")
    with db.session() as session:
        report = load(session, closed)
        apply_move(session, report=report, move=Move.REJECT, officer=OFFICER, reason="Tin sai")
        after_move(report, move=Move.REJECT, settings=settings, now=report.created_at)
        deactivate_chat(session, channel="zalo", chat_id=WARD_POLICE, reason="kicked")
        deactivate_chat(session, channel="telegram", chat_id=str(TRIAGE), reason="kicked")
    lost = file_in(db, settings, area="SL-TH")
    filed, _claim_due, _resolve_due = due(db, lost)
    assert remind_overdue(db, settings=settings, now=filed + 30 * DAY) == 0
    assert notices(db, lost) == notices(db, closed) == []


def test_a_report_whose_police_left_is_reminded_once_a_police_group_is_linked_again(
    db: Database, tmp_path: Path
) -> None:
    settings = make_settings(db.url, tmp_path)
    police_wards(db)
    code = file_in(db, settings, area="SL-TH-T3")
    _filed, claim_due, _resolve_due = due(db, code)
    with db.session() as session:
        deactivate_chat(session, channel="zalo", chat_id=WARD_POLICE, reason="kicked")
        deactivate_chat(session, channel="telegram", chat_id=str(TRIAGE), reason="kicked")
    assert remind_overdue(db, settings=settings, now=claim_due + 25 * MINUTE) == 0
    assert notices(db, code) == []
    # Tô Hiệu's police link a new group: the sweep covers the report again.
    with db.session() as session:
        link(session, channel="zalo", chat_id="g_5544330000", area="SL-TH", role="triage")
    assert remind_overdue(db, settings=settings, now=claim_due + 30 * MINUTE) == 1
    assert [text.split(":")[0] for text in texts(db, "zalo", "g_5544330000")] == [
        f"⏰ Tin báo {code} · Trộm cắp"
    ]
    assert [(kind, chat) for kind, chat, _details in notices(db, code)] == [
        ("reminded", "zalo:g_5544330000")
    ]


def assert_anonymous(db: Database) -> None:
    """No text queued for a triage chat names the anonymous reporter."""
    for channel, chat in (("zalo", WARD_POLICE), ("telegram", TRIAGE)):
        for sent in texts(db, channel, chat):
            assert "Lan" not in sent and "lan_nguyen" not in sent and "770001" not in sent


async def test_a_reminder_reaches_the_police_on_telegram(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    db, settings = running.db, running.service.settings
    police_wards(db, ward_channel="telegram", ward_chat=str(WARD_POLICE_TELEGRAM))
    code = file_in(db, settings, area="SL-TH-T3", category="violence")
    _filed, claim_due, _resolve_due = due(db, code)
    assert remind_overdue(db, settings=settings, now=claim_due + 10 * MINUTE) == 1
    running.service.sender.notify()
    await running.settle()
    sent = texts_to(telegram, WARD_POLICE_TELEGRAM)
    assert sent[-1].startswith(
        f"⏰ Tin báo {code} · Đánh nhau, gây rối: quá hạn tiếp nhận 10 phút."
    )
    for chat in (WARD_POLICE_TELEGRAM, TRIAGE):
        assert not any("Lan" in text for text in texts_to(telegram, chat))
