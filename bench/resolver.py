"""How well and how fast the resolver names the ward a resident means, on the real divisions.

Builds the 34 provinces and 3,321 wards from the vietnamadminunits package (as `tinbao areas
import-vietnam` does) plus 50,000 hamlets on a SQLite file, picks 1,000 former wards at random
and types each the ways residents do. A query's outcome is one of:

- right: the ward named outright is the former ward's successor; for a ward split among
  several, all successors on the first page (and none, or one of them, named);
- listed: no ward named, the right one on the first page;
- missing: no ward named, the right one not on the first page (numbered wards typed without
  their district: fifteen "phường 2" in Hồ Chí Minh City);
- today: a ward of today bearing the very name typed is named, not the former ward's
  successor: today's name beats a former name, by design;
- wrong: any other ward named outright.

"Ambiguous" former wards are those whose typed form is also, within today's province, the
name of another former ward with other successors, or today's name of a ward that is not a
successor (today's name wins): no resolver can name them outright from that text alone.

    .venv/bin/python bench/resolver.py [--sample 1000] [--hamlets 50000] [--seed 11]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import ROOT, code_version, machine, table, write_results

sys.path.insert(0, str(ROOT))

from sqlalchemy import insert
from sqlmodel import Session, col, select

from core.db import Database, utcnow
from domain.areas.importer import import_vietnam
from domain.areas.index import area_index, forget_indexes
from domain.areas.models import Area, AreaKind
from domain.areas.phrases import KIND_WORDS
from domain.areas.resolver import resolve_area
from domain.areas.vietnam import FormerWard, divisions, former_wards
from domain.text import fold, normalize
from migrations.runner import upgrade_to_head

HAMLET_WORDS = ["Tổ dân phố", "Thôn", "Bản", "Ấp", "Khu phố", "Xóm"]


def build(path: Path, hamlets: int, seed: int) -> tuple[Database, float]:
    """A migrated database with the national areas and this many hamlets; import seconds."""
    db = Database(f"sqlite:///{path}")
    upgrade_to_head(db)
    started = time.perf_counter()
    report = import_vietnam(db)
    took = time.perf_counter() - started
    print(f"import-vietnam: {report.created} created in {took:.1f} s", file=sys.stderr)
    rng = random.Random(seed)
    with db.session() as session:
        wards = list(session.exec(select(Area).where(col(Area.kind) == AreaKind.WARD)))
        rows = []
        for i in range(hamlets):
            ward = wards[i % len(wards)]
            word = rng.choice(HAMLET_WORDS)
            name = (
                f"{word} {i // len(wards) + 1}"
                if rng.random() < 0.6
                else f"{word} {ward.name.split()[-1]} {i}"
            )
            now = utcnow()
            rows.append(
                {"code": f"H{i}", "name": name, "kind": AreaKind.HAMLET, "parent_id": ward.id,
                 "created_at": now, "updated_at": now}
            )  # fmt: skip
        session.execute(insert(Area), rows)
        session.commit()
    return db, took


def ambiguity(formers: tuple[FormerWard, ...], typed: Callable[[str], str]) -> set[tuple[str, str]]:
    """(province code, name as typed) pairs that no resolver can settle without more words:
    `typed` turns a name into its typed form (without its kind word, without diacritics)."""
    province_of = {d.code: d.parent_code for d in divisions() if d.kind == AreaKind.WARD}
    successors: dict[tuple[str, str], set[frozenset[str]]] = defaultdict(set)
    for f in formers:
        for code in {province_of[c] for c in f.successors}:
            successors[(code or "", typed(f.name))].add(frozenset(f.successors))
    today = Counter((d.parent_code or "", typed(d.name)) for d in divisions())
    unclear = {key for key, sets in successors.items() if len(sets) > 1}
    for f in formers:
        for code in {province_of[c] for c in f.successors}:
            key = (code or "", typed(f.name))
            names = {typed(d.name) for d in divisions() if d.code in f.successors}
            if today[key] and key[1] not in names:
                unclear.add(key)
    return unclear


def outcome(found: Any, successors: tuple[str, ...]) -> str:
    """right, listed, missing, today or wrong (see the module's docstring)."""
    shown = {c.area.code for c in found.candidates}
    if found.area is not None:
        if found.area.code not in successors:
            named = next((c for c in found.candidates if c.area.code == found.area.code), None)
            return "today" if named is not None and named.former is None else "wrong"
        return "right" if len(successors) == 1 or set(successors) <= shown else "listed"
    if len(successors) > 1:
        return "right" if set(successors) <= shown else "missing"
    return "listed" if successors[0] in shown else "missing"


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure every case on one sample; return the results."""
    rng = random.Random(args.seed)
    formers = tuple(f for f in former_wards() if f.name != f.district)
    sample = rng.sample(formers, args.sample)
    forms: dict[str, Callable[[str], str]] = {
        "name": normalize,
        "bare": lambda name: normalize(_bare(name)),
        "folded": fold,
    }
    unclear = {form: ambiguity(formers, typed) for form, typed in forms.items()}
    province_of = {d.code: d.parent_code or "" for d in divisions() if d.kind == AreaKind.WARD}
    name_of = {d.code: d.name for d in divisions()}
    with tempfile.TemporaryDirectory() as folder:
        db, import_s = build(Path(folder) / "bench.db", args.hamlets, args.seed)
        forget_indexes()
        with db.session() as session:
            started = time.process_time()
            area_index(session)
            build_s = time.process_time() - started
            first = _timed(session, "phường Chiềng Lề", ())[1]
            cases: dict[str, list[tuple[str, float, bool]]] = defaultdict(list)
            for f in sample:
                province = province_of[f.successors[0]]
                short = _bare(name_of[province])
                bare = _bare(f.name)
                typed = {
                    "phường X, in its province": (f.name, (province,), "name"),
                    "phường X, nationwide": (f.name, (), "name"),
                    "phuong X (no diacritics), in its province": (
                        fold(f.name),
                        (province,),
                        "folded",
                    ),
                    "phuong X (no diacritics), nationwide": (fold(f.name), (), "folded"),
                    "X, former district, nationwide": (f"{bare}, {f.district}", (), "bare"),
                    "phường X, former district, nationwide": (
                        f"{f.name}, {f.district}",
                        (),
                        "name",
                    ),
                    "X province, nationwide": (f"{bare} {short}", (), "bare"),
                }
                for case, (text, scope, form) in typed.items():
                    found, cpu = _timed(session, text, scope)
                    hard = (province, forms[form](f.name)) in unclear[form]
                    cases[case].append((outcome(found, f.successors), cpu, hard))
                # The dialogue's way: a list that spans provinces, or runs past a page, asks
                # where the place lies, and the answer is read together with the place.
                for where, scope, answer in (
                    ("nationwide, then its province", (), short),
                    ("in its province, then its former district", (province,), f.district),
                ):
                    found, cpu = _timed(session, f.name, scope)
                    shown = {c.province.id for c in found.candidates if c.province}
                    if found.area is None and (len(shown) > 1 or found.more):
                        found, more_cpu = _timed(session, f"{f.name}, {answer}", scope)
                        cpu += more_cpu
                    hard = (province, forms["name"](f.name)) in unclear["name"]
                    cases[f"phường X, {where} when asked"].append(
                        (outcome(found, f.successors), cpu, hard)
                    )
                today = name_of[f.successors[0]]
                for where, scope in (("in its province", (province,)), ("nationwide", ())):
                    found, cpu = _timed(session, today, scope)
                    cases[f"today's name, {where}"].append(
                        (outcome(found, (f.successors[0],)), cpu, False)
                    )
        db.dispose()
    return {
        "import_s": import_s,
        "index_build_cpu_s": build_s,
        "first_call_cpu_ms": first,
        "cases": cases,
    }


def _bare(name: str) -> str:
    """The name without its kind word: "thị trấn Mường Lát" -> "Mường Lát"."""
    for word in sorted(KIND_WORDS, key=len, reverse=True):
        if name.casefold().startswith(word + " "):
            return name[len(word) + 1 :]
    return name


def _timed(session: Session, text: str, scope: tuple[str, ...]) -> tuple[Any, float]:
    started = time.process_time_ns()
    found = resolve_area(session, text=text, provinces=scope)
    return found, (time.process_time_ns() - started) / 1e6


def report(results: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The results table, and the summary written to JSON."""
    rows, summary = [], {}
    all_cpu: list[float] = []
    for case, items in results["cases"].items():
        counts = Counter(o for o, _, _ in items)
        clear = [o for o, _, unclear in items if not unclear]
        cpu = sorted(c for _, c, _ in items)
        all_cpu += cpu
        share = {
            k: counts[k] / len(items) for k in ("right", "listed", "missing", "today", "wrong")
        }
        exact_clear = clear.count("right") / len(clear) if clear else 0.0
        p95 = cpu[int(0.95 * (len(cpu) - 1))]
        summary[case] = share | {"right_when_unambiguous": exact_clear, "p95_cpu_ms": p95,
                                 "median_cpu_ms": statistics.median(cpu), "n": len(items),
                                 "ambiguous": len(items) - len(clear)}  # fmt: skip
        rows.append(
            [case, f"{share['right']:.1%}", f"{exact_clear:.1%}", f"{share['listed']:.1%}",
             f"{share['missing']:.1%}", counts["today"], counts["wrong"], f"{p95:.2f}"]
        )  # fmt: skip
    all_cpu.sort()
    summary["all"] = {
        "p95_cpu_ms": all_cpu[int(0.95 * (len(all_cpu) - 1))],
        "max_cpu_ms": all_cpu[-1],
    }
    headers = [
        "typed", "right", "right (unambiguous)", "listed", "missing", "today's name", "wrong",
        "p95 CPU ms",
    ]  # fmt: skip
    return table(headers, rows), summary


def _machine() -> dict[str, Any]:
    try:
        return machine()
    except FileNotFoundError:  # machine() asks wrk for its version; this benchmark needs none
        return {
            "nproc": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_at_end": os.getloadavg(),
            "code": code_version(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--hamlets", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = run(args)
    text, summary = report(results)
    print(text)
    print(
        f"\nall resolutions: p95 {summary['all']['p95_cpu_ms']:.2f} ms CPU, max "
        f"{summary['all']['max_cpu_ms']:.2f} ms; index built in {results['index_build_cpu_s']:.2f} s "
        f"CPU; first call after it {results['first_call_cpu_ms']:.2f} ms"
    )
    path = write_results(
        "resolver",
        {"machine": _machine(), "args": vars(args) | {"out": str(args.out)}, "summary": summary,
         "import_s": results["import_s"], "index_build_cpu_s": results["index_build_cpu_s"],
         "first_call_cpu_ms": results["first_call_cpu_ms"]},
        args.out,
    )  # fmt: skip
    print(f"results: {path}")


if __name__ == "__main__":
    main()
