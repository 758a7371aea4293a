"""The README and the pages under docs/ link only to what exists, and cite no file outside the checkout."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_links() -> ModuleType:
    """scripts/links.py, which is a script, not a package."""
    spec = importlib.util.spec_from_file_location("links", ROOT / "scripts" / "links.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_relative_link_leads_to_a_file_and_heading() -> None:
    assert load_links().broken_links() == []


def test_a_broken_anchor_is_caught(tmp_path: Path) -> None:
    (tmp_path / "chat.md").write_text(
        "# Chat\n\n## The police's desk\n\n```\n# not a heading\n```\n"
    )
    page = tmp_path / "probe.md"
    page.write_text(
        "# Probe\n\n[ok](#probe) [desk](chat.md#the-polices-desk) [web](https://example.org)\n"
        "[bad](chat.md#nope) [code](chat.md#not-a-heading) [gone](gone.md) [up](../x.md)\n"
    )
    problems = load_links().broken_links([page], root=tmp_path)
    assert problems == [
        "probe.md:4: chat.md#nope: no heading #nope in chat.md",
        "probe.md:4: chat.md#not-a-heading: no heading #not-a-heading in chat.md",
        "probe.md:4: gone.md: no file gone.md",
        "probe.md:4: ../x.md: no file ../x.md",
    ]


def test_the_pages_name_only_markdown_files_of_the_checkout() -> None:
    links = load_links()
    present = {path.name for path in ROOT.glob("**/*.md") if ".venv" not in path.parts}
    for page in links.documents():
        named = set(re.findall(r"[\w.-]+\.md\b", page.read_text(encoding="utf-8")))
        assert named <= present, f"{page.name} names {sorted(named - present)}"
