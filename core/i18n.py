"""Translations from the Babel catalogs shipped with Tinbao; Vietnamese first."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LOCALES = ("vi", "en")
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a text for translation where it is defined; translate it where it is shown."""
    return message


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> Translations:
    """The catalog of a locale, compiled in memory from its .po file."""
    if locale not in LOCALES:
        locale = LOCALES[0]
    path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    compiled = BytesIO()
    # Compiling at load time means no binary .mo files in the repository or the wheel.
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext_for(locale: str) -> Callable[[str], str]:
    """The `_` function of a locale."""
    gettext: Callable[[str], str] = translations(locale).gettext
    return gettext


def pick_locale(chosen: str | None, default: str) -> str:
    """The person's chosen language, else the deployment's default."""
    return chosen if chosen in LOCALES else (default if default in LOCALES else LOCALES[0])
