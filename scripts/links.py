"""Check that every relative link of README.md and docs/*.md leads somewhere.

    python scripts/links.py     (run by tests/test_docs_links.py)

A link to a file needs the file (or folder) in the checkout; a link with an anchor
(`docs/chat.md#the-polices-desk`, `#changelog`) needs a heading that GitHub gives that anchor:
lower case, spaces to dashes, punctuation dropped, `-1`, `-2`… for repeats. Links to web
addresses are not followed. Prints each broken link and exits 1 if there is any.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE = re.compile(r"`[^`]*`")
_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def documents() -> list[Path]:
    """The pages checked: README.md and every page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]


def prose_lines(text: str) -> list[tuple[int, str]]:
    """The lines outside fenced code blocks, numbered from 1."""
    lines: list[tuple[int, str]] = []
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, line))
    return lines


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = _LINK.sub(lambda m: m.group(0)[1 : m.group(0).index("](")], heading)
    text = text.replace("`", "").strip().lower()
    text = "".join(c for c in text if c.isalnum() or c in " -_")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor the headings of a Markdown file give, repeats numbered as on GitHub."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for _number, line in prose_lines(path.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if match is None:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(pages: list[Path] | None = None, root: Path = ROOT) -> list[str]:
    """One line per link that leads nowhere: the page (from root), its line, the link and why."""
    problems: list[str] = []
    cache: dict[Path, set[str]] = {}
    for page in pages if pages is not None else documents():
        for number, line in prose_lines(page.read_text(encoding="utf-8")):
            for match in _LINK.finditer(_CODE.sub("", line)):
                target = match.group(1)
                if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                    continue
                where = f"{page.relative_to(root)}:{number}: {target}"
                address, _, anchor = target.partition("#")
                file = (page.parent / address).resolve() if address else page
                if not file.exists():
                    problems.append(f"{where}: no file {address}")
                    continue
                if not file.is_relative_to(root):
                    problems.append(f"{where}: outside the repository")
                    continue
                if anchor and file.suffix == ".md":
                    if file not in cache:
                        cache[file] = anchors(file)
                    if anchor not in cache[file]:
                        problems.append(f"{where}: no heading #{anchor} in {file.name}")
    return problems


def main() -> int:
    problems = broken_links()
    for problem in problems:
        print(problem)
    checked = len(documents())
    print(f"{checked} pages checked, {len(problems)} broken links", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
