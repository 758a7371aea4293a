"""Which photo captions file a report in a group: `/report TEXT` and `/baocao TEXT` alone."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.events import ChatRef, Media, Person
from bot.reporting.follow_up import captioned_report

GROUP = ChatRef("zalo-oa", "gmf_1001", "group")


def photo(caption: str | None) -> Media:
    """A photo posted in an OA group with this caption."""
    return Media(
        kind="photo",
        file_ref="https://photo-stal.zadn.vn/gmf/abc.jpg",
        caption=caption,
        chat=GROUP,
        sender=Person("4462276093349011405", None, None),
        message_id="m1",
        sent_at=datetime.now(UTC),
    )


@given(st.one_of(st.none(), st.text(max_size=300)))
def test_any_caption_is_read_without_error(caption: str | None) -> None:
    words = captioned_report(photo(caption))
    assert words is None or (caption is not None and words in caption)


@given(
    st.sampled_from(["/report", "/baocao", "/BaoCao", "/report@tinbao_bot"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=80),
)
def test_report_captions_give_their_words(command: str, words: str) -> None:
    assert captioned_report(photo(f"{command} {words}")) == words.strip()


@given(st.sampled_from(["ảnh hiện trường", "/status K7QX2M", "/link 1234", "report xe lạ", ""]))
def test_other_captions_file_nothing(caption: str) -> None:
    assert captioned_report(photo(caption)) is None
