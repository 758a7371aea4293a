"""Safety messages as broadcasts read them: shipped and operators' ones, locales, keys, retiring."""

from __future__ import annotations

import pytest

from broadcasts.contents.library import shipped_library
from broadcasts.contents.rules import MAX_TEXT, Draft, Words
from broadcasts.contents.service import (
    ContentError,
    ShippedContent,
    UnknownContent,
    create_content,
    find_content,
    get_content,
    list_contents,
    retire_content,
    update_content,
)
from core.db import Database


def draft(title: str | Words = "Cảnh giác lừa đảo dịp Tết", **changes: object) -> Draft:
    """An operator's message, in Vietnamese only unless told otherwise."""
    values: dict[str, object] = {
        "title": Words(vi=title) if isinstance(title, str) else title,
        "text": Words(vi="Không chuyển tiền cho người lạ. Báo Công an phường."),
        "tags": ("scam",),
    }
    return Draft(**(values | changes))  # type: ignore[arg-type]


def test_get_content_gives_a_shipped_message_in_either_locale(db: Database) -> None:
    with db.reading() as session:
        vi = get_content(session, key="fire-gas-cylinders")
        en = get_content(session, key="fire-gas-cylinders", locale="en")
    assert (vi.locale, en.locale) == ("vi", "en")
    assert "114" in vi.text and "114" in en.text and vi.text != en.text
    assert vi.message == f"{vi.title}\n\n{vi.text}"


def test_get_content_falls_back_to_vietnamese_without_english(db: Database) -> None:
    with db.session() as session:
        key = create_content(session, draft=draft()).key
    with db.reading() as session:
        english = get_content(session, key=key, locale="en")
    assert (english.locale, english.title) == ("vi", "Cảnh giác lừa đảo dịp Tết")


def test_get_content_refuses_unknown_and_retired_messages(db: Database) -> None:
    with db.session() as session:
        key = create_content(session, draft=draft()).key
        retire_content(session, key=key)
    with db.reading() as session:
        with pytest.raises(UnknownContent) as unknown:
            get_content(session, key="no-such-message")
        with pytest.raises(UnknownContent) as retired:
            get_content(session, key=key)
        assert find_content(session, key=key) is not None  # kept, only no longer sent
    assert (unknown.value.retired, retired.value.retired) == (False, True)


def test_create_content_keys_never_meet_shipped_ids(db: Database) -> None:
    with db.session() as session:
        first = create_content(session, draft=draft("scam fake police"))
        second = create_content(session, draft=draft("Scam: fake police!"))
        odd = create_content(session, draft=draft("Đường dây nóng 113 — 📞"))
    assert (first.key, second.key) == ("op-scam-fake-police", "op-scam-fake-police-2")
    assert odd.key == "op-duong-day-nong-113"
    assert not {first.key, second.key, odd.key} & shipped_library().ids


def test_create_content_refuses_what_cannot_be_sent(db: Database) -> None:
    cases = [
        (draft(text=Words(vi="   ")), "text is empty"),
        (draft(text=Words(vi="x" * (MAX_TEXT + 1))), "Zalo takes at most 2,000"),
        (draft(text=Words(vi="x" * (MAX_TEXT - 5))), "together are"),
        (draft(tags=()), "at least one tag"),
        (draft(title=Words(vi="Tiêu đề", en="Title")), "title_en and text_en go together"),
        (draft(image="http://example.org/a.png"), "https://"),
    ]
    with db.session() as session:
        for bad, complaint in cases:
            with pytest.raises(ContentError, match=complaint):
                create_content(session, draft=bad)


def test_update_and_retire_leave_shipped_messages_alone(db: Database) -> None:
    with db.session() as session:
        with pytest.raises(ShippedContent, match="read-only"):
            update_content(session, key="scam-fake-police", draft=draft())
        with pytest.raises(ShippedContent):
            retire_content(session, key="scam-fake-police")
        with pytest.raises(UnknownContent):
            retire_content(session, key="op-nothing")


def test_update_content_replaces_an_operators_message(db: Database) -> None:
    with db.session() as session:
        key = create_content(session, draft=draft()).key
    english = Words(vi="Gọi 113.", en="Call 113.")
    with db.session() as session:
        changed = update_content(
            session, key=key, draft=draft(text=english, title=Words(vi="Mới", en="New"))
        )
    assert changed.key == key  # the key stays with the message whatever its new title
    with db.reading() as session:
        assert get_content(session, key=key, locale="en").text == "Call 113."


def test_list_contents_pages_shipped_then_operators_and_filters(db: Database) -> None:
    shipped = [m.id for m in shipped_library().messages]
    with db.session() as session:
        keys = [create_content(session, draft=draft(f"Tin {n}")).key for n in range(3)]
        fire = create_content(session, draft=draft("Cháy", tags=("fire",))).key
        retire_content(session, key=keys[1])
    seen: list[str] = []
    with db.reading() as session:
        while page := list_contents(session, after=seen[-1] if seen else None, limit=4):
            seen += [m.key for m in page]
        fires = [m.key for m in list_contents(session, tag="FIRE", limit=200)]
        retired = [m.key for m in list_contents(session, retired=True)]
        with pytest.raises(ContentError):
            list_contents(session, after="op-nothing")
    assert seen == [*shipped, keys[0], keys[2], fire]
    assert fires[-1] == fire and all(k.startswith("fire-") for k in fires[:-1])
    assert retired == [keys[1]]
