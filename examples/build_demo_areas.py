"""Write examples/demo-areas.csv from the package `tinbao areas import-vietnam` reads.

Two provinces and four wards of each, with their real names, former names and centres, under
DEMO- codes so that nobody links a real chat to them, and a few made-up tổ dân phố.

    .venv/bin/python examples/build_demo_areas.py
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from domain.areas.vietnam import divisions  # noqa: E402

PROVINCES = {"14": "DEMO-SL", "31": "DEMO-HP"}  # Sơn La, Hải Phòng
WARDS = {
    "03646": "DEMO-SL-TOHIEU", "03664": "DEMO-SL-CHIENGAN", "03670": "DEMO-SL-CHIENGCOI",
    "03679": "DEMO-SL-CHIENGSINH", "11383": "DEMO-HP-LECHAN", "11407": "DEMO-HP-ANBIEN",
    "11311": "DEMO-HP-HONGBANG", "11359": "DEMO-HP-GIAVIEN",
}  # fmt: skip
HAMLETS = [  # code, name, ward, aliases, lat, lon: made up
    ("DEMO-SL-TOHIEU-TDP1", "Tổ dân phố 1", "DEMO-SL-TOHIEU", "tổ 1", "21.3280", "103.9195"),
    ("DEMO-SL-TOHIEU-TDP2", "Tổ dân phố 2", "DEMO-SL-TOHIEU", "tổ 2", "", ""),
    ("DEMO-SL-TOHIEU-TDP5", "Tổ dân phố 5", "DEMO-SL-TOHIEU", "tổ 5", "", ""),
    ("DEMO-SL-CHIENGAN-HEO", "Bản Hẹo", "DEMO-SL-CHIENGAN", "", "21.3870", "103.8990"),
    ("DEMO-SL-CHIENGAN-TDP1", "Tổ dân phố 1", "DEMO-SL-CHIENGAN", "", "", ""),
    ("DEMO-HP-LECHAN-TDP1", "Tổ dân phố 1", "DEMO-HP-LECHAN", "", "", ""),
    ("DEMO-HP-LECHAN-TDP2", "Tổ dân phố 2", "DEMO-HP-LECHAN", "", "", ""),
    ("DEMO-HP-ANBIEN-TDP3", "Tổ dân phố 3", "DEMO-HP-ANBIEN", "", "", ""),
]


def main() -> None:
    rows = [["code", "name", "kind", "parent_code", "aliases", "lat", "lon"]]
    for d in divisions():
        code = PROVINCES.get(d.code) or WARDS.get(d.code)
        if code is None:
            continue
        parent = PROVINCES.get(d.parent_code or "", "")
        rows.append(
            [code, d.name, str(d.kind), parent, "|".join(d.aliases), f"{d.lat}", f"{d.lon}"]
        )
    rows += [
        [code, name, "hamlet", ward, aliases, lat, lon]
        for code, name, ward, aliases, lat, lon in HAMLETS
    ]
    path = ROOT / "examples" / "demo-areas.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    print(f"{path.relative_to(ROOT)}: {len(rows) - 1} areas")


if __name__ == "__main__":
    main()
