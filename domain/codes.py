"""Short codes people read and type: no 0, 1, I, L or O, case, spaces and dashes ignored."""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(length: int) -> str:
    """A random code of the given length, from the unambiguous alphabet."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize_code(typed: str) -> str:
    """The code as stored: upper case, without spaces and dashes."""
    return "".join(c for c in typed.upper() if c not in " -\t")


def looks_like_code(typed: str, *, length: int) -> bool:
    """Whether typed text, normalized, is a code of that length from the alphabet."""
    code = normalize_code(typed)
    return len(code) == length and all(c in ALPHABET for c in code)
