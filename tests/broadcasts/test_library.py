"""The shipped library of safety messages, and the loader's checks of every file."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadcasts.contents.library import (
    LIBRARY_DIR,
    LibraryError,
    load_library,
    load_message,
    shipped_library,
)
from broadcasts.contents.rules import clean, message_of
from domain.text import fold, has_diacritics

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
CALL_VI = re.compile(r"\b11[345]\b|Công an")
CALL_EN = re.compile(r"\b11[345]\b|police")


def valid_message() -> dict[str, Any]:
    """The parsed TOML of a message that loads."""
    return {
        "tags": ["scam"],
        "title": {"vi": "Cảnh giác lừa đảo", "en": "Beware of scams"},
        "text": {"vi": "Hãy báo Công an phường.", "en": "Tell the ward police."},
    }


def toml_of(data: dict[str, Any]) -> str:
    """TOML for a message: JSON's escaped strings and arrays are TOML's too."""
    lines = [f"{k} = {json.dumps(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for name, table in ((k, v) for k, v in data.items() if isinstance(v, dict)):
        lines += [f"[{name}]", *(f"{k} = {json.dumps(v)}" for k, v in table.items())]
    return "\n".join(lines) + "\n"


def write(folder: Path, name: str, data: dict[str, Any] | str) -> Path:
    """A message file in a folder."""
    path = folder / f"{name}.toml"
    path.write_text(data if isinstance(data, str) else toml_of(data), encoding="utf-8")
    return path


def last_sentence(text: str) -> str:
    """The text's last sentence."""
    return SENTENCE_END.split(text.strip())[-1]


def test_shipped_library_loads_every_file() -> None:
    files = sorted(LIBRARY_DIR.glob("*.toml"))
    library = shipped_library()
    assert [m.id for m in library.messages] == [f.stem for f in files]
    assert len(library.messages) >= 14


def test_shipped_library_covers_scams_crime_drugs_and_fire() -> None:
    tagged = [tag for m in shipped_library().messages for tag in m.tags]
    assert tagged.count("scam") >= 5
    assert tagged.count("crime") >= 2
    assert tagged.count("drugs") >= 1
    assert tagged.count("fire") >= 4


def test_shipped_messages_end_with_whom_to_call() -> None:
    for message in shipped_library().messages:
        assert CALL_VI.search(last_sentence(message.text.vi)), message.id
        assert message.text.en is not None
        assert CALL_EN.search(last_sentence(message.text.en)), message.id
    fire = [m for m in shipped_library().messages if "fire" in m.tags]
    assert all("114" in last_sentence(m.text.vi) for m in fire)


def test_shipped_messages_fit_a_phone_screen() -> None:
    for message in shipped_library().messages:
        for language in ("vi", "en"):
            title, text = message.title.in_locale(language), message.text.in_locale(language)
            assert len(text) <= 700, (message.id, language, len(text))
            assert len(message_of(title, text)) <= 800, (message.id, language)


def test_shipped_messages_write_vietnamese_with_diacritics() -> None:
    for message in shipped_library().messages:
        vi, en = message.text.vi, message.text.en or ""
        assert unicodedata.is_normalized("NFC", vi), message.id
        words = vi.split()
        marked = [w for w in words if has_diacritics(w)]
        # Vietnamese typed without marks would have almost none; real text has most words marked.
        assert len(marked) / len(words) > 0.5, message.id
        assert has_diacritics(message.title.vi), message.id
        assert fold(message.title.en or "") != fold(message.title.vi), message.id
        assert sum(has_diacritics(w) for w in en.split()) <= 4, message.id  # quoted terms only


