"""Runs under a controlled clock: once per occurrence, quiet hours, late and missed, control."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from sqlmodel import col

from broadcasts.models import Broadcast, BroadcastRun
from broadcasts.plans import BroadcastRequest
from broadcasts.runs import advance_broadcasts
from broadcasts.service import (
    cancel_broadcast,
    create_broadcast,
    delivery_counts,
    pause_broadcast,
    resume_broadcast,
    retry_failed,
    run_counts,
)
from core.db import Database
from core.settings import Settings
from domain.areas.models import AreaKind
from domain.outbox.models import Lane, OutboxMessage, OutboxStatus
from tests.factories import make_area, make_group
from tests.harness import make_settings

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def hanoi(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in December 2026, Hà Nội time."""
    return datetime(2026, 12, day, hour, minute, tzinfo=HANOI)


MONDAY_9 = hanoi(7, 9)


@dataclass
class Ward:
    """Two wards of one province, with community groups, a triage group and an inactive one."""

    settings: Settings
    db: Database


@pytest.fixture
def ward(db: Database, tmp_path: Path) -> Iterator[Ward]:
    with db.session() as session:
        province = make_area(session, code="SL", name="Sơn La", kind=AreaKind.PROVINCE)
        to_hieu = make_area(session, code="SL-TOHIEU", name="Tô Hiệu", parent=province)
        hamlet = make_area(
            session, code="SL-TOHIEU-5", name="Tổ dân phố 5", kind=AreaKind.HAMLET, parent=to_hieu
        )
        chieng_an = make_area(session, code="SL-CHIENGAN", name="Chiềng An", parent=province)
        make_group(session, area=to_hieu, chat_id="-1001")
        make_group(session, area=hamlet, chat_id="-1002")
        make_group(session, area=hamlet, chat_id="zg-5", channel="zalo")
        make_group(session, area=to_hieu, chat_id="-1009", role="triage")
        make_group(session, area=chieng_an, chat_id="-2001")
        gone = make_group(session, area=to_hieu, chat_id="-1003")
        gone.active = False
    yield Ward(settings=make_settings(db.url, tmp_path), db=db)


def create(ward: Ward, now: datetime = MONDAY_9, **values: object) -> int:
    request = BroadcastRequest(
        **({"areas": ("SL-TOHIEU",), "text": "Cảnh giác lừa đảo qua điện thoại."} | values)  # type: ignore[arg-type]
    )
    with ward.db.session() as session:
        broadcast = create_broadcast(session, request, settings=ward.settings, now=now)
        assert broadcast.id is not None
        return broadcast.id


def advance(ward: Ward, now: datetime) -> None:
    advance_broadcasts(ward.db, settings=ward.settings, now=now)


def runs(ward: Ward, broadcast_id: int) -> list[BroadcastRun]:
    with ward.db.reading() as session:
        return list(
            session.scalars(
                select(BroadcastRun)
                .where(col(BroadcastRun.broadcast_id) == broadcast_id)
                .order_by(col(BroadcastRun.due_at))
            )
        )


def deliveries(ward: Ward, run_id: int | None) -> dict[str, str]:
    """chat id -> status of a run's outbox rows."""
    with ward.db.reading() as session:
        rows = session.execute(
            select(col(OutboxMessage.chat_id), col(OutboxMessage.status)).where(
                col(OutboxMessage.run_id) == run_id
            )
        ).all()
    return dict(rows)


def status_of(ward: Ward, broadcast_id: int) -> str:
    with ward.db.reading() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        return broadcast.status


def finish_all(ward: Ward, run_id: int | None, status: OutboxStatus = OutboxStatus.SENT) -> None:
    """Mark a run's open deliveries as the sender would after sending them."""
    with ward.db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.run_id) == run_id,
                col(OutboxMessage.status).in_(["pending", "sending"]),
            )
            .values(status=status.value, finished_at=func.now(), error="Forbidden: bot was kicked")
        )


