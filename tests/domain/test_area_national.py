"""The real divisions of Vietnam, built from the package in the test, and the resolver on them."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable

import pytest
from sqlmodel import select

from core.db import Database
from domain.areas.importer import import_vietnam
from domain.areas.location import close_call, nearest_areas
from domain.areas.models import Area, AreaKind
from domain.areas.phrases import KIND_WORDS, Level, read_place
from domain.areas.resolver import Resolution, resolve_area
from domain.areas.service import aliases_of, get_area
from domain.areas.vietnam import FormerWard, divisions, former_wards
from domain.text import fold, normalize
from tests.factories import make_area

WARDS = [d for d in divisions() if d.kind == AreaKind.WARD]
PROVINCE_OF = {d.code: d.parent_code or "" for d in WARDS}
NAME_OF = {d.code: d.name for d in divisions()}


def resolve(db: Database, text: str, *provinces: str) -> Resolution:
    with db.session() as session:
        return resolve_area(session, text=text, provinces=provinces)


def code_of(resolution: Resolution) -> str | None:
    return resolution.area.code if resolution.area is not None else None


def codes(resolution: Resolution) -> list[str]:
    return [candidate.area.code for candidate in resolution.candidates]


def bare(name: str) -> str:
    for word in sorted(KIND_WORDS, key=len, reverse=True):
        if name.casefold().startswith(word + " "):
            return name[len(word) + 1 :]
    return name


def settled(typed: Callable[[str], str]) -> list[FormerWard]:
    """Former wards with one successor whose name as typed, within today's province, no other
    former ward shares and no ward of today bears: those a resolver can name from the name."""
    successors: dict[tuple[str, str], set[tuple[str, ...]]] = defaultdict(set)
    for f in former_wards():
        successors[(PROVINCE_OF[f.successors[0]], typed(f.name))].add(f.successors)
    today = Counter((PROVINCE_OF[d.code], typed(d.name)) for d in WARDS)
    return [
        f
        for f in former_wards()
        if len(f.successors) == 1
        and len(successors[(PROVINCE_OF[f.successors[0]], typed(f.name))]) == 1
        and not today[(PROVINCE_OF[f.successors[0]], typed(f.name))]
        and f.name != f.district
    ]


def sample(count: int, seed: int = 11, typed: Callable[[str], str] = normalize) -> list[FormerWard]:
    return random.Random(seed).sample(settled(typed), count)


def test_import_vietnam_builds_34_provinces_and_3321_wards_with_official_codes(
    national: Database,
) -> None:
    with national.session() as session:
        kinds = Counter(session.exec(select(Area.kind)))
        assert kinds == {"province": 34, "ward": 3321}
        ward = get_area(session, code="03646")  # Phường Tô Hiệu, Sơn La (code 14)
        assert ward is not None and ward.name == "Phường Tô Hiệu"
        province = get_area(session, code="14")
        assert province is not None and ward.parent_id == province.id
        assert ward.lat is not None and 21 < ward.lat < 22
        aliases = aliases_of(session, area_id=ward.id or 0)
        assert "phường Chiềng Lề, thành phố Sơn La" in aliases
        assert "phường Quyết Tâm, thành phố Sơn La" in aliases  # not Chiềng An's
        hai_phong = get_area(session, code="31")
        assert hai_phong is not None
        assert aliases_of(session, area_id=hai_phong.id or 0) == ["tỉnh Hải Dương"]
        names = {a.name.split()[0] for a in session.exec(select(Area).where(Area.kind == "ward"))}
        assert names == {"Phường", "Xã", "Đặc"}  # phường, xã, đặc khu


def test_import_vietnam_again_changes_nothing_and_keeps_hamlets_under_their_ward(
    national_copy: Database,
) -> None:
    with national_copy.session() as session:
        ward = get_area(session, code="03646")
        make_area(session, code="SL-TH-TDP1", name="Tổ dân phố 1", kind="hamlet", parent=ward)
        session.commit()

    again = import_vietnam(national_copy, provinces=["Sơn La"])

    assert (again.created, again.updated, again.unchanged) == (0, 0, 76)
    with national_copy.session() as session:
        hamlet = get_area(session, code="SL-TH-TDP1")
        ward = get_area(session, code="03646")
        assert hamlet is not None and ward is not None and hamlet.parent_id == ward.id


def test_import_vietnam_keeps_both_former_names_that_differ_only_by_diacritics(
    national: Database,
) -> None:
    with national.session() as session:
        huong_tra = get_area(session, code="19996")  # Phường Hương Trà, Huế
        assert huong_tra is not None and huong_tra.name == "Phường Hương Trà"
        aliases = aliases_of(session, area_id=huong_tra.id or 0)
    assert "phường Hương Văn, thị xã Hương Trà" in aliases
    assert "phường Hương Vân, thị xã Hương Trà" in aliases
    assert code_of(resolve(national, "phường Hương Văn", "46")) == "19996"
    assert resolve(national, "phường Hương Vân", "46").candidates[0].former == "phường Hương Vân"


def test_every_ward_of_today_resolves_exactly_within_its_province(national: Database) -> None:
    wrong = [
        (d.name, d.parent_code)
        for d in WARDS
        if code_of(resolve(national, d.name, d.parent_code or "")) != d.code
    ]
    assert wrong == []


@pytest.mark.parametrize("form", ["as written", "without diacritics"])
def test_former_wards_resolve_within_their_province(national: Database, form: str) -> None:
    formers = sample(300, typed=normalize if form == "as written" else fold)
    named: Counter[bool] = Counter()
    for f in formers:
        text = f.name if form == "as written" else fold(f.name)
        found = resolve(national, text, PROVINCE_OF[f.successors[0]])
        assert found.area is None or found.area.code in f.successors, (text, found.area.name)
        named[found.area is not None] += 1
        assert f.successors[0] in codes(found), text
    assert named[True] / len(formers) >= 0.95


def test_former_wards_resolve_nationwide_with_their_former_district_or_province(
    national: Database,
) -> None:
    formers = sample(200, seed=12, typed=lambda name: normalize(bare(name)))
    named: Counter[bool] = Counter()
    for f in formers:
        province = bare(NAME_OF[PROVINCE_OF[f.successors[0]]])
        for text in (
            f"{f.name}, {f.district}",
            f"{bare(f.name)} {f.district}",
            f"{f.name} {province}",
        ):
            found = resolve(national, text)
            assert found.area is None or found.area.code in f.successors, (text, found.area.name)
            assert f.successors[0] in codes(found), text
            named[found.area is not None] += 1
    assert named[True] / sum(named.values()) >= 0.9


@pytest.mark.parametrize(
    ("text", "ward"),
    [
        ("phường 10, quận 6", "Phường Bình Phú"),
        ("P.10 Q.6", "Phường Bình Phú"),
        ("p10 q6", "Phường Bình Phú"),
        ("Phường 10 Quận 6 TP.HCM", "Phường Bình Phú"),
        ("phuong 10 quan 6", "Phường Bình Phú"),
        ("phường 12, quận Gò Vấp", "Phường An Hội Tây"),
    ],
)
def test_numbered_wards_of_ho_chi_minh_city_resolve_through_their_former_district(
    national: Database, text: str, ward: str
) -> None:
    found = resolve(national, text)

    assert found.area is not None and found.area.name == ward
    assert found.candidates[0].province is not None
    assert found.candidates[0].province.name == "Thành phố Hồ Chí Minh"


def test_every_numbered_ward_of_ho_chi_minh_city_resolves_with_its_district(
    national: Database,
) -> None:
    numbered = [
        f
        for f in former_wards()
        if f.province == "thành phố Hồ Chí Minh" and bare(f.name).isdecimal()
    ]
    assert len(numbered) > 100
    for f in numbered:
        found = resolve(national, f"{f.name}, {f.district}")
        if len(f.successors) == 1:
            assert code_of(found) == f.successors[0], f
        else:
            assert set(f.successors) <= set(codes(found)), f
    assert code_of(resolve(national, "phường 10", "79")) is None  # which quận's?


def test_a_split_ward_gives_all_its_successors(national: Database) -> None:
    split = [f for f in former_wards() if len(f.successors) > 1 and f.name != f.district]
    shared = Counter(normalize(f.name) for f in former_wards())
    today = {normalize(d.name) for d in WARDS}
    unique = [f for f in split if shared[normalize(f.name)] == 1 and normalize(f.name) not in today]
    for f in random.Random(3).sample(unique, 20):
        found = resolve(national, f.name)
        assert found.area is None, f
        assert set(f.successors) <= set(codes(found)) or found.more, f
        assert all(c.former == f.name for c in found.candidates if c.area.code in f.successors)


@pytest.mark.parametrize("word", [*sorted(KIND_WORDS), "P.", "X.", "Q.", "H.", "TP.", "TX.", "TT."])
def test_kind_words_are_never_matched_as_names(national: Database, word: str) -> None:
    alone = resolve(national, word)
    assert alone.area is None
    assert alone.candidates == []
    level = read_place(f"{word} Tô Hiệu")[0][0].level
    named = code_of(resolve(national, f"{word} Tô Hiệu", "14"))
    if level == Level.WARD:
        assert named == "03646"
    elif level != Level.HAMLET:  # "quận Tô Hiệu", "tỉnh Tô Hiệu": no such place
        assert named is None


def test_todays_name_beats_a_former_name_and_a_province_is_asked_when_several_share_it(
    national: Database,
) -> None:
    # "Tô Hiệu": today's ward in Sơn La, and a former xã of Hà Nội (now two wards).
    assert code_of(resolve(national, "Tô Hiệu", "14")) == "03646"
    nationwide = resolve(national, "Tô Hiệu")
    assert nationwide.area is None  # two provinces: which one?
    assert codes(nationwide)[0] == "03646"
    hanoi = resolve(national, "xã Tô Hiệu", "01")  # its two successors, Hà Nội's first
    assert [c.province.code for c in hanoi.candidates[:2] if c.province] == ["01", "01"]
    # Today's "Xã Tân Phú" exists in several provinces: the resident is asked which.
    shared = resolve(national, "xã Tân Phú")
    assert shared.area is None
    assert len({c.province.code for c in shared.candidates if c.province}) > 1


def test_diacritics_typed_count(national: Database) -> None:
    assert code_of(resolve(national, "Chiềng Lề", "14")) == "03646"
    assert code_of(resolve(national, "Chiềng Lê", "14")) is None  # not the same name
    assert resolve(national, "Chiềng Lê", "14").candidates[0].area.code == "03646"


def test_a_shared_location_gives_the_nearest_ward_and_asks_when_another_is_as_near(
    national: Database,
) -> None:
    with national.session() as session:
        ward = get_area(session, code="03646")
        assert ward is not None and ward.lat is not None and ward.lon is not None
        found = nearest_areas(session, lat=ward.lat, lon=ward.lon, provinces=["14"])
        assert found[0][0].code == "03646" and found[0][1] < 0.01
        assert not close_call(found)
        other = found[1][0]
        assert other.lat is not None and other.lon is not None
        middle = nearest_areas(
            session,
            lat=(ward.lat + other.lat) / 2,
            lon=(ward.lon + other.lon) / 2,
            provinces=["Sơn La"],
        )
        assert {a.code for a, _ in middle} == {"03646", other.code}
        assert close_call(middle)
        elsewhere = nearest_areas(session, lat=ward.lat, lon=ward.lon, provinces=["01"])
        assert all(a.code != "03646" for a, _ in elsewhere)
