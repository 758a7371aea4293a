"""The area tree: upserting, listing, walking up and down."""

from __future__ import annotations

import pytest

from core.db import Database
from domain.areas.service import (
    AreaError,
    aliases_of,
    ancestors,
    descendant_ids,
    get_area,
    list_areas,
    upsert_area,
)
from tests.factories import make_area


def test_upsert_area_creates_then_updates_and_replaces_aliases(db: Database) -> None:
    with db.session() as session:
        province = make_area(session, code="SL", name="Sơn La", kind="province")
        ward = make_area(
            session,
            code="SL-TH",
            name="Tô Hiệu",
            parent=province,
            aliases=["Chiềng Lề", "Chieng Le"],
        )
        assert aliases_of(session, area_id=ward.id or 0) == ["Chiềng Lề"]  # one folded form
    with db.session() as session:
        again = upsert_area(
            session,
            code="SL-TH",
            name="  Phường   Tô Hiệu ",
            kind="ward",
            parent_code=None,
            aliases=["chiềng lề", "Quyết Thắng"],
            lat=21.3,
            lon=103.9,
        )
        assert again.id == ward.id
        assert (again.name, again.parent_id, again.lat) == ("Phường Tô Hiệu", None, 21.3)
        assert aliases_of(session, area_id=again.id or 0) == ["Quyết Thắng", "chiềng lề"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"parent_code": "NOWHERE"}, 'unknown parent_code "NOWHERE"'),
        ({"kind": "district"}, 'kind "district" is not one of province, ward, hamlet'),
        ({"lat": 91.0, "lon": 0.0}, "lat 91.0 is outside [-90, 90]"),
        ({"lat": 0.0, "lon": -180.5}, "lon -180.5 is outside [-180, 180]"),
        ({"name": " "}, "name is empty"),
    ],
)
def test_upsert_area_refuses_bad_fields(
    db: Database, changes: dict[str, object], message: str
) -> None:
    fields: dict[str, object] = {
        "code": "X", "name": "X", "kind": "ward", "parent_code": None, "aliases": [],
        "lat": None, "lon": None,
    }  # fmt: skip
    with db.session() as session, pytest.raises(AreaError, match=message.replace("[", r"\[")):
        upsert_area(session, **(fields | changes))  # type: ignore[arg-type]


def test_upsert_area_refuses_a_parent_that_makes_a_cycle(db: Database) -> None:
    with db.session() as session:
        top = make_area(session, code="A", kind="province")
        middle = make_area(session, code="B", parent=top)
        make_area(session, code="C", kind="hamlet", parent=middle)
        for parent in ("C", "A"):
            with pytest.raises(AreaError, match="cycle"):
                make_area(session, code="A", kind="province", parent=get_area(session, code=parent))


def test_list_areas_pages_by_code_and_includes_the_subtree(db: Database) -> None:
    with db.session() as session:
        sl = make_area(session, code="SL", kind="province")
        ward = make_area(session, code="SL-1", parent=sl)
        make_area(session, code="SL-1-A", kind="hamlet", parent=ward)
        make_area(session, code="SL-2", parent=sl)
        make_area(session, code="HP", kind="province")
    with db.session() as session:
        assert [a.code for a in list_areas(session)] == ["HP", "SL", "SL-1", "SL-1-A", "SL-2"]
        assert [a.code for a in list_areas(session, after_code="SL", limit=2)] == ["SL-1", "SL-1-A"]
        assert [a.code for a in list_areas(session, under="SL-1")] == ["SL-1", "SL-1-A"]
        assert [a.code for a in list_areas(session, under="SL", after_code="SL-1-A")] == ["SL-2"]
        with pytest.raises(AreaError):
            list_areas(session, under="NOWHERE")


def test_ancestors_and_descendants_walk_the_tree(db: Database) -> None:
    with db.session() as session:
        sl = make_area(session, code="SL", kind="province")
        ward = make_area(session, code="SL-1", parent=sl)
        hamlet = make_area(session, code="SL-1-A", kind="hamlet", parent=ward)
        other = make_area(session, code="SL-2", parent=sl)
        assert [a.code for a in ancestors(session, area=hamlet)] == ["SL", "SL-1", "SL-1-A"]
        assert ancestors(session, area=sl) == [sl]
        assert descendant_ids(session, area_id=sl.id or 0) == {
            sl.id, ward.id, hamlet.id, other.id
        }  # fmt: skip
        assert descendant_ids(session, area_id=hamlet.id or 0) == {hamlet.id}