def test_run_one_off_reaches_the_community_groups_of_the_area_and_below_once(ward: Ward) -> None:
    broadcast_id = create(ward, send_at=hanoi(7, 10))
    advance(ward, hanoi(7, 9, 59))
    assert runs(ward, broadcast_id) == []
    advance(ward, hanoi(7, 10))
    advance(ward, hanoi(7, 10, 1))  # a second pass, a restart, another leader: still one run
    (run,) = runs(ward, broadcast_id)
    # The ward's group, its hamlet's groups on both channels; not the triage group, not the
    # inactive group, not the neighbouring ward.
    assert deliveries(ward, run.id) == {"-1001": "pending", "-1002": "pending", "zg-5": "pending"}
    assert run.targets == 3 and run.text == "Cảnh giác lừa đảo qua điện thoại."
    assert status_of(ward, broadcast_id) == "sending"
    with ward.db.reading() as session:
        lanes = set(
            session.scalars(
                select(col(OutboxMessage.lane)).where(col(OutboxMessage.run_id) == run.id)
            )
        )
    assert lanes == {Lane.BULK}
    finish_all(ward, run.id)
    advance(ward, hanoi(7, 10, 2))
    assert runs(ward, broadcast_id)[0].status == "done"
    assert status_of(ward, broadcast_id) == "done"


def test_run_two_leaders_at_once_start_one_run(ward: Ward) -> None:
    broadcast_id = create(ward, send_at=hanoi(7, 10))
    other = Database(ward.db.url)
    try:
        threads = [
            threading.Thread(
                target=advance_broadcasts,
                args=(db,),
                kwargs={"settings": ward.settings, "now": hanoi(7, 10)},
            )
            for db in (ward.db, other)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.dispose()
    (run,) = runs(ward, broadcast_id)
    assert len(deliveries(ward, run.id)) == 3


def test_run_cron_each_occurrence_once_and_the_next_one_follows(ward: Ward) -> None:
    broadcast_id = create(ward, cron="0 8 * * 0")  # Sundays at 08:00
    advance(ward, hanoi(13, 8))
    first = runs(ward, broadcast_id)
    assert [r.due_at for r in first] == [hanoi(13, 8)]
    finish_all(ward, first[0].id)
    advance(ward, hanoi(13, 8, 1))
    assert status_of(ward, broadcast_id) == "scheduled"
    advance(ward, hanoi(20, 8))
    assert [r.due_at for r in runs(ward, broadcast_id)] == [hanoi(13, 8), hanoi(20, 8)]


def test_run_group_linked_after_creation_gets_the_next_run(ward: Ward) -> None:
    broadcast_id = create(ward, cron="0 8 * * *")
    advance(ward, hanoi(8, 8))
    with ward.db.session() as session:
        area = session.scalars(select(BroadcastRun)).first()
        from domain.areas.service import get_area

        hamlet = get_area(session, code="SL-TOHIEU-5")
        assert hamlet is not None and area is not None
        make_group(session, area=hamlet, chat_id="-1004")
    (first,) = runs(ward, broadcast_id)
    finish_all(ward, first.id)
    advance(ward, hanoi(9, 8))
    second = runs(ward, broadcast_id)[1]
    assert "-1004" not in deliveries(ward, first.id)
    assert "-1004" in deliveries(ward, second.id)


def test_run_due_in_quiet_hours_waits_for_their_end(ward: Ward) -> None:
    broadcast_id = create(ward, send_at=hanoi(7, 23))
    advance(ward, hanoi(7, 23))
    advance(ward, hanoi(8, 6, 29))
    assert runs(ward, broadcast_id) == []
    advance(ward, hanoi(8, 6, 30))
    (run,) = runs(ward, broadcast_id)
    assert run.due_at == hanoi(7, 23) and set(deliveries(ward, run.id).values()) == {"pending"}


def test_run_meeting_quiet_hours_halfway_stops_and_goes_on_at_their_end(ward: Ward) -> None:
    broadcast_id = create(ward, send_at=hanoi(7, 21, 29))
    advance(ward, hanoi(7, 21, 29))
    (run,) = runs(ward, broadcast_id)
    with ward.db.session() as session:  # one group got it before 21:30
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.run_id) == run.id, col(OutboxMessage.chat_id) == "-1001")
            .values(status="sent", finished_at=func.now())
        )
    advance(ward, hanoi(7, 21, 30))
    assert deliveries(ward, run.id) == {"-1001": "sent", "-1002": "held", "zg-5": "held"}
    advance(ward, hanoi(8, 3))
    assert deliveries(ward, run.id)["-1002"] == "held"
    advance(ward, hanoi(8, 6, 30))
    assert deliveries(ward, run.id) == {"-1001": "sent", "-1002": "pending", "zg-5": "pending"}


