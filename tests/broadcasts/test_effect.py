"""The effect of a run on a seeded history of reports, under a controlled clock."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.broadcasting.figures import figure_lines
from broadcasts.effect import MIN_REPORTS, Change, effect_of
from broadcasts.models import BroadcastRun
from domain.areas.service import get_area
from tests.broadcasts import test_runs
from tests.broadcasts.test_runs import MONDAY_9, Ward, advance, create, hanoi, runs
from tests.factories import make_report

ward = test_runs.ward  # Tô Hiệu (with tổ dân phố 5) and Chiềng An, in Sơn La
START = hanoi(7, 10)


def seed(session: Session, code: str | None, category: str, days_ago: list[float]) -> None:
    """Reports of a category in an area (None: no area), filed these many days before START."""
    area = get_area(session, code=code) if code else None
    for days in days_ago:
        report = make_report(session, area_id=area.id if area else None, category=category)
        report.created_at = START - timedelta(days=days)
        session.add(report)


def started(ward: Ward, **values: object) -> BroadcastRun:
    broadcast_id = create(ward, MONDAY_9, send_at=START, **values)
    advance(ward, START)
    (run,) = runs(ward, broadcast_id)
    assert run.started_at == START
    return run


def test_effect_of_a_scam_warning_against_the_areas_not_targeted(ward: Ward) -> None:
    with ward.db.session() as session:
        # Fraud in the ward's hamlet: 20 in the 14 days before, 10 in the 14 days after.
        seed(session, "SL-TOHIEU-5", "fraud", [d / 2 + 0.25 for d in range(20)])
        seed(session, "SL-TOHIEU-5", "fraud", [-d - 0.5 for d in range(10)])
        # Elsewhere: 10 before, 11 after.
        seed(session, "SL-CHIENGAN", "fraud", [d + 0.5 for d in range(10)])
        seed(session, "SL-CHIENGAN", "fraud", [-d - 0.5 for d in range(11)])
        # Not counted: another category, outside the windows, no area.
        seed(session, "SL-TOHIEU", "theft", [1, 2, -1])
        seed(session, "SL-TOHIEU", "fraud", [15, -15])
        seed(session, None, "fraud", [1, -1])
    run = started(ward, areas=("SL-TOHIEU",), text=None, content_id="scam-fake-bank")
    later = START + timedelta(days=15)
    with ward.db.reading() as session:
        effect = effect_of(session, run, now=later)
        lines = figure_lines(session, run, "vi", now=later)
        english = figure_lines(session, run, "en", now=later)
    assert effect is not None and effect.category == "fraud" and effect.complete
    assert effect.targeted == Change(20, 10) and effect.targeted.percent == -50.0
    assert effect.elsewhere == Change(10, 11) and effect.elsewhere.percent == 10.0
    assert lines[-1] == (
        "Tin báo về Lừa đảo, 14 ngày trước và sau: ở các địa bàn đã nhận 20 → 10 (-50%); "
        "ở nơi khác 10 → 11 (+10%)."
    )
    assert english[-1] == (
        "Reports of Fraud, scams, 14 days before and after: in the areas reached 20 → 10 (-50%); "
        "elsewhere 10 → 11 (+10%)."
    )


def test_effect_below_the_threshold_is_too_few_to_tell(ward: Ward) -> None:
    with ward.db.session() as session:
        seed(session, "SL-TOHIEU", "fire", [1, 2, 3])
        seed(session, "SL-TOHIEU", "fire", [-1])
        seed(session, "SL-CHIENGAN", "fire", [d + 0.5 for d in range(MIN_REPORTS)])
        seed(session, "SL-CHIENGAN", "fire", [-d - 0.5 for d in range(MIN_REPORTS - 1)])
    run = started(ward, areas=("SL-TOHIEU",), text=None, content_id="fire-ebike-charging")
    soon = START + timedelta(days=3)
    with ward.db.reading() as session:
        effect = effect_of(session, run, now=soon)
        lines = figure_lines(session, run, "vi", now=soon)
    assert effect is not None and not effect.complete
    assert effect.targeted.percent is None and effect.elsewhere is not None
    assert effect.elsewhere == Change(MIN_REPORTS, MIN_REPORTS - 1)
    assert effect.elsewhere.percent is None  # one side under the threshold is enough
    assert lines[-2] == (
        "Tin báo về Cháy nổ, PCCC, 14 ngày trước và sau: ở các địa bàn đã nhận 3 → 1 (quá ít tin báo "
        "để kết luận); ở nơi khác 10 → 9 (quá ít tin báo để kết luận)."
    )
    assert lines[-1] == "Chưa hết 14 ngày sau đợt phát."


def test_effect_of_words_without_a_tag_or_to_every_area(ward: Ward) -> None:
    typed = started(ward, areas=("SL-TOHIEU",))
    with ward.db.reading() as session:
        assert effect_of(session, typed) is None
        # Nothing sent yet, no tag: the reach so far and no effect line.
        assert figure_lines(session, typed, "vi") == [
            "Số nhóm đã nhận: 0",
            "Số người đăng ký đã nhận riêng: 0",
        ]
    with ward.db.session() as session:
        seed(session, "SL-TOHIEU", "drugs", [1])
    everywhere = started(ward, areas=None, text=None, content_id="drugs-disguised")
    with ward.db.reading() as session:
        effect = effect_of(session, everywhere, now=START)
    assert effect is not None and effect.elsewhere is None and effect.targeted == Change(1, 0)


def test_effect_change_percent_is_shown_only_from_the_threshold() -> None:
    assert Change(MIN_REPORTS, MIN_REPORTS * 2).percent == 100.0
    assert Change(MIN_REPORTS - 1, 50).percent is None
    assert Change(50, MIN_REPORTS - 1).percent is None
