"""An area tree and its chats written in bulk: provinces, wards, hamlets, groups linked to them.

The factories (tests/factories.py) create one area or one group per call, through the domain's
services: right for tests, minutes for 100,000 groups. Here each table gets one executemany
with explicit ids, so that the national benchmark's setup takes seconds and is not measured.
Chats other than the targets are written too (a triage group per ward, inactive groups,
private chats), so that finding the targets has something to leave out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from _common import ROOT  # noqa: F401  (puts the repository on sys.path)
from sqlalchemy import insert, text

from core.db import Database, utcnow
from domain.areas.models import Area, AreaKind
from domain.chats.models import Chat, ChatKind, LinkRole

BATCH = 10_000  # rows per executemany: bounded memory for the setup, few round trips


@dataclass(frozen=True)
class Country:
    """What was written: the provinces' codes and how many chats of each sort."""

    province_codes: list[str]
    wards: int
    hamlets: int
    targets: dict[str, int]  # channel -> active community groups
    others: int  # chats that must not receive a broadcast


def telegram_group(i: int) -> str:
    """The i-th supergroup id (negative, as Telegram's are)."""
    return str(-1002000000000 - i)


def build_country(
    db: Database,
    *,
    provinces: int,
    wards_per_province: int,
    hamlets_per_ward: int,
    groups: int,
    zalo_every: int = 0,
    noise: bool = True,
) -> Country:
    """Write the tree and `groups` active community groups on its hamlets, round-robin.

    Every `zalo_every`-th group is a Zalo group (0: all Telegram). With `noise`, also one triage
    group per ward, one inactive community group per 50 targets and as many private chats as
    wards × 5: none of them is a target.
    """
    now = utcnow()
    areas: list[dict[str, Any]] = []
    hamlet_ids: list[int] = []
    ward_ids: list[int] = []
    codes = []
    next_id = 1
    for p in range(provinces):
        code = f"P{p:02d}"
        codes.append(code)
        province_id = next_id
        areas.append(_area(province_id, code, f"Tỉnh {p}", AreaKind.PROVINCE, None, now))
        next_id += 1
        for w in range(wards_per_province):
            ward_id = next_id
            ward_ids.append(ward_id)
            areas.append(
                _area(ward_id, f"{code}-W{w:03d}", f"Phường {w}", AreaKind.WARD, province_id, now)
            )
            next_id += 1
            for h in range(hamlets_per_ward):
                hamlet_code = f"{code}-W{w:03d}-H{h:02d}"
                areas.append(
                    _area(next_id, hamlet_code, f"Tổ dân phố {h}", AreaKind.HAMLET, ward_id, now)
                )
                hamlet_ids.append(next_id)
                next_id += 1
    chats: list[dict[str, Any]] = []
    targets = {"telegram": 0, "zalo": 0}
    for i in range(groups):
        zalo = zalo_every > 0 and i % zalo_every == zalo_every - 1
        channel = "zalo" if zalo else "telegram"
        chat_id = f"zg-{i:07d}" if zalo else telegram_group(i)
        targets[channel] += 1
        area = hamlet_ids[i % len(hamlet_ids)]
        chats.append(_chat(channel, chat_id, ChatKind.GROUP, area, LinkRole.COMMUNITY, now))
    others = 0
    if noise:
        for n, ward in enumerate(ward_ids):
            triage = _chat("telegram", str(-1003000000000 - n), ChatKind.GROUP, ward, "triage", now)
            chats.append(triage)
        for n in range(groups // 50):
            gone = _chat(
                "telegram",
                str(-1004000000000 - n),
                ChatKind.GROUP,
                hamlet_ids[n % len(hamlet_ids)],
                LinkRole.COMMUNITY,
                now,
            )
            chats.append(gone | {"active": False, "inactive_reason": "kicked"})
        for n in range(len(ward_ids) * 5):
            chats.append(_chat("telegram", str(700000000 + n), ChatKind.PRIVATE, None, None, now))
        others = len(chats) - groups
    with db.session() as session:
        for model, rows in ((Area, areas), (Chat, chats)):
            for start in range(0, len(rows), BATCH):
                session.execute(insert(model), rows[start : start + BATCH])
        if not db.is_sqlite:  # explicit ids leave the sequences behind
            for table in ("areas", "chats"):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
                )
    if not db.is_sqlite:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))  # as autovacuum would soon after such a load
    return Country(codes, len(ward_ids), len(hamlet_ids), targets, others)


def _area(
    area_id: int, code: str, name: str, kind: str, parent: int | None, now: datetime
) -> dict[str, Any]:
    return {
        "id": area_id,
        "code": code,
        "name": name,
        "kind": kind,
        "parent_id": parent,
        "lat": None,
        "lon": None,
        "created_at": now,
        "updated_at": now,
    }


def _chat(
    channel: str, chat_id: str, kind: str, area: int | None, role: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "channel": channel,
        "chat_id": chat_id,
        "kind": str(kind),
        "title": None,
        "active": True,
        "inactive_reason": None,
        "bot_is_member": True,
        "migrated_to": None,
        "area_id": area,
        "role": None if role is None else str(role),
        "linked_at": now if role is not None else None,
        "created_at": now,
        "updated_at": now,
    }