def test_run_urgent_ignores_quiet_hours_in_a_lane_ahead_of_routine(ward: Ward) -> None:
    broadcast_id = create(
        ward, send_at=hanoi(7, 23), urgent=True, text="Cháy lan ở chợ, tránh xa khu vực."
    )
    advance(ward, hanoi(7, 23))
    (run,) = runs(ward, broadcast_id)
    advance(ward, hanoi(7, 23, 1))
    assert set(deliveries(ward, run.id).values()) == {"pending"}
    with ward.db.reading() as session:
        lanes = set(
            session.scalars(
                select(col(OutboxMessage.lane)).where(col(OutboxMessage.run_id) == run.id)
            )
        )
    assert lanes == {Lane.URGENT}


def test_run_later_than_the_bound_is_missed_and_the_schedule_goes_on(ward: Ward) -> None:
    broadcast_id = create(ward, cron="0 8 * * *")
    # No leader ran from Monday morning until Tuesday 15:00: Tuesday's run is 7 hours late.
    advance(ward, hanoi(8, 15))
    missed = runs(ward, broadcast_id)
    assert [(r.due_at, r.status) for r in missed] == [(hanoi(8, 8), "missed")]
    assert missed[0].reason is not None and "TINBAO_BROADCAST_MAX_LATE" in missed[0].reason
    assert deliveries(ward, missed[0].id) == {}
    assert status_of(ward, broadcast_id) == "scheduled"
    advance(ward, hanoi(9, 8))
    assert [r.status for r in runs(ward, broadcast_id)] == ["missed", "sending"]


def test_run_late_within_the_bound_still_goes_and_older_ones_are_missed(ward: Ward) -> None:
    broadcast_id = create(ward, cron="0 */2 * * *", now=hanoi(7, 7))
    # Down from 07:00 to 11:00: the 08:00 and 10:00 runs fell due; only the newest goes.
    advance(ward, hanoi(7, 11))
    found = [(r.due_at, r.status) for r in runs(ward, broadcast_id)]
    assert found == [(hanoi(7, 8), "missed"), (hanoi(7, 10), "sending")]


def test_run_pause_resume_and_cancel_mid_run(ward: Ward) -> None:
    broadcast_id = create(ward, send_at=hanoi(7, 10))
    advance(ward, hanoi(7, 10))
    (run,) = runs(ward, broadcast_id)
    with ward.db.session() as session:
        pause_broadcast(session, broadcast_id=broadcast_id)
    assert set(deliveries(ward, run.id).values()) == {"held"}
    assert status_of(ward, broadcast_id) == "paused"
    assert delivery_counts(ward.db) == {("telegram", "held"): 2, ("zalo", "held"): 1}
    advance(ward, hanoi(7, 10, 5))
    assert set(deliveries(ward, run.id).values()) == {"held"}
    with ward.db.session() as session:
        resume_broadcast(session, broadcast_id=broadcast_id, now=hanoi(7, 10, 6))
    advance(ward, hanoi(7, 10, 6))
    assert set(deliveries(ward, run.id).values()) == {"pending"}
    assert status_of(ward, broadcast_id) == "sending"
    with ward.db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.run_id) == run.id, col(OutboxMessage.chat_id) == "-1001")
            .values(status="sent", finished_at=func.now())
        )
        cancel_broadcast(session, broadcast_id=broadcast_id)
    assert deliveries(ward, run.id) == {"-1001": "sent", "-1002": "cancelled", "zg-5": "cancelled"}
    assert runs(ward, broadcast_id)[0].status == "cancelled"
    assert status_of(ward, broadcast_id) == "cancelled"


