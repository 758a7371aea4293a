"""News of a report reaches its reporter privately, and never through the group."""

from __future__ import annotations

from pathlib import Path

from bot.reporting.news import tell_reporter
from core.db import Database, utcnow
from core.sealing import Sealer
from domain.chats.service import deactivate_chat, record_chat
from domain.people.service import note_first_contact, remember_person
from domain.reports.models import Source
from tests.factories import make_report
from tests.harness import make_settings

SEALER = Sealer(b"test-secret-key-0123456789")


def file_for(
    db: Database, *, user_id: str, opened_private_chat: bool, channel: str = "telegram"
) -> str:
    """File a group report for a person; return its code."""
    with db.session() as session:
        person = remember_person(
            session,
            sealer=SEALER,
            channel=channel,
            user_id=user_id,
            display_name="Lan",
            username=None,
        )
        if opened_private_chat:
            note_first_contact(session, person=person, now=utcnow())
            record_chat(session, channel=channel, chat_id=user_id, kind="private")
        report = make_report(
            session,
            category="theft",
            channel=channel,
            source=Source.GROUP,
            reporter_id=person.id,
            area_id=None,
            text="mất xe",
        )
        return report.code


def tell(db: Database, tmp_path: Path, code: str) -> list[tuple[str, str]]:
    """Tell the reporter of `code` something; return the (channel, chat) it went to."""
    from domain.reports.service import get_report

    with db.session() as session:
        report = get_report(session, code=code)
        assert report is not None
        rows = tell_reporter(
            session,
            report=report,
            settings=make_settings(db.url, tmp_path),
            sealer=SEALER,
            text="Công an phường đã tiếp nhận tin báo.",
        )
        return [(row.channel, row.chat_id) for row in rows]


def test_news_reaches_a_reporter_who_opened_a_private_chat(db: Database, tmp_path: Path) -> None:
    code = file_for(db, user_id="770001", opened_private_chat=True)
    assert tell(db, tmp_path, code) == [("telegram", "770001")]


def test_news_is_withheld_from_a_group_reporter_who_never_wrote_privately(
    db: Database, tmp_path: Path
) -> None:
    code = file_for(db, user_id="770002", opened_private_chat=False, channel="zalo")
    assert tell(db, tmp_path, code) == []


def test_news_is_withheld_when_the_reporter_blocked_the_bot(db: Database, tmp_path: Path) -> None:
    code = file_for(db, user_id="770003", opened_private_chat=True)
    with db.session() as session:
        deactivate_chat(session, channel="telegram", chat_id="770003", reason="blocked")
    assert tell(db, tmp_path, code) == []
