"""The words that stop broadcasts, whatever their case, diacritics and spacing."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bot.subscribing.words import is_stop_word

SPELLINGS = ["STOP", "dừng", "dung", "huỷ đăng ký", "hủy đăng ký", "huy dang ky"]


def _cased(text: str, flips: list[bool]) -> str:
    return "".join(
        c.upper() if flip else c for c, flip in zip(text, flips + [False] * len(text), strict=False)
    )


@given(
    word=st.sampled_from(SPELLINGS),
    flips=st.lists(st.booleans(), max_size=12),
    before=st.text(" \t\n", max_size=3),
    after=st.text(" \t\n.!", max_size=3),
    form=st.sampled_from(["NFC", "NFD"]),
)
def test_stop_word_recognised_in_any_case_spacing_and_normal_form(
    word: str, flips: list[bool], before: str, after: str, form: str
) -> None:
    typed = unicodedata.normalize(form, before + _cased(word, flips) + after)  # type: ignore[arg-type]
    assert is_stop_word(typed)


@given(word=st.sampled_from(SPELLINGS), extra=st.sampled_from(["nhé anh", "xe", "lại đi nào"]))
def test_stop_word_inside_a_sentence_is_no_stop(word: str, extra: str) -> None:
    assert not is_stop_word(f"{word} {extra}")
    assert not is_stop_word(f"không {word}")


@given(st.text(max_size=40))
def test_stop_word_answers_any_text_without_error(text: str) -> None:
    assert is_stop_word(text) in (True, False)


def test_stop_word_does_not_take_report_words() -> None:
    assert not any(is_stop_word(w) for w in ["dừng xe", "huỷ", "/huy", "dang ky", "cháy"])
