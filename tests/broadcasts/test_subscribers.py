"""Subscribers in runs under a controlled clock: once each, quiet hours, the Zalo OA's window."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, update
from sqlmodel import col, select

from broadcasts.plans import BroadcastRequest, preview
from broadcasts.targets import Audience, TargetCount, count_targets
from core.sealing import Sealer
from domain.areas.service import get_area
from domain.chats.models import ChatKind
from domain.chats.service import deactivate_chat, record_chat
from domain.outbox.models import OutboxMessage
from domain.people.service import find_person, remember_person
from domain.subscriptions.models import Subscription
from domain.subscriptions.service import note_heard, subscribe
from tests.broadcasts import test_runs
from tests.broadcasts.test_runs import MONDAY_9, Ward, advance, create, deliveries, hanoi, runs
from tests.harness import make_settings

ward = test_runs.ward  # the two wards and their groups of the runs' tests

SEALER = Sealer(b"test-secret-key-0123456789")


def subscriber(
    ward: Ward,
    user_id: str,
    *areas: str,
    channel: str = "telegram",
    heard: datetime = MONDAY_9,
) -> None:
    """A resident who subscribed privately to these areas."""
    with ward.db.session() as session:
        person = remember_person(
            session,
            sealer=SEALER,
            channel=channel,
            user_id=user_id,
            display_name="Lan",
            username=None,
        )
        chat = record_chat(session, channel=channel, chat_id=user_id, kind=ChatKind.PRIVATE.value)
        for code in areas:
            area = get_area(session, code=code)
            assert area is not None and person.id is not None
            subscribe(session, person_id=person.id, chat=chat, area=area, now=heard)
        session.execute(
            update(Subscription).where(col(Subscription.chat_ref) == chat.id).values(heard_at=heard)
        )


def test_subscriber_of_the_ward_and_its_hamlet_gets_a_run_once(ward: Ward) -> None:
    subscriber(ward, "770001", "SL-TOHIEU", "SL-TOHIEU-5")
    subscriber(ward, "770002", "SL-CHIENGAN")
    broadcast_id = create(ward, send_at=hanoi(7, 10))
    advance(ward, hanoi(7, 10))
    (run,) = runs(ward, broadcast_id)
    assert deliveries(ward, run.id) == {
        "-1001": "pending",
        "-1002": "pending",
        "zg-5": "pending",
        "770001": "pending",
    }
    assert run.targets == 4


def test_subscriber_gets_no_routine_run_in_quiet_hours_but_an_urgent_one(ward: Ward) -> None:
    subscriber(ward, "770001", "SL-TOHIEU-5")
    routine = create(ward, send_at=hanoi(7, 23))
    urgent = create(ward, send_at=hanoi(7, 23), urgent=True)
    advance(ward, hanoi(7, 23))
    assert runs(ward, routine) == []
    (run,) = runs(ward, urgent)
    assert deliveries(ward, run.id)["770001"] == "pending"
    advance(ward, hanoi(8, 6, 30))
    (run,) = runs(ward, routine)
    assert deliveries(ward, run.id)["770001"] == "pending"


def test_subscriber_of_the_zalo_oa_silent_for_over_7_days_is_skipped(ward: Ward) -> None:
    now = hanoi(7, 10)
    subscriber(ward, "oa-recent", "SL-TOHIEU", channel="zalo-oa", heard=now - timedelta(days=6))
    subscriber(ward, "oa-silent", "SL-TOHIEU", channel="zalo-oa", heard=now - timedelta(days=8))
    subscriber(ward, "zalo-silent", "SL-TOHIEU", channel="zalo", heard=now - timedelta(days=30))
    broadcast_id = create(ward, send_at=now)
    advance(ward, now)
    (run,) = runs(ward, broadcast_id)
    sent_to = set(deliveries(ward, run.id))
    assert {"oa-recent", "zalo-silent"} <= sent_to and "oa-silent" not in sent_to


def test_subscriber_who_blocked_the_bot_is_unsubscribed_and_not_counted(ward: Ward) -> None:
    subscriber(ward, "770001", "SL-TOHIEU")
    with ward.db.session() as session:
        deactivate_chat(session, channel="telegram", chat_id="770001", reason="blocked")
    with ward.db.reading() as session:
        assert list(session.exec(select(Subscription))) == []
        counts = count_targets(session, Audience(area_codes=("SL-TOHIEU",), channels=None))
    assert sum(c.subscribers for c in counts) == 0


def test_subscriber_counts_in_targets_and_preview(ward: Ward) -> None:
    subscriber(ward, "770001", "SL-TOHIEU", "SL-TOHIEU-5")  # one person to write to
    subscriber(ward, "770002", "SL-TOHIEU-5")
    subscriber(ward, "zalo-1", "SL-CHIENGAN", channel="zalo")
    with ward.db.reading() as session:
        named = count_targets(session, Audience(area_codes=("SL-TOHIEU",), channels=None))
        everywhere = count_targets(session, Audience(area_codes=None, channels=None))
        seen = preview(
            session,
            BroadcastRequest(areas=("SL-TOHIEU",), text="Cảnh giác", send_at=hanoi(7, 10)),
            settings=ward.settings,
            text="Cảnh giác",
            now=MONDAY_9,
        )
    assert named == [
        TargetCount("SL-TOHIEU", "Tô Hiệu", "telegram", 2, 2),
        TargetCount("SL-TOHIEU", "Tô Hiệu", "zalo", 1, 0),
    ]
    assert everywhere == [
        TargetCount("SL", "Sơn La", "telegram", 3, 2),
        TargetCount("SL", "Sơn La", "zalo", 1, 1),
    ]
    assert (seen.total, seen.subscribers) == (3, 2)
    # Subscribers take their share of Telegram's 30 a second: 4 chats, 3/30 s.
    assert round(seen.fan_out_seconds, 2) == 0.1


def test_subscription_rows_hold_no_platform_id(ward: Ward) -> None:
    subscriber(ward, "770001234", "SL-TOHIEU")
    with ward.db.reading() as session:
        (row,) = session.exec(select(Subscription)).all()
    assert "770001234" not in repr(row.model_dump())
    assert set(row.model_dump()) == {
        "id",
        "person_id",
        "chat_ref",
        "area_id",
        "created_at",
        "heard_at",
    }


def test_subscriber_of_the_zalo_oa_who_writes_again_is_reached_again(ward: Ward) -> None:
    now = hanoi(7, 10)
    subscriber(ward, "oa-silent", "SL-TOHIEU", channel="zalo-oa", heard=now - timedelta(days=8))
    with ward.db.session() as session:
        person = find_person(session, sealer=SEALER, channel="zalo-oa", user_id="oa-silent")
        assert person is not None and person.id is not None
        note_heard(session, person_id=person.id, now=now - timedelta(minutes=5))
        # Within the hour, no second write.
        note_heard(session, person_id=person.id, now=now - timedelta(minutes=1))
    with ward.db.reading() as session:
        (row,) = session.exec(select(Subscription)).all()
        counts = count_targets(session, Audience(("SL-TOHIEU",), None), now=now)
    assert row.heard_at == now - timedelta(minutes=5)
    assert [(c.channel, c.subscribers) for c in counts if c.subscribers] == [("zalo-oa", 1)]


def test_subscribers_who_blocked_the_bot_do_not_pause_a_run(ward: Ward, tmp_path: Path) -> None:
    ward.settings = make_settings(ward.db.url, tmp_path, broadcast_max_errors=2)
    for user_id in ("770001", "770002", "770003"):
        subscriber(ward, user_id, "SL-TOHIEU")
    broadcast_id = create(ward, send_at=hanoi(7, 10))
    advance(ward, hanoi(7, 10))
    (run,) = runs(ward, broadcast_id)
    with ward.db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.run_id) == run.id,
                col(OutboxMessage.chat_id).in_(["770001", "770002", "770003"]),
            )
            .values(status="failed", finished_at=func.now(), error="Forbidden: bot was blocked")
        )
    advance(ward, hanoi(7, 10, 1))
    assert runs(ward, broadcast_id)[0].status == "sending"
