"""The shipped library: one TOML file per safety message in broadcasts/library, read at start."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from broadcasts.contents.rules import Draft, Words, clean, clean_tags, draft_problems

LIBRARY_DIR = Path(__file__).resolve().parent.parent / "library"
# Operators' messages take keys starting "op-", so no shipped id can ever meet one.
OPERATOR_PREFIX = "op-"
SHIPPED_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_KEYS = {"title", "text", "tags", "image"}
_LANGUAGES = {"vi", "en"}


class LibraryError(ValueError):
    """A library file that cannot be used; the message names the file."""


@dataclass(frozen=True)
class LibraryMessage:
    """A safety message shipped with Tinbao: read-only, in Vietnamese and English."""

    id: str
    title: Words
    text: Words
    tags: tuple[str, ...]
    image: str | None


@dataclass(frozen=True)
class Library:
    """The shipped messages, in the order of their ids."""

    messages: tuple[LibraryMessage, ...]

    def get(self, message_id: str) -> LibraryMessage | None:
        """The shipped message with this id, or None."""
        return next((m for m in self.messages if m.id == message_id), None)

    @property
    def ids(self) -> frozenset[str]:
        """Every shipped id."""
        return frozenset(m.id for m in self.messages)


def _languages(data: dict[str, Any], name: str, problems: list[str]) -> Words:
    table = data.get(name)
    if not isinstance(table, dict):
        problems.append(f"{name}: a table with vi and en is missing")
        return Words(vi="")
    problems += [f"{name}.{key}: unknown key" for key in sorted(set(table) - _LANGUAGES)]
    for language in sorted(_LANGUAGES):
        if language not in table:
            problems.append(f"{name}.{language} is missing")
        elif not isinstance(table[language], str):
            problems.append(f"{name}.{language} is not a string")
    vi, en = (table.get(language) for language in ("vi", "en"))
    return Words(
        vi=clean(vi) or "" if isinstance(vi, str) else "",
        en=clean(en) if isinstance(en, str) else None,
    )


def _image(value: object, folder: Path, problems: list[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        problems.append("image: a path relative to the library folder, as text")
        return None
    relative = PurePosixPath(value)
    if relative.is_absolute() or ".." in relative.parts:
        problems.append(f"image {value!r}: must stay inside the library folder")
    elif not (folder / relative).is_file():
        problems.append(f"image {value!r}: no such file beside the message")
    return value


def parse_message(message_id: str, data: dict[str, Any], *, folder: Path) -> LibraryMessage:
    """A message from a file's parsed TOML; LibraryError lists everything wrong with it."""
    problems = [f"{key}: unknown key" for key in sorted(set(data) - _KEYS)]
    if not SHIPPED_ID.fullmatch(message_id) or message_id.startswith(OPERATOR_PREFIX):
        problems.append(
            f'the file name "{message_id}" must be lower-case letters, digits and dashes,'
            f' not starting with "{OPERATOR_PREFIX}"'
        )
    title = _languages(data, "title", problems)
    text = _languages(data, "text", problems)
    raw_tags = data.get("tags")
    tags: tuple[str, ...] = ()
    if raw_tags is None:
        problems.append("tags is missing")
    elif not isinstance(raw_tags, list) or not all(isinstance(t, str) for t in raw_tags):
        problems.append('tags: a list of strings, e.g. tags = ["scam"]')
    else:
        tags = clean_tags(raw_tags)
    image = _image(data.get("image"), folder, problems)
    draft = Draft(title=title, text=text, tags=tags, image=image)
    if not problems:
        problems = draft_problems(draft, english_required=True)
    if problems:
        raise LibraryError("; ".join(problems))
    return LibraryMessage(id=message_id, title=title, text=text, tags=tags, image=image)


def load_message(path: Path) -> LibraryMessage:
    """One message file; its id is the file name without .toml."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
        return parse_message(path.stem, data, folder=path.parent)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise LibraryError(f"{path}: not valid TOML in UTF-8 ({error})") from None
    except LibraryError as error:
        raise LibraryError(f"{path}: {error}") from None


def load_library(folder: Path = LIBRARY_DIR) -> Library:
    """Every message file of a folder, checked; ids are file names, so unique in one folder."""
    return Library(tuple(load_message(path) for path in sorted(folder.glob("*.toml"))))


@cache
def shipped_library() -> Library:
    """The library shipped with Tinbao, read once per process."""
    return load_library()