def test_run_retry_sends_the_failed_deliveries_again(ward: Ward) -> None:
    broadcast_id = create(ward, send_at=hanoi(7, 10))
    advance(ward, hanoi(7, 10))
    (run,) = runs(ward, broadcast_id)
    assert run.id is not None
    finish_all(ward, run.id, OutboxStatus.FAILED)
    advance(ward, hanoi(7, 10, 1))
    assert runs(ward, broadcast_id)[0].status == "done"
    with ward.db.reading() as session:
        counts = run_counts(session, run_id=run.id)
    assert (counts.failed, counts.failures) == (3, {"Forbidden: bot was kicked": 3})
    with ward.db.session() as session:
        assert retry_failed(session, broadcast_id=broadcast_id, now=hanoi(7, 10, 2)) == 3
    assert set(deliveries(ward, run.id).values()) == {"pending"}
    assert runs(ward, broadcast_id)[0].status == "sending"


def test_run_pauses_itself_after_failures_in_a_row(ward: Ward, tmp_path: Path) -> None:
    ward.settings = make_settings(ward.db.url, tmp_path, broadcast_max_errors=2)
    broadcast_id = create(ward, send_at=hanoi(7, 10))
    advance(ward, hanoi(7, 10))
    (run,) = runs(ward, broadcast_id)
    with ward.db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.run_id) == run.id,
                col(OutboxMessage.chat_id).in_(["-1001", "-1002"]),
            )
            .values(status="failed", finished_at=func.now(), error="Bad Request: chat not found")
        )
    advance(ward, hanoi(7, 10, 1))
    paused = runs(ward, broadcast_id)[0]
    assert paused.status == "paused"
    assert paused.reason == "2 deliveries failed in a row; the last: Bad Request: chat not found"
    assert deliveries(ward, run.id)["zg-5"] == "held"
    assert status_of(ward, broadcast_id) == "paused"
    # Resumed, it counts afresh: the old failures do not pause it again.
    with ward.db.session() as session:
        resume_broadcast(session, broadcast_id=broadcast_id)
    advance(ward, hanoi(7, 10, 2))
    assert runs(ward, broadcast_id)[0].status == "sending"
    assert deliveries(ward, run.id)["zg-5"] == "pending"


def test_run_with_no_group_yet_is_done_and_says_so(ward: Ward) -> None:
    broadcast_id = create(ward, send_at=hanoi(7, 10), areas=("SL-TOHIEU",), channels=("zalo-oa",))
    advance(ward, hanoi(7, 10))
    (run,) = runs(ward, broadcast_id)
    assert (run.status, run.targets, run.reason) == (
        "done",
        0,
        "no community group in its areas yet",
    )
    assert status_of(ward, broadcast_id) == "done"


def test_run_to_all_areas_on_one_channel(ward: Ward) -> None:
    broadcast_id = create(ward, send_at=hanoi(7, 10), areas=None, channels=("telegram",))
    advance(ward, hanoi(7, 10))
    (run,) = runs(ward, broadcast_id)
    assert set(deliveries(ward, run.id)) == {"-1001", "-1002", "-2001"}


def test_run_timedelta_bound_is_the_setting(ward: Ward, tmp_path: Path) -> None:
    ward.settings = make_settings(ward.db.url, tmp_path, broadcast_max_late="PT30M")
    broadcast_id = create(ward, send_at=hanoi(7, 10))
    advance(ward, hanoi(7, 10) + timedelta(minutes=31))
    assert [r.status for r in runs(ward, broadcast_id)] == ["missed"]
    assert status_of(ward, broadcast_id) == "done"
