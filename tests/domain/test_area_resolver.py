"""Resolving what residents type, or where they are, to an area."""

from __future__ import annotations

import pytest

from core.db import Database
from domain.areas.location import nearest_area
from domain.areas.resolver import Resolution, resolve_area
from domain.areas.service import get_area
from tests.factories import make_area


@pytest.fixture
def places(db: Database) -> dict[str, int]:
    """Two provinces with a few wards and tổ dân phố: code -> id."""
    with db.session() as session:
        sl = make_area(session, code="SL", name="Sơn La", kind="province", lat=21.327, lon=103.914)
        to_hieu = make_area(
            session, code="SL-TH", name="Tô Hiệu", parent=sl, lat=21.3265, lon=103.9128,
            aliases=["phường Chiềng Lề", "phường Quyết Thắng"],
        )  # fmt: skip
        make_area(session, code="SL-CA", name="Chiềng An", parent=sl, lat=21.3431, lon=103.9452)
        make_area(session, code="SL-TH-1", name="Tổ dân phố 1", kind="hamlet", parent=to_hieu)
        make_area(session, code="SL-TH-5", name="Tổ dân phố 5", kind="hamlet", parent=to_hieu)
        hp = make_area(session, code="HP", name="Hải Phòng", kind="province")
        le_chan = make_area(
            session, code="HP-LC", name="Lê Chân", parent=hp, lat=20.8478, lon=106.682,
            aliases=["quận Lê Chân"],
        )  # fmt: skip
        make_area(session, code="HP-AB", name="An Biên", parent=hp, lat=20.84, lon=106.676)
        make_area(session, code="HP-TOH", name="Tổ Hiếu", parent=hp)  # no coordinates
        make_area(session, code="HP-LC-1", name="Tổ dân phố 1", kind="hamlet", parent=le_chan)
    with db.session() as session:
        codes = ["SL", "SL-TH", "HP", "HP-LC"]
        return {
            code: area.id for code in codes if (area := get_area(session, code=code)) and area.id
        }


def resolve(db: Database, text: str, **options: object) -> Resolution:
    with db.session() as session:
        return resolve_area(session, text=text, **options)  # type: ignore[arg-type]


def code_of(resolution: Resolution) -> str | None:
    return resolution.area.code if resolution.area is not None else None


def codes(resolution: Resolution) -> list[str]:
    return [candidate.area.code for candidate in resolution.candidates]


@pytest.mark.parametrize("text", ["Tô Hiệu", "TÔ HIỆU", " tô  hiệu. "])
def test_resolve_area_finds_an_exact_name_with_diacritics(
    db: Database, places: dict[str, int], text: str
) -> None:
    resolution = resolve(db, text)

    assert code_of(resolution) == "SL-TH"
    assert resolution.candidates[0].score == 1.0
    assert resolution.candidates[0].matched == "Tô Hiệu"


@pytest.mark.parametrize(("text", "code"), [("le chan", "HP-LC"), ("AN BIEN", "HP-AB")])
def test_resolve_area_finds_a_name_typed_without_diacritics(
    db: Database, places: dict[str, int], text: str, code: str
) -> None:
    assert code_of(resolve(db, text)) == code


def test_resolve_area_without_diacritics_cannot_tell_names_that_differ_only_by_them(
    db: Database, places: dict[str, int]
) -> None:
    resolution = resolve(db, "to hieu")

    assert resolution.area is None
    assert set(codes(resolution)[:2]) == {"SL-TH", "HP-TOH"}
    assert code_of(resolve(db, "to hieu", within=places["SL"])) == "SL-TH"


def test_resolve_area_with_diacritics_matches_only_the_same_diacritics(
    db: Database, places: dict[str, int]
) -> None:
    assert code_of(resolve(db, "Tô Hiệu")) == "SL-TH"
    assert code_of(resolve(db, "Tổ Hiếu")) == "HP-TOH"
    mixed = resolve(db, "Tô Hiếu")
    assert mixed.area is None
    assert set(codes(mixed)[:2]) == {"SL-TH", "HP-TOH"}
    assert all(candidate.score < 1 for candidate in mixed.candidates)


