"""Import areas from a CSV file: check every row first, then write all of them or none."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from core.db import Database, utcnow
from domain.areas.models import Area, AreaAlias
from domain.areas.service import alias_key, area_problems, clean_aliases, replace_aliases

COLUMNS = ("code", "name", "kind", "parent_code", "aliases", "lat", "lon")
_CHUNK = 1000  # rows per flush, and so per progress report


@dataclass(frozen=True)
class RowError:
    """A problem found in the file, at a line (the header is line 1)."""

    line: int
    message: str

    def __str__(self) -> str:
        """The error as an operator reads it."""
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    """What an import did, or why it wrote nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    """One data row of the file, trimmed and parsed."""

    line: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    aliases: list[str]
    lat: float | None
    lon: float | None


def import_areas_csv(
    db: Database, path: Path, *, on_progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Upsert every area of a CSV file in one transaction, or report its errors and write none."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = (
            f"the file is not UTF-8 (byte 0x{raw[exc.start]:02X} at offset {exc.start});"
            ' save it as "CSV UTF-8"'
        )
        return ImportReport(errors=[RowError(line, message)])
    rows, file_codes, errors = _parse(text)
    # One transaction from the first read to the last write: what was checked is what is written.
    with db.session() as session:
        existing = {area.code: area for area in session.exec(select(Area))}
        errors += _tree_errors(rows, file_codes, existing)
        if errors:
            return ImportReport(errors=sorted(errors, key=lambda error: error.line))
        return _write(session, rows, existing, on_progress)


def _parse(text: str) -> tuple[list[_Row], set[str], list[RowError]]:
    """The well-formed rows, every code the file defines, and the errors of the other rows."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    if not any(header):
        return [], set(), [RowError(1, "the file is empty; the first line must name the columns")]
    errors = [RowError(1, f'missing column "{name}"') for name in COLUMNS if name not in header]
    errors += [RowError(1, f'unknown column "{n}"') for n in header if n and n not in COLUMNS]
    errors += [RowError(1, f'column "{n}" appears twice') for n in COLUMNS if header.count(n) > 1]
    if errors:
        return [], set(), errors
    rows: list[_Row] = []
    first_line: dict[str, int] = {}
    for line, cells in _records(reader, errors):
        if any(cell.strip() for cell in cells[len(header) :]):
            errors.append(RowError(line, f"{len(cells)} fields, expected {len(header)}"))
            continue
        cell = {name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(header)}
        row, problems = _row(line, cell)
        if row.code in first_line:
            problems.append(f'duplicate code "{row.code}" (first on line {first_line[row.code]})')
        elif row.code:
            first_line[row.code] = line
        errors += [RowError(line, problem) for problem in problems]
        if not problems:
            rows.append(row)
    return rows, set(first_line), errors


def _records(reader: Any, errors: list[RowError]) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record of a csv.reader with the line it starts on."""
    while True:
        line = reader.line_num + 1
        try:
            cells: list[str] = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(RowError(line, f"unreadable CSV: {exc}"))
            return
        if any(cell.strip() for cell in cells):
            yield line, cells


def _row(line: int, cell: dict[str, str]) -> tuple[_Row, list[str]]:
    """A row parsed from its cells, and what is wrong with it."""
    problems: list[str] = []
    lat, lon = _number(cell["lat"], "lat", problems), _number(cell["lon"], "lon", problems)
    if problems:  # already said; do not add "both or neither" on top
        lat = lon = None
    row = _Row(
        line=line,
        code=cell["code"],
        name=" ".join(cell["name"].split()),
        kind=cell["kind"].lower(),
        parent_code=cell["parent_code"] or None,
        aliases=[alias.strip() for alias in cell["aliases"].split("|") if alias.strip()],
        lat=lat,
        lon=lon,
    )
    problems += area_problems(
        code=row.code, name=row.name, kind=row.kind, aliases=row.aliases, lat=lat, lon=lon
    )
    if row.code and row.parent_code == row.code:
        problems.append(f'parent_code "{row.parent_code}" is the area itself')
    return row, problems


