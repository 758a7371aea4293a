"""The demo's first state: its areas, its linked groups and a few reports at different stages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session

from bot.playground.cast import CHATS, HA, HUNG, LAN, MAI, MINH, Member
from bot.reporting.police import route_report
from bot.triage.cards import refresh_cards
from broadcasts.plans import BroadcastRequest
from broadcasts.service import create_broadcast
from core.db import Database, utcnow
from core.sealing import Sealer
from core.settings import Settings
from domain.areas.importer import import_areas_csv
from domain.areas.service import get_area
from domain.chats.models import Channel, Chat, ChatKind
from domain.chats.service import issue_link_code, record_chat, redeem_link_code
from domain.people.service import remember_person
from domain.reports.models import Source
from domain.reports.service import NewReport, file_report
from domain.reports.triage import Move, Officer, apply_move

AREAS_CSV = Path(__file__).resolve().parent / "demo-areas.csv"
POLICE = "group-police"
WARD = "DEMO-SL-TOHIEU"
BROADCAST_CONTENT = "scam-fake-police"
BROADCAST_AFTER = timedelta(seconds=45)


@dataclass(frozen=True)
class Sample:
    """A report the demo starts with, and what the police have done with it."""

    reporter: Member
    category: str
    area_code: str
    text: str
    anonymous: bool
    group: str | None = None  # filed with /baocao in this group, else in private
    moves: tuple[tuple[Move, Member, str | None], ...] = ()


SAMPLES = (
    Sample(
        HUNG,
        "theft",
        "DEMO-SL-TOHIEU-TDP2",
        "Sáng nay mất chiếc xe máy Honda Wave màu đỏ dựng trước cửa nhà số 14, tổ 2. "
        "Camera nhà bên quay được một thanh niên mặc áo khoác đen.",
        anonymous=False,
    ),
    Sample(
        MAI,
        "drugs",
        "DEMO-SL-TOHIEU-TDP1",
        "Tối nào cũng có mấy người lạ tụ tập ở bãi đất trống cuối ngõ 5, nghi sử dụng ma túy.",
        anonymous=True,
        moves=((Move.CLAIM, MINH, None),),
    ),
    Sample(
        LAN,
        "fraud",
        "DEMO-SL-TOHIEU-TDP1",
        "Có người gọi điện xưng là công an phường, bảo chuyển tiền để xác minh tài khoản. "
        "Bà con cảnh giác.",
        anonymous=False,
        group="group-tdp1",
        moves=(
            (Move.CLAIM, HA, None),
            (Move.RESOLVE, HA, "Đã xác minh: cuộc gọi lừa đảo; đã nhắc các tổ dân phố cảnh giác."),
        ),
    ),
)


def seed_demo(db: Database, *, settings: Settings, sealer: Sealer) -> None:
    """Import the demo areas, link the groups, file the sample reports, schedule a broadcast."""
    imported = import_areas_csv(db, AREAS_CSV)
    if imported.errors:
        raise RuntimeError(f"the demo areas did not import: {imported.errors[0]}")
    with db.session() as session:
        chats = {c.chat_id: _chat(session, c.chat_id) for c in CHATS}
        for sample in SAMPLES:
            _file(session, sample, chats, settings=settings, sealer=sealer)
        # The ward's loudspeaker: a library warning reaches both residential groups shortly.
        create_broadcast(
            session,
            BroadcastRequest(
                areas=(WARD,),
                content_id=BROADCAST_CONTENT,
                send_at=utcnow() + BROADCAST_AFTER,
                created_by="demo",
            ),
            settings=settings,
        )


def _chat(session: Session, chat_id: str) -> Chat:
    cast = next(c for c in CHATS if c.chat_id == chat_id)
    group = cast.kind == ChatKind.GROUP.value
    chat = record_chat(
        session,
        channel=Channel.PLAYGROUND.value,
        chat_id=cast.chat_id,
        kind=cast.kind,
        title=cast.title if group else None,
    )
    if cast.area_code is not None and cast.role is not None:
        code = issue_link_code(session, area_code=cast.area_code, role=cast.role)
        redeem_link_code(session, chat=chat, typed=code.code)
    return chat


def _file(
    session: Session, sample: Sample, chats: dict[str, Chat], *, settings: Settings, sealer: Sealer
) -> None:
    person = remember_person(
        session,
        sealer=sealer,
        channel=Channel.PLAYGROUND.value,
        user_id=sample.reporter.user_id,
        display_name=sample.reporter.name,
        username=None,
    )
    area = get_area(session, code=sample.area_code)
    where = sample.group or sample.reporter.user_id
    report = file_report(
        session,
        new=NewReport(
            category=sample.category,
            channel=Channel.PLAYGROUND.value,
            source=Source.GROUP if sample.group else Source.PRIVATE,
            reporter_id=person.id,
            area_id=area.id if area else None,
            text=sample.text,
            anonymous=sample.anonymous,
            urgent=False,
            locale="vi",
            group_chat_id=chats[sample.group].id if sample.group else None,
        ),
        actor="reporter",
        chat=f"{Channel.PLAYGROUND.value}:{where}",
    )
    police = route_report(session, report=report, settings=settings, sealer=sealer)
    for move, officer, reason in sample.moves:
        acting = Officer(
            identity=f"{Channel.PLAYGROUND.value}:{officer.user_id}",
            name=officer.name,
            chat=f"{Channel.PLAYGROUND.value}:{POLICE}",
        )
        apply_move(session, report=report, move=move, officer=acting, reason=reason)
    if sample.moves:
        refresh_cards(
            session,
            report=report,
            settings=settings,
            sealer=sealer,
            change="",
            acting=None,
            live_chat=police,
        )
