"""The playground's HTML: Jinja2 templates rendered in the page's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.i18n import LOCALES, translations

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )


_ENV = _environment()


def page_locale(asked: str | None) -> str:
    """The page's language: the one asked for if Tinbao speaks it, else Vietnamese."""
    return asked if asked in LOCALES else LOCALES[0]


def render(template: str, *, locale: str, **context: Any) -> str:
    """A template rendered with the locale's catalog."""
    catalog = translations(locale)
    template_ = _ENV.get_template(template)
    return template_.render(
        gettext=catalog.gettext, ngettext=catalog.ngettext, locale=locale, **context
    )
