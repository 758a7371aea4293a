"""Telling emergencies from other reports, with and without diacritics."""

from __future__ import annotations

import string
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.reports.urgency import EMERGENCY_TERMS, emergency_words, is_emergency
from domain.text import fold, has_diacritics

LOOK_ALIKES = ["chạy", "dạo", "đào", "đạo", "sung", "sướng", "chay", "dao", "no", "ban", "dam"]
WORDS = [*EMERGENCY_TERMS, *LOOK_ALIKES, "nhà", "nha", "có", "người", "ở", "ngõ", "5", "the"]
report_text = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=5)), max_size=12).map(
    " ".join
)
plain_text = st.text(alphabet=string.ascii_letters + string.digits + string.punctuation + " \n")


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("cháy nhà", ["cháy"]),
        ("Có người cầm dao ở đầu ngõ", ["dao"]),
        ("nghe tiếng súng", ["súng"]),
        ("Nhà bên đang cháy, nổ súng!", ["đang cháy", "nổ súng"]),
        ("hai nhóm đánh nhau, một người bị đâm", ["đánh nhau", "đâm"]),
        ("hoả hoạn ở chợ", ["hỏa hoạn"]),
        ("bị cướp giật điện thoại", ["cướp giật"]),
        ("có người bất tỉnh, cần cấp cứu", ["bất tỉnh", "cấp cứu"]),
        (unicodedata.normalize("NFD", "Cháy nhà"), ["cháy"]),
    ],
)
def test_emergency_words_finds_terms_in_text_with_diacritics(text: str, terms: list[str]) -> None:
    assert emergency_words(text) == terms
    assert is_emergency(text)


@pytest.mark.parametrize(
    "text",
    [
        "chạy bộ quanh hồ",
        "đi dạo buổi tối",
        "đào đất làm đường",
        "sung sướng quá",
        "hôm nay sung sướng, sung",
        "lớp đào tạo về đạo đức",
        "nhà có người bán ma túy",
        "ăn chay ở chùa",
    ],
)
def test_emergency_words_tells_look_alikes_apart_by_their_diacritics(text: str) -> None:
    assert emergency_words(text) == []
    assert not is_emergency(text)


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("chay nha o ngo 5", ["cháy"]),
        ("co dao", ["dao"]),
        ("nghe tieng sung", ["súng"]),
        ("co nguoi bi dam", ["đâm"]),
        ("NO SUNG o cho", ["nổ súng"]),
        ("chay no lon", ["cháy nổ"]),
        ("dang danh nhau", ["đang đánh nhau"]),
        ("hoa hoan", ["hỏa hoạn"]),
    ],
)
def test_emergency_words_folds_text_without_diacritics(text: str, terms: list[str]) -> None:
    assert emergency_words(text) == terms


@pytest.mark.parametrize(
    "text", ["no di dau roi", "ban ma tuy o hem 3", "dam cuoi nha ban", "khong dam noi"]
)
def test_emergency_words_skips_common_words_that_only_fold_to_a_term(text: str) -> None:
    assert emergency_words(text) == []


@pytest.mark.parametrize(
    "text", ["lớp daotao", "it had begun", "fireworks tonight", "sungsuong", "chaynha", "dao5"]
)
def test_emergency_words_matches_whole_words_only(text: str) -> None:
    assert emergency_words(text) == []


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("There is a FIRE in the market", ["fire"]),
        ("man stabbed near the bridge", ["stabbed"]),
        ("Gunshot, then someone unconscious", ["gunshot", "unconscious"]),
        ("a kidnapping? call emergency", ["kidnapping", "emergency"]),
        ("có người cầm gun", ["gun"]),
    ],
)
def test_emergency_words_reads_english(text: str, terms: list[str]) -> None:
    assert emergency_words(text) == terms


def test_emergency_words_keeps_the_order_found_each_term_once() -> None:
    assert emergency_words("dao, súng, rồi lại dao, CHÁY") == ["dao", "súng", "cháy"]


def test_emergency_words_returns_normalized_terms_for_folded_text() -> None:
    assert emergency_words(fold("Cháy nổ ở chợ, có SÚNG")) == ["cháy nổ", "súng"]


@given(st.text())
def test_emergency_words_never_raises(text: str) -> None:
    assert is_emergency(text) is bool(emergency_words(text))


@given(st.one_of(st.text(), report_text))
def test_emergency_words_returns_vocabulary_terms_once(text: str) -> None:
    found = emergency_words(text)
    assert set(found) <= set(EMERGENCY_TERMS)
    assert len(found) == len(set(found))


@given(st.one_of(st.text(), report_text), st.sampled_from(EMERGENCY_TERMS))
def test_is_emergency_when_an_emergency_phrase_is_added_anywhere_after(
    text: str, term: str
) -> None:
    assert is_emergency(f"{text}\n\n... {term}")
    assert is_emergency(f"{term}!\n\n{text}")


@given(st.one_of(st.text(), report_text))
def test_emergency_words_is_the_same_for_text_without_diacritics_and_its_fold(text: str) -> None:
    assume(not has_diacritics(text))
    assert emergency_words(text) == emergency_words(fold(text))


@given(plain_text)
def test_emergency_words_ignores_case_in_text_without_diacritics(text: str) -> None:
    assert emergency_words(text) == emergency_words(text.upper()) == emergency_words(text.lower())
