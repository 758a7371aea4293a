"""Importing areas from CSV: all rows or none, errors at their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.db import Database
from domain.areas.importer import ImportReport, RowError, import_areas_csv
from domain.areas.resolver import resolve_area
from domain.areas.service import aliases_of, get_area, list_areas
from tests.factories import make_area

HEADER = "code,name,kind,parent_code,aliases,lat,lon\n"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "demo-areas.csv"


def write_csv(tmp_path: Path, body: str, *, bom: bool = False, header: str = HEADER) -> Path:
    """A CSV file of these rows, in UTF-8."""
    path = tmp_path / "areas.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + (header + body).encode())
    return path


def errors_of(report: ImportReport) -> list[str]:
    return [str(error) for error in report.errors]


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
def test_import_reads_utf8_with_or_without_bom(db: Database, tmp_path: Path, bom: bool) -> None:
    path = write_csv(
        tmp_path,
        "SL,Sơn La,province,,tỉnh Sơn La,,\n"
        "SL-TH,Tô Hiệu,ward,SL, phường Chiềng Lề | |phuong Quyet Thang ,21.3265,103.9128\n",
        bom=bom,
    )

    report = import_areas_csv(db, path)

    assert report == ImportReport(created=2, updated=0, unchanged=0, errors=[])
    with db.session() as session:
        ward = get_area(session, code="SL-TH")
        assert ward is not None
        assert (ward.name, ward.kind, ward.lat, ward.lon) == ("Tô Hiệu", "ward", 21.3265, 103.9128)
        province = get_area(session, code="SL")
        assert province is not None and ward.parent_id == province.id
        assert aliases_of(session, area_id=ward.id or 0) == [
            "phuong Quyet Thang",
            "phường Chiềng Lề",
        ]


def test_import_reports_each_bad_row_at_its_line_and_writes_nothing(
    db: Database, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "HP,Hải Phòng,province,,,,\n"  # line 2: fine
        ",Không mã,ward,HP,,,\n"  # line 3
        "HP-A,,ward,HP,,,\n"  # line 4
        "HP-B,An Biên,district,HP,,,\n"  # line 5
        "HP-C,Lê Chân,ward,HP-XX,,,\n"  # line 6
        "\n"  # line 7: blank, skipped
        "HP-D,Hồng Bàng,ward,HP,,95,106.6\n"  # line 8
        "HP-E,Gia Viên,ward,HP,,20.8,\n"  # line 9
        "HP-F,Ngô Quyền,ward,HP,,abc,106.7\n"  # line 10
        "HP-D,Hồng Bàng 2,ward,HP,,,\n"  # line 11
        "HP-G,Đông Hải,ward,HP-H,,,\n"  # line 12
        "HP-H,Hải An,ward,HP-G,,,\n"  # line 13
        "HP-I,Kiến An,ward,HP-I,,,\n",  # line 14
    )

    report = import_areas_csv(db, path)

    assert errors_of(report) == [
        "line 3: code is empty",
        "line 4: name is empty",
        'line 5: kind "district" is not one of province, ward, hamlet',
        'line 6: unknown parent_code "HP-XX"',
        "line 8: lat 95.0 is outside [-90, 90]",
        "line 9: lat and lon must both be given or both be empty",
        'line 10: lat "abc" is not a number',
        'line 11: duplicate code "HP-D" (first on line 8)',
        'line 12: parent_code "HP-H" makes a cycle: HP-G → HP-H → HP-G',
        'line 13: parent_code "HP-G" makes a cycle: HP-H → HP-G → HP-H',
        'line 14: parent_code "HP-I" is the area itself',
    ]
    assert (report.created, report.updated) == (0, 0)
    with db.session() as session:
        assert list_areas(session) == []


def test_import_takes_parents_that_come_later_in_the_file(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "SL-TH-1,Tổ dân phố 1,hamlet,SL-TH,,,\nSL-TH,Tô Hiệu,ward,SL,,,\nSL,Sơn La,province,,,,\n",
    )

    report = import_areas_csv(db, path)

    assert report.errors == []
    assert report.created == 3
    with db.session() as session:
        hamlet, ward = get_area(session, code="SL-TH-1"), get_area(session, code="SL-TH")
        assert hamlet is not None and ward is not None
        assert hamlet.parent_id == ward.id


def test_import_takes_parents_already_in_the_database(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        make_area(session, code="SL", name="Sơn La", kind="province")
    path = write_csv(tmp_path, "SL-TH,Tô Hiệu,ward,SL,,,\n")

    report = import_areas_csv(db, path)

    assert (report.created, report.errors) == (1, [])


def test_import_refuses_a_cycle_through_an_area_already_in_the_database(
    db: Database, tmp_path: Path
) -> None:
    with db.session() as session:
        province = make_area(session, code="SL", kind="province")
        make_area(session, code="SL-TH", parent=province)
    path = write_csv(tmp_path, "SL,Sơn La,province,SL-TH,,,\n")

    report = import_areas_csv(db, path)

    assert errors_of(report) == ['line 2: parent_code "SL-TH" makes a cycle: SL → SL-TH → SL']


def test_import_again_updates_areas_and_replaces_their_aliases(
    db: Database, tmp_path: Path
) -> None:
    first = "SL,Sơn La,province,,,,\nSL-TH,Tô Hiệu,ward,SL,phường Chiềng Lề|phường Quyết Thắng,,\n"
    assert import_areas_csv(db, write_csv(tmp_path, first)).created == 2
    second = "SL,Sơn La,province,,,,\nSL-TH,Phường Tô Hiệu,ward,SL,phuong Chieng Le|xã Hua La,21.3,103.9\n"

    report = import_areas_csv(db, write_csv(tmp_path, second))

    assert report == ImportReport(created=0, updated=1, unchanged=1, errors=[])
    with db.session() as session:
        ward = get_area(session, code="SL-TH")
        assert ward is not None
        assert (ward.name, ward.lat, ward.lon) == ("Phường Tô Hiệu", 21.3, 103.9)
        assert aliases_of(session, area_id=ward.id or 0) == ["phuong Chieng Le", "xã Hua La"]
        assert len(list_areas(session)) == 2


def test_import_refuses_a_file_that_is_not_utf8(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "areas.csv"
    path.write_bytes((HEADER + "SL,Sơn La,province,,,,\n").encode("cp1258"))

    report = import_areas_csv(db, path)

    assert len(report.errors) == 1
    assert report.errors[0].line == 2
    assert "not UTF-8" in report.errors[0].message
    with db.session() as session:
        assert list_areas(session) == []


def test_import_names_a_missing_column(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path, "SL,Sơn La,province,,,\n", header="code,name,kind,parent_code,aliases,lat\n"
    )

    report = import_areas_csv(db, path)

    assert report.errors == [RowError(1, 'missing column "lon"')]


def test_import_refuses_an_empty_file(db: Database, tmp_path: Path) -> None:
    report = import_areas_csv(db, write_csv(tmp_path, "", header=""))

    assert [error.line for error in report.errors] == [1]


def test_import_reports_progress_up_to_the_total(db: Database, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []

    report = import_areas_csv(
        db, EXAMPLES, on_progress=lambda done, total: seen.append((done, total))
    )

    assert report.errors == []
    assert seen[-1] == (report.created, report.created)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_import_of_many_rows_writes_them_all(db: Database, tmp_path: Path) -> None:
    wards = [f"W{i},Phường {i},ward,P,,{10 + i / 1000:.4f},105.5" for i in range(300)]
    hamlets = [
        f"W{i}-{h},Tổ {h},hamlet,W{i},tổ dân phố {h},," for i in range(300) for h in range(5)
    ]
    path = write_csv(tmp_path, "\n".join(["P,Tỉnh P,province,,,,", *hamlets, *wards]) + "\n")

    report = import_areas_csv(db, path)

    assert (report.created, report.errors) == (1 + 300 + 1500, [])
    with db.session() as session:
        assert len(list_areas(session, under="W7", limit=200)) == 6


def test_import_keeps_aliases_that_differ_only_by_diacritics(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "HUE,Thành phố Huế,province,,,,\n"
        "HT,Phường Hương Trà,ward,HUE,phường Hương Văn|phường Hương Vân|phuong Huong Van,,\n",
    )

    assert import_areas_csv(db, path).created == 2
    with db.session() as session:
        ward = get_area(session, code="HT")
        assert ward is not None
        # Both spellings kept; the one without diacritics adds nothing to them.
        assert set(aliases_of(session, area_id=ward.id or 0)) == {
            "phường Hương Văn",
            "phường Hương Vân",
        }
    assert import_areas_csv(db, path).unchanged == 2


def test_demo_areas_put_quyet_tam_under_to_hieu(db: Database) -> None:
    assert import_areas_csv(db, EXAMPLES).created == 18
    with db.session() as session:
        found = resolve_area(session, text="phường Quyết Tâm")
        assert found.area is not None and found.area.code == "DEMO-SL-TOHIEU"
        assert found.candidates[0].former == "phường Quyết Tâm"
