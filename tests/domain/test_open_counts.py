"""The open counts /queue reads: spread over stripes so that filings at once do not wait, and exact."""

from __future__ import annotations

import threading

from sqlalchemy import text
from sqlmodel import Session, col, select

from core.db import Database
from domain.areas.models import AreaKind
from domain.reports.figures import count_mismatches
from domain.reports.models import EVERYWHERE, Report
from domain.reports.open_counts import open_total
from domain.reports.triage import Move, Officer, apply_move
from tests.factories import make_area, make_report

OFFICER = Officer(identity="telegram:880001", name="Hùng Trần", chat="telegram:-1001000000111")


def province_of_hamlets(db: Database) -> tuple[int, list[int]]:
    """Sơn La with two wards of two hamlets each: the province's id and the hamlets'."""
    with db.session() as session:
        province = make_area(session, code="SL", name="Sơn La", kind=AreaKind.PROVINCE)
        hamlets = []
        for ward_code, ward_name in (("SL-TH", "Tô Hiệu"), ("SL-CA", "Chiềng An")):
            ward = make_area(session, code=ward_code, name=ward_name, parent=province)
            for n in (1, 2):
                hamlet = make_area(
                    session, code=f"{ward_code}-{n}", name=f"Tổ {n}", kind=AreaKind.HAMLET,
                    parent=ward,
                )  # fmt: skip
                assert hamlet.id is not None
                hamlets.append(hamlet.id)
        assert province.id is not None
        return province.id, hamlets


def province_rows(db: Database, province_id: int) -> list[tuple[str, int]]:
    with db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT status, reports FROM report_open_counts WHERE area_id = :area"
                " ORDER BY status"
            ),
            {"area": province_id},
        ).all()
    return [(str(status), int(n)) for status, n in rows]


def test_open_counts_of_two_connections_go_to_two_stripes_and_add_up(db: Database) -> None:
    province_id, hamlets = province_of_hamlets(db)
    with db.engine.connect() as first, db.engine.connect() as second:
        codes = []
        for connection, hamlet in ((first, hamlets[0]), (second, hamlets[3])):
            with Session(bind=connection) as session:
                codes.append(make_report(session, area_id=hamlet).code)
                session.commit()
        rows = province_rows(db, province_id)
        assert len(rows) == 2 and {n for _status, n in rows} == {1}  # one report in each stripe
        assert {status.split(".")[0] for status, _n in rows} == {"new"}
        # The second connection claims the first's report: the move lands in its own stripe.
        with Session(bind=second) as session:
            report = session.exec(select(Report).where(col(Report.code) == codes[0])).one()
            apply_move(session, report=report, move=Move.CLAIM, officer=OFFICER)
            session.commit()
    rows = province_rows(db, province_id)
    assert sorted(n for _status, n in rows) == [0, 1, 1]  # new 1, new 1 - 1, in progress 1
    assert sum(n for status, n in rows if status.startswith("new")) == 1
    with db.reading() as session:
        connection = session.connection()
        assert open_total(connection, area_id=province_id) == 2
        assert open_total(connection, area_id=EVERYWHERE) == 2
        assert open_total(connection, area_id=hamlets[0]) == 1
        assert count_mismatches(connection) == []  # the stripes' sums equal a full recount


def test_open_counts_of_filings_at_once_equal_a_recount(db: Database) -> None:
    province_id, hamlets = province_of_hamlets(db)
    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def file_five(n: int) -> None:
        try:
            start.wait()
            for k in range(5):
                with db.session() as session:
                    make_report(session, area_id=hamlets[(n + k) % len(hamlets)])
        except BaseException as error:  # reported below, with the thread's traceback lost
            failures.append(error)

    threads = [threading.Thread(target=file_five, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with db.reading() as session:
        connection = session.connection()
        assert open_total(connection, area_id=province_id) == 30
        assert open_total(connection, area_id=EVERYWHERE) == 30
        assert count_mismatches(connection) == []
