"""Why a broadcast cannot be sent, told to an officer in their language and to the API in English."""

from __future__ import annotations

import pytest

from broadcasts.plans import BroadcastError, check_text
from core.i18n import gettext_for


def test_a_text_too_long_is_refused_with_its_length_in_the_officers_language() -> None:
    with pytest.raises(BroadcastError) as refused:
        check_text("x" * 5000, channels=("telegram",))
    assert str(refused.value) == (
        "the text has 5000 characters; at most 4096 fit in one message here"
    )
    assert refused.value.told(gettext_for("vi")) == (
        "nội dung dài 5000 ký tự; một tin nhắn ở đây chứa được tối đa 4096 ký tự"
    )


def test_a_reason_without_values_is_translated_whole() -> None:
    error = BroadcastError("the text is empty")
    assert error.told(gettext_for("vi")) == "nội dung đang trống"
    assert error.told(gettext_for("en")) == "the text is empty"
