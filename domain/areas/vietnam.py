"""Vietnam's divisions after the 1 July 2025 reform, read from the vietnamadminunits package.

The package (MIT) ships its data as an SQLite file and a JSON table of old units to new ones;
they are read as data, without importing the package's code (or the libraries it needs for
parsing addresses, which Tinbao does not use). Nothing here touches the network.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from domain.areas.models import AreaKind
from domain.text import fold

PACKAGE = "vietnamadminunits"


class DivisionsError(LookupError):
    """The package is missing, or a province asked for is not in it."""


@dataclass(frozen=True)
class Division:
    """A province or ward of today, as a row of the area import."""

    code: str
    name: str
    kind: str
    parent_code: str | None
    aliases: tuple[str, ...]
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class FormerWard:
    """A ward (or a district without wards) of before the reform, and the wards it became."""

    name: str  # "phường Chiềng Lề"
    district: str  # "thành phố Sơn La"
    province: str  # "tỉnh Sơn La"
    successors: tuple[str, ...]  # codes of today's wards, the main one first


def _data_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DivisionsError(f"the package {PACKAGE} is not installed (pip install .)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _rows(table: str) -> list[dict[str, Any]]:
    # Read-only, immutable: the file belongs to the installed package.
    uri = f"{(_data_dir() / 'dataset.db').as_uri()}?mode=ro&immutable=1"
    with sqlite3.connect(uri, uri=True) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute(f"SELECT * FROM {table}")]  # noqa: S608


def _lower_kind(full: str) -> str:
    """'Phường Chiềng Lề' -> 'phường Chiềng Lề': the kind word in lower case, the name kept."""
    from domain.areas.phrases import KIND_WORDS

    for word in sorted(KIND_WORDS, key=len, reverse=True):
        if full.casefold().startswith(word + " "):
            return word + full[len(word) :]
    return full


@cache
def former_wards() -> tuple[FormerWard, ...]:
    """Every ward of before the reform with its successors, from the package's old-to-new table."""
    table = json.loads((_data_dir() / "converter_2025.json").read_text(encoding="utf-8"))
    new_by_key = {(r["provinceKey"], r["wardKey"]): r["wardCode"] for r in _rows("admin_units")}
    old_by_key = {
        f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}": r
        for r in _rows("admin_units_legacy")
    }
    successors: dict[str, list[str]] = defaultdict(list)
    for province, wards in table["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward, olds in wards.items():
            for old in olds:
                successors[old].append(new_by_key[(province, ward)])
    for province, olds in table["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in olds.items():
            ordered = sorted(parts, key=lambda part: not part["isDefaultNewWard"])
            successors[old] += [new_by_key[(province, part["newWardKey"])] for part in ordered]
    found = []
    for key, codes in successors.items():
        row = old_by_key[key]
        district = _lower_kind(row["district"])
        ward = _lower_kind(row["ward"]) if row["ward"] else district
        province = _lower_kind(row["province"])
        found.append(FormerWard(ward, district, province, tuple(dict.fromkeys(codes))))
    return tuple(sorted(found, key=lambda f: (f.province, f.district, f.name)))


@cache
def divisions() -> tuple[Division, ...]:
    """Today's 34 provinces and 3,321 wards, each ward after its province."""
    rows = _rows("admin_units")
    province_of = {r["wardCode"]: r for r in rows}
    formers: dict[str, list[FormerWard]] = defaultdict(list)
    former_provinces: dict[str, set[str]] = defaultdict(set)
    for former in former_wards():
        for code in former.successors:
            formers[code].append(former)
            former_provinces[province_of[code]["provinceCode"]].add(former.province)
    provinces: dict[str, Division] = {}
    wards: list[Division] = []
    for row in sorted(rows, key=lambda r: (r["provinceCode"], r["wardCode"])):
        code = row["provinceCode"]
        if code not in provinces:
            name = row["province"]
            aliases = sorted(p for p in former_provinces[code] if fold(p) != fold(name))
            lat, lon = row["provinceLat"], row["provinceLon"]
            provinces[code] = Division(
                code, name, AreaKind.PROVINCE, None, tuple(aliases), lat, lon
            )
        own = provinces[code].name
        aliases = [_alias(f, own) for f in formers[row["wardCode"]]]
        wards.append(
            Division(
                code=row["wardCode"],
                name=row["ward"],
                kind=AreaKind.WARD,
                parent_code=code,
                aliases=tuple(dict.fromkeys(aliases)),
                lat=row["wardLat"],
                lon=row["wardLon"],
            )
        )
    return tuple(provinces.values()) + tuple(wards)


def _alias(former: FormerWard, province: str) -> str:
    """A former ward's alias: its province named only when it is not today's."""
    parts = [former.name] if former.name != former.district else []
    if fold(former.province) != fold(province):
        return ", ".join([*parts, former.district, former.province])
    return ", ".join([*parts, former.district])


def pick_provinces(asked: Iterable[str]) -> set[str]:
    """The codes of the provinces named (by code, or by name with or without its kind word)."""
    from domain.areas.phrases import core_of  # the phrase reader strips "tỉnh", "TP."

    known = [d for d in divisions() if d.kind == AreaKind.PROVINCE]
    codes: set[str] = set()
    for text in asked:
        wanted = text.strip()
        match = [
            d.code
            for d in known
            if wanted.lstrip("0") == d.code.lstrip("0")
            or core_of(wanted) in {core_of(d.name), *(core_of(a) for a in d.aliases)}
        ]
        if not match:
            raise DivisionsError(f'no province "{wanted}" (codes 01 to 96, or names)')
        codes.update(match)
    return codes


def divisions_of(provinces: Iterable[str] = ()) -> list[Division]:
    """Today's divisions, of the named provinces only when any are named."""
    asked = list(provinces)
    if not asked:
        return list(divisions())
    codes = pick_provinces(asked)
    return [d for d in divisions() if d.code in codes or d.parent_code in codes]
