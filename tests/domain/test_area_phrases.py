"""Properties of the phrase reader: kind words, abbreviations, numbers, separators, diacritics."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.areas.phrases import ABBREVIATIONS, KIND_WORDS, Level, read_place
from domain.text import fold, normalize_words

# Syllables of place names, none of them a kind word, with and without diacritics.
SYLLABLES = [
    "Tô", "Hiệu", "Chiềng", "Lề", "An", "Bình", "Tân", "Phú", "Hòa", "Đông", "Tây", "Nam",
    "Bắc", "Văn", "Vân", "Hương", "Trà", "Mỹ", "Long", "Lộc", "Sơn", "Hà", "Giang", "Quyết",
    "Thắng", "Lê", "Chân", "Cát", "Dài", "Trại", "Cau", "Kênh", "Đức", "Thạnh", "Mường",
]  # fmt: skip
names = st.lists(st.sampled_from(SYLLABLES), min_size=1, max_size=4).map(" ".join)
numbers = st.integers(min_value=1, max_value=30)
place_words = sorted(word for word, level in KIND_WORDS.items() if level != Level.HAMLET)
hamlet_words = sorted(word for word, level in KIND_WORDS.items() if level == Level.HAMLET)
abbreviations = sorted(ABBREVIATIONS)
separators = st.sampled_from([", ", ",", " , ", "; ", "\n"])
SETTINGS = settings(max_examples=150, deadline=None)


def parts_of(text: str) -> list[tuple[str | None, str]]:
    """The first reading's parts as (kind word, name)."""
    return [(part.word, part.name) for part in read_place(text)[0]]


@SETTINGS
@given(word=st.sampled_from(place_words), name=names)
@example(word="phường", name="Tô Hiệu")
def test_read_place_takes_a_kind_word_apart_from_the_name(word: str, name: str) -> None:
    reading = read_place(f"{word} {name}")[0]

    assert [(p.word, p.name) for p in reading] == [(word, normalize_words(name))]
    assert reading[0].level == KIND_WORDS[word]
    assert reading[0].sure


@SETTINGS
@given(short=st.sampled_from(abbreviations), name=names, dot=st.sampled_from([".", ". ", " "]))
def test_read_place_reads_abbreviations_as_their_kind_word(short: str, name: str, dot: str) -> None:
    for case in (short, short.upper()):
        assert parts_of(f"{case}{dot}{name}") == [(ABBREVIATIONS[short], normalize_words(name))]


@SETTINGS
@given(number=numbers, district=numbers, padded=st.booleans(), compact=st.booleans())
@example(number=10, district=6, padded=False, compact=True)
def test_read_place_reads_numbered_wards_and_their_district(
    number: int, district: int, padded: bool, compact: bool
) -> None:
    ward = f"{number:02d}" if padded else str(number)
    text = f"P{ward} Q{district}" if compact else f"P.{ward} Q.{district}"
    expected = [("phường", str(number)), ("quận", str(district))]

    assert parts_of(text) == expected
    assert parts_of(f"phường {ward}, quận {district}") == expected
    assert parts_of(f"Phường số {ward} Quận {district}") == expected


@SETTINGS
@given(
    ward_word=st.sampled_from(["phường", "xã", "thị trấn"]),
    district_word=st.sampled_from(["quận", "huyện", "thị xã", "thành phố"]),
    ward=names,
    district=names,
    separator=separators,
)
def test_read_place_cuts_a_phrase_at_separators_and_kind_words(
    ward_word: str, district_word: str, ward: str, district: str, separator: str
) -> None:
    expected = [(ward_word, normalize_words(ward)), (district_word, normalize_words(district))]

    assert parts_of(f"{ward_word} {ward}{separator}{district_word} {district}") == expected
    assert parts_of(f"{ward_word} {ward} {district_word} {district}") == expected


@SETTINGS
@given(word=st.sampled_from(place_words + hamlet_words), name=names)
def test_read_place_ignores_case(word: str, name: str) -> None:
    text = f"{word} {name}"

    assert read_place(text.upper()) == read_place(text) == read_place(text.title())


@SETTINGS
@given(word=st.sampled_from(place_words), name=names)
def test_read_place_without_diacritics_keeps_a_reading_with_the_kind_word(
    word: str, name: str
) -> None:
    typed = fold(f"{word} {name}")

    readings = [[(p.word and fold(p.word), p.folded) for p in r] for r in read_place(typed)]

    assert [(fold(word), fold(name))] in readings
    assert not any(part.marked for reading in read_place(typed) for part in reading)


@SETTINGS
@given(word=st.sampled_from(place_words + hamlet_words + abbreviations))
def test_read_place_never_reads_a_kind_word_alone_as_a_name(word: str) -> None:
    assert read_place(word) == ()
    assert read_place(f"{word}.") == ()


@SETTINGS
@given(text=st.text(max_size=80))
def test_read_place_reads_any_text_without_failing(text: str) -> None:
    readings = read_place(text)

    assert len(readings) <= 8
    for reading in readings:
        for part in reading:
            assert part.name and part.folded == fold(part.name)
            assert part.word is not None or part.name not in KIND_WORDS