def _number(text: str, name: str, problems: list[str]) -> float | None:
    """A coordinate cell as a number, None when empty; a problem noted when it is neither."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        problems.append(f'{name} "{text}" is not a number')
        return None
    return value


def _tree_errors(
    rows: list[_Row], file_codes: set[str], existing: dict[str, Area]
) -> list[RowError]:
    """Unknown parents, and rows whose parent would close a cycle."""
    known = file_codes | existing.keys()
    errors = [
        RowError(row.line, f'unknown parent_code "{row.parent_code}"')
        for row in rows
        if row.parent_code is not None and row.parent_code not in known
    ]
    code_of = {area.id: code for code, area in existing.items()}
    parent_of = {code: code_of.get(area.parent_id) for code, area in existing.items()}
    parent_of |= {row.code: row.parent_code for row in rows}
    settled: set[str] = set()
    cycles: dict[str, list[str]] = {}
    for row in rows:
        path: dict[str, int] = {}  # code -> position, walking from child to parent
        node: str | None = row.code
        while node is not None and node not in settled:
            if node in path:
                cycle = list(path)[path[node] :]
                cycles |= dict.fromkeys(cycle, cycle)
                break
            path[node] = len(path)
            node = parent_of.get(node)
        settled.update(path)
    for row in rows:
        if row.code in cycles:
            cycle = cycles[row.code]
            at = cycle.index(row.code)
            chain = " → ".join([*cycle[at:], *cycle[:at], row.code])
            message = f'parent_code "{row.parent_code}" makes a cycle: {chain}'
            errors.append(RowError(row.line, message))
    return errors


def _write(
    session: Session,
    rows: list[_Row],
    existing: dict[str, Area],
    on_progress: Callable[[int, int], None] | None,
) -> ImportReport:
    """Upsert checked rows level by level, so that every parent has an id before its children."""
    current: dict[int, list[AreaAlias]] = defaultdict(list)
    for alias in session.exec(select(AreaAlias)):
        current[alias.area_id].append(alias)
    report = ImportReport()
    done = 0
    for level in _levels(rows):
        for start in range(0, len(level), _CHUNK):
            chunk = level[start : start + _CHUNK]
            areas = [_apply(row, existing, current, report) for row in chunk]
            session.add_all(areas)
            session.flush()
            for row, area in zip(chunk, areas, strict=True):
                assert area.id is not None
                existing[row.code] = area
                mine = current.get(area.id, [])
                replace_aliases(session, area_id=area.id, aliases=row.aliases, current=mine)
            done += len(chunk)
            if on_progress is not None:
                on_progress(done, len(rows))
    session.flush()
    return report


def _apply(
    row: _Row, existing: dict[str, Area], current: dict[int, list[AreaAlias]], report: ImportReport
) -> Area:
    """The row's area, new or updated in memory, counted in the report."""
    parent_id = existing[row.parent_code].id if row.parent_code is not None else None
    area = existing.get(row.code)
    if area is None:
        report.created += 1
        return Area(
            code=row.code,
            name=row.name,
            kind=row.kind,
            parent_id=parent_id,
            lat=row.lat,
            lon=row.lon,
        )
    old = (area.name, area.kind, area.parent_id, area.lat, area.lon)
    old_aliases = {alias_key(alias.alias): alias.alias for alias in current.get(area.id or 0, [])}
    new = (row.name, row.kind, parent_id, row.lat, row.lon)
    if old == new and old_aliases == clean_aliases(row.aliases):
        report.unchanged += 1
        return area
    area.name, area.kind, area.parent_id = row.name, row.kind, parent_id
    area.lat, area.lon, area.updated_at = row.lat, row.lon, utcnow()
    report.updated += 1
    return area


def _levels(rows: list[_Row]) -> list[list[_Row]]:
    """Rows grouped by depth within the file: those whose parent is not in the file first."""
    by_code = {row.code: row for row in rows}
    depth: dict[str, int] = {}
    for row in rows:
        chain: list[str] = []
        node: str | None = row.code
        while node is not None and node in by_code and node not in depth:
            chain.append(node)
            node = by_code[node].parent_code
        base = depth.get(node, -1) if node is not None else -1
        for code in reversed(chain):
            base += 1
            depth[code] = base
    levels: list[list[_Row]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for row in rows:
        levels[depth[row.code]].append(row)
    return levels


def import_vietnam(
    db: Database,
    *,
    provinces: list[str] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Upsert today's provinces and wards (all, or of the provinces named) from the package."""
    from domain.areas.vietnam import divisions_of  # reads the package's data: only when asked

    rows = [
        _Row(
            line=0,
            code=d.code,
            name=d.name,
            kind=str(d.kind),
            parent_code=d.parent_code,
            aliases=list(d.aliases),
            lat=d.lat,
            lon=d.lon,
        )
        for d in divisions_of(provinces or [])
    ]
    with db.session() as session:
        existing = {area.code: area for area in session.exec(select(Area))}
        return _write(session, rows, existing, on_progress)
