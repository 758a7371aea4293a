"""The rules of likely duplicates: Vietnamese-aware words, symmetry, and where they never match."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from domain.reports.similar import (
    RELATED,
    Rules,
    Told,
    likeness,
    most_alike,
    text_similarity,
    words_of,
)
from domain.text import fold
from tests.bot import PROPERTY

START = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
CATEGORIES = ["drugs", "theft", "fraud", "violence", "fire", "weapons", "suspicious", "traffic"]
# Words residents use when something happens; fillers are mixed in by the strategies.
EVENT_WORDS = [
    "cháy",
    "nhà",
    "kho",
    "chợ",
    "khói",
    "lửa",
    "đánh",
    "nhau",
    "dao",
    "kiếm",
    "trộm",
    "xe",
    "máy",
    "lừa",
    "đảo",
    "chuyển",
    "khoản",
    "ma",
    "túy",
    "tai",
    "nạn",
    "ô",
    "tô",
    "đâm",
    "ngã",
    "tư",
    "hẻm",
    "đường",
    "Tô",
    "Hiệu",
    "Trần",
    "Phú",
    "kiốt",
    "quán",
    "karaoke",
    "điện",
    "thoại",
]
FILLER_WORDS = ["có", "ở", "đang", "thì", "là", "bị", "anh", "chị", "em", "ơi", "ạ", "nhé"]
RULES = Rules()

words = st.lists(st.sampled_from(EVENT_WORDS), min_size=2, max_size=10)
house_numbers = st.integers(1, 300)


def told(
    ident: int,
    text: str,
    *,
    category: str = "fire",
    minutes: float = 0,
    ward: int = 1,
    ward_at: tuple[float, float] | None = (21.3265, 103.9128),
    at: tuple[float, float] | None = None,
) -> Told:
    """A report as the rules read it."""
    return Told(
        id=ident,
        code=f"C{ident:05d}",
        category=category,
        created_at=START + timedelta(minutes=minutes),
        text=text,
        ward_id=ward,
        ward_lat=ward_at[0] if ward_at else None,
        ward_lon=ward_at[1] if ward_at else None,
        latitude=at[0] if at else None,
        longitude=at[1] if at else None,
    )


def test_similar_reports_the_same_fire_told_two_ways_match() -> None:
    first = told(1, "Cháy lớn ở chợ Tô Hiệu, khói bốc cao lắm")
    second = told(2, "chay o cho To Hieu, khoi boc cao qua anh chi oi", minutes=3)
    found = likeness(first, second, rules=RULES)
    assert found is not None and found.minutes == 3 and found.metres is None


def test_similar_reports_different_events_told_alike_do_not_match() -> None:
    first = told(1, "Cháy nhà số 12 đường Trần Phú")
    second = told(2, "Cháy xe máy ở chợ Tô Hiệu", minutes=5)
    assert likeness(first, second, rules=RULES) is None


def test_similar_reports_far_apart_on_the_map_never_match() -> None:
    first = told(1, "Cháy kho ở chợ", at=(21.3265, 103.9128))
    second = told(2, "Cháy kho ở chợ", at=(21.3365, 103.9128), minutes=1)  # 1.1 km north
    assert likeness(first, second, rules=RULES) is None
    near = told(3, "Cháy kho ở chợ", at=(21.3275, 103.9128), minutes=1)  # 111 m
    found = likeness(first, near, rules=RULES)
    assert found is not None and found.metres == 111


def test_similar_reports_unrelated_categories_never_match() -> None:
    assert likeness(told(1, "xe máy"), told(2, "xe máy", category="fraud"), rules=RULES) is None
    assert frozenset({"fire", "suspicious"}) in RELATED
    assert likeness(
        told(1, "khói ở kho"), told(2, "khói ở kho", category="suspicious"), rules=RULES
    )


@PROPERTY
@given(words=words, fillers=st.lists(st.sampled_from(FILLER_WORDS), max_size=6))
def test_similar_reports_diacritics_and_fillers_change_nothing(
    words: list[str], fillers: list[str]
) -> None:
    text = " ".join(words)
    plain = fold(" ".join([*fillers, *words]))
    assert words_of(text) == words_of(plain)
    assume(words_of(text))  # "ô ô" folds to "o o", a filler: a text of fillers tells nothing
    assert text_similarity(text, plain) == 1.0


@PROPERTY
@given(words=words, order=st.randoms(use_true_random=False))
def test_similar_reports_word_order_changes_nothing(words: list[str], order: object) -> None:
    shuffled = list(words)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    other = " ".join([*words[:1], "kho"])
    assert text_similarity(" ".join(words), other) == text_similarity(" ".join(shuffled), other)


@PROPERTY
@given(words=words, first=house_numbers, second=house_numbers)
def test_similar_reports_house_numbers_are_words(words: list[str], first: int, second: int) -> None:
    assume(first != second)
    same = text_similarity(f"số {first} " + " ".join(words), f"số {first} " + " ".join(words))
    other = text_similarity(f"số {first} " + " ".join(words), f"số {second} " + " ".join(words))
    assert str(first) in words_of(f"nhà số {first}")
    assert other < same


@PROPERTY
@given(words=words, first=house_numbers, second=house_numbers, kind=st.sampled_from(["số", "hẻm"]))
def test_similar_reports_two_addresses_are_two_events(
    words: list[str], first: int, second: int, kind: str
) -> None:
    assume(first != second)
    text = " ".join(words)
    one = told(1, f"{text} {kind} {first} tổ 3")
    other = told(2, f"{kind} {second} tổ 3 {text}", minutes=2)
    same = told(3, f"{kind} {first} tổ 3 {text}", minutes=2)
    assert likeness(one, other, rules=RULES) is None
    assert likeness(one, same, rules=RULES) is not None


def test_similar_reports_named_streets_that_differ_are_two_places() -> None:
    trees = told(1, "Cây đổ chắn ngang đường Trần Phú")
    assert (
        likeness(trees, told(2, "Cây đổ chắn ngang đường Lê Duẩn", minutes=2), rules=RULES) is None
    )
    assert likeness(trees, told(3, "cay do chan ngang duong tran phu", minutes=2), rules=RULES)


reports = st.builds(
    told,
    st.integers(1, 50),
    st.lists(st.sampled_from(EVENT_WORDS + FILLER_WORDS), min_size=1, max_size=12).map(" ".join),
    category=st.sampled_from(CATEGORIES),
    minutes=st.floats(0, 300),
    ward=st.integers(1, 4),
    ward_at=st.sampled_from([None, (21.3265, 103.9128), (21.33, 103.92), (21.40, 104.10)]),
    at=st.none() | st.tuples(st.floats(21.32, 21.33), st.floats(103.91, 103.92)),
)


@PROPERTY
@given(a=reports, b=reports)
def test_similar_reports_likeness_is_symmetric(a: Told, b: Told) -> None:
    assert likeness(a, b, rules=RULES) == likeness(b, a, rules=RULES)


@PROPERTY
@given(report=reports, others=st.lists(reports, max_size=8))
def test_similar_reports_a_report_is_never_its_own_duplicate(
    report: Told, others: list[Told]
) -> None:
    best = most_alike(report, [report, *others], rules=RULES)
    assert best is None or best[0].id != report.id


@PROPERTY
@given(a=reports, b=reports)
def test_similar_reports_never_across_wards_that_are_not_adjacent(a: Told, b: Told) -> None:
    # Ward 4's centre lies 20 km away from the others: never adjacent to them.
    far = Told(**{**a.__dict__, "ward_id": 4, "ward_lat": 21.40, "ward_lon": 104.10})
    assume(b.ward_id != 4 and b.ward_lat != far.ward_lat)
    assert likeness(far, b, rules=RULES) is None
    no_ward = Told(**{**a.__dict__, "ward_id": None})
    assert likeness(no_ward, b, rules=RULES) is None
