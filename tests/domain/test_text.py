"""Folding and normalizing Vietnamese text."""

from __future__ import annotations

import string
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.text import fold, has_diacritics, normalize, normalize_words, whole_number

PLAIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
MARKED_LETTERS = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
VIETNAMESE = PLAIN_LETTERS + MARKED_LETTERS
VIETNAMESE_ALL_CASES = VIETNAMESE + VIETNAMESE.upper()
vietnamese_text = st.text(
    alphabet=st.sampled_from(VIETNAMESE_ALL_CASES + string.digits + string.punctuation + " \t\n")
)


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(vietnamese_text)
def test_fold_leaves_no_diacritics_and_no_upper_case(text: str) -> None:
    folded = fold(text)
    assert not has_diacritics(folded)
    assert set(folded) <= set(PLAIN_LETTERS + string.digits + " ")


@given(vietnamese_text)
def test_fold_ignores_case_of_vietnamese_letters(text: str) -> None:
    assert fold(text) == fold(text.upper()) == fold(text.lower())


@given(vietnamese_text)
def test_fold_gives_the_same_for_composed_and_decomposed_text(text: str) -> None:
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))


@given(vietnamese_text)
def test_has_diacritics_tells_whether_a_marked_letter_is_there(text: str) -> None:
    marked = any(char in MARKED_LETTERS for char in text.lower())
    assert has_diacritics(text) is marked
    assert has_diacritics(unicodedata.normalize("NFD", text)) is marked


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)
    assert normalize_words(normalize_words(text)) == normalize_words(text)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đường Điện Biên Phủ", "duong dien bien phu"),
        ("P. Tô Hiệu, TP. Sơn La!", "p to hieu tp son la"),
        ("  Cháy   nhà\tở tổ 5 ", "chay nha o to 5"),
        (unicodedata.normalize("NFD", "Chiềng Lề"), "chieng le"),
        ("ĐẶC KHU Phú Quốc", "dac khu phu quoc"),
        ("", ""),
    ],
)
def test_fold_examples(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("chạy", True),
        ("cháy", True),
        ("chay", False),
        ("đi", True),
        ("Đ", True),
        ("Dao 113", False),
    ],
)
def test_has_diacritics_examples(text: str, marked: bool) -> None:
    assert has_diacritics(text) is marked


def test_normalize_keeps_diacritics_and_punctuation() -> None:
    decomposed = unicodedata.normalize("NFD", "  PHƯỜNG   Tô Hiệu, ")
    assert normalize(decomposed) == "phường tô hiệu,"
    assert normalize(decomposed) == unicodedata.normalize("NFC", normalize(decomposed))


def test_normalize_words_turns_punctuation_into_spaces() -> None:
    assert normalize_words("P.Tô Hiệu,TP. Sơn La") == "p tô hiệu tp sơn la"


@given(st.text(max_size=30), st.integers(min_value=1, max_value=20))
def test_whole_number_reads_ascii_digits_only_and_never_raises(text: str, digits: int) -> None:
    readable = text.isascii() and text.isdigit() and 0 < len(text) <= digits
    assert whole_number(text, digits=digits) == (int(text) if readable else None)


def test_whole_number_refuses_digits_int_would_not_read_and_numbers_too_long() -> None:
    assert whole_number("²") is None  # str.isdigit() says yes; int() raises
    assert whole_number("٣") is None  # another script's digit
    assert whole_number("9" * 10, digits=9) is None  # past what the id column holds
    assert whole_number("0042") == 42
