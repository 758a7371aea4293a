"""Every text people see exists in Vietnamese and English, and Vietnamese is the default."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.i18n import LOCALES, LOCALES_DIR, gettext_for, pick_locale

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "core", "domain", "broadcasts", "webhooks")
KEYWORDS = {"_": None, "gettext": None, "N_": None}


def source_texts() -> set[str]:
    """Every translatable text marked in the source."""
    found: set[str] = set()
    for package in PACKAGES:
        folder = ROOT / package
        if not folder.exists():
            continue
        for _file, _line, message, _comments, _context in extract_from_dir(
            folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(locale: str) -> dict[str, str]:
    """The .po catalog of a locale as msgid -> msgstr, fuzzy entries left out."""
    path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=locale)
    return {str(m.id): str(m.string) for m in po if m.id and not m.fuzzy}


def placeholders(text: str) -> set[str]:
    """The {names} a text formats in."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_cover_every_text_in_the_source(locale: str) -> None:
    texts = source_texts()
    assert texts, "no translatable text found: the extraction itself is broken"
    translated = {k for k, v in catalog(locale).items() if v.strip()}
    missing = sorted(texts - translated)
    assert missing == [], f"{locale} lacks translations (run scripts/i18n): {missing}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale: str) -> None:
    for source, translated in catalog(locale).items():
        assert placeholders(source) == placeholders(translated), source


def test_vietnamese_texts_are_really_vietnamese() -> None:
    vi = catalog("vi")
    differing = [k for k, v in vi.items() if v != k]
    assert len(differing) == len(vi), "some Vietnamese entries are left in English"
    assert gettext_for("vi")(
        "I do not know this code. Please check it, or ask for a new one."
    ).startswith("Mã này")


def test_vietnamese_is_the_default_language() -> None:
    assert pick_locale(None, "vi") == "vi"
    assert pick_locale("en", "vi") == "en"
    assert pick_locale("fr", "zz") == "vi"