def test_load_message_reads_its_fields_and_image(tmp_path: Path) -> None:
    (tmp_path / "poster.png").write_bytes(b"\x89PNG")
    data = valid_message() | {"tags": [" Scam ", "scam", "fire"], "image": "poster.png"}
    data["text"] = {"vi": "  Gọi 114.\n", "en": "Call 114."}
    message = load_message(write(tmp_path, "fire-poster", data))
    assert message.id == "fire-poster"
    assert (message.tags, message.image) == (("scam", "fire"), "poster.png")
    assert message.text.vi == "Gọi 114."


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"tags": []}, "at least one tag"),
        ({"tags": "scam"}, "a list of strings"),
        ({"colour": "red"}, "colour: unknown key"),
        ({"title": "Cảnh giác"}, "title: a table with vi and en"),
        ({"text": {"vi": "Gọi 113.", "en": ""}}, "text_en is empty"),
        ({"text": {"vi": "Gọi 113.", "en": "Call 113.", "fr": "x"}}, "text.fr: unknown key"),
        ({"text": {"vi": 113, "en": "Call 113."}}, "text.vi is not a string"),
        ({"text": {"vi": "x" * 2001, "en": "Call 113."}}, "Zalo takes at most 2,000"),
        ({"image": "../../secret.png"}, "inside the library folder"),
        ({"image": "missing.png"}, "no such file"),
        ({"tags": ["Lừa đảo"]}, "lower-case letters"),
    ],
)
def test_load_library_refuses_a_bad_file_and_names_it(
    tmp_path: Path, change: dict[str, Any], complaint: str
) -> None:
    write(tmp_path, "a-good-one", valid_message())
    write(tmp_path, "the-bad-one", valid_message() | change)
    with pytest.raises(LibraryError) as raised:
        load_library(tmp_path)
    assert "the-bad-one.toml" in str(raised.value)
    assert complaint in str(raised.value)


@pytest.mark.parametrize(
    ("name", "content", "complaint"),
    [
        ("broken", 'tags = ["scam"\n', "not valid TOML"),
        ("op-mine", toml_of(valid_message()), 'not starting with "op-"'),
        ("Upper", toml_of(valid_message()), "lower-case letters"),
    ],
)
def test_load_library_refuses_unreadable_files_and_names_them(
    tmp_path: Path, name: str, content: str, complaint: str
) -> None:
    write(tmp_path, name, content)
    with pytest.raises(LibraryError) as raised:
        load_library(tmp_path)
    assert f"{name}.toml" in str(raised.value)
    assert complaint in str(raised.value)


# No example database, and no deadline: file writes on a busy machine are slow, not wrong.
PROPERTY = settings(max_examples=100, deadline=None, database=None)
REQUIRED = ["title.vi", "title.en", "text.vi", "text.en", "tags"]
NAMES = st.from_regex(r"[a-z0-9][a-z0-9-]{0,30}", fullmatch=True).filter(
    lambda name: not name.startswith("op-")
)
# TOML escapes only Unicode scalar values: no surrogates, so no pairs for astral characters.
WORDS = st.text(
    st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), min_size=1, max_size=300
).filter(lambda text: bool(clean(text)))


@PROPERTY
@given(missing=st.sampled_from(REQUIRED), name=NAMES)
def test_load_library_refuses_any_file_missing_a_key(missing: str, name: str) -> None:
    data = valid_message()
    table, _, key = missing.partition(".")
    if key:
        del data[table][key]
    else:
        del data[table]
    with TemporaryDirectory() as folder:
        write(Path(folder), name, data)
        with pytest.raises(LibraryError) as raised:
            load_library(Path(folder))
    assert f"{name}.toml" in str(raised.value)
    assert f"{missing} is missing" in str(raised.value)


@PROPERTY
@given(name=NAMES, vi=WORDS, en=WORDS)
def test_load_library_keeps_any_words_that_fit(name: str, vi: str, en: str) -> None:
    data = valid_message() | {"text": {"vi": vi, "en": en}}
    with TemporaryDirectory() as folder:
        write(Path(folder), name, data)
        (message,) = load_library(Path(folder)).messages
    assert (message.id, message.text.vi, message.text.en) == (name, clean(vi), clean(en))
