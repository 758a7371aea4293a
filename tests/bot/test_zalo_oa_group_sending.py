"""Writing into the OA's groups: GMF messages, expired packages, the app's rate, no mention-all."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sender.mentions import without_mention_all
from core.db import Database
from domain.chats.service import get_chat, record_chat
from domain.outbox.messages import Outgoing
from domain.outbox.service import enqueue
from tests.bot import PROPERTY
from tests.bot.test_zalo_oa_sending import USER, oa_client, sending, settle
from tests.fakes import FakeZaloOa
from tests.fakes.zalo_oa_groups import DAY_MS, GROUP_SEND_PATH

GROUP, EXPIRED = "gmf_3003", "gmf_4004"


@pytest.fixture
def oa() -> Iterator[FakeZaloOa]:
    """The fake OA with a live group and one whose package ran out yesterday."""
    with FakeZaloOa() as fake:
        fake.add_group(GROUP, "Tổ 7")
        fake.add_group(EXPIRED, "Tổ 8", expires_at=_now_ms() - DAY_MS)
        yield fake


def _now_ms() -> int:
    return int(time.time() * 1000)


def put(db: Database, chat_id: str, text: str, *, kind: str = "group") -> int:
    """Record the chat and queue one text for it; the row's id."""
    with db.session() as session:
        record_chat(session, channel="zalo-oa", chat_id=chat_id, kind=kind, title="Nhóm")
        [row] = enqueue(session, channel="zalo-oa", chat_id=chat_id, message=Outgoing(text))
        session.flush()
        assert row.id is not None
        return row.id


async def test_group_texts_go_through_the_group_message_api(db: Database, oa: FakeZaloOa) -> None:
    put(db, GROUP, "Nhắc nhở: khóa cổng trước khi ngủ")
    put(db, USER, "Tin báo của anh/chị đã được tiếp nhận", kind="private")
    async with oa_client(db, oa) as client, sending(db, client):
        rows = await settle(db)
    assert [r.status for r in rows] == ["sent", "sent"] and all(r.platform_message_id for r in rows)
    [call] = oa.sent_to_group(GROUP)
    assert call.params == {
        "recipient": {"group_id": GROUP},
        "message": {"text": "Nhắc nhở: khóa cổng trước khi ngủ"},
    }
    assert [c.params["recipient"] for c in oa.sent(USER)] == [{"user_id": USER}]


async def test_expired_group_is_deactivated_with_a_reason_and_no_personal_data_logged(
    db: Database, oa: FakeZaloOa, caplog: pytest.LogCaptureFixture
) -> None:
    first = put(db, EXPIRED, "Tin báo 7KQ2MX của Nguyễn Văn An")
    with caplog.at_level(logging.INFO):
        async with oa_client(db, oa) as client, sending(db, client):
            [row] = await settle(db)
    assert (row.id, row.status) == (first, "failed")
    assert "package has expired" in (row.error or "")
    with db.session() as session:
        chat = get_chat(session, channel="zalo-oa", chat_id=EXPIRED)
    assert chat is not None and not chat.active
    assert "package has expired" in (chat.inactive_reason or "")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "package has expired" in logged
    assert EXPIRED not in logged and "Nguyễn" not in logged and "7KQ2MX" not in logged
    # Nothing more is written to it: what is queued later fails at once, unsent.
    later = put(db, EXPIRED, "Thông báo mới")
    async with oa_client(db, oa) as client, sending(db, client):
        rows = await settle(db)
    assert next(r for r in rows if r.id == later).status == "failed"
    assert len([c for c in oa.calls if c.path == GROUP_SEND_PATH]) == 1


async def test_rate_limited_group_send_waits_and_goes_out(db: Database, oa: FakeZaloOa) -> None:
    oa.fail_next("-32", user_id=GROUP)
    put(db, GROUP, "Cảnh báo lừa đảo qua điện thoại")
    async with oa_client(db, oa) as client, sending(db, client, retry_seconds=0.3):
        [row] = await settle(db)
    limited, delivered = [c for c in oa.calls if c.path == GROUP_SEND_PATH]
    assert (limited.error, delivered.error) == (-32, 0)
    assert delivered.at - limited.at >= 0.3 and row.status == "sent"


async def test_relayed_mention_all_never_reaches_a_group(db: Database, oa: FakeZaloOa) -> None:
    put(db, GROUP, "Người dân báo: [@gmf_3003] mọi người ơi [ @all] [@]")
    async with oa_client(db, oa) as client, sending(db, client):
        await settle(db)
    [text] = oa.group_texts(GROUP)
    assert "@" not in text and "mọi người ơi" in text


@PROPERTY
@given(text=st.text(alphabet=st.sampled_from("[@ ]\t\nab＠"), max_size=40))
def test_without_mention_all_leaves_no_bracketed_at(text: str) -> None:
    made = without_mention_all(text)
    assert "[@" not in made.replace(" ", "").replace("\t", "").replace("\n", "")
    assert len(made) == len(text)