@pytest.mark.parametrize(
    "text", ["phường Chiềng Lề", "phuong chieng le", "Chiềng Lề", "P. Quyết Thắng"]
)
def test_resolve_area_takes_a_former_name_to_todays_ward(
    db: Database, places: dict[str, int], text: str
) -> None:
    resolution = resolve(db, text)

    assert code_of(resolution) == "SL-TH"
    assert resolution.candidates[0].matched in {"phường Chiềng Lề", "phường Quyết Thắng"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("phường Tô Hiệu", "SL-TH"),
        ("P. Tô Hiệu", "SL-TH"),
        ("p.Tô Hiệu", "SL-TH"),
        ("Phường: Lê Chân", "HP-LC"),
        ("quận Lê Chân", "HP-LC"),
        ("phuong le chan", "HP-LC"),
        ("xã An Biên", "HP-AB"),
        ("tổ dân phố 5", "SL-TH-5"),
        ("TDP 5", "SL-TH-5"),
        ("tổ 5", "SL-TH-5"),
        ("tổ dân phố số 05", "SL-TH-5"),
    ],
)
def test_resolve_area_strips_administrative_prefixes(
    db: Database, places: dict[str, int], text: str, code: str
) -> None:
    assert code_of(resolve(db, text)) == code


def test_resolve_area_gives_candidates_with_parents_for_a_name_found_twice(
    db: Database, places: dict[str, int]
) -> None:
    resolution = resolve(db, "tổ dân phố 1")

    assert resolution.area is None
    exact = [c for c in resolution.candidates if c.score == 1.0]
    assert sorted((c.area.code, c.parent.name if c.parent else None) for c in exact) == [
        ("HP-LC-1", "Lê Chân"),
        ("SL-TH-1", "Tô Hiệu"),
    ]


def test_resolve_area_ranks_candidates_for_a_typo(db: Database, places: dict[str, int]) -> None:
    resolution = resolve(db, "Le Chaan")

    assert resolution.area is None
    assert codes(resolution)[0] == "HP-LC"
    scores = [candidate.score for candidate in resolution.candidates]
    assert scores == sorted(scores, reverse=True)
    assert 0 < scores[0] < 1
    assert len(scores) <= 5


def test_resolve_area_finds_a_name_inside_a_sentence(db: Database, places: dict[str, int]) -> None:
    resolution = resolve(db, "có người lạ ở Tô Hiệu gần chợ")

    assert resolution.area is None
    assert codes(resolution)[0] == "SL-TH"
    assert codes(resolve(db, "o to hieu gan cho", within=places["SL"]))[0] == "SL-TH"


def test_resolve_area_does_not_offer_a_tdp_of_another_number(
    db: Database, places: dict[str, int]
) -> None:
    assert "SL-TH-1" not in codes(resolve(db, "tổ dân phố 5"))


def test_resolve_area_within_keeps_to_the_areas_descendants(
    db: Database, places: dict[str, int]
) -> None:
    assert code_of(resolve(db, "tổ dân phố 1", within=places["SL-TH"])) == "SL-TH-1"
    assert code_of(resolve(db, "tổ dân phố 1", within=places["HP-LC"])) == "HP-LC-1"
    outside = resolve(db, "Lê Chân", within=places["SL"])
    assert outside.area is None
    assert "HP-LC" not in codes(outside)


def test_resolve_area_looks_only_at_the_kinds_asked(db: Database, places: dict[str, int]) -> None:
    assert resolve(db, "Sơn La").area is None
    assert code_of(resolve(db, "tỉnh Sơn La", kinds=("province",))) == "SL"


@pytest.mark.parametrize("text", ["", "  ", "phường", "?!"])
def test_resolve_area_gives_nothing_for_empty_text(
    db: Database, places: dict[str, int], text: str
) -> None:
    resolution = resolve(db, text)

    assert resolution.area is None
    assert all(candidate.score < 1 for candidate in resolution.candidates)


def test_nearest_area_finds_the_closest_ward(db: Database, places: dict[str, int]) -> None:
    with db.session() as session:
        found = nearest_area(session, lat=20.8485, lon=106.6825)
        assert found is not None
        area, km = found
        assert area.code == "HP-LC"
        assert km < 0.2
        near_sl = nearest_area(session, lat=21.33, lon=103.92, within=places["SL"])
        assert near_sl is not None and near_sl[0].code == "SL-TH"


def test_nearest_area_gives_none_when_too_far(db: Database, places: dict[str, int]) -> None:
    with db.session() as session:
        assert nearest_area(session, lat=21.0285, lon=105.8542) is None  # Hà Nội
        assert nearest_area(session, lat=21.0285, lon=105.8542, max_km=200) is not None
        assert nearest_area(session, lat=20.8485, lon=106.6825, within=places["SL"]) is None
