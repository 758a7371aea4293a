"""Copy the lock's pins into pyproject.toml, or check, offline, that they agree.

    python scripts/pins.py write    (run by bash scripts/lock)
    python scripts/pins.py check    (run by bash scripts/lock --check, and so by scripts/test)

pyproject.toml's `dependencies` are requirements/runtime.txt; its `dev` extra is what
requirements/dev.txt adds to them. Both lists are generated: edit the .in files instead.
"""

from __future__ import annotations

import difflib
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
REQUIREMENTS = ROOT / "requirements"
SETS = ("runtime", "dev")

_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)\s*(?:;\s*(?P<marker>.+))?$"
)
_VIA = re.compile(r"^\s+#\s+(?:via\s+)?(?P<source>\S.*)$")


@dataclass
class Pin:
    """One line of a lock: an exact version, maybe for some platforms only."""

    name: str
    version: str
    marker: str | None
    via: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)

    def requirement(self) -> str:
        """The pin as pyproject.toml writes it."""
        pin = f"{self.name}=={self.version}"
        return f"{pin}; {self.marker}" if self.marker else pin


def read_lock(path: Path) -> list[Pin]:
    """The pins of a lock written by uv pip compile, with what needs each."""
    pins: list[Pin] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := _PIN.match(line):
            marker = match["marker"].strip() if match["marker"] else None
            pins.append(Pin(match["name"], match["version"], marker))
        elif pins and (via := _VIA.match(line)):
            pins[-1].via.append(via["source"].strip())
        elif line.strip() and not line.lstrip().startswith("#"):
            raise SystemExit(f"{path.relative_to(ROOT)}: cannot read {line!r}")
    return pins


def read_direct(path: Path) -> list[Requirement]:
    """The requirements an .in file declares (its -c and -r lines left out)."""
    found: list[Requirement] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            found.append(Requirement(line))
        except InvalidRequirement as error:
            raise SystemExit(f"{path.relative_to(ROOT)}: {error}") from None
    return found


def expected() -> dict[str, list[str]]:
    """pyproject.toml's two lists as the lock makes them."""
    runtime = read_lock(REQUIREMENTS / "runtime.txt")
    shared = {pin.key for pin in runtime}
    dev_only = [pin for pin in read_lock(REQUIREMENTS / "dev.txt") if pin.key not in shared]
    return {
        "dependencies": [pin.requirement() for pin in runtime],
        "dev": [pin.requirement() for pin in dev_only],
    }


def lock_problems() -> list[str]:
    """Where the lock does not cover its .in files, or the two locks disagree."""
    problems: list[str] = []
    locks = {name: read_lock(REQUIREMENTS / f"{name}.txt") for name in SETS}
    for name in SETS:
        source = f"requirements/{name}.in"
        pins = {pin.key: pin for pin in locks[name]}
        declared = read_direct(REQUIREMENTS / f"{name}.in")
        for requirement in declared:
            pin = pins.get(canonicalize_name(requirement.name))
            if pin is None:
                problems.append(f"{source} declares {requirement.name}, not in the lock")
            elif not requirement.specifier.contains(pin.version, prereleases=True):
                problems.append(
                    f"{source} asks {requirement}, the lock has {pin.name}=={pin.version}"
                )
        names = {canonicalize_name(requirement.name) for requirement in declared}
        for pin in locks[name]:
            if f"-r {source}" in pin.via and pin.key not in names:
                problems.append(
                    f"the lock has {pin.name} from {source}, which no longer declares it"
                )
    runtime = {pin.key: pin.version for pin in locks["runtime"]}
    for pin in locks["dev"]:
        if pin.key in runtime and runtime[pin.key] != pin.version:
            problems.append(
                f"requirements/dev.txt has {pin.name}=={pin.version}, runtime.txt {runtime[pin.key]}"
            )
    return problems


def current() -> dict[str, list[str]]:
    """pyproject.toml's two lists as they are."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    return {
        "dependencies": list(project.get("dependencies", [])),
        "dev": list(project.get("optional-dependencies", {}).get("dev", [])),
    }


def write() -> None:
    """Replace pyproject.toml's two lists by the lock's pins."""
    text = PYPROJECT.read_text(encoding="utf-8")
    for key, pins in expected().items():
        body = "".join(f'    "{pin}",\n' for pin in pins)
        text, count = re.subn(
            rf"^{key} = \[\n.*?^\]\n", f"{key} = [\n{body}]\n", text, count=1, flags=re.M | re.S
        )
        if count != 1:
            raise SystemExit(f"pyproject.toml: no `{key} = [` list to replace")
    PYPROJECT.write_text(text, encoding="utf-8")
    check()


def check() -> None:
    """Exit non-zero, saying what differs, unless pyproject.toml's pins are the lock's."""
    problems = lock_problems()
    have, want = current(), expected()
    for key in want:
        if have[key] != want[key]:
            diff = difflib.unified_diff(
                have[key], want[key], "pyproject.toml", "the lock", lineterm="", n=0
            )
            problems.append(f"pyproject.toml's `{key}` differs from the lock:\n" + "\n".join(diff))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(
            "Declare direct dependencies in requirements/*.in, then run bash scripts/lock.",
            file=sys.stderr,
        )
        raise SystemExit(1)
    print(f"pins: {len(want['dependencies'])} runtime, {len(want['dev'])} dev, as locked")


if __name__ == "__main__":
    actions = {"write": write, "check": check}
    if len(sys.argv) != 2 or sys.argv[1] not in actions:
        raise SystemExit("usage: python scripts/pins.py write|check")
    actions[sys.argv[1]]()
